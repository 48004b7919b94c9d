// include/eigenflow/flows/class_actnorm.hpp — ActNorm with a shift and a log-scale per class:
// Glow's class-conditional top prior.
//
// y = (x − μ_c) ⊙ exp(−ρ_c) for a sample of class c, per feature or per channel of an image (as
// actnorm.hpp), so L = −H·W·Σ ρ_c differs between rows. In front of an N(0, I) base it makes the
// top of the flow N(μ_c, diag(exp(2ρ_c))): a learned prior for each class. It starts as the
// identity; initialize() sets each class's μ_c and ρ_c from that class's rows of the batch
// (classes with fewer than 2 rows in it stay the identity).
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/image.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/transform.hpp"
#include "eigenflow/image_shape.hpp"

namespace eigenflow::flows {

/// Class-conditional activation normalization: y = (x − μ_c) ⊙ exp(−ρ_c) with tables μ and ρ of
/// one row per class and one column per channel of `images` (per feature for vectors: D channels
/// of one pixel). Needs class labels.
///
/// @tparam Scalar float or double.
template <class Scalar>
class class_actnorm : public transform_base<class_actnorm<Scalar>, Scalar> {
 public:
  /// `classes` rows of parameters name.loc and name.log_scale over images of shape `images`;
  /// `min_std` floors the standard deviation initialize() divides by.
  class_actnorm(const std::string& name, const image_shape& images, index_t classes, Scalar min_std = Scalar(1e-3))
      : name_(name), images_(images), min_std_(min_std) {
    if (images.channels < 1 || images.height < 1 || images.width < 1 || classes < 1) {
      throw value_error(name + ": class_actnorm needs positive sizes and classes, got images of " + images.to_string() +
                        " and " + std::to_string(classes) + " classes");
    }
    if (!(min_std > 0)) throw value_error(name + ": class_actnorm min_std must be positive");
    loc_ = nn::parameter<Scalar>(name + ".loc", matrix<Scalar>::Zero(classes, images.channels));
    log_scale_ = nn::parameter<Scalar>(name + ".log_scale", matrix<Scalar>::Zero(classes, images.channels));
    if (images.pixels() > 1) channel_of_column_ = channel_of_columns(images);
  }

  /// y = (x − μ_c) ⊙ exp(−ρ_c); log-det −H·W·Σ ρ_c per row.
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>& c) const {
    const auto [loc, rho] = rows_for(x, c);
    return {mul(sub(x, per_column(loc)), exp(neg(per_column(rho)))), scale(sum_rows(rho), -pixels())};
  }
  /// x = y ⊙ exp(ρ_c) + μ_c; log-det H·W·Σ ρ_c per row.
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>& c) const {
    const auto [loc, rho] = rows_for(y, c);
    return {add(mul(y, exp(per_column(rho))), per_column(loc)), scale(sum_rows(rho), pixels())};
  }

  /// For each class with at least 2 rows in the batch: μ_c = their mean, ρ_c = log max(std, min_std) (over
  /// every pixel of a channel, for images); then the batch, normalized.
  matrix<Scalar> initialize(const matrix<Scalar>& x, const context<matrix<Scalar>>& c) override {
    detail::check_width(name_, x, dim());
    check_context(name_, condition(), c, x.rows());
    for (index_t k = 0; k < classes(); ++k) {
      std::vector<index_t> rows;
      for (std::size_t i = 0; i < c.labels.size(); ++i) {
        if (c.labels[i] == k) rows.push_back(static_cast<index_t>(i));
      }
      if (rows.size() < 2) continue;  // one row has no spread to normalize by
      // Entries of class k: one column per channel, one row per (sample, pixel).
      matrix<Scalar> entries(static_cast<index_t>(rows.size()) * images_.pixels(), images_.channels);
      for (std::size_t r = 0; r < rows.size(); ++r) {
        entries.middleRows(static_cast<index_t>(r) * images_.pixels(), images_.pixels()) =
            Eigen::Map<const matrix<Scalar>>(matrix<Scalar>(x.row(rows[r])).data(), images_.pixels(), images_.channels);
      }
      const row_vector<Scalar> mean = entries.colwise().mean();
      const row_vector<Scalar> var = (entries.rowwise() - mean).array().square().colwise().mean();
      loc_.value.row(k) = mean;
      log_scale_.value.row(k) = var.array().sqrt().max(min_std_).log().matrix();
    }
    return this->forward(x, c).value;
  }

  index_t dim() const override { return images_.size(); }
  /// The number of classes.
  index_t classes() const { return loc_.value.rows(); }
  condition_spec condition() const override { return {.classes = classes()}; }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    list.push_back(loc_);
    list.push_back(log_scale_);
  }
  std::string describe() const override {
    return "class_actnorm(" + (images_.pixels() == 1 ? "D=" + std::to_string(dim()) : images_.to_string()) + ", " +
           std::to_string(classes()) + " classes)";
  }

 private:
  Scalar pixels() const { return static_cast<Scalar>(images_.pixels()); }

  /// μ_c and ρ_c of each row's class: batch × C each.
  template <class Value>
  std::pair<Value, Value> rows_for(const Value& x, const context<Value>& c) const {
    detail::check_width(name_, x, dim());
    check_context(name_, condition(), c, x.rows());
    return {gather_rows(nn::lift(loc_, x), c.labels), gather_rows(nn::lift(log_scale_, x), c.labels)};
  }
  /// A batch × C value spread over the pixels of each channel (as is for vectors).
  template <class Value>
  Value per_column(const Value& v) const {
    if (channel_of_column_.empty()) return v;
    return gather_cols(v, std::span<const index_t>(channel_of_column_));
  }

  std::string name_;
  image_shape images_;
  std::vector<index_t> channel_of_column_;  // empty for vectors
  nn::parameter<Scalar> loc_;
  nn::parameter<Scalar> log_scale_;
  Scalar min_std_;
};

}  // namespace eigenflow::flows
