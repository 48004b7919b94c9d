// include/eigenflow/ode/adjoint.hpp — gradients of a loss of s(t_end) by the adjoint method
// (docs/conventions.md), with memory independent of the number of solver steps.
//
// From a(t_end) = ∂L/∂s(t_end), the augmented state [s, a, a_θ] is integrated from t_end back to
// t_start:  ds/dt = g,  da/dt = −aᵀ∂g/∂s,  da_θ/dt = −aᵀ∂g/∂θ,  a_θ(t_end) = 0,
// giving ∂L/∂s(t_start) = a(t_start) and ∂L/∂θ = a_θ(t_start). The state is re-solved backward
// rather than stored, which is why the result can drift from backprop through the forward steps
// by about the solver tolerance (tests compare both with finite differences).
#pragma once

#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/ode/integrate.hpp"

namespace eigenflow::ode {

/// What the adjoint method needs of a system with parameters θ:
///   index_t parameter_count() const;
///   void rhs(const Ref<const vector>& s, Ref<vector> g, Scalar t);            // g(s, t)
///   void vjp(const Ref<const vector>& s, Scalar t, const Ref<const vector>& a,
///            Ref<vector> g, Ref<vector> a_s, Ref<vector> a_theta);            // g, aᵀ∂g/∂s, aᵀ∂g/∂θ
template <class System, class Scalar>
concept adjoint_system = requires(System& sys, const vector<Scalar>& s, vector<Scalar>& out, Scalar t) {
  { sys.parameter_count() } -> std::convertible_to<index_t>;
  sys.rhs(s, out, t);
  sys.vjp(s, t, s, out, out, out);
};

/// Settings of solve_adjoint beyond the solver's own.
template <class Scalar>
struct adjoint_options {
  /// Leave a_θ out of the step-size error norm (it never feeds back into the dynamics), which
  /// saves backward steps (Kidger, Chen & Lyons 2021).
  bool seminorm = false;
  /// Also compute ∂L/∂t_start and ∂L/∂t_end (two more evaluations of g).
  bool time_gradients = false;
};

/// The gradients solve_adjoint computes, and what the backward solve cost.
template <class Scalar>
struct adjoint_result {
  vector<Scalar> state_gradient;      ///< ∂L/∂s(t_start)
  vector<Scalar> parameter_gradient;  ///< ∂L/∂θ
  Scalar start_time_gradient = 0;     ///< ∂L/∂t_start = −a(t_start)·g(s(t_start), t_start)
  Scalar end_time_gradient = 0;       ///< ∂L/∂t_end   =  a(t_end)·g(s(t_end), t_end)
  solve_stats stats;                  ///< of the backward solve (and the end-time evaluations)
};

/// Runs the adjoint solve for a forward solve of `system` from t_start to t_end that ended in
/// s_end, given ∂L/∂s_end.
template <class Scalar, class System>
  requires adjoint_system<System, Scalar>
adjoint_result<Scalar> solve_adjoint(System& system, const vector<Scalar>& s_end, const vector<Scalar>& loss_gradient,
                                     Scalar t_start, Scalar t_end, const solver_options& options, const std::string& who,
                                     const adjoint_options<Scalar>& adjoint = {}) {
  const index_t n = s_end.size();
  const index_t p = system.parameter_count();
  if (loss_gradient.size() != n) {
    throw shape_error(who + ": the loss gradient has " + std::to_string(loss_gradient.size()) +
                      " entries for a state of " + std::to_string(n));
  }
  if (!loss_gradient.allFinite()) throw value_error(who + ": the loss gradient is not finite");

  adjoint_result<Scalar> result;
  vector<Scalar> g(n);
  if (adjoint.time_gradients) {
    system.rhs(s_end, g, t_end);
    ++result.stats.evaluations;
    result.end_time_gradient = loss_gradient.dot(g);
  }

  vector<Scalar> y(2 * n + p);
  y.head(n) = s_end;
  y.segment(n, n) = loss_gradient;
  y.tail(p).setZero();
  auto augmented = [&](const vector<Scalar>& state, vector<Scalar>& dstate, Scalar t) {
    system.vjp(state.head(n), t, state.segment(n, n), dstate.head(n), dstate.segment(n, n), dstate.tail(p));
    dstate.tail(2 * n + p - n).array() *= Scalar(-1);  // da/dt = −aᵀ∂g/∂s, da_θ/dt = −aᵀ∂g/∂θ
  };
  integrate_controls<Scalar> controls;
  controls.error_norm_size = adjoint.seminorm ? 2 * n : -1;
  result.stats += integrate(augmented, y, t_end, t_start, options, who + " (adjoint)", controls);

  result.state_gradient = y.segment(n, n);
  result.parameter_gradient = y.tail(p);
  if (adjoint.time_gradients) {
    system.rhs(y.head(n), g, t_start);
    ++result.stats.evaluations;
    result.start_time_gradient = -result.state_gradient.dot(g);
  }
  return result;
}

}  // namespace eigenflow::ode
