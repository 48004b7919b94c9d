// include/eigenflow/distributions/distribution.hpp — the base density of a flow: log_prob per
// sample (batch×1) on plain matrices or on the tape, and sampling.
#pragma once

#include <memory>
#include <string>

#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::distributions {

/// The base density of a flow, over rows of dim() features: log-density per sample, on plain matrices
/// or on a tape, and sampling. Derive from distribution_base to implement one.
template <class Scalar>
class distribution {
 public:
  /// Values off the tape.
  using plain = matrix<Scalar>;
  /// Values on a tape.
  using taped = var<Scalar>;

  virtual ~distribution() = default;
  /// Log-density in nats of each row of z (batch × dim()): batch × 1.
  virtual plain log_prob(const plain& z) const = 0;
  /// As log_prob(const plain&), recorded on z's tape (gradients reach z and the parameters).
  virtual taped log_prob(const taped& z) const = 0;
  /// n samples, one per row.
  virtual plain sample(index_t n, random_engine& rng) const = 0;
  /// Number of features D of a sample.
  virtual index_t dim() const = 0;
  /// Appends the trainable parameters, if any, in a fixed order.
  virtual void collect_parameters(nn::parameter_list<Scalar>& list) = 0;
  /// A deep copy (parameters included).
  virtual std::unique_ptr<distribution> clone() const = 0;
  /// A short human-readable summary, such as "standard_normal(D=2)".
  virtual std::string describe() const = 0;

  /// The parameters collect_parameters appends (an empty list when there are none).
  nn::parameter_list<Scalar> parameters() { return nn::parameters_of<Scalar>(*this); }
};

/// Implements distribution<Scalar> from Derived's log_prob_impl template.
template <class Derived, class Scalar>
class distribution_base : public distribution<Scalar> {
 public:
  using typename distribution<Scalar>::plain;
  using typename distribution<Scalar>::taped;

  /// Log-density in nats of each row of z, batch × 1: Derived::log_prob_impl(z).
  plain log_prob(const plain& z) const override { return self().log_prob_impl(z); }
  /// Log-density of each row of z, batch × 1, recorded on z's tape: Derived::log_prob_impl(z).
  taped log_prob(const taped& z) const override { return self().log_prob_impl(z); }
  /// A copy of the Derived object (parameters included).
  std::unique_ptr<distribution<Scalar>> clone() const override { return std::make_unique<Derived>(self()); }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace eigenflow::distributions
