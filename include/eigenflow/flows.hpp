// include/eigenflow/flows.hpp — discrete flows: transforms, conditioners, the flow model.
#pragma once

/// @namespace eigenflow::flows
/// Discrete flows: invertible transforms, conditioners, couplings, the flow model and its builders.

#include "eigenflow/flows/actnorm.hpp"
#include "eigenflow/flows/affine_coupling.hpp"
#include "eigenflow/flows/attention_conditioner.hpp"
#include "eigenflow/flows/autoregressive.hpp"
#include "eigenflow/flows/autoregressive_builders.hpp"
#include "eigenflow/flows/bijector.hpp"
#include "eigenflow/flows/builders.hpp"
#include "eigenflow/flows/class_actnorm.hpp"
#include "eigenflow/flows/composite.hpp"
#include "eigenflow/flows/conditioner.hpp"
#include "eigenflow/flows/conv_conditioner.hpp"
#include "eigenflow/flows/coupling.hpp"
#include "eigenflow/flows/flow.hpp"
#include "eigenflow/flows/glow_builders.hpp"
#include "eigenflow/flows/logit.hpp"
#include "eigenflow/flows/lu_linear.hpp"
#include "eigenflow/flows/made.hpp"
#include "eigenflow/flows/mlp_conditioner.hpp"
#include "eigenflow/flows/on_columns.hpp"
#include "eigenflow/flows/permutation.hpp"
#include "eigenflow/flows/rational_quadratic.hpp"
#include "eigenflow/flows/residual_conditioner.hpp"
#include "eigenflow/flows/spline_coupling.hpp"
#include "eigenflow/flows/transform.hpp"
