// include/eigenflow/flows/logit.hpp — the logit map from the unit cube to R^D, the usual first
// layer of a flow over dequantized images (RealNVP, Glow, FFJORD).
//
// y = logit(s), s = α + (1 − 2α)·x, so that pixels at 0 and 1 stay finite (α = 0.05 in RealNVP,
// 1e-6 in FFJORD). log dy/dx = log(1 − 2α) − log s − log(1 − s) per feature. The inverse uses
// log σ(y) = −softplus(−y), so a large |y| never takes the log of a rounded-off 0.
#pragma once

#include <cmath>
#include <string>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/transform.hpp"

namespace eigenflow::flows {

/// y = logit(α + (1 − 2α)·x) per feature, a bijection from (0, 1)^D (or [0, 1]^D for α > 0) to R^D.
///
/// @tparam Scalar float or double.
template <class Scalar>
class logit : public transform_base<logit<Scalar>, Scalar> {
 public:
  /// D features; α in [0, 1/2) keeps the ends away from 0 and 1.
  explicit logit(index_t dim, double alpha = 1e-6) : dim_(dim), alpha_(alpha) {
    if (dim < 1) throw value_error("logit: dimension must be positive, got " + std::to_string(dim));
    if (!(alpha >= 0 && alpha < 0.5)) throw value_error("logit: alpha must be in [0, 0.5), got " + std::to_string(alpha));
  }

  /// y = log s − log(1 − s), s = α + (1 − 2α)x; log-det Σ [log(1 − 2α) − log s − log(1 − s)].
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>&) const {
    detail::check_width("logit", x, dim_);
    const Value s = shift(scale(x, Scalar(1 - 2 * alpha_)), Scalar(alpha_));
    const Value log_s = log(s), log_rest = log(shift(neg(s), Scalar(1)));
    const Value per_feature = neg(add(log_s, log_rest));
    return {sub(log_s, log_rest), shift(sum_rows(per_feature), Scalar(dim_) * log_squeeze())};
  }
  /// x = (σ(y) − α)/(1 − 2α); log-det Σ [softplus(−y) + softplus(y)] − D·log(1 − 2α), negated.
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>&) const {
    detail::check_width("logit", y, dim_);
    const Value x = scale(shift(activate(y, activation::sigmoid), Scalar(-alpha_)), Scalar(1 / (1 - 2 * alpha_)));
    // log s + log(1 − s) = −softplus(−y) − softplus(y).
    const Value log_both = neg(add(activate(neg(y), activation::softplus), activate(y, activation::softplus)));
    return {x, shift(sum_rows(log_both), -Scalar(dim_) * log_squeeze())};
  }

  index_t dim() const override { return dim_; }
  void collect_parameters(nn::parameter_list<Scalar>&) override {}
  std::string describe() const override {
    return "logit(D=" + std::to_string(dim_) + ", alpha=" + std::to_string(alpha_) + ")";
  }
  /// α.
  double alpha() const { return alpha_; }

 private:
  Scalar log_squeeze() const { return static_cast<Scalar>(std::log1p(-2 * alpha_)); }

  index_t dim_;
  double alpha_;
};

}  // namespace eigenflow::flows
