// include/eigenflow/train/trainer.hpp — maximum-likelihood training of any density model
// (model.hpp) with any optimizer (optim/optimizer.hpp), built from parts that each do one job:
// a batch_source (shuffled epochs), a gradient_step (threads, processes, NaN guard, clipping,
// the update), the schedule (the only source of the learning rate), an evaluator (periodic
// validation, keep-best, patience) and the process agreement; fit() runs them in order and
// reports progress, checkpoints and a summary.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "eigenflow/enum_names.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/model.hpp"
#include "eigenflow/optim/adam.hpp"
#include "eigenflow/optim/optimizer.hpp"
#include "eigenflow/optim/schedule.hpp"
#include "eigenflow/parallel/process_group.hpp"
#include "eigenflow/parallel/split_rows.hpp"
#include "eigenflow/random.hpp"
#include "eigenflow/train/batch_source.hpp"
#include "eigenflow/train/data_parallel.hpp"
#include "eigenflow/train/dataset.hpp"
#include "eigenflow/train/evaluator.hpp"
#include "eigenflow/train/gradient_step.hpp"
#include "eigenflow/train/process_agreement.hpp"
#include "eigenflow/train/progress.hpp"
#include "eigenflow/train/shard.hpp"

namespace eigenflow::train {

/// The learning-rate schedule of fit(): constant, or linear warm-up then cosine decay.
enum class schedule_kind { constant, cosine };

/// The names of the schedules ("constant", "cosine"), for parsing and printing.
inline constexpr auto schedule_kind_names =
    std::to_array<enum_name<schedule_kind>>({{schedule_kind::constant, "constant"}, {schedule_kind::cosine, "cosine"}});
/// The schedule named `name`; throws value_error for an unknown name.
inline schedule_kind parse_schedule_kind(std::string_view name) { return parse_enum(schedule_kind_names, name, "schedule"); }

/// The learning rate of step k (0 for the first), in the optimizer's units.
using learning_rate_schedule = std::function<double(long step)>;

/// The settings of fit() (and of make_optimizer()).
struct trainer_options {
  /// Steps of the whole run, counting those a resumed run has already done.
  long iterations = 1000;
  /// Rows per mini-batch: the global batch, over every process.
  index_t batch = 256;
  /// The learning rate: fit sets the optimizer's rate from the schedule before every step, so the
  /// rate the optimizer was built with never matters. constant: learning_rate throughout;
  /// cosine: linear warm-up over `warmup` steps to learning_rate, then cosine decay to 1% of it.
  double learning_rate = 1e-3;
  double weight_decay = 0;              ///< make_optimizer: Adam's L2 penalty (AdamW's decay if decoupled)
  bool decoupled_weight_decay = false;  ///< AdamW
  double clip = 0;                      ///< global gradient-norm bound; 0: no clipping
  /// The learning-rate schedule (see learning_rate).
  schedule_kind schedule = schedule_kind::constant;
  long warmup = 0;                      ///< cosine: linear warm-up steps
  /// If set, the schedule instead (learning_rate, schedule and warmup are then ignored).
  learning_rate_schedule custom_schedule{};
  long evaluate_every = 0;              ///< 0: evaluate once, at the end
  long patience = 0;                    ///< stop after this many evaluations without improvement; 0: never
  bool keep_best = true;                ///< end with the parameters of the best evaluation
  bool skip_nonfinite = false;          ///< skip a step with a non-finite loss/gradient instead of throwing
  /// Seed of the trainer's random streams (the batches and the model's own draws).
  std::uint64_t seed = 1;
  /// How progress is shown (only rank 0 shows any).
  progress_mode progress = progress_mode::automatic;
  /// Where progress goes; must not be null.
  std::FILE* out = stdout;
  /// Worker threads for each step and evaluation (train::data_parallel: the batch split into
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
  /// checkpoint's), the loop runs the rest and the schedule continues where it was. The batches and
  /// the model's random numbers are those the uninterrupted run draws at the same steps, so with
  /// `selection` too the resumed run ends exactly where the uninterrupted one ends.
  long completed_iterations = 0;
  /// Called on every process after every checkpoint_every-th step (not after the last: the caller
  /// has the final model when fit returns), e.g. to save a checkpoint from rank 0. 0: never.
  long checkpoint_every = 0;
  /// The checkpoint callback (see checkpoint_every); empty: none.
  std::function<void(long iteration)> on_checkpoint{};
  /// With validation data: score the starting parameters too (as step 0), so that keep_best can
  /// end with them. A model that starts as a baseline (the fitted Gaussian of a whitened table)
  /// then never ends worse than it on the validation rows.
  bool evaluate_at_start = false;
  /// If set, model selection's state (best NLL, its step and parameters, evaluations since):
  /// a resumed run (completed_iterations > 0) continues from *selection, and fit brings it up to
  /// date before every on_checkpoint call, so that the callback can save it with the parameters and
  /// the optimizer's state (then a resumed run ends exactly where the uninterrupted one ends), and
  /// before it returns.
  selection_state* selection = nullptr;
  /// A baseline's NLL on each validation row (this process's rows, in order; empty: none). Then
  /// an evaluation counts for model selection only if its NLL is below the baseline's by more
  /// than baseline_z standard errors of the per-row difference (a paired one-sided test), and as
  /// the baseline's NLL otherwise: on a small validation set, noise does not replace a baseline.
  std::vector<double> baseline_rows{};
  /// See baseline_rows (2: about 98% one-sided confidence).
  double baseline_z = 2;
  /// Added to the validation NLL the progress shows (not to what selection compares): for a model
  /// of transformed rows, minus the transform's log-determinant shows nats in the data's units.
  double shown_nll_offset = 0;
  /// Validation rows scored at once (each block split across the threads); 0: all at once. Bounds
  /// an evaluation's memory for large models (an image flow's activations grow with the rows). A
  /// continuous flow's adaptive solver steps a block as one, so its scores depend on the blocks.
  index_t evaluation_rows = 0;
};

/// What fit() did.
struct training_summary {
  long iterations = 0;      ///< steps taken (fewer than asked if stopped early)
  /// The loss of the last step taken (NaN if none was).
  double last_loss = std::numeric_limits<double>::quiet_NaN();
  double best_validation_nll = std::numeric_limits<double>::quiet_NaN();  ///< nats per sample
  /// The step after which the best evaluation was made (0: the start, with evaluate_at_start, or
  /// no evaluation at all).
  long best_iteration = 0;
  /// Whether patience ran out before the last iteration.
  bool stopped_early = false;
  /// Steps skipped for a non-finite loss or gradient (skip_nonfinite).
  long skipped_steps = 0;
  /// Wall-clock duration of fit, in seconds.
  double seconds = 0;
  /// Continuous flows: right-hand-side evaluations per step taken in this call, averaged over
  /// its steps (forward solve; adjoint or backprop backward solve). 0 for other models.
  double mean_forward_evaluations = 0;
  double mean_backward_evaluations = 0;  ///< see mean_forward_evaluations
};

/// Called on every mini-batch, before its gradient step, with an engine of its own for that step
/// (seeded from trainer_options::seed, the process and the step: a run, resumed or not, stays
/// reproducible). It may rewrite the batch in place: values,
/// labels, features, even the number of rows, but not the width of x. E.g. fresh uniform
/// dequantization noise per batch, which a data set dequantized once would let the model overfit.
template <class Scalar>
using batch_hook = std::function<void(dataset<Scalar>& batch, random_engine& rng)>;

/// Held-out −mean log p(x | c), in the model's units.
template <density_model Model>
double validation_nll(const Model& model, const dataset<model_scalar_t<Model>>& data) {
  return -model.log_prob(data.x, data.context()).template cast<double>().mean();
}

/// The schedule fit follows for these options.
inline learning_rate_schedule make_schedule(const trainer_options& o) {
  if (o.custom_schedule) return o.custom_schedule;
  if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate)) {
    throw value_error("train::fit: learning_rate must be positive and finite, got " + std::to_string(o.learning_rate));
  }
  if (o.schedule == schedule_kind::constant) return [rate = o.learning_rate](long) { return rate; };
  const optim::warmup_cosine_schedule<double> cosine(o.learning_rate, o.warmup, o.iterations, o.learning_rate * 0.01);
  return [cosine](long step) { return cosine(step); };
}

namespace detail {

/// The trainer's random streams, each a function of the seed, the process and the step alone, so
/// that a run resumed at any step draws what the uninterrupted run drew there.
struct run_streams {
  std::uint64_t batches;  ///< seeds the batch_source (its epochs)
  std::uint64_t hook;     ///< per step: the batch hook's engine
  std::uint64_t model;    ///< per step: the model's own draws (Hutchinson probes)

  run_streams(std::uint64_t seed, int rank) : run_streams(derived_seed(seed, static_cast<std::uint64_t>(rank))) {}

 private:
  explicit run_streams(std::uint64_t process_seed)
      : batches(derived_seed(process_seed, 0)), hook(derived_seed(process_seed, 1)), model(derived_seed(process_seed, 2)) {}
};

/// One evaluation on the validation rows of every process.
struct validation_score {
  double nll;       ///< the mean NLL over every process's rows
  double selected;  ///< what model selection records: `nll`, or the baseline's mean (trainer_options::baseline_rows)
                    ///< unless `nll` beats it significantly
};

/// Scores the validation rows' NLLs `row_nll` (this process's shard) with one sum over the processes.
inline validation_score score_validation(parallel::process_group& group, const trainer_options& o,
                                         const vector<double>& row_nll) {
  const auto rows = static_cast<index_t>(row_nll.size());
  const bool with_baseline = !o.baseline_rows.empty();
  const Eigen::Map<const vector<double>> baseline(o.baseline_rows.data(), with_baseline ? rows : 0);
  const vector<double> d = with_baseline ? vector<double>(row_nll - baseline) : vector<double>();
  std::array<double, 5> totals{double(rows), row_nll.sum(), d.sum(), d.squaredNorm(), baseline.sum()};
  group.sum(std::span<double>(totals));
  const double n = totals[0];
  const double nll = totals[1] / n;
  if (!with_baseline) return {nll, nll};
  const double mean = totals[2] / n;
  const double variance = n > 1 ? std::max(0.0, totals[3] / n - mean * mean) * n / (n - 1) : 0.0;
  const bool significant = mean < -o.baseline_z * std::sqrt(variance / n);
  // The baseline's own mean is the same sum every time: equal evaluations are exact ties.
  return {nll, significant ? nll : totals[4] / n};
}

inline void check_options(const trainer_options& o) {
  if (o.iterations < 1) throw value_error("train::fit: iterations must be positive");
  if (o.batch < 1) throw value_error("train::fit: batch must be positive");
  if (o.threads < 1) throw value_error("train::fit: threads must be positive, got " + std::to_string(o.threads));
  if (!(o.clip >= 0)) throw value_error("train::fit: clip must be non-negative");
  if (o.evaluation_rows < 0) {
    throw value_error("train::fit: evaluation_rows must be non-negative, got " + std::to_string(o.evaluation_rows));
  }
  if (o.completed_iterations < 0 || o.completed_iterations > o.iterations) {
    throw value_error("train::fit: completed_iterations " + std::to_string(o.completed_iterations) + " is outside [0, " +
                      std::to_string(o.iterations) + "]");
  }
}

}  // namespace detail

/// Trains `model` on `train` (evaluating on `validation` if given) with `optimizer` (optim::adam,
/// optim::sgd or your own), which the caller owns so that its state can be checkpointed.
/// `on_batch`, if set, sees (and may rewrite) every batch before its step; the batch is a copy,
/// `train` is never changed.
template <density_model Model, class Optimizer>
  requires optim::optimizer_of<Optimizer, model_scalar_t<Model>>
training_summary fit(Model& model, Optimizer& optimizer, const dataset<model_scalar_t<Model>>& train,
                     const dataset<model_scalar_t<Model>>* validation, const trainer_options& o,
                     const batch_hook<model_scalar_t<Model>>& on_batch = {}) {
  using Scalar = model_scalar_t<Model>;
  train.validate("train::fit (training data)");
  if (validation) validation->validate("train::fit (validation data)");
  if (!o.baseline_rows.empty() && (!validation || static_cast<index_t>(o.baseline_rows.size()) != validation->rows())) {
    throw shape_error("train::fit: " + std::to_string(o.baseline_rows.size()) + " baseline rows for " +
                      std::to_string(validation ? validation->rows() : 0) + " validation rows");
  }
  detail::check_options(o);
  const learning_rate_schedule rate_at = make_schedule(o);
  parallel::single_process alone;
  parallel::process_group& group = o.processes ? *o.processes : alone;
  if (o.batch < group.size()) {
    throw value_error("train::fit: a batch of " + std::to_string(o.batch) + " cannot be shared by " +
                      std::to_string(group.size()) + " processes");
  }
  const nn::parameter_list<Scalar> params = model.parameters();
  agree_on_start(group, params,
                 {double(params.count()), double(optimizer.step_count()), double(o.iterations),
                  double(o.completed_iterations), double(o.batch), double(o.evaluate_every), double(o.check_every),
                  double(validation != nullptr)},
                 "parameter count, optimizer step, iterations, batch, evaluation or validation data");

  // Two streams: one draws the batches (and feeds the batch hook), the other the model's own
  // random numbers (Hutchinson probes). Worker threads take seeds from the second, so the batches,
  // and with them a deterministic model's training, do not depend on the number of threads.
  const detail::run_streams streams(o.seed, group.rank());
  const index_t my_rows = parallel::split_rows(o.batch, group.size())[static_cast<std::size_t>(group.rank())].rows;
  batch_source<Scalar> batches(train, std::min(my_rows, train.rows()), streams.batches);
  batches.skip_to(o.completed_iterations);
  gradient_step<Model, Optimizer> step(model, optimizer, {.clip = o.clip, .skip_nonfinite = o.skip_nonfinite, .threads = o.threads},
                                       group);
  evaluator<Scalar> selection({.every = o.evaluate_every, .patience = o.patience, .keep_best = o.keep_best}, o.iterations);
  if (o.selection && o.completed_iterations > 0) selection.resume(*o.selection, params.count());
  progress bar(group.rank() == 0 ? o.progress : progress_mode::quiet, o.out);
  // Each process scores its shard; every process sees the same mean.
  auto evaluate = [&](long it) {
    vector<double> row_nll(validation->rows());
    const index_t block = o.evaluation_rows > 0 ? o.evaluation_rows : std::max<index_t>(1, validation->rows());
    for (index_t begin = 0; begin < validation->rows(); begin += block) {
      const index_t rows = std::min(block, validation->rows() - begin);
      const dataset<Scalar> part = validation->rows_range(begin, rows);
      row_nll.segment(begin, rows) =
          -step.workers().log_prob(model, part.x, part.context()).template cast<double>().col(0);
    }
    const detail::validation_score score = detail::score_validation(group, o, row_nll);
    const bool improved = selection.record(it, score.selected, model.parameters());
    char line[160];
    std::snprintf(line, sizeof line, "iter %ld: validation nll %.4f%s", it, score.nll + o.shown_nll_offset,
                  improved ? " (best)" : "");
    bar.note(line);
  };
  if (validation && o.evaluate_at_start && o.completed_iterations == 0) evaluate(0);

  training_summary summary;
  summary.iterations = o.completed_iterations;
  double running = 0;
  long running_count = 0;
  for (long it = o.completed_iterations + 1; it <= o.iterations; ++it) {
    dataset<Scalar> b = batches.next();
    if (on_batch) {
      random_engine hook_rng(derived_seed(streams.hook, static_cast<std::uint64_t>(it)));
      on_batch(b, hook_rng);
      if (b.x.cols() != train.x.cols()) {
        throw shape_error("train::fit: the batch hook changed the width of x from " + std::to_string(train.x.cols()) +
                          " to " + std::to_string(b.x.cols()));
      }
      b.validate("train::fit (batch after the hook)");
    }
    random_engine model_rng(derived_seed(streams.model, static_cast<std::uint64_t>(it)));
    const step_outcome outcome = step(b, static_cast<Scalar>(rate_at(it - 1)), model_rng);
    summary.iterations = it;
    summary.mean_forward_evaluations += static_cast<double>(outcome.loss.forward_evaluations);
    summary.mean_backward_evaluations += static_cast<double>(outcome.loss.backward_evaluations);
    // A skipped step only leaves out its loss: evaluations, agreement checks, checkpoints and the
    // early stop still happen on schedule (the last evaluation above all).
    if (outcome.taken) {
      summary.last_loss = outcome.loss.loss;
      running += outcome.loss.loss;
      ++running_count;
    } else {
      ++summary.skipped_steps;
    }
    if (o.check_every > 0 && (it % o.check_every == 0 || it == o.iterations)) check_agreement(group, model.parameters(), it);

    progress_status status{it, o.iterations, running_count > 0 ? running / double(running_count) : summary.last_loss, "",
                           o.completed_iterations + 1};
    if (outcome.loss.forward_evaluations + outcome.loss.backward_evaluations > 0) {
      status.extra = "nfe " + std::to_string(outcome.loss.forward_evaluations) + "+" +
                     std::to_string(outcome.loss.backward_evaluations);
    }
    if (validation && selection.due(it)) evaluate(it);
    bar.update(status);
    if (o.on_checkpoint && o.checkpoint_every > 0 && it % o.checkpoint_every == 0 && it < o.iterations) {
      if (o.selection) *o.selection = selection.state();
      o.on_checkpoint(it);
    }
    if ((it % std::max(1L, o.iterations / 20)) == 0) running = 0, running_count = 0;
    if (selection.should_stop()) {
      summary.stopped_early = true;
      char line[160];  // the best NLL in the units the progress shows
      std::snprintf(line, sizeof line, "early stop at iteration %ld: no improvement in %ld evaluations (best %.4f at iteration %ld)",
                    it, o.patience, selection.best_nll() + o.shown_nll_offset, selection.best_iteration());
      bar.note(line);
      break;
    }
  }
  if (o.selection) *o.selection = selection.state();
  selection.restore_best(params);
  if (const long steps = summary.iterations - o.completed_iterations; steps > 0) {
    summary.mean_forward_evaluations /= static_cast<double>(steps);
    summary.mean_backward_evaluations /= static_cast<double>(steps);
  }
  summary.best_validation_nll = selection.best_nll();
  summary.best_iteration = selection.best_iteration();
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
