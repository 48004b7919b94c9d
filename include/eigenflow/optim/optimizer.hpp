// include/eigenflow/optim/optimizer.hpp — what the trainer needs of an optimizer (optim::adam and
// optim::sgd model it; so can your own): a step over a parameter list, a learning rate that the
// trainer's schedule sets before every step, a step count, and a state that a checkpoint keeps.
#pragma once

#include <concepts>
#include <cstdint>

#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/optim/optimizer_state.hpp"

namespace eigenflow::optim {

/// An optimizer of Scalar parameters.
template <class Optimizer, class Scalar>
concept optimizer_of = requires(Optimizer& opt, const Optimizer& fixed, const nn::parameter_list<Scalar>& params,
                                Scalar rate, const optimizer_state<Scalar>& state) {
  opt.step(params);  // θ ← θ − update(θ.grad)
  opt.set_learning_rate(rate);
  { fixed.learning_rate() } -> std::convertible_to<Scalar>;
  { fixed.step_count() } -> std::convertible_to<std::int64_t>;
  { fixed.export_state() } -> std::same_as<optimizer_state<Scalar>>;
  opt.import_state(state, params);
};

}  // namespace eigenflow::optim
