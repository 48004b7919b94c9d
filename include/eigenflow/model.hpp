// include/eigenflow/model.hpp — what a trainable density model is: the one concept that the
// trainer, the data-parallel step, the process group, checkpoints, the command line and the
// examples accept. flows::flow and continuous::cnf model it; so can a class of your own
// (docs/extending.md), with no library file touched.
#pragma once

#include <concepts>
#include <string>
#include <utility>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow {

/// What one gradient step reports for its batch (per-sample means).
struct step_loss {
  double loss = 0;     ///< what the gradient is of: nll + penalty
  double nll = 0;      ///< −mean log p(x | c) (with the model's training estimator, such as Hutchinson's trace)
  double penalty = 0;  ///< the model's weighted regularizers (0 for most models)
  index_t forward_evaluations = 0;   ///< continuous flows: ODE right-hand-side evaluations
  index_t backward_evaluations = 0;  ///< continuous flows: those of the gradient's solve
};

namespace detail {

template <class Model, class Scalar>
concept density_model_of =
    std::copy_constructible<Model> &&
    requires(Model& model, const Model& fixed, const matrix<Scalar>& x, const context<matrix<Scalar>>& c,
             const var<Scalar>& x_on_tape, const context<var<Scalar>>& c_on_tape, index_t n, random_engine& rng,
             tape<Scalar>& t) {
      { fixed.dim() } -> std::convertible_to<index_t>;
      { fixed.condition() } -> std::same_as<condition_spec>;
      { fixed.log_prob(x, c) } -> std::same_as<matrix<Scalar>>;
      { fixed.log_prob(x_on_tape, c_on_tape) } -> std::same_as<var<Scalar>>;
      { fixed.sample(n, rng, c) } -> std::same_as<matrix<Scalar>>;
      { fixed.sample_and_log_prob(n, rng, c) } -> std::same_as<std::pair<matrix<Scalar>, matrix<Scalar>>>;
      { model.parameters() } -> std::same_as<nn::parameter_list<Scalar>>;
      { fixed.parameters() } -> std::same_as<nn::const_parameter_list<Scalar>>;
      { fixed.describe() } -> std::convertible_to<std::string>;
      { model.accumulate_gradient(x, c, rng, t) } -> std::same_as<step_loss>;
    };

}  // namespace detail

/// A trainable density p(x | c) on R^dim() with Scalar = Model::scalar_type (float or double).
///
/// - `dim()`, `condition()`: the width of x and the context it needs (condition_spec).
/// - `log_prob(x, c)`: log p per row (batch×1) in nats, on plain matrices and on the tape (the
///   tape form records onto x's tape; parameter gradients accumulate into their `grad`).
/// - `sample(n, rng, c)`, `sample_and_log_prob(n, rng, c)`: n draws (c: none, or one label /
///   context row per draw), the second with their log-density.
/// - `parameters()`: every trainable parameter in a fixed order (a const model gives a read-only
///   view); the order and shapes are the model's identity in a checkpoint, together with describe().
/// - `describe()`: the architecture as text (two models that describe themselves alike can
///   exchange parameters).
/// - `accumulate_gradient(x, c, rng, t)`: adds ∂loss/∂θ of the batch to every parameter's `grad`
///   (the caller zeroes them before and steps an optimizer after) and returns the step_loss. It
///   may use the tape `t` (which it clears first) or its own machinery (an ODE adjoint), and
///   draws any randomness (probes, noise) from `rng` only, so that a seeded run repeats.
/// - Copies are independent models (worker threads train on copies and sum their gradients).
template <class Model>
concept density_model = requires { typename Model::scalar_type; } &&
                        detail::density_model_of<Model, typename Model::scalar_type>;

/// The Scalar of a density model.
template <density_model Model>
using model_scalar_t = typename Model::scalar_type;

/// accumulate_gradient for a model whose loss is its negative log-likelihood recorded on a tape:
/// −mean log p(x | c) on `t` (cleared first), then backward. flows::flow uses it; so can yours.
template <class Model, class Scalar>
step_loss record_nll_gradient(const Model& model, const matrix<Scalar>& x, const context<matrix<Scalar>>& c,
                              tape<Scalar>& t) {
  t.clear();
  context<var<Scalar>> on_tape;
  var<Scalar> features;
  on_tape.labels = c.labels;
  if (c.has_features()) {
    features = t.constant_view(*c.features);
    on_tape.features = &features;
  }
  const var<Scalar> loss = neg(mean(model.log_prob(t.constant_view(x), on_tape)));
  t.backward(loss);
  const double value = double(loss.item());
  return {.loss = value, .nll = value};
}

}  // namespace eigenflow
