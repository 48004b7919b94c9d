// include/eigenflow/distributions.hpp — base densities.
#pragma once

/// @namespace eigenflow::distributions
/// Base densities of flows: the standard normal, a learnable diagonal Gaussian, and any base at a
/// temperature (its draws scaled).

#include "eigenflow/distributions/diagonal_gaussian.hpp"
#include "eigenflow/distributions/distribution.hpp"
#include "eigenflow/distributions/standard_normal.hpp"
#include "eigenflow/distributions/tempered.hpp"
