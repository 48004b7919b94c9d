// include/eigenflow/flows/made.hpp — MADE (Germain et al. 2015), the masked MLP whose outputs
// for feature i depend only on the features before i in an order: the network inside MAF, IAF
// and autoregressive spline flows. Optionally with residual blocks (as nflows' ResidualMADE), and
// conditional on a class and/or context features, which reach every hidden unit unmasked.
//
// Degrees: the k-th feature of the order has degree k (1..D); the context columns degree 0. Each
// hidden unit gets a degree in [m, D − 1], m = 0 with a context and 1 without; a weight from a
// unit of degree a into a hidden unit of degree b is kept iff b ≥ a, into an output of feature
// degree b iff b > a. So an output of the feature of degree d sees exactly the features of degree
// < d. Hidden units of degree 0 see only the context: through them the first feature's outputs
// depend on the context too (a MADE whose hidden degrees start at 1 would leave the first
// feature unconditional). Without a context the first feature's outputs are biases.
#pragma once

#include <algorithm>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/matmul.hpp"
#include "eigenflow/autodiff/value_traits.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/density/context_encoder.hpp"
#include "eigenflow/enum_names.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/bijector.hpp"
#include "eigenflow/nn/init.hpp"
#include "eigenflow/nn/linear.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::flows {

/// The order in which MADE sees the features, and how hidden degrees are drawn.
enum class made_order {
  natural,  ///< features 0, 1, ..., D−1; hidden degrees cycle through 1..D−1
  random    ///< a seeded shuffle of the features; hidden degrees drawn uniformly
};

/// The names written in options and descriptions.
inline constexpr auto made_order_names =
    std::to_array<enum_name<made_order>>({{made_order::natural, "natural"}, {made_order::random, "random"}});

/// The settings of a MADE network.
struct made_options {
  /// Hidden widths. Residual: {blocks, width}, as the residual conditioner takes them.
  std::vector<index_t> hidden = {64, 64};
  activation hidden_activation = activation::relu;  ///< between the masked layers
  made_order order = made_order::natural;           ///< the features' order and the hidden degrees
  bool residual = false;       ///< residual blocks of two masked layers each (nflows' ResidualMADE)
  condition_spec condition{};  ///< class ids and/or context features, fed to every first-layer unit
  index_t embedding_dim = 8;   ///< class-embedding width, for condition.classes > 0
};

/// MADE: x (batch × D) [+ context] → batch × (D·P), P outputs per feature laid out as `layout`
/// says (by_feature: columns [j·P, (j+1)·P) are feature j's); feature j's outputs depend only on
/// the features before j in order() and on the context. The last layer starts at zero (a flow
/// built on it starts as the identity).
/// @tparam Scalar float or double.
template <class Scalar>
class made {
 public:
  /// `features` D ≥ 1 inputs, `outputs_per_feature` P ≥ 1; `name` prefixes the parameter names.
  /// @throws value_error for sizes that are not positive (or residual widths that differ).
  made(const std::string& name, index_t features, index_t outputs_per_feature, const made_options& options,
       random_engine& rng, parameter_layout layout = parameter_layout::by_feature)
      : name_(name),
        encoder_(name, options.condition, options.embedding_dim, rng),
        features_(features),
        per_feature_(outputs_per_feature),
        activation_(options.hidden_activation),
        residual_(options.residual),
        order_kind_(options.order) {
    if (features < 1 || outputs_per_feature < 1) {
      throw value_error(name + ": MADE needs at least one feature and one output per feature");
    }
    std::vector<index_t> widths = options.hidden;
    if (residual_) {
      if (widths.size() != 2 || widths[0] < 1 || widths[1] < 1) {
        throw value_error(name + ": a residual MADE takes hidden = {blocks, width}");
      }
      widths.assign(static_cast<std::size_t>(2 * widths[0] + 1), widths[1]);  // input layer + 2 per block
    }
    if (widths.empty() || std::any_of(widths.begin(), widths.end(), [](index_t w) { return w < 1; })) {
      throw value_error(name + ": MADE needs at least one hidden layer, each of positive width");
    }
    order_.resize(static_cast<std::size_t>(features));
    std::iota(order_.begin(), order_.end(), index_t{0});
    if (order_kind_ == made_order::random) shuffle(order_, rng);

    // Degrees of the input columns: the features by their place in the order, the context 0.
    std::vector<index_t> in_degrees(static_cast<std::size_t>(features + encoder_.extra_features()), 0);
    for (index_t k = 0; k < features; ++k) in_degrees[static_cast<std::size_t>(order_[static_cast<std::size_t>(k)])] = k + 1;
    std::vector<index_t> degrees = in_degrees;
    const index_t low = encoder_.extra_features() > 0 ? 0 : 1;
    const index_t top = std::max<index_t>(features - 1, low);
    std::vector<index_t> hidden_degrees;
    for (std::size_t l = 0; l < widths.size(); ++l) {
      // A residual MADE keeps one set of hidden degrees, so that a block's input and output align.
      if (!residual_ || l == 0) hidden_degrees = draw_hidden_degrees(widths[l], low, top, rng);
      add_layer(name + ".layers." + std::to_string(l), degrees, hidden_degrees, false, rng);
      degrees = hidden_degrees;
    }
    std::vector<index_t> out_degrees(static_cast<std::size_t>(features * per_feature_));
    for (index_t col = 0; col < features * per_feature_; ++col) {
      const index_t j = value_of_parameter(layout, col, features, per_feature_);
      out_degrees[static_cast<std::size_t>(col)] = in_degrees[static_cast<std::size_t>(j)];
    }
    add_layer(name + ".output", degrees, out_degrees, true, rng);
  }

  /// The outputs for x (batch × D) and its context: batch × (D·P), feature by feature.
  template <class Value>
  Value operator()(const Value& x, const context<Value>& c) const {
    detail::check_width(name_, x, features_, "features");
    const std::size_t hidden = layers_.size() - 1;
    Value h = masked(0, encoder_.encode(x, c));
    if (!residual_) {
      for (std::size_t l = 1; l < hidden; ++l) h = masked(l, activate(h, activation_));
    } else {
      // As the residual conditioner: h ← h + W₂ σ(W₁ σ(h)) per block.
      for (std::size_t l = 1; l + 1 < hidden; l += 2) {
        h = add(h, masked(l + 1, activate(masked(l, activate(h, activation_)), activation_)));
      }
    }
    return masked(hidden, activate(h, activation_));
  }

  /// order()[k]: the feature that comes k-th (its outputs see order()[0..k−1]).
  const std::vector<index_t>& order() const { return order_; }
  /// D, the number of features.
  index_t features() const { return features_; }
  /// P, the outputs per feature.
  index_t outputs_per_feature() const { return per_feature_; }
  /// The context the network needs.
  condition_spec condition() const { return encoder_.spec(); }
  /// Appends the class embedding (if any) and each layer's weight and bias, in order.
  void collect_parameters(nn::parameter_list<Scalar>& list) {
    encoder_.collect_parameters(list);
    for (auto& layer : layers_) layer.collect_parameters(list);
  }
  /// The trainable parameters, in the order collect_parameters() appends them.
  nn::parameter_list<Scalar> parameters() { return nn::parameters_of<Scalar>(*this); }
  /// "made(D=…, P=…, widths or blocks, activation, order[, residual])".
  std::string describe() const {
    std::string widths;
    if (residual_) {
      widths = std::to_string((layers_.size() - 2) / 2) + " blocks x " + std::to_string(layers_[0].out_features());
    } else {
      for (std::size_t l = 0; l + 1 < layers_.size(); ++l) widths += (l > 0 ? "-" : "") + std::to_string(layers_[l].out_features());
    }
    return "made(D=" + std::to_string(features_) + ", P=" + std::to_string(per_feature_) + ", " + widths + ", " +
           std::string(to_string(activation_)) + ", " + std::string(name_of(made_order_names, order_kind_)) +
           (residual_ ? ", residual" : "") + ")";
  }
  /// The 0/1 mask of layer l (out × in); the last layer is the output layer.
  const matrix<Scalar>& mask(std::size_t l) const { return masks_.at(l); }
  /// Number of masked layers, the output layer included.
  std::size_t layer_count() const { return layers_.size(); }

 private:
  // natural: degrees cycle low..top (every degree present when the layer is wide enough); random:
  // uniform in [low, top], as in the MADE paper.
  std::vector<index_t> draw_hidden_degrees(index_t width, index_t low, index_t top, random_engine& rng) const {
    std::vector<index_t> d(static_cast<std::size_t>(width));
    const index_t span = top - low + 1;
    for (index_t k = 0; k < width; ++k) {
      d[static_cast<std::size_t>(k)] =
          low + (order_kind_ == made_order::natural ? k % span
                                                    : static_cast<index_t>(uniform_below(static_cast<std::uint64_t>(span), rng)));
    }
    return d;
  }

  void add_layer(const std::string& name, const std::vector<index_t>& in, const std::vector<index_t>& out, bool output,
                 random_engine& rng) {
    const auto n_in = static_cast<index_t>(in.size()), n_out = static_cast<index_t>(out.size());
    layers_.emplace_back(name, n_in, n_out, rng,
                         typename nn::linear<Scalar>::options{.weight_init = output ? nn::init::zeros : nn::init::lecun_normal});
    matrix<Scalar> m(n_out, n_in);
    for (index_t i = 0; i < n_in; ++i) {
      for (index_t o = 0; o < n_out; ++o) {
        const index_t a = in[static_cast<std::size_t>(i)], b = out[static_cast<std::size_t>(o)];
        m(o, i) = (output ? b > a : b >= a) ? Scalar(1) : Scalar(0);
      }
    }
    layers_.back().weight().value.array() *= m.array();  // masked entries start (and stay) at zero
    masks_.push_back(std::move(m));
  }

  // Layer l with its mask applied to the weight: x (W ⊙ M)ᵀ + b.
  template <class Value>
  Value masked(std::size_t l, const Value& x) const {
    const nn::linear<Scalar>& layer = layers_[l];
    const Value w = mul(nn::lift(layer.weight(), x), lift_constant(masks_[l], x));
    return eigenflow::linear(x, w, nn::lift(layer.bias(), x));
  }

  std::string name_;
  context_encoder<Scalar> encoder_;
  index_t features_;
  index_t per_feature_;
  activation activation_;
  bool residual_;
  made_order order_kind_;
  std::vector<index_t> order_;
  std::vector<nn::linear<Scalar>> layers_;
  std::vector<matrix<Scalar>> masks_;
};

}  // namespace eigenflow::flows
