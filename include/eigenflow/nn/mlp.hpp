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
  struct options {
    activation hidden_activation = activation::tanh;
    init weight_init = init::lecun_normal;
    init final_init = init::lecun_normal;  // zeros: the network starts as the zero map (+ bias)
  };

  mlp() = default;
  mlp(const std::string& name, const std::vector<index_t>& widths, random_engine& rng, options opts = {})
      : activation_(opts.hidden_activation) {
    if (widths.size() < 2) throw value_error(name + ": an MLP needs at least an input and an output width");
    for (std::size_t k = 0; k + 1 < widths.size(); ++k) {
      const bool last = k + 2 == widths.size();
      layers_.emplace_back(name + ".layers." + std::to_string(k), widths[k], widths[k + 1], rng,
                           typename linear<Scalar>::options{true, last ? opts.final_init : opts.weight_init});
    }
  }

  template <class Value>
  Value operator()(const Value& x) const {
    Value h = layers_.front()(x);
    for (std::size_t k = 1; k < layers_.size(); ++k) h = layers_[k](activate(h, activation_));
    return h;
  }

  index_t in_features() const { return layers_.front().in_features(); }
  index_t out_features() const { return layers_.back().out_features(); }
  activation hidden_activation() const { return activation_; }
  const std::vector<linear<Scalar>>& layers() const { return layers_; }
  std::vector<linear<Scalar>>& layers() { return layers_; }

  void collect_parameters(parameter_list<Scalar>& list) {
    for (auto& layer : layers_) layer.collect_parameters(list);
  }

 private:
  std::vector<linear<Scalar>> layers_;
  activation activation_ = activation::tanh;
};

}  // namespace eigenflow::nn
