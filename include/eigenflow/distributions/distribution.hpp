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

template <class Scalar>
class distribution {
 public:
  using plain = matrix<Scalar>;
  using taped = var<Scalar>;

  virtual ~distribution() = default;
  virtual plain log_prob(const plain& z) const = 0;
  virtual taped log_prob(const taped& z) const = 0;
  /// n samples, one per row.
  virtual plain sample(index_t n, random_engine& rng) const = 0;
  virtual index_t dim() const = 0;
  virtual void collect_parameters(nn::parameter_list<Scalar>& list) = 0;
  virtual std::unique_ptr<distribution> clone() const = 0;
  virtual std::string describe() const = 0;

  nn::parameter_list<Scalar> parameters() { return nn::parameters_of<Scalar>(*this); }
};

/// Implements distribution<Scalar> from Derived's log_prob_impl template.
template <class Derived, class Scalar>
class distribution_base : public distribution<Scalar> {
 public:
  using typename distribution<Scalar>::plain;
  using typename distribution<Scalar>::taped;

  plain log_prob(const plain& z) const override { return self().log_prob_impl(z); }
  taped log_prob(const taped& z) const override { return self().log_prob_impl(z); }
  std::unique_ptr<distribution<Scalar>> clone() const override { return std::make_unique<Derived>(self()); }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace eigenflow::distributions
