// include/eigenflow/optim/clip.hpp — clipping all gradients together to a bound on their global
// Euclidean norm.
#pragma once

#include <algorithm>
#include <cmath>

#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/optim/detail/checks.hpp"

namespace eigenflow::optim {

namespace detail {

/// Euclidean norm of all gradients together; finite whenever the gradients are and the norm is
/// representable. The plain sum of squares (one pass) overflows for float gradients above about
/// 1e19, which would read as a non-finite gradient; only then is it redone scaled by the largest
/// magnitude. NaN or infinity when a gradient holds one.
template <class Scalar>
Scalar global_grad_norm(const nn::parameter_list<Scalar>& params) {
  Scalar sum = 0;
  for (const nn::parameter<Scalar>* p : params) sum += p->grad.squaredNorm();
  if (std::isfinite(sum)) return std::sqrt(sum);

  Scalar peak = 0;
  for (const nn::parameter<Scalar>* p : params) {
    if (!p->grad.allFinite()) return std::sqrt(sum);  // a NaN or infinity: the norm says so
    peak = std::max(peak, p->grad.template lpNorm<Eigen::Infinity>());
  }
  Scalar scaled = 0;
  for (const nn::parameter<Scalar>* p : params) scaled += (p->grad / peak).squaredNorm();
  return peak * std::sqrt(scaled);
}

}  // namespace detail

/// Scales all gradients by one factor so that their global Euclidean norm is at most `max_norm`
/// (exactly `max_norm` when it was larger; unchanged otherwise), keeping their direction.
/// Returns the norm before clipping, to log. A non-finite norm leaves the gradients untouched and
/// is returned as it is: scaling would only spread the NaN, and finite_guard decides what to do.
///
/// Throws value_error unless max_norm > 0 (infinity means: never clip).
///
/// @code
///   backward(loss);
///   const double norm = optim::clip_grad_norm(params, 1.0);
///   if (guard.check(loss_value, params)) opt.step(params);
/// @endcode
template <class Scalar>
Scalar clip_grad_norm(const nn::parameter_list<Scalar>& params, Scalar max_norm) {
  detail::require_option(max_norm > 0, "clip_grad_norm", "max_norm", max_norm, "> 0");
  const Scalar norm = detail::global_grad_norm(params);
  if (!std::isfinite(norm) || norm <= max_norm) return norm;
  const Scalar scale = max_norm / norm;
  for (nn::parameter<Scalar>* p : params) p->grad *= scale;
  return norm;
}

}  // namespace eigenflow::optim
