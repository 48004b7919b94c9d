// include/eigenflow/train/trainer.hpp — maximum-likelihood training of any eigenflow model on a
// data set: shuffled mini-batches, Adam/AdamW with gradient clipping and a schedule, a NaN guard,
// periodic evaluation on held-out data, the best model kept, early stopping, progress.
//
// Models plug in through accumulate_nll_gradient overloads (one per model family: the coupling
// flow records its loss on a tape, the continuous flow runs its adjoint or backprop solve); the
// loop itself never knows which it trains.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <type_traits>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/continuous/cnf.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/flow.hpp"
#include "eigenflow/optim/adam.hpp"
#include "eigenflow/optim/clip.hpp"
#include "eigenflow/optim/finite_guard.hpp"
#include "eigenflow/optim/schedule.hpp"
#include "eigenflow/random.hpp"
#include "eigenflow/train/progress.hpp"

namespace eigenflow::train {

/// Rows of data with their optional context (class labels, context matrix).
template <class Scalar>
struct dataset {
  matrix<Scalar> x;
  std::vector<index_t> labels{};  // empty, or one per row
  matrix<Scalar> features{};      // 0 columns, or one row per row of x

  index_t rows() const { return x.rows(); }
  bool has_labels() const { return !labels.empty(); }
  bool has_features() const { return features.cols() > 0; }

  /// The context of all rows (pointing into this data set).
  flows::context<matrix<Scalar>> context() const {
    flows::context<matrix<Scalar>> c;
    if (has_labels()) c.labels = labels;
    if (has_features()) c.features = &features;
    return c;
  }

  /// The rows listed in `rows`, with their context.
  dataset subset(const std::vector<index_t>& rows) const {
    dataset out;
    out.x.resize(static_cast<index_t>(rows.size()), x.cols());
    if (has_features()) out.features.resize(static_cast<index_t>(rows.size()), features.cols());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      out.x.row(static_cast<index_t>(k)) = x.row(rows[k]);
      if (has_labels()) out.labels.push_back(labels[static_cast<std::size_t>(rows[k])]);
      if (has_features()) out.features.row(static_cast<index_t>(k)) = features.row(rows[k]);
    }
    return out;
  }

  /// Throws unless labels and features match the rows of x and x is finite.
  void validate(const std::string& who) const {
    if (x.rows() < 1) throw value_error(who + ": the data set is empty");
    if (!x.allFinite()) throw value_error(who + ": the data contain non-finite values");
    if (has_labels() && static_cast<index_t>(labels.size()) != x.rows()) {
      throw shape_error(who + ": " + std::to_string(labels.size()) + " labels for " + std::to_string(x.rows()) + " rows");
    }
    if (has_features() && features.rows() != x.rows()) {
      throw shape_error(who + ": " + std::to_string(features.rows()) + " context rows for " + std::to_string(x.rows()) + " rows");
    }
  }
};

/// What one gradient step reports.
struct step_result {
  double loss = 0;
  index_t forward_evaluations = 0;   // continuous flows: ODE right-hand-side evaluations
  index_t backward_evaluations = 0;
};

/// A coupling (or any discrete) flow: −mean log p(x | c) recorded on the tape, then backward.
template <class Scalar>
step_result accumulate_nll_gradient(flows::flow<Scalar>& model, tape<Scalar>& t, const dataset<Scalar>& batch, random_engine&) {
  t.clear();
  flows::context<var<Scalar>> c;
  var<Scalar> features;
  if (batch.has_labels()) c.labels = batch.labels;
  if (batch.has_features()) {
    features = t.constant_view(batch.features);
    c.features = &features;
  }
  const var<Scalar> loss = neg(mean(model.log_prob(t.constant_view(batch.x), c)));
  t.backward(loss);
  return {double(loss.item()), 0, 0};
}

/// A continuous flow (CNF / FFJORD): its own adjoint or backprop solve, regularizers included.
template <class Scalar>
step_result accumulate_nll_gradient(continuous::cnf<Scalar>& model, tape<Scalar>&, const dataset<Scalar>& batch, random_engine& rng) {
  const continuous::training_loss l = model.accumulate_gradient(batch.x, rng, batch.context());
  return {l.loss, l.forward_evaluations, l.backward_evaluations};
}

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

/// Held-out −mean log p(x | c), in the model's units.
template <class Scalar, class Model>
double validation_nll(const Model& model, const dataset<Scalar>& data) {
  return -model.log_prob(data.x, data.context()).template cast<double>().mean();
}

/// Trains `model` on `train` (evaluating on `validation` if given) with `optimizer`, which the
/// caller owns so that its state can be checkpointed.
template <class Scalar, class Model>
training_summary fit(Model& model, optim::adam<Scalar>& optimizer, const dataset<Scalar>& train,
                     const dataset<std::type_identity_t<Scalar>>* validation, const trainer_options& o) {
  train.validate("train::fit (training data)");
  if (validation) validation->validate("train::fit (validation data)");
  if (o.iterations < 1) throw value_error("train::fit: iterations must be positive");
  if (o.batch < 1) throw value_error("train::fit: batch must be positive");
  if (!(o.clip >= 0)) throw value_error("train::fit: clip must be non-negative");
  const nn::parameter_list<Scalar> params = model.parameters();
  const index_t batch = std::min(o.batch, train.rows());
  const optim::warmup_cosine_schedule<Scalar> cosine(static_cast<Scalar>(o.learning_rate), o.warmup, o.iterations,
                                                     static_cast<Scalar>(o.learning_rate) * Scalar(0.01));
  optim::finite_guard guard(o.skip_nonfinite ? optim::finite_guard::policy::skip : optim::finite_guard::policy::throw_error);
  progress bar(o.progress, o.out);
  random_engine rng(o.seed);
  tape<Scalar> t;

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
    const dataset<Scalar> b = train.subset(rows);
    params.zero_grad();
    const step_result step = accumulate_nll_gradient(model, t, b, rng);
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
      const double nll = validation_nll<Scalar>(model, *validation);
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
