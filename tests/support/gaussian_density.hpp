// tests/support/gaussian_density.hpp — log N(x; μ, Σ) by the textbook formula, through Σ⁻¹ and
// det Σ (not a Cholesky factor): an independent reference for the fitted Gaussians.
#pragma once

#include <cmath>
#include <numbers>

#include "eigenflow/matrix.hpp"

namespace eigenflow::test {

inline double gaussian_log_density(const row_vector<double>& x, const row_vector<double>& mean, const matrix<double>& cov) {
  const vector<double> d = (x - mean).transpose();
  return -0.5 * d.dot(cov.inverse() * d) - 0.5 * std::log(cov.determinant()) -
         0.5 * static_cast<double>(d.size()) * std::log(2 * std::numbers::pi);
}

}  // namespace eigenflow::test
