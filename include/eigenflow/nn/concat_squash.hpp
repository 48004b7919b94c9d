// include/eigenflow/nn/concat_squash.hpp — FFJORD's time-gated linear layer.
//
// h = (x Wᵀ + b) ⊙ σ(t w_g + b_g) + t w_b  (docs/conventions.md): the time both gates each output feature and
// shifts it. t is 1x1 (one time for the batch) or Mx1 (a time per sample).
#pragma once

#include <span>
#include <string>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/matmul.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/nn/linear.hpp"
#include "eigenflow/nn/module.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::detail {

/// Throws shape_error, naming the layer, unless t is 1x1 (one time for the batch) or rows × 1.
template <class Value>
void check_layer_time(const std::string& name, index_t rows, const Value& t) {
  if (t.cols() != 1 || (t.rows() != 1 && t.rows() != rows)) {
    throw shape_error(name + ": time must be 1x1 or " + format_shape(rows, 1) + ", got " + format_shape(t));
  }
}

}  // namespace eigenflow::detail

namespace eigenflow::nn {

/// The time side of the ConcatSquash layers: h ↦ h ⊙ σ(t w_g + b_g) + t w_b, a gate and a shift
/// per output feature (sub-layers name.gate and name.shift).
///
/// @tparam Scalar float or double.
template <class Scalar>
class time_gate {
 public:
  time_gate() = default;
  /// Gates and shifts for `features` outputs; `zero_shift`: the shift starts at zero.
  time_gate(const std::string& name, index_t features, random_engine& rng, bool zero_shift)
      : gate_(name + ".gate", 1, features, rng),
        shift_(name + ".shift", 1, features, rng,
               {.bias = false, .weight_init = zero_shift ? init::zeros : init::lecun_normal}) {}

  /// h (batch × columns) gated and shifted by t (1x1 or batch × 1). `feature_of_column` maps each
  /// column of h to its feature (an image's channel); empty: column k is feature k.
  template <class Value>
  Value operator()(const Value& h, const Value& t, std::span<const index_t> feature_of_column = {}) const {
    Value gate = sigmoid(gate_(t)), shift = shift_(t);
    if (!feature_of_column.empty()) {
      gate = gather_cols(gate, feature_of_column);
      shift = gather_cols(shift, feature_of_column);
    }
    return add(mul(h, gate), shift);
  }

  /// Appends the gate's weight and bias, then the shift's weight.
  void collect_parameters(parameter_list<Scalar>& list) {
    gate_.collect_parameters(list);
    shift_.collect_parameters(list);
  }

 private:
  linear<Scalar> gate_;   // t ↦ t w_g + b_g
  linear<Scalar> shift_;  // t ↦ t w_b (no bias)
};

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
        time_(name, out, rng, zero) {}

  /// x: batch × in; t: 1x1 or batch × 1 (same value type as x).
  template <class Value>
  Value operator()(const Value& x, const Value& t) const {
    eigenflow::detail::check_layer_time(name_, x.rows(), t);
    return time_(layer_(x), t);
  }

  /// Number of input features.
  index_t in_features() const { return layer_.in_features(); }
  /// Number of output features.
  index_t out_features() const { return layer_.out_features(); }

  /// Appends the parameters of the main layer, the gate and the shift, in that order.
  void collect_parameters(parameter_list<Scalar>& list) {
    layer_.collect_parameters(list);
    time_.collect_parameters(list);
  }

 private:
  std::string name_;
  linear<Scalar> layer_;
  time_gate<Scalar> time_;
};

}  // namespace eigenflow::nn
