// tests/flows/bijection_check.hpp — what every transform must satisfy: inverse ∘ forward = id with
// log-dets summing to zero, log-det = log|det J| of the full Jacobian (taken on the tape), and
// plain = tape.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/flows.hpp"

namespace eigenflow::test {

/// Sets every parameter to small random values, so that no layer is the identity it starts as.
inline void randomize(const nn::parameter_list<double>& params, std::uint64_t seed, double scale = 0.3) {
  random_engine rng(seed);
  for (auto* p : params) p->value = scale * normal_matrix<double>(p->value.rows(), p->value.cols(), rng);
}

/// The per-sample Jacobians ∂y/∂x of a transform at x (D reverse passes on the tape).
inline std::vector<matrix<double>> jacobians(const flows::transform<double>& t, const matrix<double>& x,
                                             const context<matrix<double>>& c, bool inverse) {
  const index_t n = x.rows(), d = x.cols();
  std::vector<matrix<double>> out(static_cast<std::size_t>(n), matrix<double>(d, d));
  tape<double> tp;
  const var<double> xv = tp.variable(x);
  const var<double> features = c.features ? tp.constant(*c.features) : var<double>();
  const context<var<double>> cv{c.labels, c.features ? &features : nullptr};
  const var<double> y = inverse ? t.inverse(xv, cv).value : t.forward(xv, cv).value;
  for (index_t j = 0; j < d; ++j) {
    tp.zero_adjoints();
    matrix<double> seed = matrix<double>::Zero(n, d);
    seed.col(j).setOnes();
    tp.seed(y, seed);
    tp.propagate();
    for (index_t s = 0; s < n; ++s) out[static_cast<std::size_t>(s)].row(j) = xv.adjoint().row(s);
  }
  return out;
}

inline void check_bijection(const flows::transform<double>& t, const matrix<double>& x,
                            const context<matrix<double>>& c = {}) {
  INFO(t.describe());
  const auto fwd = t.forward(x, c);
  const auto back = t.inverse(fwd.value, c);
  CHECK((back.value - x).cwiseAbs().maxCoeff() < 1e-10);
  CHECK((fwd.log_det + back.log_det).cwiseAbs().maxCoeff() < 1e-10);
  REQUIRE(fwd.log_det.rows() == x.rows());
  REQUIRE(fwd.log_det.cols() == 1);
  // The other way round too: forward ∘ inverse = id.
  const auto inv = t.inverse(x, c);
  CHECK((t.forward(inv.value, c).value - x).cwiseAbs().maxCoeff() < 1e-10);
  // log|det J| per sample, both directions.
  for (bool inverse : {false, true}) {
    const auto j = jacobians(t, x, c, inverse);
    const matrix<double> ld = inverse ? inv.log_det : fwd.log_det;
    for (index_t s = 0; s < x.rows(); ++s) {
      const double expected = std::log(std::abs(j[static_cast<std::size_t>(s)].determinant()));
      CHECK(ld(s, 0) == Approx(expected).margin(1e-8));
    }
  }
  // Plain and tape agree.
  tape<double> tp;
  const var<double> features = c.features ? tp.constant(*c.features) : var<double>();
  const context<var<double>> cv{c.labels, c.features ? &features : nullptr};
  const auto on_tape = t.forward(tp.constant(x), cv);
  CHECK((matrix<double>(on_tape.value.value()) - fwd.value).cwiseAbs().maxCoeff() < 1e-14);
  CHECK((matrix<double>(on_tape.log_det.value()) - fwd.log_det).cwiseAbs().maxCoeff() < 1e-14);
}

}  // namespace eigenflow::test
