// include/eigenflow/flows/actnorm.hpp — activation normalization (Glow) for vectors.
//
// y = (x − μ) ⊙ exp(−ρ), L = −Σ ρ for every sample (docs/conventions.md). It starts as the identity;
// initialize(batch) sets μ to the batch mean and ρ to the log of the batch standard deviation,
// floored so that a constant feature does not blow up the scale.
#pragma once

#include <cmath>
#include <string>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/transform.hpp"

namespace eigenflow::flows {

/// Activation normalization (Glow): y = (x − μ) ⊙ exp(−ρ) with a learned per-feature shift μ and
/// log-scale ρ, both 1×D. Starts as the identity until initialize() fits it to a batch.
///
/// @tparam Scalar float or double.
template <class Scalar>
class actnorm : public transform_base<actnorm<Scalar>, Scalar> {
 public:
  /// `name` prefixes the parameter names (name.loc, name.log_scale); `min_std` floors the standard
  /// deviation that initialize() divides by.
  actnorm(const std::string& name, index_t dim, Scalar min_std = Scalar(1e-3))
      : loc_(name + ".loc", matrix<Scalar>::Zero(1, dim)),
        log_scale_(name + ".log_scale", matrix<Scalar>::Zero(1, dim)),
        min_std_(min_std) {
    if (dim < 1) throw value_error(name + ": actnorm needs a positive dimension");
    if (!(min_std > 0)) throw value_error(name + ": actnorm min_std must be positive");
  }

  /// y = (x − μ) ⊙ exp(−ρ); the log-det −Σ ρ is the same for every row.
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>&) const {
    detail::check_width("actnorm", x, dim());
    const Value rho = nn::lift(log_scale_, x);
    return {mul(sub(x, nn::lift(loc_, x)), exp(neg(rho))), broadcast_to(neg(sum(rho)), x.rows(), 1)};
  }
  /// x = y ⊙ exp(ρ) + μ; the log-det Σ ρ is the same for every row.
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>&) const {
    detail::check_width("actnorm", y, dim());
    const Value rho = nn::lift(log_scale_, y);
    return {add(mul(y, exp(rho)), nn::lift(loc_, y)), broadcast_to(sum(rho), y.rows(), 1)};
  }

  /// μ = batch mean, ρ = log max(batch std, min_std); then the batch, normalized.
  matrix<Scalar> initialize(const matrix<Scalar>& x, const context<matrix<Scalar>>& c) override {
    detail::check_width("actnorm", x, dim());
    if (x.rows() < 2) throw value_error("actnorm: data-dependent initialization needs at least 2 samples");
    const row_vector<Scalar> mean = x.colwise().mean();
    const row_vector<Scalar> var = (x.rowwise() - mean).array().square().colwise().mean();
    loc_.value = mean;
    log_scale_.value = var.array().sqrt().max(min_std_).log().matrix();
    initialized_ = true;
    return this->forward(x, c).value;
  }
  /// Whether initialize() has run on this layer (or on the layer it was copied from).
  bool initialized() const { return initialized_; }

  index_t dim() const override { return loc_.value.cols(); }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    list.push_back(loc_);
    list.push_back(log_scale_);
  }
  std::string describe() const override { return "actnorm(D=" + std::to_string(dim()) + ")"; }

 private:
  nn::parameter<Scalar> loc_;
  nn::parameter<Scalar> log_scale_;
  Scalar min_std_;
  bool initialized_ = false;
};

}  // namespace eigenflow::flows
