// include/eigenflow/distributions/tempered.hpp — a base density at temperature T: the draws of
// another base scaled by T, z = T·z₀. For the standard normal that is N(0, T² I), the "reduced
// temperature" of Glow's samples (T < 1 trades variety for cleaner images).
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/distributions/distribution.hpp"
#include "eigenflow/error.hpp"

namespace eigenflow::distributions {

/// The density of z = T·z₀ with z₀ drawn from `base`: log p(z) = log p₀(z / T) − D·log T (the
/// change of variables of a scaling). Its parameters are base's.
template <class Scalar>
class tempered : public distribution_base<tempered<Scalar>, Scalar> {
 public:
  /// base at temperature T; value_error unless base is given and T is finite and positive.
  tempered(std::unique_ptr<distribution<Scalar>> base, double temperature)
      : base_(std::move(base)), temperature_(temperature) {
    if (!base_) throw value_error("tempered: a base distribution is required");
    if (!(std::isfinite(temperature) && temperature > 0)) {
      throw value_error("tempered: the temperature must be finite and positive, got " + std::to_string(temperature));
    }
  }
  /// A deep copy: the base is cloned.
  tempered(const tempered& other) : base_(other.base_->clone()), temperature_(other.temperature_) {}
  /// Replaces this with a deep copy of `other`.
  tempered& operator=(const tempered& other) {
    base_ = other.base_->clone();
    temperature_ = other.temperature_;
    return *this;
  }
  /// Takes over other's base.
  tempered(tempered&&) noexcept = default;
  /// Takes over other's base.
  tempered& operator=(tempered&&) noexcept = default;
  ~tempered() override = default;

  /// log p₀(z / T) − D·log T per row.
  template <class Value>
  Value log_prob_impl(const Value& z) const {
    const auto inverse = static_cast<Scalar>(1.0 / temperature_);
    const auto log_scale = static_cast<Scalar>(static_cast<double>(dim()) * std::log(temperature_));
    return affine(base_->log_prob(affine(z, inverse, Scalar(0))), Scalar(1), -log_scale);
  }

  matrix<Scalar> sample(index_t n, random_engine& rng) const override {
    return static_cast<Scalar>(temperature_) * base_->sample(n, rng);
  }
  index_t dim() const override { return base_->dim(); }
  void collect_parameters(nn::parameter_list<Scalar>& list) override { base_->collect_parameters(list); }
  std::string describe() const override {
    return "tempered(" + base_->describe() + ", T=" + std::to_string(temperature_) + ")";
  }

  /// T.
  double temperature() const { return temperature_; }

 private:
  std::unique_ptr<distribution<Scalar>> base_;
  double temperature_;
};

}  // namespace eigenflow::distributions
