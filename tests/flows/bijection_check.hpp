// tests/flows/bijection_check.hpp — what every transform must satisfy (flows/testing.hpp), as
// Catch assertions, and random parameters so that no layer is the identity it starts as.
#pragma once

#include <catch2/catch.hpp>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/flows.hpp"
#include "eigenflow/flows/testing.hpp"

namespace eigenflow::test {

/// Sets every parameter to small random values, so that no layer is the identity it starts as.
inline void randomize(const nn::parameter_list<double>& params, std::uint64_t seed, double scale = 0.3) {
  random_engine rng(seed);
  for (auto* p : params) p->value = scale * normal_matrix<double>(p->value.rows(), p->value.cols(), rng);
}

/// flows::check_bijection (the public check) as Catch assertions.
inline void expect_bijection(const flows::transform<double>& t, const matrix<double>& x,
                            const context<matrix<double>>& c = {}) {
  const flows::bijection_check_result r = flows::check_bijection(t, x, c);
  INFO(r.message);
  CHECK(r.passed);
}

}  // namespace eigenflow::test
