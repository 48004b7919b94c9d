// include/eigenflow/continuous.hpp — continuous normalizing flows: dynamics, trace estimators,
// the augmented ODE, the cnf model (CNF / FFJORD) and its builders.
#pragma once

/// @namespace eigenflow::continuous
/// Continuous normalizing flows (CNF, FFJORD): dynamics networks, trace estimators, the cnf model.

#include "eigenflow/continuous/augmented_dynamics.hpp"
#include "eigenflow/continuous/builders.hpp"
#include "eigenflow/continuous/cnf.hpp"
#include "eigenflow/continuous/concat_squash_dynamics.hpp"
#include "eigenflow/continuous/conv_concat_squash_dynamics.hpp"
#include "eigenflow/continuous/dynamics.hpp"
#include "eigenflow/continuous/dynamics_options.hpp"
#include "eigenflow/continuous/functor_dynamics.hpp"
#include "eigenflow/continuous/time_mlp_dynamics.hpp"
#include "eigenflow/continuous/trace.hpp"
