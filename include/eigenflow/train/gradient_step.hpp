// include/eigenflow/train/gradient_step.hpp — one optimizer step of any density model on one
// batch: the gradient (split across worker threads, averaged across processes), a guard against
// non-finite values, global-norm clipping, the learning rate of this step, the update.
#pragma once

#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/model.hpp"
#include "eigenflow/optim/clip.hpp"
#include "eigenflow/optim/finite_guard.hpp"
#include "eigenflow/optim/optimizer.hpp"
#include "eigenflow/parallel/process_group.hpp"
#include "eigenflow/random.hpp"
#include "eigenflow/train/data_parallel.hpp"
#include "eigenflow/train/dataset.hpp"
#include "eigenflow/train/process_agreement.hpp"

namespace eigenflow::train {

/// How a gradient_step computes and applies the gradient.
struct step_settings {
  double clip = 0;              ///< global gradient-norm bound; 0: no clipping
  bool skip_nonfinite = false;  ///< skip a step with a non-finite loss/gradient instead of throwing
  int threads = 1;              ///< worker threads splitting each batch (data_parallel)
};

/// What a step did.
struct step_outcome {
  step_loss loss;      ///< the batch's (over every process)
  bool taken = false;  ///< false: skipped for a non-finite loss or gradient
};

/// One optimizer step of a density model on one batch: gradient over threads and processes, a
/// guard against non-finite values, clipping, then the update.
///
/// @tparam Model a density_model.
/// @tparam Optimizer an optimizer of the model's parameters.
template <density_model Model, class Optimizer>
  requires optim::optimizer_of<Optimizer, model_scalar_t<Model>>
class gradient_step {
 public:
  /// The model's scalar type.
  using Scalar = model_scalar_t<Model>;

  /// Steps `model` (and its copies on the worker threads) with `optimizer`; both must outlive
  /// this. `group`: the processes training together (every one calls each step).
  gradient_step(Model& model, Optimizer& optimizer, const step_settings& settings, parallel::process_group& group)
      : model_(model),
        optimizer_(optimizer),
        settings_(settings),
        group_(group),
        params_(model.parameters()),
        workers_(model, settings.threads),
        guard_(settings.skip_nonfinite ? optim::finite_guard::policy::skip : optim::finite_guard::policy::throw_error) {
    if (!(settings.clip >= 0)) throw value_error("train: clip must be non-negative, got " + std::to_string(settings.clip));
  }

  /// One step on `batch` at learning rate `rate`; the model's own random draws come from `rng`.
  step_outcome operator()(const dataset<Scalar>& batch, Scalar rate, random_engine& rng) {
    params_.zero_grad();
    step_outcome out;
    out.loss = workers_.accumulate_gradient(model_, batch, rng);
    out.loss = average_over_processes(group_, params_, out.loss, batch.rows(), reduce_buffer_);
    if (!guard_.check(out.loss.loss, params_)) return out;
    if (settings_.clip > 0) optim::clip_grad_norm(params_, static_cast<Scalar>(settings_.clip));
    optimizer_.set_learning_rate(rate);
    optimizer_.step(params_);
    out.taken = true;
    return out;
  }

  /// The worker threads (for evaluating the model with the same split).
  data_parallel<Model>& workers() { return workers_; }

 private:
  Model& model_;
  Optimizer& optimizer_;
  step_settings settings_;
  parallel::process_group& group_;
  nn::parameter_list<Scalar> params_;
  data_parallel<Model> workers_;
  optim::finite_guard guard_;
  vector<Scalar> reduce_buffer_;
};

}  // namespace eigenflow::train
