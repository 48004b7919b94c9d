// include/eigenflow/ode/tableau.hpp — the Butcher tableaux of the integrators in solver_options,
// for replaying a solve's accepted steps on the tape (replay.hpp).
//
// Each tableau advances with the same solution weights as the Boost.Odeint stepper of that name
// (Dormand–Prince and Cash–Karp: their fifth-order solutions), so a replay reproduces the plain
// solve to rounding; tests/ode checks that against odeint.
#pragma once

#include <vector>

#include "eigenflow/ode/solver_options.hpp"

namespace eigenflow::ode {

/// Explicit Runge–Kutta: stage i at t + c_i·dt from s + dt·Σ_j a_ij k_j; s' = s + dt·Σ_i b_i k_i.
struct butcher_tableau {
  /// Stage times c_i, as fractions of the step.
  std::vector<double> c;
  std::vector<std::vector<double>> a;  ///< Stage weights: a[i] has i entries (strictly lower triangular)
  /// Solution weights b_i.
  std::vector<double> b;

  /// Number of stages (evaluations of g per step).
  std::size_t stages() const { return b.size(); }
};

/// The tableau of method m: for the adaptive methods, the fifth-order solution odeint advances with.
inline const butcher_tableau& tableau_of(method m) {
  static const butcher_tableau dopri5{
      {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0},
      {{},
       {1.0 / 5},
       {3.0 / 40, 9.0 / 40},
       {44.0 / 45, -56.0 / 15, 32.0 / 9},
       {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
       {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656}},
      {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}};
  static const butcher_tableau cash_karp54{
      {0.0, 1.0 / 5, 3.0 / 10, 3.0 / 5, 1.0, 7.0 / 8},
      {{},
       {1.0 / 5},
       {3.0 / 40, 9.0 / 40},
       {3.0 / 10, -9.0 / 10, 6.0 / 5},
       {-11.0 / 54, 5.0 / 2, -70.0 / 27, 35.0 / 27},
       {1631.0 / 55296, 175.0 / 512, 575.0 / 13824, 44275.0 / 110592, 253.0 / 4096}},
      {37.0 / 378, 0.0, 250.0 / 621, 125.0 / 594, 0.0, 512.0 / 1771}};
  static const butcher_tableau rk4{{0.0, 0.5, 0.5, 1.0}, {{}, {0.5}, {0.0, 0.5}, {0.0, 0.0, 1.0}},
                                   {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}};
  static const butcher_tableau euler{{0.0}, {{}}, {1.0}};
  switch (m) {
    case method::dopri5: return dopri5;
    case method::cash_karp54: return cash_karp54;
    case method::rk4: return rk4;
    case method::euler: return euler;
  }
  return euler;
}

}  // namespace eigenflow::ode
