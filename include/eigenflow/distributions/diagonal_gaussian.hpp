// include/eigenflow/distributions/diagonal_gaussian.hpp — N(μ, diag(σ²)) with learnable mean and
// log standard deviation (starting at N(0, I)).
#pragma once

#include <numbers>
#include <string>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/distributions/distribution.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/autodiff/shape_check.hpp"

namespace eigenflow::distributions {

/// N(μ, diag(σ²)) with learnable μ and log σ (each 1×D), starting at N(0, I).
template <class Scalar>
class diagonal_gaussian : public distribution_base<diagonal_gaussian<Scalar>, Scalar> {
 public:
  /// Parameters name.mean (μ) and name.log_std (log σ), both zero; throws value_error unless dim ≥ 1.
  diagonal_gaussian(const std::string& name, index_t dim)
      : mean_(name + ".mean", matrix<Scalar>::Zero(1, dim)), log_std_(name + ".log_std", matrix<Scalar>::Zero(1, dim)) {
    if (dim < 1) throw value_error(name + ": dimension must be positive");
  }

  /// −½ Σ ((z − μ)/σ)² − Σ log σ − (D/2) log 2π, per row.
  template <class Value>
  Value log_prob_impl(const Value& z) const {
    detail::check_width("diagonal_gaussian", z, dim());
    const Value log_std = nn::lift(log_std_, z);
    const Value u = mul(sub(z, nn::lift(mean_, z)), exp(neg(log_std)));
    const Scalar log_norm = Scalar(0.5) * static_cast<Scalar>(dim()) * std::log(Scalar(2) * std::numbers::pi_v<Scalar>);
    return sub(affine(sum_rows(square(u)), Scalar(-0.5), -log_norm), sum(log_std));
  }

  matrix<Scalar> sample(index_t n, random_engine& rng) const override {
    if (n < 0) throw value_error("diagonal_gaussian: negative sample count");
    matrix<Scalar> z = normal_matrix<Scalar>(n, dim(), rng);
    return (z.array().rowwise() * log_std_.value.array().exp().row(0)).matrix().rowwise() + mean_.value.row(0);
  }
  index_t dim() const override { return mean_.value.cols(); }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    list.push_back(mean_);
    list.push_back(log_std_);
  }
  std::string describe() const override { return "diagonal_gaussian(D=" + std::to_string(dim()) + ")"; }

 private:
  nn::parameter<Scalar> mean_;
  nn::parameter<Scalar> log_std_;
};

}  // namespace eigenflow::distributions
