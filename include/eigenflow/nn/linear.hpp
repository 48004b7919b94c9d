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
  struct options {
    bool bias = true;
    init weight_init = init::lecun_normal;
  };

  linear() = default;
  linear(const std::string& name, index_t in, index_t out, random_engine& rng, options opts = {})
      : name_(name),
        weight_(name + ".weight", checked_weight(name, in, out, opts.weight_init, rng)),
        has_bias_(opts.bias) {
    if (has_bias_) bias_ = parameter<Scalar>(name + ".bias", matrix<Scalar>::Zero(1, out));
  }

  template <class Value>
  Value operator()(const Value& x) const {
    if (x.cols() != in_features()) {
      throw shape_error(name_ + ": expected " + std::to_string(in_features()) + " input features, got a " +
                        detail::format_shape(x) + " input");
    }
    if (has_bias_) return eigenflow::linear(x, lift(weight_, x), lift(bias_, x));
    return eigenflow::linear(x, lift(weight_, x));
  }

  const std::string& name() const { return name_; }
  index_t in_features() const { return weight_.value.cols(); }
  index_t out_features() const { return weight_.value.rows(); }

  parameter<Scalar>& weight() { return weight_; }
  parameter<Scalar>& bias() { return bias_; }
  const parameter<Scalar>& weight() const { return weight_; }
  const parameter<Scalar>& bias() const { return bias_; }

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
