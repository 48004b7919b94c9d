// include/eigenflow/flows/affine_coupling.hpp — the affine coupling layer with a pluggable
// conditioner and a bounded log-scale (docs/conventions.md, "Affine coupling").
//
// Split x into the conditioning features A (left unchanged) and the transformed features B:
//   (ŝ, t) = net(x_A [, context]),  s = b·tanh(ŝ / b),  y_B = x_B ⊙ exp(s) + t,  L = Σ s.
// Inverse: x_B = (y_B − t) ⊙ exp(−s), log-det −Σ s. Any D ≥ 2; the split is any subset.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/conditioner.hpp"
#include "eigenflow/flows/transform.hpp"

namespace eigenflow::flows {

/// The features a coupling transforms: the second half ([D/2, D), the larger half for odd D),
/// or the first half.
inline std::vector<index_t> half_split(index_t dim, bool transform_first_half) {
  std::vector<index_t> b;
  const index_t k = dim / 2;
  for (index_t i = transform_first_half ? 0 : k; i < (transform_first_half ? k : dim); ++i) b.push_back(i);
  return b;
}

/// Affine coupling. @tparam Scalar float or double.
///
/// @code
///   auto net = std::make_unique<flows::mlp_conditioner<float>>("c0.net", 1, 2, opts, rng);
///   flows::affine_coupling<float> layer(2, flows::half_split(2, false), std::move(net));
/// @endcode
template <class Scalar>
class affine_coupling : public transform_base<affine_coupling<Scalar>, Scalar> {
 public:
  /// `transformed_features`: the indices of B (the rest is A); both must be non-empty.
  /// The conditioner maps |A| inputs to 2·|B| outputs (scale first, then shift).
  /// `scale_bound` b > 0: s = b·tanh(ŝ/b), so |s| ≤ b (b = 1 is the plain tanh bound).
  affine_coupling(index_t dim, std::vector<index_t> transformed_features, std::unique_ptr<conditioner<Scalar>> net,
                  Scalar scale_bound = Scalar(2))
      : dim_(dim), transformed_(std::move(transformed_features)), net_(std::move(net)), bound_(scale_bound) {
    std::sort(transformed_.begin(), transformed_.end());
    std::vector<bool> in_b(static_cast<std::size_t>(std::max<index_t>(dim, 0)), false);
    for (index_t i : transformed_) {
      if (i < 0 || i >= dim || in_b[static_cast<std::size_t>(i)]) {
        throw value_error("affine_coupling: transformed feature " + std::to_string(i) + " is out of [0, " +
                          std::to_string(dim) + ") or repeated");
      }
      in_b[static_cast<std::size_t>(i)] = true;
    }
    for (index_t i = 0; i < dim; ++i) {
      if (!in_b[static_cast<std::size_t>(i)]) identity_.push_back(i);
    }
    if (identity_.empty() || transformed_.empty()) {
      throw value_error("affine_coupling: both the conditioning and the transformed features must be non-empty (D = " +
                        std::to_string(dim) + ")");
    }
    // restore_[i]: where feature i sits in [x_A, y_B].
    restore_.resize(static_cast<std::size_t>(dim));
    index_t pos = 0;
    for (index_t i : identity_) restore_[static_cast<std::size_t>(i)] = pos++;
    for (index_t i : transformed_) restore_[static_cast<std::size_t>(i)] = pos++;
    if (!net_) throw value_error("affine_coupling: no conditioner");
    if (net_->in_features() != static_cast<index_t>(identity_.size()) ||
        net_->out_features() != 2 * static_cast<index_t>(transformed_.size())) {
      throw shape_error("affine_coupling: conditioner maps " + std::to_string(net_->in_features()) + " -> " +
                        std::to_string(net_->out_features()) + " features, the split needs " +
                        std::to_string(identity_.size()) + " -> " + std::to_string(2 * transformed_.size()));
    }
    if (!(scale_bound > 0) || !std::isfinite(static_cast<double>(scale_bound))) {
      throw value_error("affine_coupling: scale_bound must be positive and finite");
    }
  }

  /// A deep copy: the conditioner is cloned.
  affine_coupling(const affine_coupling& other)
      : transform_base<affine_coupling<Scalar>, Scalar>(other),
        dim_(other.dim_),
        transformed_(other.transformed_),
        identity_(other.identity_),
        restore_(other.restore_),
        net_(other.net_->clone()),
        bound_(other.bound_) {}
  affine_coupling& operator=(const affine_coupling&) = delete;

  /// y_A = x_A, y_B = x_B ⊙ exp(s) + t with (s, t) from x_A; the log-det is Σ s, one per row.
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>& c) const {
    detail::check_width("affine_coupling", x, dim_);
    const Value x_a = gather_cols(x, std::span<const index_t>(identity_));
    const auto [s, t] = scale_and_shift(x_a, c);
    const Value y_b = add(mul(gather_cols(x, std::span<const index_t>(transformed_)), exp(s)), t);
    return {gather_cols(concat(x_a, y_b), std::span<const index_t>(restore_)), sum_rows(s)};
  }

  /// x_A = y_A, x_B = (y_B − t) ⊙ exp(−s) with (s, t) from y_A; the log-det is −Σ s, one per row.
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>& c) const {
    detail::check_width("affine_coupling", y, dim_);
    const Value y_a = gather_cols(y, std::span<const index_t>(identity_));
    const auto [s, t] = scale_and_shift(y_a, c);
    const Value x_b = mul(sub(gather_cols(y, std::span<const index_t>(transformed_)), t), exp(neg(s)));
    return {gather_cols(concat(y_a, x_b), std::span<const index_t>(restore_)), neg(sum_rows(s))};
  }

  index_t dim() const override { return dim_; }
  condition_spec condition() const override { return net_->condition(); }
  void collect_parameters(nn::parameter_list<Scalar>& list) override { net_->collect_parameters(list); }
  std::string describe() const override {
    return "affine_coupling(D=" + std::to_string(dim_) + ", |B|=" + std::to_string(transformed_.size()) +
           ", bound=" + std::to_string(static_cast<double>(bound_)) + ", " + net_->describe() + ")";
  }

  /// The indices of B, the transformed features, in increasing order.
  const std::vector<index_t>& transformed_features() const { return transformed_; }
  /// The conditioner that maps x_A to the scale and shift.
  const conditioner<Scalar>& net() const { return *net_; }

 private:
  template <class Value>
  std::pair<Value, Value> scale_and_shift(const Value& x_a, const context<Value>& c) const {
    const Value h = (*net_)(x_a, c);
    const index_t nb = static_cast<index_t>(transformed_.size());
    const Value s = scale(tanh(scale(slice(h, 0, nb), Scalar(1) / bound_)), bound_);
    return {s, slice(h, nb, nb)};
  }

  index_t dim_;
  std::vector<index_t> transformed_;  // B
  std::vector<index_t> identity_;     // A
  std::vector<index_t> restore_;
  std::unique_ptr<conditioner<Scalar>> net_;
  Scalar bound_;
};

}  // namespace eigenflow::flows
