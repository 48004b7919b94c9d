// include/eigenflow/optim/sgd.hpp — stochastic gradient descent with (Nesterov) momentum and L2
// weight decay.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/optim/detail/checks.hpp"
#include "eigenflow/optim/optimizer_state.hpp"

namespace eigenflow::optim {

/// Hyperparameters of sgd. Nesterov momentum needs momentum > 0.
template <class Scalar>
struct sgd_options {
  /// Step size lr (> 0).
  Scalar learning_rate = Scalar(1e-2);
  /// Momentum mu, in [0, 1); 0 for plain SGD.
  Scalar momentum = 0;
  /// L2 weight-decay coefficient wd (≥ 0), added to the gradient as wd * p.
  Scalar weight_decay = 0;
  /// Use Nesterov momentum (needs momentum > 0).
  bool nesterov = false;
};

/// SGD in PyTorch's convention (no dampening). With g the gradient plus wd * p:
///   without momentum   p -= lr * g
///   with momentum mu   buf = mu * buf + g;  p -= lr * buf             (buf starts at zero)
///   Nesterov           buf = mu * buf + g;  p -= lr * (g + mu * buf)
///
/// The momentum buffers are created on the first step, one per parameter with its shape; every
/// later step must get a list of the same length and shapes (shape_error otherwise). Steps after
/// the first allocate nothing.
///
/// @tparam Scalar float or double.
///
/// @code
///   optim::sgd<double> opt({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
///   opt.step(params);
/// @endcode
template <class Scalar>
class sgd {
 public:
  /// The hyperparameters.
  using options_type = sgd_options<Scalar>;
  /// Names this optimizer in an exported state (optimizer_state::kind).
  static constexpr const char* kind = "sgd";

  /// Throws value_error naming the first option out of range.
  explicit sgd(const options_type& options = {}) : options_(options) {
    detail::require_positive_finite("sgd", "learning_rate", options.learning_rate);
    detail::require_decay_rate("sgd", "momentum", options.momentum);
    detail::require_nonnegative_finite("sgd", "weight_decay", options.weight_decay);
    if (options.nesterov && options.momentum == 0) {
      throw value_error("sgd: nesterov = true needs momentum > 0 (momentum = 0)");
    }
  }

  /// Updates every parameter's value from its gradient.
  void step(const nn::parameter_list<Scalar>& params) {
    detail::check_gradient_shapes("sgd::step", params);
    const bool with_momentum = options_.momentum > 0;
    if (with_momentum) {
      if (initialized_) {
        detail::check_state_shapes("sgd::step", params, momentum_buffer_);
      } else {
        initialize(params);
      }
    }
    ++step_;

    const Scalar lr = options_.learning_rate;
    const Scalar mu = options_.momentum;
    const Scalar wd = options_.weight_decay;
    for (std::size_t i = 0; i < params.size(); ++i) {
      auto p = params[i].value.array();
      const auto g = params[i].grad.array();
      // Element-wise expressions assigned in place: reading p(i) while writing p(i) is safe,
      // and nothing is allocated.
      if (!with_momentum) {
        p -= lr * (g + wd * p);
        continue;
      }
      auto buf = momentum_buffer_[i].array();
      buf = mu * buf + (g + wd * p);
      if (options_.nesterov) {
        p -= lr * ((g + wd * p) + mu * buf);
      } else {
        p -= lr * buf;
      }
    }
  }

  /// For schedules. Zero is accepted (a warm-up may start there); negative or non-finite is not.
  void set_learning_rate(Scalar learning_rate) {
    detail::require_nonnegative_finite("sgd::set_learning_rate", "learning_rate", learning_rate);
    options_.learning_rate = learning_rate;
  }

  /// The current learning rate.
  Scalar learning_rate() const { return options_.learning_rate; }
  /// The hyperparameters, with the current learning rate.
  const options_type& options() const { return options_; }
  /// Steps taken so far.
  std::int64_t step_count() const { return step_; }

  /// Step count and, with momentum, the buffers ("<parameter>/momentum_buffer").
  optimizer_state<Scalar> export_state() const {
    return detail::pack_state<Scalar>(kind, step_, names_, slots(momentum_buffer_));
  }

  /// Continues from an exported state, for these parameters. Throws value_error for another
  /// optimizer's state, other parameter names or non-finite buffers, shape_error for other
  /// shapes or another number of tensors (a state with buffers does not fit an sgd without
  /// momentum, nor the reverse); on a throw the optimizer is unchanged.
  void import_state(const optimizer_state<Scalar>& state,
                    const nn::parameter_list<Scalar>& params) {
    const bool sized = detail::unpack_state<Scalar>("sgd::import_state", kind, state, params,
                                                    slots(momentum_buffer_));
    initialized_ = sized && options_.momentum > 0;
    names_ = initialized_ ? detail::parameter_names(params) : std::vector<std::string>{};
    step_ = state.step;
  }

 private:
  // Momentum buffers exist only with momentum; without it the state is just the step count.
  // (Values is the buffer vector, const when exporting.)
  template <class Values>
  std::vector<detail::state_slot<Values>> slots(Values& buffers) const {
    if (options_.momentum > 0) return {{"momentum_buffer", &buffers}};
    return {};
  }

  void initialize(const nn::parameter_list<Scalar>& params) {
    momentum_buffer_.clear();
    for (const nn::parameter<Scalar>* p : params) {
      momentum_buffer_.push_back(matrix<Scalar>::Zero(p->value.rows(), p->value.cols()));
    }
    names_ = detail::parameter_names(params);
    initialized_ = true;
  }

  options_type options_;
  std::int64_t step_ = 0;
  bool initialized_ = false;
  std::vector<matrix<Scalar>> momentum_buffer_;
  std::vector<std::string> names_;  // to name the exported tensors
};

}  // namespace eigenflow::optim
