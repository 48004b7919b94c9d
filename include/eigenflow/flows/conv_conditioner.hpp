// include/eigenflow/flows/conv_conditioner.hpp — a convolutional conditioner for couplings over
// images (RealNVP's and Glow's): conv3×3 → act → conv1×1 → act → conv3×3, optionally conditional.
//
// The coupling splits the channels (a block of columns in image_shape.hpp's layout), so the
// conditioning half is itself a batch of images; the output's first C_b channels are the raw
// scales of the C_b transformed channels and the next C_b their shifts, which is the column order
// an affine coupling reads ([ŝ | t], by_parameter). The last convolution starts at zero, so the
// coupling starts as the identity. A context (class embedding and context features, as
// context_encoder encodes them) is projected to one value per hidden channel and added to the
// first convolution's output at every pixel. A context *image* (super-resolution: the
// low-resolution picture) is instead seen pixel by pixel: brought to the conditioner's resolution
// (resampled_columns) and given to the first convolution as extra input channels.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/image.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/density/context_encoder.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/conditioner.hpp"
#include "eigenflow/image_shape.hpp"
#include "eigenflow/nn/conv2d.hpp"
#include "eigenflow/nn/linear.hpp"

namespace eigenflow::flows {

/// Settings of a conv_conditioner.
struct conv_conditioner_options {
  index_t width = 128;                       ///< hidden channels
  activation hidden_activation = activation::relu;  ///< after each hidden convolution
  condition_spec condition{};                ///< what the coupling is conditioned on
  index_t embedding_dim = 8;                 ///< class-embedding width, for condition.classes > 0
  /// When set, the context features are images of this shape (condition.features must be its
  /// size), seen as extra input channels of the first convolution.
  std::optional<image_shape> context_image{};
};

/// Images of C_a×H×W → conv3×3 (+ context) → act → conv1×1 → act → conv3×3 (zero at start) →
/// images of `out_channels`×H×W.
///
/// @tparam Scalar float or double.
template <class Scalar>
class conv_conditioner : public conditioner_base<conv_conditioner<Scalar>, Scalar> {
 public:
  /// Conditioning images of shape `in` to `out_channels` channels of the same size; `name`
  /// prefixes the parameter names. Throws value_error on a non-positive size.
  conv_conditioner(const std::string& name, const image_shape& in, index_t out_channels,
                   const conv_conditioner_options& opts, random_engine& rng)
      : name_(name),
        encoder_(name, opts.condition, opts.embedding_dim, rng),
        in_(in),
        activation_(opts.hidden_activation) {
    if (opts.width < 1) {
      throw value_error(name + ": conv_conditioner needs a positive width, got " + std::to_string(opts.width));
    }
    image_shape first_in = in;
    index_t vector_features = encoder_.extra_features();
    if (opts.context_image) {
      if (opts.condition.features != opts.context_image->size()) {
        throw value_error(name + ": a context image of " + opts.context_image->to_string() + " needs " +
                          std::to_string(opts.context_image->size()) + " context features, the condition has " +
                          std::to_string(opts.condition.features));
      }
      resampled_image seen = resampled_columns(*opts.context_image, in.height, in.width);
      first_in.channels += seen.shape.channels;
      context_image_columns_ = std::move(seen.columns);
      vector_features -= opts.condition.features;
    }
    // The activations run inside the convolutions' nodes, except where the context's values
    // are added between the first convolution and its activation.
    first_ = nn::conv2d<Scalar>(
        name + ".conv0", first_in, opts.width, 3, rng,
        {.output_activation = vector_features > 0 ? activation::identity : opts.hidden_activation});
    middle_ = nn::conv2d<Scalar>(name + ".conv1", first_.output_shape(), opts.width, 1, rng,
                                 {.output_activation = opts.hidden_activation});
    last_ = nn::conv2d<Scalar>(name + ".conv2", middle_.output_shape(), out_channels, 3, rng,
                               {.weight_init = nn::init::zeros});
    if (vector_features > 0) {
      context_ = nn::linear<Scalar>(name + ".context", vector_features, opts.width, rng, {.bias = false});
      hidden_channel_ = channel_of_columns(first_.output_shape());
    }
  }

  /// The network's output for conditioning images x_a (batch×C_a·H·W): batch×out_channels·H·W.
  template <class Value>
  Value apply(const Value& x_a, const context<Value>& c) const {
    Value h;
    if (context_image_columns_.empty()) {
      h = first_(x_a);
    } else {
      check_context(name_, encoder_.spec(), c, x_a.rows());
      h = first_(concat(x_a, gather_cols(*c.features, std::span<const index_t>(context_image_columns_))));
    }
    if (context_) {
      // The vector part of the context (the class embedding, and the features unless they are an
      // image): the encoder appends [embedding, features] after x_a's columns.
      const Value encoded = encoder_.encode(x_a, c);
      const Value per_channel = (*context_)(slice(encoded, in_.size(), context_->in_features()));
      h = activate(add(h, gather_cols(per_channel, std::span<const index_t>(hidden_channel_))), activation_);
    }
    return last_(middle_(h));
  }

  index_t in_features() const override { return in_.size(); }
  index_t out_features() const override { return last_.output_shape().size(); }
  condition_spec condition() const override { return encoder_.spec(); }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    encoder_.collect_parameters(list);
    if (context_) context_->collect_parameters(list);
    first_.collect_parameters(list);
    middle_.collect_parameters(list);
    last_.collect_parameters(list);
  }
  std::string describe() const override {
    return "conv(" + in_.to_string() + " -3x3-> " + std::to_string(first_.output_shape().channels) + " -1x1-> " +
           std::to_string(middle_.output_shape().channels) + " -3x3-> " + std::to_string(last_.output_shape().channels) +
           ", " + std::string(to_string(activation_)) + context_image_description() + ")";
  }

 private:
  std::string context_image_description() const {
    if (context_image_columns_.empty()) return "";
    return ", context image as " + std::to_string(first_.input_shape().channels - in_.channels) + " channels";
  }

  std::string name_;
  context_encoder<Scalar> encoder_;
  image_shape in_;
  activation activation_ = activation::relu;
  nn::conv2d<Scalar> first_, middle_, last_;
  std::optional<nn::linear<Scalar>> context_;
  std::vector<index_t> hidden_channel_;  // each hidden column's channel, for the context's values
  std::vector<index_t> context_image_columns_;  // the context image at this resolution, if any
};

}  // namespace eigenflow::flows
