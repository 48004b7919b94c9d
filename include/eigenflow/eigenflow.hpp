// include/eigenflow/eigenflow.hpp — the umbrella header: includes every public part of eigenflow.
//
// Each layer also has an umbrella of its own (eigenflow/autodiff.hpp, eigenflow/nn.hpp, ...), for
// code that needs only part of the library and wants to compile faster. Pictures
// (eigenflow/plot.hpp) are not included here: they need stb_image_write (libstb-dev).
#pragma once

/// @namespace eigenflow
/// Everything of eigenflow: matrices, the reverse-mode tape and its ops, the density_model concept and any_model.

#include "eigenflow/any_model.hpp"
#include "eigenflow/autodiff.hpp"
#include "eigenflow/continuous.hpp"
#include "eigenflow/data.hpp"
#include "eigenflow/density.hpp"
#include "eigenflow/distributions.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows.hpp"
#include "eigenflow/io.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/memory_budget.hpp"
#include "eigenflow/model.hpp"
#include "eigenflow/nn.hpp"
#include "eigenflow/ode.hpp"
#include "eigenflow/optim.hpp"
#include "eigenflow/parallel.hpp"
#include "eigenflow/random.hpp"
#include "eigenflow/train.hpp"
#include "eigenflow/version.hpp"
