// include/eigenflow/flows/affine_coupling.hpp — the affine coupling layer with a pluggable
// conditioner and a bounded log-scale (docs/conventions.md, "Affine coupling").
//
// Split x into the conditioning features A (left unchanged) and the transformed features B:
//   (ŝ, t) = net(x_A [, context]),  s = b·tanh(ŝ / b),  y_B = x_B ⊙ exp(s) + t,  L = Σ s.
// Inverse: x_B = (y_B − t) ⊙ exp(−s), log-det −Σ s. Any D ≥ 2; the split is any subset.
#pragma once

#include <cmath>
#include <string>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/coupling.hpp"

namespace eigenflow::flows {

/// The affine element-wise bijection of a coupling: y = x ⊙ exp(s) + t with a bounded log-scale
/// s = b·tanh(ŝ/b). The conditioner's output is [ŝ for every transformed feature | t for each].
/// @tparam Scalar float or double.
template <class Scalar>
class affine_bijector {
 public:
  /// `scale_bound` b > 0: |s| ≤ b (b = 1 is the plain tanh bound). Implicit, so that an
  /// affine_coupling takes the bound as its last argument.
  affine_bijector(Scalar scale_bound = Scalar(2)) : bound_(scale_bound) {  // NOLINT(google-explicit-constructor)
    if (!(scale_bound > 0) || !std::isfinite(static_cast<double>(scale_bound))) {
      throw value_error("affine_coupling: scale_bound must be positive and finite");
    }
  }

  /// Two per transformed feature: the raw log-scale and the shift.
  index_t parameters_per_value() const { return 2; }
  /// [ŝ for every value | t for every value].
  parameter_layout layout() const { return parameter_layout::by_parameter; }
  /// y = x ⊙ exp(s) + t; the log-det is Σ s, one per row.
  template <class Value>
  transformed<Value> forward(const Value& x_b, const Value& h) const {
    const auto [s, t] = scale_and_shift(h, x_b.cols());
    return {add(mul(x_b, exp(s)), t), sum_rows(s)};
  }
  /// x = (y − t) ⊙ exp(−s); the log-det is −Σ s, one per row.
  template <class Value>
  transformed<Value> inverse(const Value& y_b, const Value& h) const {
    const auto [s, t] = scale_and_shift(h, y_b.cols());
    return {mul(sub(y_b, t), exp(neg(s))), neg(sum_rows(s))};
  }
  /// "affine": the family name autoregressive layers are named by.
  std::string family() const { return "affine"; }
  /// "affine_coupling".
  std::string name() const { return "affine_coupling"; }
  /// "bound=b".
  std::string settings() const { return "bound=" + std::to_string(static_cast<double>(bound_)); }
  /// The bound b on the log-scale.
  Scalar scale_bound() const { return bound_; }

 private:
  template <class Value>
  std::pair<Value, Value> scale_and_shift(const Value& h, index_t nb) const {
    const Value s = scale(tanh(scale(slice(h, 0, nb), Scalar(1) / bound_)), bound_);
    return {s, slice(h, nb, nb)};
  }

  Scalar bound_;
};

/// Affine coupling. @tparam Scalar float or double.
///
/// @code
///   auto net = std::make_unique<flows::mlp_conditioner<float>>("c0.net", 1, 2, opts, rng);
///   flows::affine_coupling<float> layer(2, flows::half_split(2, false), std::move(net));
/// @endcode
template <class Scalar>
using affine_coupling = coupling<Scalar, affine_bijector<Scalar>>;

}  // namespace eigenflow::flows
