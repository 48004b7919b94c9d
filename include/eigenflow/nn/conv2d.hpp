// include/eigenflow/nn/conv2d.hpp — a 2-D convolution layer over batches of images (the layout of
// image_shape.hpp): stride 1, zero "same" padding, odd kernel, optional bias.
#pragma once

#include <string>

#include "eigenflow/autodiff/ops/conv.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/image_shape.hpp"
#include "eigenflow/nn/init.hpp"
#include "eigenflow/nn/module.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::nn {

/// Convolution layer: images of C×H×W in, C_out×H×W out, weight C_out×(C·k·k) (column
/// (c·k + ky)·k + kx, as PyTorch's weight.view(C_out, −1)) and bias 1×C_out.
///
/// @tparam Scalar float or double.
///
/// @code
///   eigenflow::random_engine rng(1);
///   eigenflow::nn::conv2d<float> conv("c0", {1, 28, 28}, 16, 3, rng);  // 1 → 16 channels, 3×3
///   auto y = conv(x);  // x: batch × 784, y: batch × (16·784)
/// @endcode
template <class Scalar>
class conv2d : public module_base<conv2d<Scalar>, Scalar> {
 public:
  /// Construction settings for conv2d.
  struct options {
    /// Whether the layer has the bias b (zero-initialized).
    bool bias = true;
    /// How the weight is drawn (fan-in C·k·k); init::zeros for a layer that starts at zero.
    init weight_init = init::lecun_normal;
    /// An activation f applied to the output, y = f(conv(x) + b): with a bias, in the
    /// convolution's own tape node (activated_conv2d), which saves a node's memory traffic.
    activation output_activation = activation::identity;
  };

  conv2d() = default;
  /// A layer from images of shape `in` to `out_channels` channels with a kernel×kernel kernel
  /// (odd); parameters name + ".weight" and name + ".bias". Throws value_error on a bad size.
  conv2d(const std::string& name, const image_shape& in, index_t out_channels, index_t kernel, random_engine& rng,
         options opts = {})
      : name_(name), in_(in), has_bias_(opts.bias), activation_(opts.output_activation) {
    if (in.channels < 1 || in.height < 1 || in.width < 1 || out_channels < 1 || kernel < 1 || kernel % 2 == 0) {
      throw value_error(name + ": conv2d needs positive image sizes and channels and an odd kernel, got images of " +
                        in.to_string() + ", " + std::to_string(out_channels) + " output channels, kernel " +
                        std::to_string(kernel));
    }
    weight_ = parameter<Scalar>(name + ".weight",
                                initial_weight<Scalar>(out_channels, in.channels * kernel * kernel, opts.weight_init, rng));
    if (has_bias_) bias_ = parameter<Scalar>(name + ".bias", matrix<Scalar>::Zero(1, out_channels));
  }

  /// The convolution of x (batch × C·H·W, any value type), through the output activation:
  /// batch × C_out·H·W.
  template <class Value>
  Value operator()(const Value& x) const {
    eigenflow::detail::check_width(name_, x, in_.size(), "input columns");
    if (has_bias_) return eigenflow::activated_conv2d(x, lift(weight_, x), lift(bias_, x), in_, activation_);
    return activate(eigenflow::conv2d(x, lift(weight_, x), in_), activation_);
  }

  /// The name given at construction (the prefix of the parameter names).
  const std::string& name() const { return name_; }
  /// The input images' shape.
  const image_shape& input_shape() const { return in_; }
  /// The output images' shape: C_out×H×W.
  image_shape output_shape() const { return {weight_.value.rows(), in_.height, in_.width}; }

  /// The weight, C_out×(C·k·k).
  parameter<Scalar>& weight() { return weight_; }
  /// The bias, 1×C_out (empty when the layer has none).
  parameter<Scalar>& bias() { return bias_; }
  /// The weight, C_out×(C·k·k).
  const parameter<Scalar>& weight() const { return weight_; }
  /// The bias, 1×C_out (empty when the layer has none).
  const parameter<Scalar>& bias() const { return bias_; }

  /// Appends the weight and then the bias (if the layer has one).
  void collect_parameters(parameter_list<Scalar>& list) {
    list.push_back(weight_);
    if (has_bias_) list.push_back(bias_);
  }

 private:
  std::string name_;
  image_shape in_;
  parameter<Scalar> weight_;
  parameter<Scalar> bias_;
  bool has_bias_ = true;
  activation activation_ = activation::identity;
};

}  // namespace eigenflow::nn
