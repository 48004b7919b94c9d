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
#include "eigenflow/parallel/process_group.hpp"
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
  /// Data parallel across processes (parallel::process_group; MPI's is in
  /// eigenflow/distributed/mpi.hpp): every process calls fit with its own shard of `train` (and of
  /// `validation`), `batch` is the global batch, split across the processes like
  /// parallel::split_rows splits rows; gradients are averaged over it with one sum per step. Rank
  /// 0's parameters are broadcast at the start; only rank 0 shows progress. nullptr: one process.
  parallel::process_group* processes = nullptr;
  /// With processes: every this many steps the parameters' checksums are compared and a
  /// parallel::distributed_error thrown on every process if they differ. 0: never.
  long check_every = 100;
  /// A resumed run: this many steps are already done (the parameters and optimizer state are the
  /// checkpoint's), the loop runs the rest and the schedule continues where it was. The batches
  /// drawn from then on are not those the uninterrupted run would have drawn.
  long completed_iterations = 0;
  /// Called on every process after every checkpoint_every-th step (not after the last: the caller
  /// has the final model when fit returns), e.g. to save a checkpoint from rank 0. 0: never.
  long checkpoint_every = 0;
  std::function<void(long iteration)> on_checkpoint{};
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

namespace detail {

/// The trainer's random stream: `seed` itself for a fresh single-process run (or rank 0 of a
/// fresh run), otherwise a stream of its own per rank and per resumption point.
inline std::uint64_t stream_seed(std::uint64_t seed, int rank, long completed_iterations) {
  if (rank == 0 && completed_iterations == 0) return seed;
  std::uint64_t z = seed ^ (0x9e3779b97f4a7c15ull * (static_cast<std::uint64_t>(rank) + 1)) ^
                    (0xbf58476d1ce4e5b9ull * static_cast<std::uint64_t>(completed_iterations));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;  // splitmix64's finalizer
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// The batch's gradient and loss averaged over the processes, weighted by their rows: one sum
/// over one buffer [Σ rows_p·g_p, Σ rows_p·loss_p, Σ rows_p].
template <class Scalar>
step_result average_over_processes(parallel::process_group& group, const nn::parameter_list<Scalar>& params,
                                   const step_result& local, index_t rows, vector<Scalar>& buffer) {
  const index_t n = params.count();
  buffer.resize(n + 2);
  params.copy_grads_to(buffer.head(n));
  buffer.head(n) *= static_cast<Scalar>(rows);
  buffer[n] = static_cast<Scalar>(local.loss * double(rows));
  buffer[n + 1] = static_cast<Scalar>(rows);
  group.sum(std::span<Scalar>(buffer.data(), static_cast<std::size_t>(buffer.size())));
  const Scalar total_rows = buffer[n + 1];
  buffer.head(n) /= total_rows;  // in place: assign_grads then reads the buffer without a temporary
  params.assign_grads(buffer.head(n));
  step_result out = local;
  out.loss = double(buffer[n]) / double(total_rows);
  return out;
}

}  // namespace detail

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
  if (o.completed_iterations < 0 || o.completed_iterations > o.iterations) {
    throw value_error("train::fit: completed_iterations " + std::to_string(o.completed_iterations) + " is outside [0, " +
                      std::to_string(o.iterations) + "]");
  }
  parallel::single_process alone;
  parallel::process_group& group = o.processes ? *o.processes : alone;
  if (o.batch < group.size()) {
    throw value_error("train::fit: a batch of " + std::to_string(o.batch) + " cannot be shared by " +
                      std::to_string(group.size()) + " processes");
  }
  const nn::parameter_list<Scalar> params = model.parameters();
  const index_t batch = std::min(parallel::split_rows(o.batch, group.size())[static_cast<std::size_t>(group.rank())].rows, train.rows());
  if (group.size() > 1) {
    // Every process must run the same loop from the same parameters: rank 0's are broadcast, and
    // the settings that decide the sequence of collectives must agree.
    vector<Scalar> values = params.flatten_values();
    group.broadcast(std::span<Scalar>(values.data(), static_cast<std::size_t>(values.size())));
    params.assign_values(values);
    const vector<double> settings{{double(params.count()), double(optimizer.step_count()), double(o.iterations),
                                   double(o.completed_iterations), double(o.batch), double(o.evaluate_every),
                                   double(o.check_every), double(validation != nullptr)}};
    if (!group.all_equal(parallel::checksum(settings))) {
      throw parallel::distributed_error("train::fit: the " + std::to_string(group.size()) +
                                        " processes were started differently (parameter count, optimizer step, "
                                        "iterations, batch, evaluation or validation data differ)");
    }
  }
  const optim::warmup_cosine_schedule<Scalar> cosine(static_cast<Scalar>(o.learning_rate), o.warmup, o.iterations,
                                                     static_cast<Scalar>(o.learning_rate) * Scalar(0.01));
  optim::finite_guard guard(o.skip_nonfinite ? optim::finite_guard::policy::skip : optim::finite_guard::policy::throw_error);
  progress bar(group.rank() == 0 ? o.progress : progress_mode::quiet, o.out);
  // Two streams: one draws the batches (and feeds the batch hook), the other the model's own
  // random numbers (Hutchinson probes). Worker threads take seeds from the second, so the batches,
  // and with them a deterministic model's training, do not depend on the number of threads.
  random_engine rng(detail::stream_seed(o.seed, group.rank(), o.completed_iterations));
  random_engine model_rng(detail::stream_seed(o.seed ^ 0x6d6f64656c2d726eull, group.rank(), o.completed_iterations));
  parallel::data_parallel<Model> workers(model, o.threads);  // one thread: the model itself

  std::vector<index_t> order(static_cast<std::size_t>(train.rows()));
  std::iota(order.begin(), order.end(), index_t(0));
  std::size_t cursor = order.size();  // reshuffle on first use

  training_summary summary;
  std::optional<vector<Scalar>> best;
  long evaluations_without_improvement = 0;
  double running = 0;
  long running_count = 0;
  vector<Scalar> reduce_buffer;
  summary.iterations = o.completed_iterations;
  for (long it = o.completed_iterations + 1; it <= o.iterations; ++it) {
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
    step_result step = workers.accumulate_gradient(model, b, model_rng);
    if (group.size() > 1) step = detail::average_over_processes(group, params, step, b.rows(), reduce_buffer);
    summary.iterations = it;
    if (!guard.check(step.loss, params)) {
      ++summary.skipped_steps;
      continue;
    }
    if (o.clip > 0) optim::clip_grad_norm(params, static_cast<Scalar>(o.clip));
    if (o.schedule == schedule_kind::cosine) optimizer.set_learning_rate(cosine(it - 1));
    optimizer.step(params);
    if (group.size() > 1 && o.check_every > 0 && (it % o.check_every == 0 || it == o.iterations) &&
        !group.all_equal(parallel::checksum(params.flatten_values()))) {
      throw parallel::distributed_error("train::fit: the parameters of the " + std::to_string(group.size()) +
                                        " processes differ after iteration " + std::to_string(it) +
                                        " (rank " + std::to_string(group.rank()) +
                                        "): a process computed differently (another build, library or CPU?)");
    }
    summary.last_loss = step.loss;
    running += step.loss;
    ++running_count;

    progress_status status{it, o.iterations, running / double(running_count), "", o.completed_iterations + 1};
    if (step.forward_evaluations + step.backward_evaluations > 0) {
      status.extra = "nfe " + std::to_string(step.forward_evaluations) + "+" + std::to_string(step.backward_evaluations);
    }
    const bool evaluate = validation && ((o.evaluate_every > 0 && it % o.evaluate_every == 0) || it == o.iterations);
    if (evaluate) {
      // Each process scores its shard; every process sees the same mean.
      const double nll = parallel::mean_over_processes(
          group, -workers.log_prob(model, validation->x, validation->context()).template cast<double>().sum(),
          validation->rows());
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
    if (o.on_checkpoint && o.checkpoint_every > 0 && it % o.checkpoint_every == 0 && it < o.iterations) o.on_checkpoint(it);
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
