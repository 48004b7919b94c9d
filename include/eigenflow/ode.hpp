// include/eigenflow/ode.hpp — ODE solving on Boost.Odeint: options, counted and guarded solves,
// replay on the tape (backprop through the solver), the adjoint method.
#pragma once

/// @namespace eigenflow::ode
/// ODE solvers (Boost.Odeint), their tableaus and the adjoint method.

#include "eigenflow/ode/adjoint.hpp"
#include "eigenflow/ode/integrate.hpp"
#include "eigenflow/ode/replay.hpp"
#include "eigenflow/ode/solver_options.hpp"
#include "eigenflow/ode/tableau.hpp"
