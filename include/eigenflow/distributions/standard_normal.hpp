// include/eigenflow/distributions/standard_normal.hpp — N(0, I_D):
// log N(z; 0, I) = −½‖z‖² − (D/2)·log 2π per row (docs/conventions.md).
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

/// The standard normal N(0, I) in D dimensions; no parameters.
template <class Scalar>
class standard_normal : public distribution_base<standard_normal<Scalar>, Scalar> {
 public:
  /// N(0, I) over `dim` features; throws value_error unless dim ≥ 1.
  explicit standard_normal(index_t dim) : dim_(dim) {
    if (dim < 1) throw value_error("standard_normal: dimension must be positive");
  }

  /// −½‖z‖² − (D/2) log 2π per row, for z of shape batch × D (any value type); batch × 1.
  template <class Value>
  Value log_prob_impl(const Value& z) const {
    detail::check_width("standard_normal", z, dim_);
    const Scalar log_norm = Scalar(0.5) * static_cast<Scalar>(dim_) * std::log(Scalar(2) * std::numbers::pi_v<Scalar>);
    return affine(sum_rows(square(z)), Scalar(-0.5), -log_norm);
  }

  matrix<Scalar> sample(index_t n, random_engine& rng) const override {
    if (n < 0) throw value_error("standard_normal: negative sample count");
    return normal_matrix<Scalar>(n, dim_, rng);
  }
  index_t dim() const override { return dim_; }
  void collect_parameters(nn::parameter_list<Scalar>&) override {}
  std::string describe() const override { return "standard_normal(D=" + std::to_string(dim_) + ")"; }

 private:
  index_t dim_;
};

}  // namespace eigenflow::distributions
