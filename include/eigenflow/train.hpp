// include/eigenflow/train.hpp — training any density model: data sets and their shards, batches,
// the data-parallel gradient step, evaluation and model selection, the training loop and its
// progress display.
#pragma once

/// @namespace eigenflow::train
/// Training: data sets, batches, the gradient step, validation, data parallelism and fit().

#include "eigenflow/train/batch_source.hpp"
#include "eigenflow/train/data_parallel.hpp"
#include "eigenflow/train/dataset.hpp"
#include "eigenflow/train/evaluator.hpp"
#include "eigenflow/train/gradient_step.hpp"
#include "eigenflow/train/process_agreement.hpp"
#include "eigenflow/train/progress.hpp"
#include "eigenflow/train/shard.hpp"
#include "eigenflow/train/trainer.hpp"
