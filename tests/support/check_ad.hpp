// tests/support/check_ad.hpp — the one helper every op and module test uses: plain and tape
// values agree, reverse-mode gradients and forward-mode tangents match finite differences.
#pragma once

#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "eigenflow/autodiff/gradient_check.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::test {

/// Uniform entries in [lo, hi), seeded.
inline matrix<double> uniform(index_t rows, index_t cols, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  matrix<double> m(rows, cols);
  for (index_t i = 0; i < m.size(); ++i) m.data()[i] = u(rng);
  return m;
}

/// f: a generic callable taking a std::vector of Value (matrix, var or dual) and returning Value.
template <class F>
void check_ad(const F& f, const std::vector<matrix<double>>& inputs, double tolerance = 1e-6) {
  const gradient_check_options options{tolerance};
  CHECK(plain_tape_difference(f, inputs) <= 1e-14);
  const gradient_check_result gradients = check_gradients(f, inputs, options);
  INFO("gradients: max error " << gradients.max_error << " at " << gradients.worst);
  CHECK(gradients.passed);
  const gradient_check_result tangents = check_tangents(f, inputs, options);
  INFO("tangents: max error " << tangents.max_error << " at " << tangents.worst);
  CHECK(tangents.passed);
}

}  // namespace eigenflow::test

#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::test {

/// Every parameter of a (double) model as a gradient-check target.
inline std::vector<gradient_target> parameter_targets(const nn::parameter_list<double>& list) {
  std::vector<gradient_target> targets;
  for (nn::parameter<double>* p : list) targets.push_back({&p->value, &p->grad, p->name});
  return targets;
}

/// Checks ∂(Σ W ⊙ f)/∂θ for every parameter θ of a model; record(tape) runs the model on the tape.
template <class Record>
void check_parameter_gradients(const Record& record, const nn::parameter_list<double>& list,
                               double tolerance = 1e-6) {
  const gradient_check_result result = check_gradients(record, parameter_targets(list), {tolerance});
  INFO("parameter gradients: max error " << result.max_error << " at " << result.worst);
  CHECK(result.passed);
}

}  // namespace eigenflow::test
