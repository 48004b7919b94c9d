// include/eigenflow/ode/solver_options.hpp — which integrator, how accurate, and the limits that
// turn a stiff or exploding solve into a clear error instead of a hang.
#pragma once

#include <array>
#include <cmath>
#include <string>
#include <string_view>

#include "eigenflow/enum_names.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::ode {

/// The integrators (all Boost.Odeint steppers). Adaptive ones control the step with atol/rtol;
/// fixed-step ones take `steps` equal steps.
enum class method {
  dopri5,       ///< Dormand–Prince 5(4), adaptive, first-same-as-last (FFJORD's default)
  cash_karp54,  ///< Cash–Karp 5(4), adaptive
  rk4,          ///< classic fourth-order Runge–Kutta, fixed step
  euler,        ///< explicit Euler, fixed step (cheap previews; first order)
};

/// The names written in options and checkpoints ("dopri5", "cash_karp54", "rk4", "euler").
inline constexpr auto method_names = std::to_array<enum_name<method>>(
    {{method::dopri5, "dopri5"}, {method::cash_karp54, "cash_karp54"}, {method::rk4, "rk4"}, {method::euler, "euler"}});

/// The name of a method, as parse_method reads it.
inline std::string to_string(method m) { return std::string(name_of(method_names, m)); }
/// Parses a method name; unknown names throw value_error listing the known ones.
inline method parse_method(std::string_view name) { return parse_enum(method_names, name, "ODE solver"); }

/// True for the step-size-controlled methods (dopri5, cash_karp54), which use the tolerances.
constexpr bool is_adaptive(method m) { return m == method::dopri5 || m == method::cash_karp54; }

/// Settings of one kind of solve (a model keeps one for training and one for evaluation).
struct solver_options {
  /// Which integrator.
  method solver = method::dopri5;
  double atol = 1e-5;  ///< adaptive: absolute tolerance per state entry
  double rtol = 1e-5;  ///< adaptive: relative tolerance per state entry
  index_t steps = 20;  ///< fixed-step: number of equal steps over the interval
  index_t max_steps = 10000;  ///< adaptive: accepted + rejected steps before giving up
  double min_step = 1e-10;    ///< adaptive: smallest |dt| as a fraction of the interval length
  double first_step = 0;      ///< adaptive: first |dt| as a fraction of the interval; 0 picks one
};

/// Throws value_error naming `who` and the offending setting.
inline void validate(const solver_options& o, const std::string& who) {
  auto fail = [&](const std::string& what) { throw value_error(who + ": " + what); };
  if (is_adaptive(o.solver)) {
    if (!(o.atol > 0) || !std::isfinite(o.atol)) fail("atol must be positive and finite, got " + std::to_string(o.atol));
    if (!(o.rtol >= 0) || !std::isfinite(o.rtol)) fail("rtol must be non-negative and finite, got " + std::to_string(o.rtol));
    if (o.max_steps < 1) fail("max_steps must be at least 1, got " + std::to_string(o.max_steps));
    if (!(o.min_step > 0) || o.min_step >= 1) fail("min_step must lie in (0, 1), got " + std::to_string(o.min_step));
    if (!(o.first_step >= 0) || o.first_step > 1) fail("first_step must lie in [0, 1], got " + std::to_string(o.first_step));
  } else if (o.steps < 1) {
    fail("a fixed-step solver needs steps >= 1, got " + std::to_string(o.steps));
  }
}

/// What one solve cost. Evaluations count calls of the right-hand side.
struct solve_stats {
  /// Calls of the right-hand side.
  index_t evaluations = 0;
  /// Steps accepted (for a fixed-step method, every step).
  index_t accepted = 0;
  /// Adaptive steps rejected by the error control and retried with a smaller dt.
  index_t rejected = 0;

  /// Adds o's counts to these (the cost of several solves).
  solve_stats& operator+=(const solve_stats& o) {
    evaluations += o.evaluations;
    accepted += o.accepted;
    rejected += o.rejected;
    return *this;
  }
};

}  // namespace eigenflow::ode
