// include/eigenflow/flows/on_columns.hpp — a transform applied to some of the columns, the others
// passed through unchanged: how a multi-scale flow (RealNVP, Glow) keeps transforming half of
// its channels after factoring out the other half.
//
// The factored-out columns are final from then on (their density is the base's, or a learned
// prior's set up by the layer that split them), and the Jacobian is block-triangular with the
// identity on them, so the log-det is the inner transform's.
#pragma once

#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/transform.hpp"

namespace eigenflow::flows {

/// y_S = T(x_S), y_R = x_R for the columns S given and the rest R.
///
/// @tparam Scalar float or double.
template <class Scalar>
class on_columns : public transform_base<on_columns<Scalar>, Scalar> {
 public:
  /// `inner` acts on columns `columns` of a D-wide batch, in that order (its width must be their
  /// count); the columns must be distinct and in [0, D).
  on_columns(index_t dim, std::vector<index_t> columns, std::unique_ptr<transform<Scalar>> inner)
      : dim_(dim), columns_(std::move(columns)), inner_(std::move(inner)) {
    if (!inner_) throw value_error("on_columns: null inner transform");
    if (columns_.empty() || static_cast<index_t>(columns_.size()) != inner_->dim()) {
      throw shape_error("on_columns: " + std::to_string(columns_.size()) + " columns for " + inner_->describe() +
                        " of width " + std::to_string(inner_->dim()));
    }
    std::vector<bool> chosen(static_cast<std::size_t>(std::max<index_t>(dim, 0)), false);
    for (index_t j : columns_) {
      if (j < 0 || j >= dim || chosen[static_cast<std::size_t>(j)]) {
        throw value_error("on_columns: column " + std::to_string(j) + " is out of [0, " + std::to_string(dim) +
                          ") or repeated");
      }
      chosen[static_cast<std::size_t>(j)] = true;
    }
    for (index_t j = 0; j < dim; ++j) {
      if (!chosen[static_cast<std::size_t>(j)]) rest_.push_back(j);
    }
    // [T(x_S), x_R] back to the original column order.
    restore_.resize(static_cast<std::size_t>(dim));
    for (std::size_t k = 0; k < columns_.size(); ++k) restore_[static_cast<std::size_t>(columns_[k])] = static_cast<index_t>(k);
    for (std::size_t k = 0; k < rest_.size(); ++k) {
      restore_[static_cast<std::size_t>(rest_[k])] = static_cast<index_t>(columns_.size() + k);
    }
  }
  /// A deep copy (the inner transform is cloned).
  on_columns(const on_columns& other)
      : transform_base<on_columns<Scalar>, Scalar>(other),
        dim_(other.dim_),
        columns_(other.columns_),
        rest_(other.rest_),
        restore_(other.restore_),
        inner_(other.inner_->clone()) {}
  on_columns& operator=(const on_columns&) = delete;
  /// Moves the inner transform.
  on_columns(on_columns&&) noexcept = default;

  /// y_S = T(x_S), y_R = x_R; the log-det is T's.
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>& c) const {
    detail::check_width("on_columns", x, dim_);
    const transformed<Value> r = inner_->forward(gather_cols(x, std::span<const index_t>(columns_)), c);
    return {merge(r.value, x), r.log_det};
  }
  /// x_S = T⁻¹(y_S), x_R = y_R; the log-det is T⁻¹'s.
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>& c) const {
    detail::check_width("on_columns", y, dim_);
    const transformed<Value> r = inner_->inverse(gather_cols(y, std::span<const index_t>(columns_)), c);
    return {merge(r.value, y), r.log_det};
  }
  /// Initializes the inner transform on its columns of the batch; returns the batch transformed.
  matrix<Scalar> initialize(const matrix<Scalar>& x, const context<matrix<Scalar>>& c) override {
    detail::check_width("on_columns", x, dim_);
    return merge(inner_->initialize(gather_cols(x, std::span<const index_t>(columns_)), c), x);
  }

  index_t dim() const override { return dim_; }
  condition_spec condition() const override { return inner_->condition(); }
  void collect_parameters(nn::parameter_list<Scalar>& list) override { inner_->collect_parameters(list); }
  std::string describe() const override {
    return "on_columns(" + std::to_string(columns_.size()) + " of " + std::to_string(dim_) + ": " + inner_->describe() + ")";
  }
  /// The columns the inner transform acts on, in its order.
  const std::vector<index_t>& columns() const { return columns_; }
  /// The inner transform.
  const transform<Scalar>& inner() const { return *inner_; }

 private:
  // [inner's columns, the rest of `outer`] in the original column order.
  template <class Value>
  Value merge(const Value& inner_columns, const Value& outer) const {
    if (rest_.empty()) return gather_cols(inner_columns, std::span<const index_t>(restore_));
    return gather_cols(concat(inner_columns, gather_cols(outer, std::span<const index_t>(rest_))),
                       std::span<const index_t>(restore_));
  }

  index_t dim_ = 0;
  std::vector<index_t> columns_;
  std::vector<index_t> rest_;
  std::vector<index_t> restore_;
  std::unique_ptr<transform<Scalar>> inner_;
};

}  // namespace eigenflow::flows
