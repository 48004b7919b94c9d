// include/eigenflow/train.hpp — the training loop (mini-batches, Adam, clipping, schedules,
// evaluation, best model, early stopping) and its progress display.
#pragma once

#include "eigenflow/train/dataset.hpp"
#include "eigenflow/train/gradient_step.hpp"
#include "eigenflow/train/progress.hpp"
#include "eigenflow/train/trainer.hpp"
