// include/eigenflow/train/trainer.hpp — maximum-likelihood training of any eigenflow model on a
// data set: shuffled mini-batches, Adam/AdamW with gradient clipping and a schedule, a NaN guard,
// periodic evaluation on held-out data, the best model kept, early stopping, progress, and an
// optional per-batch hook (fresh dequantization noise, augmentation).
//
// Models plug in through accumulate_nll_gradient overloads (one per model family: the coupling
// flow records its loss on a tape, the continuous flow runs its adjoint or backprop solve); the
// loop itself never knows which it trains.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <type_traits>
#include <string>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/optim/adam.hpp"
#include "eigenflow/optim/clip.hpp"
#include "eigenflow/optim/finite_guard.hpp"
#include "eigenflow/optim/schedule.hpp"
#include "eigenflow/parallel/data_parallel.hpp"
#include "eigenflow/random.hpp"
#include "eigenflow/train/dataset.hpp"
#include "eigenflow/train/gradient_step.hpp"
#include "eigenflow/train/progress.hpp"

namespace eigenflow::train {

enum class schedule_kind { constant, cosine };

struct trainer_options {
  long iterations = 1000;
  index_t batch = 256;
  double learning_rate = 1e-3;
  double weight_decay = 0;
  bool decoupled_weight_decay = false;  // AdamW
  double clip = 0;                      // global gradient-norm bound; 0: no clipping
  schedule_kind schedule = schedule_kind::constant;
  long warmup = 0;                      // cosine: linear warm-up steps
  long evaluate_every = 0;              // 0: evaluate once, at the end
  long patience = 0;                    // stop after this many evaluations without improvement; 0: never
  bool keep_best = true;                // end with the parameters of the best evaluation
  bool skip_nonfinite = false;          // skip a step with a non-finite loss/gradient instead of throwing
  std::uint64_t seed = 1;
  progress_mode progress = progress_mode::automatic;
  std::FILE* out = stdout;
  /// Worker threads for each step and evaluation (parallel::data_parallel: the batch split into
  /// blocks, gradients summed in a fixed order). 1: the calling thread alone;
  /// parallel::hardware_threads() for every core.
  int threads = 1;
};

struct training_summary {
  long iterations = 0;      // steps taken (fewer than asked if stopped early)
  double last_loss = std::numeric_limits<double>::quiet_NaN();
  double best_validation_nll = std::numeric_limits<double>::quiet_NaN();  // nats per sample
  long best_iteration = 0;
  bool stopped_early = false;
  long skipped_steps = 0;
  double seconds = 0;
};

/// Called on every mini-batch, before its gradient step, with the trainer's random engine (so a
/// run stays reproducible from trainer_options::seed). It may rewrite the batch in place: values,
/// labels, features, even the number of rows, but not the width of x. E.g. fresh uniform
/// dequantization noise per batch, which a data set dequantized once would let the model overfit.
template <class Scalar>
using batch_hook = std::function<void(dataset<Scalar>& batch, random_engine& rng)>;

/// Held-out −mean log p(x | c), in the model's units.
template <class Scalar, class Model>
double validation_nll(const Model& model, const dataset<Scalar>& data) {
  return -model.log_prob(data.x, data.context()).template cast<double>().mean();
}

/// Trains `model` on `train` (evaluating on `validation` if given) with `optimizer`, which the
/// caller owns so that its state can be checkpointed. `on_batch`, if set, sees (and may rewrite)
/// every batch before its step; the batch is a copy, `train` is never changed.
template <class Scalar, class Model>
training_summary fit(Model& model, optim::adam<Scalar>& optimizer, const dataset<Scalar>& train,
                     const dataset<std::type_identity_t<Scalar>>* validation, const trainer_options& o,
                     const batch_hook<std::type_identity_t<Scalar>>& on_batch = {}) {
  train.validate("train::fit (training data)");
  if (validation) validation->validate("train::fit (validation data)");
  if (o.iterations < 1) throw value_error("train::fit: iterations must be positive");
  if (o.batch < 1) throw value_error("train::fit: batch must be positive");
  if (o.threads < 1) throw value_error("train::fit: threads must be positive, got " + std::to_string(o.threads));
  if (!(o.clip >= 0)) throw value_error("train::fit: clip must be non-negative");
  const nn::parameter_list<Scalar> params = model.parameters();
  const index_t batch = std::min(o.batch, train.rows());
  const optim::warmup_cosine_schedule<Scalar> cosine(static_cast<Scalar>(o.learning_rate), o.warmup, o.iterations,
                                                     static_cast<Scalar>(o.learning_rate) * Scalar(0.01));
  optim::finite_guard guard(o.skip_nonfinite ? optim::finite_guard::policy::skip : optim::finite_guard::policy::throw_error);
  progress bar(o.progress, o.out);
  random_engine rng(o.seed);
  parallel::data_parallel<Model> workers(model, o.threads);  // one thread: the model itself

  std::vector<index_t> order(static_cast<std::size_t>(train.rows()));
  std::iota(order.begin(), order.end(), index_t(0));
  std::size_t cursor = order.size();  // reshuffle on first use

  training_summary summary;
  std::optional<vector<Scalar>> best;
  long evaluations_without_improvement = 0;
  double running = 0;
  long running_count = 0;
  for (long it = 1; it <= o.iterations; ++it) {
    // Shuffled epochs: every row once per epoch.
    std::vector<index_t> rows(static_cast<std::size_t>(batch));
    for (auto& r : rows) {
      if (cursor == order.size()) {
        std::shuffle(order.begin(), order.end(), rng);
        cursor = 0;
      }
      r = order[cursor++];
    }
    dataset<Scalar> b = train.subset(rows);
    if (on_batch) {
      on_batch(b, rng);
      if (b.x.cols() != train.x.cols()) {
        throw shape_error("train::fit: the batch hook changed the width of x from " + std::to_string(train.x.cols()) +
                          " to " + std::to_string(b.x.cols()));
      }
      b.validate("train::fit (batch after the hook)");
    }
    params.zero_grad();
    const step_result step = workers.accumulate_gradient(model, b, rng);
    summary.iterations = it;
    if (!guard.check(step.loss, params)) {
      ++summary.skipped_steps;
      continue;
    }
    if (o.clip > 0) optim::clip_grad_norm(params, static_cast<Scalar>(o.clip));
    if (o.schedule == schedule_kind::cosine) optimizer.set_learning_rate(cosine(it - 1));
    optimizer.step(params);
    summary.last_loss = step.loss;
    running += step.loss;
    ++running_count;

    progress_status status{it, o.iterations, running / double(running_count), ""};
    if (step.forward_evaluations + step.backward_evaluations > 0) {
      status.extra = "nfe " + std::to_string(step.forward_evaluations) + "+" + std::to_string(step.backward_evaluations);
    }
    const bool evaluate = validation && ((o.evaluate_every > 0 && it % o.evaluate_every == 0) || it == o.iterations);
    if (evaluate) {
      const double nll = -workers.log_prob(model, validation->x, validation->context()).template cast<double>().mean();
      const bool improved = !(nll >= summary.best_validation_nll);  // NaN best: the first one
      if (improved) {
        summary.best_validation_nll = nll;
        summary.best_iteration = it;
        if (o.keep_best) best = params.flatten_values();
        evaluations_without_improvement = 0;
      } else {
        ++evaluations_without_improvement;
      }
      char line[160];
      std::snprintf(line, sizeof line, "iter %ld: validation nll %.4f%s", it, nll, improved ? " (best)" : "");
      bar.note(line);
    }
    bar.update(status);
    if ((it % std::max(1L, o.iterations / 20)) == 0) running = 0, running_count = 0;
    if (o.patience > 0 && evaluations_without_improvement >= o.patience) {
      summary.stopped_early = true;
      bar.note("early stop at iteration " + std::to_string(it) + ": no improvement in " + std::to_string(o.patience) +
               " evaluations (best " + std::to_string(summary.best_validation_nll) + " at iteration " +
               std::to_string(summary.best_iteration) + ")");
      break;
    }
  }
  if (best) params.assign_values(*best);
  summary.seconds = bar.elapsed_seconds();
  return summary;
}

/// Adam (or AdamW) built from the trainer options.
template <class Scalar>
optim::adam<Scalar> make_optimizer(const trainer_options& o) {
  return optim::adam<Scalar>({.learning_rate = static_cast<Scalar>(o.learning_rate),
                              .weight_decay = static_cast<Scalar>(o.weight_decay),
                              .decoupled_weight_decay = o.decoupled_weight_decay});
}

}  // namespace eigenflow::train
