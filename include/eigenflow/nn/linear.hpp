// include/eigenflow/nn/linear.hpp — the affine layer y = x Wᵀ + b.
#pragma once

#include <string>

#include "eigenflow/autodiff/ops/matmul.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/nn/init.hpp"
#include "eigenflow/nn/module.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::nn {

/// Affine layer: y = x Wᵀ + b with W out×in and b 1×out (optional).
///
/// @tparam Scalar float or double.
///
/// @code
///   eigenflow::random_engine rng(1);
///   eigenflow::nn::linear<double> layer("proj", 3, 8, rng);
///   eigenflow::matrix<double> y = layer(x);          // plain: no tape
///   eigenflow::var<double> yv = layer(t.constant(x)); // on the tape t
/// @endcode
template <class Scalar>
class linear : public module_base<linear<Scalar>, Scalar> {
 public:
  /// Construction settings for linear.
  struct options {
    /// Whether the layer has the bias b (zero-initialized).
    bool bias = true;
    /// How W is drawn.
    init weight_init = init::lecun_normal;
  };

  linear() = default;
  /// A layer from `in` to `out` features; parameters are named name + ".weight" and name + ".bias".
  /// Throws value_error unless both sizes are positive.
  linear(const std::string& name, index_t in, index_t out, random_engine& rng, options opts = {})
      : name_(name),
        weight_(name + ".weight", checked_weight(name, in, out, opts.weight_init, rng)),
        has_bias_(opts.bias) {
    if (has_bias_) bias_ = parameter<Scalar>(name + ".bias", matrix<Scalar>::Zero(1, out));
  }

  /// x Wᵀ + b for x of shape batch × in_features() (any value type); batch × out_features().
  template <class Value>
  Value operator()(const Value& x) const {
    detail::check_width(name_, x, in_features(), "input features");
    if (has_bias_) return eigenflow::linear(x, lift(weight_, x), lift(bias_, x));
    return eigenflow::linear(x, lift(weight_, x));
  }

  /// The name given at construction (the prefix of the parameter names).
  const std::string& name() const { return name_; }
  /// Number of input features (columns of x).
  index_t in_features() const { return weight_.value.cols(); }
  /// Number of output features.
  index_t out_features() const { return weight_.value.rows(); }

  /// W, out×in.
  parameter<Scalar>& weight() { return weight_; }
  /// b, 1×out (empty when the layer has no bias).
  parameter<Scalar>& bias() { return bias_; }
  /// W, out×in.
  const parameter<Scalar>& weight() const { return weight_; }
  /// b, 1×out (empty when the layer has no bias).
  const parameter<Scalar>& bias() const { return bias_; }

  /// Appends W and then b (if the layer has one).
  void collect_parameters(parameter_list<Scalar>& list) {
    list.push_back(weight_);
    if (has_bias_) list.push_back(bias_);
  }

 private:
  static matrix<Scalar> checked_weight(const std::string& name, index_t in, index_t out, init scheme,
                                       random_engine& rng) {
    if (in < 1 || out < 1) {
      throw value_error(name + ": linear layer needs positive sizes, got in=" + std::to_string(in) +
                        " out=" + std::to_string(out));
    }
    return initial_weight<Scalar>(out, in, scheme, rng);
  }

  std::string name_;
  parameter<Scalar> weight_;
  parameter<Scalar> bias_;
  bool has_bias_ = true;
};

}  // namespace eigenflow::nn
