// include/eigenflow/nn/concat_squash.hpp — FFJORD's time-gated linear layer.
//
// h = (x Wᵀ + b) ⊙ σ(t w_g + b_g) + t w_b  (docs/conventions.md): the time both gates each output feature and
// shifts it. t is 1x1 (one time for the batch) or Mx1 (a time per sample).
#pragma once

#include <string>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/matmul.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/nn/linear.hpp"
#include "eigenflow/nn/module.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::nn {

/// ConcatSquash linear layer (Grathwohl et al., FFJORD).
///
/// @tparam Scalar float or double.
template <class Scalar>
class concat_squash : public module_base<concat_squash<Scalar>, Scalar> {
 public:
  concat_squash() = default;
  /// A layer from `in` to `out` features with sub-layers name.layer, name.gate and name.shift;
  /// `zero`: the main layer and the shift start at zero, so the layer starts as the zero map.
  concat_squash(const std::string& name, index_t in, index_t out, random_engine& rng, bool zero = false)
      : name_(name),
        layer_(name + ".layer", in, out, rng, {.weight_init = zero ? init::zeros : init::lecun_normal}),
        gate_(name + ".gate", 1, out, rng),
        shift_(name + ".shift", 1, out, rng, {.bias = false, .weight_init = zero ? init::zeros : init::lecun_normal}) {}

  /// x: batch × in; t: 1x1 or batch × 1 (same value type as x).
  template <class Value>
  Value operator()(const Value& x, const Value& t) const {
    if (t.cols() != 1 || (t.rows() != 1 && t.rows() != x.rows())) {
      throw shape_error(name_ + ": time must be 1x1 or " + detail::format_shape(x.rows(), 1) + ", got " +
                        detail::format_shape(t));
    }
    return add(mul(layer_(x), sigmoid(gate_(t))), shift_(t));
  }

  /// Number of input features.
  index_t in_features() const { return layer_.in_features(); }
  /// Number of output features.
  index_t out_features() const { return layer_.out_features(); }

  /// Appends the parameters of the main layer, the gate and the shift, in that order.
  void collect_parameters(parameter_list<Scalar>& list) {
    layer_.collect_parameters(list);
    gate_.collect_parameters(list);
    shift_.collect_parameters(list);
  }

 private:
  std::string name_;
  linear<Scalar> layer_;
  linear<Scalar> gate_;   // t ↦ t w_g + b_g
  linear<Scalar> shift_;  // t ↦ t w_b (no bias)
};

}  // namespace eigenflow::nn
