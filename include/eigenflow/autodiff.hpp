// include/eigenflow/autodiff.hpp — the autodiff layer: tape, var, dual, every primitive op and
// the finite-difference checker.
#pragma once

#include "eigenflow/autodiff/arena.hpp"
#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/gradient_check.hpp"
#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/conv.hpp"
#include "eigenflow/autodiff/ops/image.hpp"
#include "eigenflow/autodiff/ops/indexing.hpp"
#include "eigenflow/autodiff/ops/inverse.hpp"
#include "eigenflow/autodiff/ops/matmul.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/scan.hpp"
#include "eigenflow/autodiff/ops/select.hpp"
#include "eigenflow/autodiff/ops/softmax.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/autodiff/value_traits.hpp"
