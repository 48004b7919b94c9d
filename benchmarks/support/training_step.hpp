// benchmarks/support/training_step.hpp — one training step of a flow as the step benchmarks time
// it: zero the gradients, the batch's mean NLL and its gradient (on the calling thread, or split
// over threads by train::data_parallel), then Adam.
#pragma once

#include <memory>

#include "eigenflow/eigenflow.hpp"

namespace bench {

/// Steps of `model` on the fixed batch `data`; threads > 1 splits each over that many threads.
template <class Model>
class training_step {
 public:
  training_step(Model& model, const eigenflow::train::dataset<float>& data, int threads, float learning_rate = 1e-4f)
      : model_(model), params_(model.parameters()), data_(data), adam_({.learning_rate = learning_rate}) {
    if (threads > 1) workers_ = std::make_unique<eigenflow::train::data_parallel<Model>>(model, threads);
  }

  /// One step; returns its loss.
  double operator()() {
    params_.zero_grad();
    const eigenflow::step_loss r = workers_ ? workers_->accumulate_gradient(model_, data_, rng_)
                                            : model_.accumulate_gradient(data_.x, data_.context(), rng_, tape_);
    adam_.step(params_);
    return r.loss;
  }

 private:
  Model& model_;
  const eigenflow::nn::parameter_list<float> params_;  // listed once: a step allocates nothing of its own
  const eigenflow::train::dataset<float>& data_;
  eigenflow::optim::adam<float> adam_;
  std::unique_ptr<eigenflow::train::data_parallel<Model>> workers_;
  eigenflow::tape<float> tape_;
  eigenflow::random_engine rng_{5};
};

}  // namespace bench
