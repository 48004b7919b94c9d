// tests/optim/helpers.hpp — a two-parameter toy model, deterministic gradients, and tolerances
// shared by the optimizer tests.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace optim_test {

using eigenflow::index_t;
using eigenflow::matrix;
using eigenflow::nn::parameter;
using eigenflow::nn::parameter_list;

/// Absolute/relative tolerance for comparing a Scalar computation with a double reference.
template <class Scalar>
constexpr double tolerance() {
  return std::is_same_v<Scalar, float> ? 2e-6 : 1e-13;
}

template <class Scalar>
matrix<Scalar> initial_value(index_t rows, index_t cols, double phase) {
  matrix<Scalar> m(rows, cols);
  for (index_t j = 0; j < m.size(); ++j) {
    m.reshaped()(j) = static_cast<Scalar>(1.5 * std::cos(0.9 * static_cast<double>(j) + phase));
  }
  return m;
}

/// Two parameters of different shapes; params() lists them (the model may be copied freely).
template <class Scalar>
struct toy_model {
  parameter<Scalar> weight{"weight", initial_value<Scalar>(2, 3, 0.0)};
  parameter<Scalar> bias{"bias", initial_value<Scalar>(1, 4, 1.0)};

  parameter_list<Scalar> params() { return parameter_list<Scalar>({&weight, &bias}); }
};

/// Gradients that depend only on the step number and position, of magnitudes from ~0 to ~40, so
/// an optimizer and a reference fed the same numbers stay comparable step after step.
template <class Scalar>
void set_gradients(const parameter_list<Scalar>& params, int step) {
  for (std::size_t k = 0; k < params.size(); ++k) {
    matrix<Scalar>& g = params[k].grad;
    const double scale = k == 0 ? 1.0 : 40.0;
    for (index_t j = 0; j < g.size(); ++j) {
      g.reshaped()(j) =
          static_cast<Scalar>(scale * std::sin(1.3 * step + 0.7 * static_cast<double>(j) +
                                               2.1 * static_cast<double>(k)));
    }
  }
}

template <class Scalar>
std::vector<double> to_doubles(const eigenflow::vector<Scalar>& v) {
  std::vector<double> out(static_cast<std::size_t>(v.size()));
  for (index_t i = 0; i < v.size(); ++i)
    out[static_cast<std::size_t>(i)] = static_cast<double>(v(i));
  return out;
}

}  // namespace optim_test
