// include/eigenflow/optim.hpp — the optimizers layer: Adam/AdamW, SGD, gradient clipping,
// learning-rate schedules, the finite guard, and optimizer state for checkpoints.
#pragma once

/// @namespace eigenflow::optim
/// Optimizers (Adam, SGD), learning-rate schedules and optimizer state.

#include "eigenflow/optim/adam.hpp"
#include "eigenflow/optim/clip.hpp"
#include "eigenflow/optim/finite_guard.hpp"
#include "eigenflow/optim/optimizer_state.hpp"
#include "eigenflow/optim/optimizer.hpp"
#include "eigenflow/optim/schedule.hpp"
#include "eigenflow/optim/sgd.hpp"
