// include/eigenflow/nn/layer_norm.hpp — normalization over each sample's features.
#pragma once

#include <string>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/nn/module.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::nn {

/// y = (x − mean) / sqrt(var + ε) ⊙ γ + β, with mean and (biased) variance over each row;
/// γ starts at 1 and β at 0.
///
/// @tparam Scalar float or double.
template <class Scalar>
class layer_norm : public module_base<layer_norm<Scalar>, Scalar> {
 public:
  layer_norm() = default;
  /// Normalizes rows of `features` entries; parameters name.gain (γ) and name.offset (β). Throws
  /// value_error unless features ≥ 1 and epsilon > 0.
  layer_norm(const std::string& name, index_t features, Scalar epsilon = Scalar(1e-5))
      : name_(name),
        gain_(name + ".gain", matrix<Scalar>::Ones(1, features)),
        offset_(name + ".offset", matrix<Scalar>::Zero(1, features)),
        epsilon_(epsilon) {
    if (features < 1) throw value_error(name + ": layer_norm needs at least one feature");
    if (!(epsilon > 0)) throw value_error(name + ": layer_norm epsilon must be positive");
  }

  /// The normalized x (batch × features, any value type), same shape; throws shape_error on a width mismatch.
  template <class Value>
  Value operator()(const Value& x) const {
    detail::check_width(name_, x, gain_.value.cols());
    const Value centered = sub(x, mean_rows(x));
    const Value inv_std = reciprocal(sqrt(shift(mean_rows(square(centered)), epsilon_)));
    return add(mul(mul(centered, inv_std), lift(gain_, x)), lift(offset_, x));
  }

  /// Appends γ and then β.
  void collect_parameters(parameter_list<Scalar>& list) {
    list.push_back(gain_);
    list.push_back(offset_);
  }

 private:
  std::string name_;
  parameter<Scalar> gain_;
  parameter<Scalar> offset_;
  Scalar epsilon_ = Scalar(1e-5);
};

}  // namespace eigenflow::nn
