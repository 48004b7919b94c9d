// include/eigenflow/ode/integrate.hpp — one solve ds/dt = g(s, t) from t_start to t_end with a
// Boost.Odeint stepper, counted and guarded.
//
// Odeint supplies the steppers (Dormand–Prince and Cash–Karp with their error estimates under
// odeint's controlled stepper, RK4 and Euler for fixed grids); this file drives them: it lands
// exactly on t_end, counts right-hand-side evaluations, optionally records the accepted times
// (for replaying the solve on a tape), and turns a solve that cannot finish — too many steps, a
// step size that underflows, a non-finite derivative — into a solver_error that says where. The
// error norm is an RMS over the state (as in Hairer's codes and torchdiffeq), optionally over a
// leading part of it only (the seminorm of Kidger et al., for adjoint solves).
//
// The state is an Eigen column vector handled by odeint's range_algebra (so nothing is added to
// namespace Eigen); a batch of B samples with K columns is stored column-major, B·K entries.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <boost/numeric/odeint/algebra/default_operations.hpp>
#include <boost/numeric/odeint/algebra/range_algebra.hpp>
#include <boost/numeric/odeint/external/eigen/eigen_resize.hpp>
#include <boost/numeric/odeint/stepper/controlled_runge_kutta.hpp>
#include <boost/numeric/odeint/stepper/euler.hpp>
#include <boost/numeric/odeint/stepper/runge_kutta4.hpp>
#include <boost/numeric/odeint/stepper/runge_kutta_cash_karp54.hpp>
#include <boost/numeric/odeint/stepper/runge_kutta_dopri5.hpp>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/ode/solver_options.hpp"

namespace eigenflow::ode {

/// Optional extras of one solve.
template <class Scalar>
struct integrate_controls {
  /// Entries of the state that enter the adaptive error norm: the first `error_norm_size`
  /// (all when negative). Leaving out parts that do not feed back into g is the seminorm.
  index_t error_norm_size = -1;
  /// When set, receives t_start and the time after every accepted step (ending with t_end).
  std::vector<Scalar>* accepted_times = nullptr;
};

namespace detail {

namespace odeint = boost::numeric::odeint;

template <class Scalar>
using odeint_state = vector<Scalar>;

template <template <class...> class Stepper, class Scalar>
using odeint_stepper = Stepper<odeint_state<Scalar>, Scalar, odeint_state<Scalar>, Scalar, odeint::range_algebra,
                               odeint::default_operations, odeint::initially_resizer>;

/// RMS of err_i / (atol + rtol·(|s_i| + |dt|·|g_i|)) over the leading `size` entries; an error
/// that is not finite counts as infinitely large, so the step is rejected and shrunk. The mean
/// runs over the entries that are included (as torchdiffeq's seminorm does), so leaving entries
/// out does not loosen the tolerance on the rest; it changes the steps, not always to fewer.
template <class Scalar>
class rms_error_checker {
 public:
  using value_type = Scalar;

  rms_error_checker(Scalar atol, Scalar rtol, index_t size) : atol_(atol), rtol_(rtol), size_(size) {}

  template <class Algebra, class State, class Deriv, class Err, class Time>
  Scalar error(Algebra&, const State& s, const Deriv& g, Err& err, Time dt) const {
    const index_t n = size_ < 0 ? err.size() : std::min<index_t>(size_, err.size());
    if (n == 0) return 0;
    const auto scale = atol_ + rtol_ * (s.head(n).array().abs() + std::abs(dt) * g.head(n).array().abs());
    const Scalar rms = std::sqrt((err.head(n).array() / scale).square().sum() / static_cast<Scalar>(n));
    return std::isfinite(rms) ? rms : std::numeric_limits<Scalar>::infinity();
  }

 private:
  Scalar atol_, rtol_;
  index_t size_;
};

template <class Scalar>
std::string describe_time(Scalar t) {
  std::ostringstream os;
  os.precision(6);
  os << t;
  return os.str();
}

/// Wraps g: counts calls and rejects non-finite derivatives with the time they appeared at.
template <class Scalar, class System>
struct guarded_system {
  const System& system;
  const std::string& who;
  solve_stats& stats;

  void operator()(const odeint_state<Scalar>& s, odeint_state<Scalar>& ds, Scalar t) const {
    ++stats.evaluations;
    system(s, ds, t);
    if (ds.size() != s.size()) {
      throw shape_error(who + ": the right-hand side returned " + std::to_string(ds.size()) + " values for a state of " +
                        std::to_string(s.size()));
    }
    if (!ds.allFinite()) {
      throw solver_error(who + ": the dynamics returned a non-finite value at t = " + describe_time(t) + " (after " +
                         std::to_string(stats.accepted) + " accepted steps); the state or the dynamics diverged");
    }
  }
};

/// Hairer's first-step guess (Hairer, Nørsett & Wanner, II.4): a step over which g would move s
/// by 1% of its size, corrected by an estimate of the second derivative from one Euler step, and
/// capped at the interval. Two evaluations; a good first step saves several adaptive ones.
template <class Scalar, class Guarded>
Scalar initial_step(const Guarded& g, const odeint_state<Scalar>& s, Scalar t, Scalar span, const solver_options& o) {
  const Scalar direction = span > 0 ? Scalar(1) : Scalar(-1);
  const auto scale = (Scalar(o.atol) + Scalar(o.rtol) * s.array().abs()).eval();
  auto rms = [&](const auto& v) { return std::sqrt((v.array() / scale).square().mean()); };
  odeint_state<Scalar> g0(s.size()), g1(s.size());
  g(s, g0, t);
  const Scalar d0 = rms(s), d1 = rms(g0);
  const Scalar h0 = (d0 < Scalar(1e-5) || d1 < Scalar(1e-5)) ? Scalar(1e-6) : Scalar(0.01) * d0 / d1;
  const odeint_state<Scalar> s1 = s + direction * h0 * g0;
  g(s1, g1, t + direction * h0);
  const Scalar d2 = rms(g1 - g0) / h0;
  const Scalar dmax = std::max(d1, d2);
  const Scalar h1 = dmax <= Scalar(1e-15) ? std::max(Scalar(1e-6), h0 * Scalar(1e-3))
                                          : std::pow(Scalar(0.01) / dmax, Scalar(1) / Scalar(5));  // order 5
  return std::min({Scalar(100) * h0, h1, std::abs(span)});
}

template <class Scalar, class Controlled, class Guarded>
void adaptive_loop(Controlled& stepper, const Guarded& g, odeint_state<Scalar>& s, Scalar t_start, Scalar t_end,
                   const solver_options& o, const std::string& who, solve_stats& stats, std::vector<Scalar>* times) {
  const Scalar span = t_end - t_start;
  const Scalar direction = span > 0 ? Scalar(1) : Scalar(-1);
  const Scalar min_step = Scalar(o.min_step) * std::abs(span);
  Scalar dt = direction * (o.first_step > 0 ? Scalar(o.first_step) * std::abs(span) : initial_step(g, s, t_start, span, o));
  Scalar t = t_start;
  while (true) {
    const bool last = direction * (t + dt - t_end) >= 0;
    if (last) dt = t_end - t;
    if (stats.accepted + stats.rejected >= o.max_steps) {
      throw solver_error(who + ": exceeded max_steps = " + std::to_string(o.max_steps) + " (" +
                         std::to_string(stats.accepted) + " accepted, " + std::to_string(stats.rejected) +
                         " rejected) at t = " + describe_time(t) + " with dt = " + describe_time(dt) +
                         "; the dynamics may be stiff or exploding (loosen atol/rtol, raise max_steps, regularize)");
    }
    if (stepper.try_step(g, s, t, dt) == odeint::success) {
      ++stats.accepted;
      if (!s.allFinite()) {
        throw solver_error(who + ": the state became non-finite at t = " + describe_time(t));
      }
      if (last) t = t_end;  // exactly, whatever the rounding of t + dt
      if (times) times->push_back(t);
      if (last) return;
    } else {
      ++stats.rejected;
      if (std::abs(dt) < min_step) {
        throw solver_error(who + ": step size underflow at t = " + describe_time(t) + ": dt = " + describe_time(dt) +
                           " is below min_step (" + describe_time(min_step) + ") after " +
                           std::to_string(stats.accepted) + " accepted steps; the dynamics may be stiff or exploding");
      }
    }
  }
}

template <class Scalar, class Stepper, class Guarded>
void fixed_loop(Stepper& stepper, const Guarded& g, odeint_state<Scalar>& s, Scalar t_start, Scalar t_end,
                const solver_options& o, const std::string& who, solve_stats& stats, std::vector<Scalar>* times) {
  const Scalar dt = (t_end - t_start) / static_cast<Scalar>(o.steps);
  for (index_t k = 0; k < o.steps; ++k) {
    stepper.do_step(g, s, t_start + static_cast<Scalar>(k) * dt, dt);
    ++stats.accepted;
    const Scalar t = k + 1 == o.steps ? t_end : t_start + static_cast<Scalar>(k + 1) * dt;
    // The last step's overflow is seen by no later evaluation: check the state itself.
    if (!s.allFinite()) throw solver_error(who + ": the state became non-finite at t = " + describe_time(t));
    if (times) times->push_back(t);
  }
}

}  // namespace detail

/// Integrates ds/dt = system(s, t) from t_start to t_end in place (t_end < t_start runs backward).
///
/// @param system    callable (const vector<Scalar>& s, vector<Scalar>& ds, Scalar t), ds pre-sized.
/// @param s         the initial state on entry, the state at t_end on return.
/// @param t_start   where the solve starts.
/// @param t_end     where it ends.
/// @param options   the method, tolerances and step limits (validated first).
/// @param who       names the solve in error messages ("cnf::log_prob", ...).
/// @param controls  optional seminorm and recording of accepted times.
/// @return what the solve cost.
/// @throws solver_error when the solve cannot finish (the message says at which t, with which dt,
///         after how many steps); value_error for invalid options or a non-finite initial state.
template <class Scalar, class System>
solve_stats integrate(const System& system, vector<Scalar>& s, Scalar t_start, Scalar t_end, const solver_options& options,
                      const std::string& who, const integrate_controls<Scalar>& controls = {}) {
  namespace odeint = boost::numeric::odeint;
  validate(options, who);
  if (!s.allFinite()) throw value_error(who + ": the initial state is not finite");
  if (!std::isfinite(t_start) || !std::isfinite(t_end)) throw value_error(who + ": the time interval is not finite");
  solve_stats stats;
  if (controls.accepted_times) controls.accepted_times->assign(1, t_start);
  if (t_start == t_end) return stats;

  const detail::guarded_system<Scalar, System> g{system, who, stats};
  const detail::rms_error_checker<Scalar> checker(Scalar(options.atol), Scalar(options.rtol), controls.error_norm_size);
  using adjuster = odeint::default_step_adjuster<Scalar, Scalar>;
  switch (options.solver) {
    case method::dopri5: {
      using stepper_type = detail::odeint_stepper<odeint::runge_kutta_dopri5, Scalar>;
      odeint::controlled_runge_kutta<stepper_type, detail::rms_error_checker<Scalar>, adjuster> stepper(checker);
      detail::adaptive_loop(stepper, g, s, t_start, t_end, options, who, stats, controls.accepted_times);
      break;
    }
    case method::cash_karp54: {
      using stepper_type = detail::odeint_stepper<odeint::runge_kutta_cash_karp54, Scalar>;
      odeint::controlled_runge_kutta<stepper_type, detail::rms_error_checker<Scalar>, adjuster> stepper(checker);
      detail::adaptive_loop(stepper, g, s, t_start, t_end, options, who, stats, controls.accepted_times);
      break;
    }
    case method::rk4: {
      detail::odeint_stepper<odeint::runge_kutta4, Scalar> stepper;
      detail::fixed_loop(stepper, g, s, t_start, t_end, options, who, stats, controls.accepted_times);
      break;
    }
    case method::euler: {
      detail::odeint_stepper<odeint::euler, Scalar> stepper;
      detail::fixed_loop(stepper, g, s, t_start, t_end, options, who, stats, controls.accepted_times);
      break;
    }
  }
  return stats;
}

}  // namespace eigenflow::ode
