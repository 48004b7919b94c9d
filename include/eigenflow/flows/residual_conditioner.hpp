// include/eigenflow/flows/residual_conditioner.hpp — a conditioner made of residual MLP blocks
// with a final projection, optionally conditional.
#pragma once

#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/flows/conditioner.hpp"
#include "eigenflow/flows/mlp_conditioner.hpp"
#include "eigenflow/nn/linear.hpp"

namespace eigenflow::flows {

/// h = W_in [x_a, context];  per block  h ← h + W₂ σ(W₁ σ(h));  out = W_out σ(h).
/// opts.hidden = {blocks, width} (for instance {2, 128}). W_out starts at zero (identity coupling).
template <class Scalar>
class residual_conditioner : public conditioner_base<residual_conditioner<Scalar>, Scalar> {
 public:
  /// `in` conditioning features to `out` outputs; opts.hidden must be {blocks, width}. `name`
  /// prefixes the parameter names.
  residual_conditioner(const std::string& name, index_t in, index_t out, const conditioner_options& opts,
                       random_engine& rng)
      : encoder_(name, opts.condition, opts.embedding_dim, rng), activation_(opts.hidden_activation), in_(in) {
    if (opts.hidden.size() != 2 || opts.hidden[0] < 1 || opts.hidden[1] < 1) {
      throw value_error(name + ": a residual conditioner takes hidden = {blocks, width}");
    }
    const index_t width = opts.hidden[1];
    input_ = nn::linear<Scalar>(name + ".input", in + encoder_.extra_features(), width, rng);
    for (index_t b = 0; b < opts.hidden[0]; ++b) {
      const std::string block = name + ".blocks." + std::to_string(b);
      first_.emplace_back(block + ".first", width, width, rng);
      second_.emplace_back(block + ".second", width, width, rng);
    }
    output_ = nn::linear<Scalar>(name + ".output", width, out, rng, {.weight_init = nn::init::zeros});
  }

  /// The network's output on [x_a, encoded context]: batch×out_features().
  template <class Value>
  Value apply(const Value& x_a, const context<Value>& c) const {
    Value h = input_(encoder_.encode(x_a, c));
    for (std::size_t b = 0; b < first_.size(); ++b) {
      h = add(h, second_[b](activate(first_[b](activate(h, activation_)), activation_)));
    }
    return output_(activate(h, activation_));
  }

  index_t in_features() const override { return in_; }
  index_t out_features() const override { return output_.out_features(); }
  condition_spec condition() const override { return encoder_.spec(); }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    encoder_.collect_parameters(list);
    input_.collect_parameters(list);
    for (std::size_t b = 0; b < first_.size(); ++b) {
      first_[b].collect_parameters(list);
      second_[b].collect_parameters(list);
    }
    output_.collect_parameters(list);
  }
  std::string describe() const override {
    return "residual(" + std::to_string(first_.size()) + " blocks x " + std::to_string(output_.in_features()) + ", " +
           std::string(to_string(activation_)) + ")";
  }

 private:
  context_encoder<Scalar> encoder_;
  nn::linear<Scalar> input_;
  std::vector<nn::linear<Scalar>> first_;
  std::vector<nn::linear<Scalar>> second_;
  nn::linear<Scalar> output_;
  activation activation_ = activation::tanh;
  index_t in_ = 0;
};

}  // namespace eigenflow::flows
