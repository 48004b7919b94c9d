// include/eigenflow/optim/finite_guard.hpp — refuses an optimizer step whose loss or gradients
// are not finite, and says why.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/optim/detail/checks.hpp"

namespace eigenflow::optim {

/// Checks, before each optimizer step, that the loss and every gradient are finite: one NaN
/// would otherwise enter the parameters and the optimizer's moments for good.
///
/// With policy::skip a refused step is counted and check returns false (the caller zeroes the
/// gradients and goes on with the next batch); with policy::throw_error check throws
/// value_error. Either way the reason names the loss, or the first offending parameter with the
/// value and its position. The cost is one pass over the gradients.
///
/// @code
///   optim::finite_guard guard(optim::finite_guard::policy::skip);
///   if (guard.check(loss, params)) opt.step(params);
///   else log(guard.last_reason());
/// @endcode
class finite_guard {
 public:
  /// What check does on a non-finite loss or gradient: skip (count the step, return false) or throw_error
  /// (throw value_error).
  enum class policy { skip, throw_error };

  /// A guard with the given policy.
  explicit finite_guard(policy on_nonfinite = policy::skip) : policy_(on_nonfinite) {}

  /// True if the step may proceed. The loss may be of another floating type than the
  /// parameters (a float model may sum its loss in double).
  template <std::floating_point Loss, class Scalar>
  bool check(Loss loss, const nn::parameter_list<Scalar>& params) {
    ++checked_;
    if (!std::isfinite(loss)) return refuse("loss is " + detail::format_scalar(loss));
    for (std::size_t i = 0; i < params.size(); ++i) {
      const matrix<Scalar>& grad = params[i].grad;
      if (!grad.allFinite()) return refuse(describe(params[i].name, i, grad));
    }
    return true;
  }

  /// Steps refused under policy::skip since construction or reset.
  std::int64_t skipped_steps() const { return skipped_; }
  /// Steps checked (refused or not) since construction or reset.
  std::int64_t checked_steps() const { return checked_; }
  /// Why the last refused step was refused (empty if none was).
  const std::string& last_reason() const { return last_reason_; }
  /// The policy given at construction.
  policy on_nonfinite() const { return policy_; }

  /// Zeroes both counters and clears last_reason.
  void reset() {
    skipped_ = 0;
    checked_ = 0;
    last_reason_.clear();
  }

 private:
  // Only on the failing path: find the first non-finite entry to report it.
  template <class Scalar>
  static std::string describe(const std::string& name, std::size_t position,
                              const matrix<Scalar>& grad) {
    for (index_t c = 0; c < grad.cols(); ++c) {
      for (index_t r = 0; r < grad.rows(); ++r) {
        if (!std::isfinite(grad(r, c))) {
          return "gradient of " + detail::describe_parameter(name, position) + " is " +
                 detail::format_scalar(grad(r, c)) + " at (" + std::to_string(r) + ", " +
                 std::to_string(c) + ")";
        }
      }
    }
    return "gradient of " + detail::describe_parameter(name, position) + " is not finite";
  }

  bool refuse(std::string reason) {
    last_reason_ = std::move(reason);
    if (policy_ == policy::throw_error) {
      throw value_error("finite_guard: " + last_reason_ + "; step refused");
    }
    ++skipped_;
    return false;
  }

  policy policy_;
  std::int64_t skipped_ = 0;
  std::int64_t checked_ = 0;
  std::string last_reason_;
};

}  // namespace eigenflow::optim
