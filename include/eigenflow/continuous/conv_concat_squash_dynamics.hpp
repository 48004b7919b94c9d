// include/eigenflow/continuous/conv_concat_squash_dynamics.hpp — FFJORD's ODE network for images:
// a stack of time-gated 3×3 convolutions (nn::conv_concat_squash) over image_shape.hpp's layout.
//
// Each image's pixels depend only on that image, so the per-sample trace of ∂f/∂z that a CNF takes
// from one batched tangent pass is exact, and conv2d's tangent mode makes Hutchinson's estimator
// exact-gradient. A context (class embedding and/or context features, as context_encoder encodes
// them) is projected to one value per channel of the first hidden layer and added at every pixel.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/image.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/continuous/dynamics.hpp"
#include "eigenflow/continuous/dynamics_options.hpp"
#include "eigenflow/image_shape.hpp"
#include "eigenflow/nn/conv_concat_squash.hpp"
#include "eigenflow/nn/linear.hpp"

namespace eigenflow::continuous {

/// f(z, t [, c]) = CSconv_L(… σ(CSconv_1(z, t) [+ context]) …, t) over images of shape `image`,
/// with channel counts {C, hidden..., C} (opts.hidden are channels here) and 3×3 kernels.
///
/// @tparam Scalar float or double. Satisfies dynamics<Scalar>.
///
/// @code
///   eigenflow::random_engine rng(1);
///   eigenflow::continuous::conv_concat_squash_dynamics<float> f({1, 14, 14}, rng, {.hidden = {32, 32}});
///   // f(z, t, {}) for z: batch × 196, t: 1x1
/// @endcode
template <class Scalar>
class conv_concat_squash_dynamics : public dynamics_base<conv_concat_squash_dynamics<Scalar>, Scalar> {
 public:
  /// f on images of shape `image`; its layers as `opts` says (widths are channels; checked:
  /// value_error otherwise); `name` prefixes the parameter names.
  conv_concat_squash_dynamics(const image_shape& image, random_engine& rng, dynamics_options opts = {},
                              std::string name = "dynamics")
      : input_(name, image.size(), opts, rng), image_(image), activation_(opts.hidden_activation) {
    image.validate(name.c_str());
    std::vector<index_t> channels = {image.channels};
    channels.insert(channels.end(), opts.hidden.begin(), opts.hidden.end());
    channels.push_back(image.channels);
    image_shape in = image;
    for (std::size_t k = 0; k + 1 < channels.size(); ++k) {
      const bool last = k + 2 == channels.size();
      layers_.emplace_back(name + ".layers." + std::to_string(k), in, channels[k + 1], 3, rng,
                           last && opts.zero_output);
      in = layers_.back().output_shape();
    }
    if (const index_t extra = input_.widths(0).front(); extra > 0) {
      context_ = nn::linear<Scalar>(name + ".context", extra, channels[1], rng, {.bias = false});
      first_hidden_channel_ = channel_of_columns(layers_.front().output_shape());
    }
  }

  /// z: batch × C·H·W, t: 1x1, c as condition() asks. Returns dz/dt, batch × C·H·W.
  template <class Value>
  Value apply(const Value& z, const Value& t, const context<Value>& c) const {
    input_.check(z, t, c);
    Value h = layers_.front()(z, t);
    if (context_) {
      // The context alone: the encoding appends it after z's columns.
      const Value encoded = slice(input_.encode(z, c), z.cols(), context_->in_features());
      h = add(h, gather_cols((*context_)(encoded), std::span<const index_t>(first_hidden_channel_)));
    }
    for (std::size_t k = 1; k < layers_.size(); ++k) h = layers_[k](activate(h, activation_), t);
    return h;
  }

  /// The images f acts on.
  const image_shape& image() const { return image_; }
  index_t dim() const override { return input_.dim(); }
  condition_spec condition() const override { return input_.options().condition; }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    input_.collect_parameters(list);
    if (context_) context_->collect_parameters(list);
    for (auto& layer : layers_) layer.collect_parameters(list);
  }
  std::string describe() const override {
    return input_.describe("conv_concat_squash_dynamics[" + image_.to_string() + ", 3x3]");
  }

 private:
  detail::network_input<Scalar> input_;
  image_shape image_;
  activation activation_ = activation::tanh;
  std::vector<nn::conv_concat_squash<Scalar>> layers_;
  std::optional<nn::linear<Scalar>> context_;
  std::vector<index_t> first_hidden_channel_;  // each first-hidden-layer column's channel
};

}  // namespace eigenflow::continuous
