// include/eigenflow/distributions.hpp — base densities.
#pragma once

/// @namespace eigenflow::distributions
/// Base densities of flows: the standard normal and a learnable diagonal Gaussian.

#include "eigenflow/distributions/diagonal_gaussian.hpp"
#include "eigenflow/distributions/distribution.hpp"
#include "eigenflow/distributions/standard_normal.hpp"
