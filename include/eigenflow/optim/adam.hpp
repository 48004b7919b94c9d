// include/eigenflow/optim/adam.hpp — Adam with bias correction, and AdamW (decoupled weight
// decay).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/optim/detail/checks.hpp"
#include "eigenflow/optim/optimizer_state.hpp"

namespace eigenflow::optim {

/// Hyperparameters of adam (the defaults are those of Kingma & Ba and of PyTorch).
///
/// weight_decay is added to the gradient as an L2 term (g + wd * p) unless
/// decoupled_weight_decay is set, in which case it shrinks the parameters directly
/// (p -= lr * wd * p), outside the adaptive step: that is AdamW (Loshchilov & Hutter).
template <class Scalar>
struct adam_options {
  /// Step size lr (> 0).
  Scalar learning_rate = Scalar(1e-3);
  /// Decay of the running mean of the gradient, in [0, 1).
  Scalar beta1 = Scalar(0.9);
  /// Decay of the running mean of its square, in [0, 1).
  Scalar beta2 = Scalar(0.999);
  /// Added to the denominator for stability (> 0).
  Scalar epsilon = Scalar(1e-8);
  /// Weight-decay coefficient wd (≥ 0; 0 for none).
  Scalar weight_decay = 0;
  /// Apply weight_decay as AdamW does (shrink the parameters) rather than as an L2 gradient term.
  bool decoupled_weight_decay = false;
};

/// Adam: per-element steps scaled by bias-corrected running moments of the gradient.
///
/// At step t (counting from 1), with g the gradient (plus wd * p when the decay is not
/// decoupled):
///   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2,
///   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps),
/// and, with decoupled decay, first p -= lr * wd * p. This is PyTorch's Adam / AdamW arithmetic.
///
/// The moments are created on the first step, one pair per parameter with its shape; every later
/// step must get a list of the same length and shapes (shape_error otherwise). Steps after the
/// first allocate nothing.
///
/// @tparam Scalar float or double.
///
/// @code
///   optim::adam<double> opt({.learning_rate = 1e-3});
///   params.zero_grad();  /* forward, backward */  opt.step(params);
/// @endcode
template <class Scalar>
class adam {
 public:
  /// The hyperparameters.
  using options_type = adam_options<Scalar>;
  /// Names this optimizer in an exported state (optimizer_state::kind).
  static constexpr const char* kind = "adam";

  /// Throws value_error naming the first option out of range.
  explicit adam(const options_type& options = {}) : options_(options) {
    detail::require_positive_finite("adam", "learning_rate", options.learning_rate);
    detail::require_decay_rate("adam", "beta1", options.beta1);
    detail::require_decay_rate("adam", "beta2", options.beta2);
    detail::require_positive_finite("adam", "epsilon", options.epsilon);
    detail::require_nonnegative_finite("adam", "weight_decay", options.weight_decay);
  }

  /// Updates every parameter's value from its gradient.
  void step(const nn::parameter_list<Scalar>& params) {
    detail::check_gradient_shapes("adam::step", params);
    if (initialized_) {
      detail::check_state_shapes("adam::step", params, exp_avg_);
    } else {
      initialize(params);
    }
    ++step_;

    const Scalar lr = options_.learning_rate;
    const Scalar b1 = options_.beta1;
    const Scalar b2 = options_.beta2;
    const Scalar eps = options_.epsilon;
    const Scalar wd = options_.weight_decay;
    // In double: 1 - b^t cancels badly in float at the first steps, where it matters most.
    const double t = static_cast<double>(step_);
    const double correction1 = 1.0 - std::pow(static_cast<double>(b1), t);
    const double correction2 = 1.0 - std::pow(static_cast<double>(b2), t);
    const Scalar step_size = static_cast<Scalar>(static_cast<double>(lr) / correction1);
    const Scalar inv_sqrt_correction2 = static_cast<Scalar>(1.0 / std::sqrt(correction2));
    const bool l2 = wd > 0 && !options_.decoupled_weight_decay;
    const bool decoupled = wd > 0 && options_.decoupled_weight_decay;

    for (std::size_t i = 0; i < params.size(); ++i) {
      auto p = params[i].value.array();
      const auto g = params[i].grad.array();
      auto m = exp_avg_[i].array();
      auto v = exp_avg_sq_[i].array();
      // Element-wise expressions assigned in place: no temporaries, no allocation.
      if (l2) {
        m = b1 * m + (1 - b1) * (g + wd * p);
        v = b2 * v + (1 - b2) * (g + wd * p).square();
      } else {
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g.square();
      }
      if (decoupled) p *= 1 - lr * wd;
      p -= step_size * m / (v.sqrt() * inv_sqrt_correction2 + eps);
    }
  }

  /// For schedules. Zero is accepted (a warm-up may start there); negative or non-finite is not.
  void set_learning_rate(Scalar learning_rate) {
    detail::require_nonnegative_finite("adam::set_learning_rate", "learning_rate", learning_rate);
    options_.learning_rate = learning_rate;
  }

  /// The current learning rate.
  Scalar learning_rate() const { return options_.learning_rate; }
  /// The hyperparameters, with the current learning rate.
  const options_type& options() const { return options_; }
  /// Steps taken so far (the t of the bias correction of the last step).
  std::int64_t step_count() const { return step_; }

  /// Step count and moments ("<parameter>/exp_avg", "<parameter>/exp_avg_sq"), for a checkpoint.
  optimizer_state<Scalar> export_state() const {
    return detail::pack_state<Scalar>(kind, step_, names_,
                                      {{"exp_avg", &exp_avg_}, {"exp_avg_sq", &exp_avg_sq_}});
  }

  /// Continues from an exported state, for these parameters. Throws value_error for another
  /// optimizer's state, other parameter names or non-finite moments, shape_error for other
  /// shapes or another number of parameters; on a throw the optimizer is unchanged.
  void import_state(const optimizer_state<Scalar>& state,
                    const nn::parameter_list<Scalar>& params) {
    const bool sized =
        detail::unpack_state<Scalar>("adam::import_state", kind, state, params,
                                     {{"exp_avg", &exp_avg_}, {"exp_avg_sq", &exp_avg_sq_}});
    initialized_ = sized;
    names_ = sized ? detail::parameter_names(params) : std::vector<std::string>{};
    step_ = state.step;
  }

 private:
  void initialize(const nn::parameter_list<Scalar>& params) {
    exp_avg_.clear();
    exp_avg_sq_.clear();
    for (const nn::parameter<Scalar>* p : params) {
      exp_avg_.push_back(matrix<Scalar>::Zero(p->value.rows(), p->value.cols()));
      exp_avg_sq_.push_back(matrix<Scalar>::Zero(p->value.rows(), p->value.cols()));
    }
    names_ = detail::parameter_names(params);
    initialized_ = true;
  }

  options_type options_;
  std::int64_t step_ = 0;
  bool initialized_ = false;
  std::vector<matrix<Scalar>> exp_avg_;     // m: running mean of the gradient
  std::vector<matrix<Scalar>> exp_avg_sq_;  // v: running mean of its square
  std::vector<std::string> names_;          // to name the exported tensors
};

/// AdamW: adam with decoupled weight decay (default 1e-2, as PyTorch's AdamW).
///
/// @code
///   auto opt = optim::adamw<double>(1e-3);        // or adamw<float>(3e-4, 0.05)
/// @endcode
template <class Scalar>
adam<Scalar> adamw(Scalar learning_rate, Scalar weight_decay = Scalar(1e-2),
                   Scalar beta1 = Scalar(0.9), Scalar beta2 = Scalar(0.999),
                   Scalar epsilon = Scalar(1e-8)) {
  return adam<Scalar>(adam_options<Scalar>{learning_rate, beta1, beta2, epsilon, weight_decay,
                                           /*decoupled_weight_decay=*/true});
}

}  // namespace eigenflow::optim
