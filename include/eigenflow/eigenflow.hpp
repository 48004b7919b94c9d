// include/eigenflow/eigenflow.hpp — the umbrella header: includes every public part of eigenflow.
//
// Each layer also has an umbrella of its own (eigenflow/autodiff.hpp, ...), for code that needs
// only part of the library and wants to compile faster.
#pragma once

#include "eigenflow/error.hpp"
#include "eigenflow/version.hpp"
