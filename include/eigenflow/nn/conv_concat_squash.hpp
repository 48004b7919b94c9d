// include/eigenflow/nn/conv_concat_squash.hpp — FFJORD's time-gated convolution, the image form of
// concat_squash.hpp.
//
// h = conv(x) ⊙ σ(t w_g + b_g) + t w_b, with one gate and one shift per output channel, the same
// at every pixel (FFJORD's ConcatSquashConv2d). t is 1x1 (one time for the batch) or batch × 1.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/image.hpp"
#include "eigenflow/image_shape.hpp"
#include "eigenflow/nn/concat_squash.hpp"
#include "eigenflow/nn/conv2d.hpp"
#include "eigenflow/nn/module.hpp"

namespace eigenflow::nn {

/// ConcatSquash convolution over batches of images (image_shape.hpp's layout).
///
/// @tparam Scalar float or double.
template <class Scalar>
class conv_concat_squash : public module_base<conv_concat_squash<Scalar>, Scalar> {
 public:
  conv_concat_squash() = default;
  /// Images of shape `in` to `out_channels` channels through a kernel×kernel convolution
  /// (name.layer), gated by name.gate and shifted by name.shift; `zero`: the convolution and the
  /// shift start at zero, so the layer starts as the zero map.
  conv_concat_squash(const std::string& name, const image_shape& in, index_t out_channels, index_t kernel,
                     random_engine& rng, bool zero = false)
      : name_(name),
        layer_(name + ".layer", in, out_channels, kernel, rng,
               {.weight_init = zero ? init::zeros : init::lecun_normal}),
        time_(name, out_channels, rng, zero),
        channel_(channel_of_columns(layer_.output_shape())) {}

  /// x: batch × C·H·W; t: 1x1 or batch × 1 (same value type as x). Returns batch × C_out·H·W.
  template <class Value>
  Value operator()(const Value& x, const Value& t) const {
    eigenflow::detail::check_layer_time(name_, x.rows(), t);
    return time_(layer_(x), t, std::span<const index_t>(channel_));
  }

  /// The input images' shape.
  const image_shape& input_shape() const { return layer_.input_shape(); }
  /// The output images' shape.
  image_shape output_shape() const { return layer_.output_shape(); }

  /// Appends the parameters of the convolution, the gate and the shift, in that order.
  void collect_parameters(parameter_list<Scalar>& list) {
    layer_.collect_parameters(list);
    time_.collect_parameters(list);
  }

 private:
  std::string name_;
  conv2d<Scalar> layer_;
  time_gate<Scalar> time_;        // a gate and a shift per output channel
  std::vector<index_t> channel_;  // each output column's channel
};

}  // namespace eigenflow::nn
