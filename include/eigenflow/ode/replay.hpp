// include/eigenflow/ode/replay.hpp — backprop through the solver: the accepted steps of a solve,
// re-run on the tape with the stepper's tableau.
//
// The step sizes come from a plain solve (integrate with accepted_times) and are held fixed, as
// discretize-then-optimize methods do; the replay then records every stage, so reverse mode
// gives the exact gradient of the discretized solve with respect to the initial state, the
// parameters of g, and the interval's end points (the grid is kept as fractions of the interval,
// so a learnable end time scales every step). Memory grows with the number of steps; the adjoint
// method (adjoint.hpp) is the constant-memory alternative.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/ode/tableau.hpp"

namespace eigenflow::ode {

/// Grid fractions (t_k − t_start)/(t_end − t_start) of accepted times from integrate().
template <class Scalar>
std::vector<Scalar> grid_fractions(const std::vector<Scalar>& times) {
  if (times.size() < 2) throw value_error("grid_fractions: a solve grid needs at least two times");
  const Scalar span = times.back() - times.front();
  std::vector<Scalar> u(times.size());
  for (std::size_t k = 0; k < times.size(); ++k) u[k] = (times[k] - times.front()) / span;
  u.back() = Scalar(1);
  return u;
}

/// Records s(t_end) on s's tape, stepping over t_start + (t_end − t_start)·grid with method m.
///
/// @param rhs  callable (const var<Scalar>& s, const var<Scalar>& t) → var<Scalar> ds/dt, t 1x1.
/// @param s  the initial state, a var on the tape the result is recorded on.
/// @param t_start, t_end  1x1 vars (constants, or values whose gradient is wanted).
/// @param grid  fractions of the interval from 0 to 1, one per accepted time (see grid_fractions).
/// @param m  the method whose tableau each step uses (that of the plain solve, to reproduce it).
/// @param evaluations  if non-null, incremented once per rhs call.
template <class Scalar, class Rhs>
var<Scalar> replay_on_tape(const Rhs& rhs, var<Scalar> s, const var<Scalar>& t_start, const var<Scalar>& t_end,
                           std::span<const Scalar> grid, method m, index_t* evaluations = nullptr) {
  if (grid.size() < 2 || grid.front() != Scalar(0) || grid.back() != Scalar(1)) {
    throw value_error("replay_on_tape: the grid must run from 0 to 1 with at least one step");
  }
  const butcher_tableau& tab = tableau_of(m);
  const var<Scalar> span = sub(t_end, t_start);
  std::vector<var<Scalar>> k(tab.stages());
  for (std::size_t step = 0; step + 1 < grid.size(); ++step) {
    const var<Scalar> t = add(t_start, scale(span, grid[step]));
    const var<Scalar> dt = scale(span, grid[step + 1] - grid[step]);
    for (std::size_t i = 0; i < tab.stages(); ++i) {
      var<Scalar> stage_state = s;
      var<Scalar> increment;
      for (std::size_t j = 0; j < i; ++j) {
        if (tab.a[i][j] == 0.0) continue;
        const var<Scalar> term = scale(k[j], static_cast<Scalar>(tab.a[i][j]));
        increment = increment.is_null() ? term : add(increment, term);
      }
      if (!increment.is_null()) stage_state = add(s, mul(dt, increment));
      const var<Scalar> stage_time = i == 0 ? t : add(t, scale(dt, static_cast<Scalar>(tab.c[i])));
      k[i] = rhs(stage_state, stage_time);
      if (evaluations) ++*evaluations;
    }
    var<Scalar> increment;
    for (std::size_t i = 0; i < tab.stages(); ++i) {
      if (tab.b[i] == 0.0) continue;
      const var<Scalar> term = scale(k[i], static_cast<Scalar>(tab.b[i]));
      increment = increment.is_null() ? term : add(increment, term);
    }
    s = add(s, mul(dt, increment));
  }
  return s;
}

}  // namespace eigenflow::ode
