// include/eigenflow/optim/schedule.hpp — learning-rate schedules: constant, step decay, and
// linear warm-up followed by cosine decay.
//
// A schedule is a small value type mapping a step number (0 for the first step) to a learning
// rate; the training loop applies it before each step:
//   opt.set_learning_rate(schedule(step));  opt.step(params);
// Arithmetic is done in double and rounded once to Scalar.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/optim/detail/checks.hpp"

namespace eigenflow::optim {

namespace detail {

inline void require_valid_step(const char* who, std::int64_t step) {
  if (step < 0) {
    throw value_error(std::string(who) + ": step = " + std::to_string(step) + " (must be >= 0)");
  }
}

}  // namespace detail

/// The same learning rate at every step.
///
/// @tparam Scalar float or double.
template <class Scalar>
class constant_schedule {
 public:
  /// Throws value_error unless learning_rate is finite and > 0.
  explicit constant_schedule(Scalar learning_rate) : learning_rate_(learning_rate) {
    detail::require_positive_finite("constant_schedule", "learning_rate", learning_rate);
  }

  /// The learning rate for `step` (0 for the first step); throws value_error for a negative step.
  Scalar operator()(std::int64_t step) const {
    detail::require_valid_step("constant_schedule", step);
    return learning_rate_;
  }

 private:
  Scalar learning_rate_;
};

/// The learning rate multiplied by gamma every step_size steps:
/// lr(step) = learning_rate * gamma^floor(step / step_size).
///
/// @tparam Scalar float or double.
///
/// @code
///   optim::step_decay_schedule<double> schedule(1e-3, 1000, 0.5);  // halve every 1000 steps
/// @endcode
template <class Scalar>
class step_decay_schedule {
 public:
  /// Throws value_error unless learning_rate is finite and > 0, step_size >= 1 and
  /// 0 < gamma <= 1.
  step_decay_schedule(Scalar learning_rate, std::int64_t step_size, Scalar gamma)
      : learning_rate_(learning_rate), step_size_(step_size), gamma_(gamma) {
    detail::require_positive_finite("step_decay_schedule", "learning_rate", learning_rate);
    detail::require_option(step_size >= 1, "step_decay_schedule", "step_size", step_size, ">= 1");
    detail::require_option(gamma > 0 && gamma <= 1, "step_decay_schedule", "gamma", gamma,
                           "in (0, 1]");
  }

  /// The learning rate for `step` (0 for the first step); throws value_error for a negative step.
  Scalar operator()(std::int64_t step) const {
    detail::require_valid_step("step_decay_schedule", step);
    const auto decays = static_cast<double>(step / step_size_);
    return static_cast<Scalar>(static_cast<double>(learning_rate_) *
                               std::pow(static_cast<double>(gamma_), decays));
  }

 private:
  Scalar learning_rate_;
  std::int64_t step_size_;
  Scalar gamma_;
};

/// Linear warm-up, then cosine decay to a floor:
///   step < W:        lr = base * (f + (1 - f) * step / W)   (from f * base at step 0)
///   W <= step <= T:  lr = floor + (base - floor) * (1 + cos(pi * (step - W) / (T - W))) / 2
///   step > T:        lr = floor
/// with W = warmup_steps, T = total_steps, f = warmup_start_factor, floor = min_learning_rate.
/// So lr(W) = base and lr(T) = floor. With W = 0 there is no warm-up.
///
/// A start factor of 0 (the default) gives a learning rate of 0 at step 0; optimizers accept it.
///
/// @tparam Scalar float or double.
///
/// @code
///   optim::warmup_cosine_schedule<double> schedule(1e-3, 500, 20000, 1e-5);
/// @endcode
template <class Scalar>
class warmup_cosine_schedule {
 public:
  /// Throws value_error unless learning_rate is finite and > 0, 0 <= warmup_steps < total_steps,
  /// 0 <= min_learning_rate <= learning_rate and 0 <= warmup_start_factor <= 1.
  warmup_cosine_schedule(Scalar learning_rate, std::int64_t warmup_steps, std::int64_t total_steps,
                         Scalar min_learning_rate = 0, Scalar warmup_start_factor = 0)
      : learning_rate_(learning_rate),
        warmup_steps_(warmup_steps),
        total_steps_(total_steps),
        min_learning_rate_(min_learning_rate),
        warmup_start_factor_(warmup_start_factor) {
    constexpr const char* who = "warmup_cosine_schedule";
    detail::require_positive_finite(who, "learning_rate", learning_rate);
    detail::require_option(warmup_steps >= 0, who, "warmup_steps", warmup_steps, ">= 0");
    detail::require_option(total_steps > warmup_steps, who, "total_steps", total_steps,
                           "> warmup_steps");
    detail::require_option(min_learning_rate >= 0 && min_learning_rate <= learning_rate, who,
                           "min_learning_rate", min_learning_rate, "in [0, learning_rate]");
    detail::require_option(warmup_start_factor >= 0 && warmup_start_factor <= 1, who,
                           "warmup_start_factor", warmup_start_factor, "in [0, 1]");
  }

  /// The learning rate for `step` (0 for the first step); throws value_error for a negative step.
  Scalar operator()(std::int64_t step) const {
    detail::require_valid_step("warmup_cosine_schedule", step);
    const double base = static_cast<double>(learning_rate_);
    const double floor = static_cast<double>(min_learning_rate_);
    if (step < warmup_steps_) {
      const double f = static_cast<double>(warmup_start_factor_);
      const double progress = static_cast<double>(step) / static_cast<double>(warmup_steps_);
      return static_cast<Scalar>(base * (f + (1 - f) * progress));
    }
    if (step >= total_steps_) return min_learning_rate_;
    const double progress = static_cast<double>(step - warmup_steps_) /
                            static_cast<double>(total_steps_ - warmup_steps_);
    return static_cast<Scalar>(floor +
                               (base - floor) * 0.5 * (1 + std::cos(std::numbers::pi * progress)));
  }

 private:
  Scalar learning_rate_;
  std::int64_t warmup_steps_;
  std::int64_t total_steps_;
  Scalar min_learning_rate_;
  Scalar warmup_start_factor_;
};

}  // namespace eigenflow::optim
