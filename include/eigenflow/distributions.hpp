// include/eigenflow/distributions.hpp — base densities.
#pragma once

#include "eigenflow/distributions/diagonal_gaussian.hpp"
#include "eigenflow/distributions/distribution.hpp"
#include "eigenflow/distributions/standard_normal.hpp"
