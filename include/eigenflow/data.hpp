// include/eigenflow/data.hpp — data sets and their preparation: FFJORD's 2-D toy sets, the 8x8
// digits (split, dequantization, bits per pixel), Fashion-MNIST (Debian's dataset-fashion-mnist),
// standardization with its log-determinant, text prompts as bags of words, quantized values
// dequantized to [0, 1) and bits per dimension.
#pragma once

/// @namespace eigenflow::data
/// Data sets and their preparation: toy 2-D sets, the digits, Fashion-MNIST, standardization and whitening (per class too), text prompts as bags of words, dequantization and bits per dimension.

#include "eigenflow/data/bag_of_words.hpp"
#include "eigenflow/data/class_whitening.hpp"
#include "eigenflow/data/digits.hpp"
#include "eigenflow/data/fashion_mnist.hpp"
#include "eigenflow/data/standardizer.hpp"
#include "eigenflow/data/toy2d.hpp"
#include "eigenflow/data/unit_dequantization.hpp"
#include "eigenflow/data/whitening.hpp"
