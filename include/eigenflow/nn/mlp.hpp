// include/eigenflow/nn/mlp.hpp — a multilayer perceptron: linear layers with an activation
// between them (none after the last).
#pragma once

#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/nn/linear.hpp"
#include "eigenflow/nn/module.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::nn {

/// MLP with layer widths {in, hidden..., out}.
///
/// @tparam Scalar float or double.
///
/// @code
///   eigenflow::nn::mlp<float> net("net", {2, 64, 64, 2}, rng, {.hidden_activation = eigenflow::activation::tanh});
///   auto y = net(x);   // x: batch × 2, any value type
/// @endcode
template <class Scalar>
class mlp : public module_base<mlp<Scalar>, Scalar> {
 public:
  /// Construction settings for mlp.
  struct options {
    /// Applied after every layer but the last.
    activation hidden_activation = activation::tanh;
    /// How the weights of all layers but the last are drawn.
    init weight_init = init::lecun_normal;
    /// How the last layer's weights are drawn.
    init final_init = init::lecun_normal;  // zeros: the network starts as the zero map (+ bias)
  };

  mlp() = default;
  /// Layers name.layers.0, name.layers.1, ... between consecutive widths, all with biases. Throws
  /// value_error for fewer than two widths.
  mlp(const std::string& name, const std::vector<index_t>& widths, random_engine& rng, options opts = {})
      : activation_(opts.hidden_activation) {
    if (widths.size() < 2) throw value_error(name + ": an MLP needs at least an input and an output width");
    for (std::size_t k = 0; k + 1 < widths.size(); ++k) {
      const bool last = k + 2 == widths.size();
      layers_.emplace_back(name + ".layers." + std::to_string(k), widths[k], widths[k + 1], rng,
                           typename linear<Scalar>::options{true, last ? opts.final_init : opts.weight_init});
    }
  }

  /// The network applied to x (batch × in_features(), any value type): batch × out_features().
  template <class Value>
  Value operator()(const Value& x) const {
    Value h = layers_.front()(x);
    for (std::size_t k = 1; k < layers_.size(); ++k) h = layers_[k](activate(h, activation_));
    return h;
  }

  /// Width of the input (the first width).
  index_t in_features() const { return layers_.front().in_features(); }
  /// Width of the output (the last width).
  index_t out_features() const { return layers_.back().out_features(); }
  /// The activation between layers.
  activation hidden_activation() const { return activation_; }
  /// The linear layers, input first.
  const std::vector<linear<Scalar>>& layers() const { return layers_; }
  /// The linear layers, input first.
  std::vector<linear<Scalar>>& layers() { return layers_; }

  /// Appends every layer's parameters, input layer first.
  void collect_parameters(parameter_list<Scalar>& list) {
    for (auto& layer : layers_) layer.collect_parameters(list);
  }

 private:
  std::vector<linear<Scalar>> layers_;
  activation activation_ = activation::tanh;
};

}  // namespace eigenflow::nn
