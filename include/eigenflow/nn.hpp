// include/eigenflow/nn.hpp — the nn layer: parameters, initializers and modules.
#pragma once

/// @namespace eigenflow::nn
/// Neural-network modules on the tape: parameters, linear layers, MLPs, attention, embeddings.

#include "eigenflow/nn/concat_squash.hpp"
#include "eigenflow/nn/conv2d.hpp"
#include "eigenflow/nn/conv_concat_squash.hpp"
#include "eigenflow/nn/embedding.hpp"
#include "eigenflow/nn/init.hpp"
#include "eigenflow/nn/layer_norm.hpp"
#include "eigenflow/nn/linear.hpp"
#include "eigenflow/nn/mlp.hpp"
#include "eigenflow/nn/module.hpp"
#include "eigenflow/nn/multi_head_attention.hpp"
#include "eigenflow/nn/parameter.hpp"
