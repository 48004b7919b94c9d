// include/eigenflow/train/gradient_step.hpp — one gradient of the negative log-likelihood of a
// batch, for each model family: the coupling flow records its loss on a tape, the continuous flow
// runs its adjoint or backprop solve. The trainer and the data-parallel step call only this.
#pragma once

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/continuous/cnf.hpp"
#include "eigenflow/flows/flow.hpp"
#include "eigenflow/random.hpp"
#include "eigenflow/train/dataset.hpp"

namespace eigenflow::train {

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

}  // namespace eigenflow::train
