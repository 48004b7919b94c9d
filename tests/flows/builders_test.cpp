// tests/flows/builders_test.cpp — the stack builders: every kind and option gives an invertible
// flow whose layers transform every feature; conditional stacks put permutations between couplings.
#include <catch2/catch.hpp>

#include "eigenflow/flows/builders.hpp"
#include "flows/bijection_check.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::expect_bijection;
using eigenflow::test::randomize;
using eigenflow::test::uniform;

TEST_CASE("coupling stacks of every kind are bijections with exact log-dets", "[flows][builders]") {
  for (auto kind : {flows::coupling_kind::mlp, flows::coupling_kind::residual, flows::coupling_kind::attention}) {
    for (index_t dim : {2, 4}) {
      random_engine rng(1);
      flows::coupling_stack_options o{.dim = dim, .couplings = 3, .kind = kind, .hidden_width = 8,  // attention at 2
                                      .permutation = flows::permutation_kind::random, .actnorm = true,
                                      .learnable_base = true};
      auto model = flows::make_coupling_flow<double>(o, rng);
      randomize(model.parameters(), 2);
      expect_bijection(model.bijection(), uniform(4, dim, -2, 2, 3));
    }
  }
}

TEST_CASE("every feature is transformed: each one moves when the stack is not the identity", "[flows][builders]") {
  random_engine rng(4);
  auto model = flows::make_class_conditional_flow<double>(5, 3, 4, 8, rng);
  randomize(model.parameters(), 5);
  const matrix<double> x = uniform(6, 5, -1, 1, 6);
  const std::vector<index_t> labels = {0, 1, 2, 0, 1, 2};
  const matrix<double> y = model.bijection().forward(x, {.labels = labels}).value;
  // No output feature is an input feature passed through untouched.
  for (index_t j = 0; j < 5; ++j) {
    for (index_t i = 0; i < 5; ++i) CHECK((y.col(j) - x.col(i)).norm() > 1e-3);
  }
  expect_bijection(model.bijection(), x, {.labels = labels});
  CHECK(model.condition().classes == 3);
  CHECK(model.parameters().count() > 0);
}

TEST_CASE("builder options are validated", "[flows][builders][errors]") {
  random_engine rng(7);
  CHECK_THROWS_AS(flows::make_coupling_flow<float>({.dim = 1}, rng), value_error);
  CHECK_THROWS_AS(flows::make_coupling_flow<float>({.dim = 2, .couplings = 0}, rng), value_error);
  CHECK_THROWS_WITH(flows::parse_coupling_kind("glow"), Catch::Contains("unknown coupling kind 'glow'"));
  CHECK(flows::parse_coupling_kind("attention") == flows::coupling_kind::attention);
}

TEST_CASE("a stack with an output linear layer starts as the Gaussian that layer whitens, in any permutation",
          "[flows][builders]") {
  // W lower-triangular: at step 0 log p(x) = log N(x Wᵀ) + log|det W|, whatever the permutations
  // between the couplings did to the column order (an odd number of reversals, a random order).
  matrix<double> w(4, 4);
  w << 1.5, 0, 0, 0,  //
      -0.8, 0.9, 0, 0,  //
      0.3, 0.6, 2.0, 0,  //
      0.1, -1.2, 0.4, 0.7;
  const matrix<double> x = uniform(6, 4, -2, 2, 61);
  const matrix<double> z = x * w.transpose();
  const double log_2pi = std::log(2 * 3.14159265358979323846);
  const vector<double> expected =
      (-0.5 * z.rowwise().squaredNorm()).array() - 2 * log_2pi + std::log(std::abs(w.determinant()));
  for (int couplings : {1, 2, 4}) {
    for (auto order : {flows::permutation_kind::reverse, flows::permutation_kind::random}) {
      random_engine rng(62);
      auto model = flows::make_coupling_flow<double>(
          {.dim = 4, .couplings = couplings, .hidden_width = 8, .permutation = order, .output_linear = w}, rng);
      INFO(couplings << " couplings, " << (order == flows::permutation_kind::reverse ? "reversed" : "random"));
      CHECK((model.log_prob(x, {}).col(0) - expected).cwiseAbs().maxCoeff() < 1e-12);
      randomize(model.parameters(), 63);  // trained: still a bijection with exact log-dets
      expect_bijection(model.bijection(), x);
    }
  }
  random_engine rng(64);
  CHECK_THROWS_AS(flows::make_coupling_flow<double>({.dim = 3, .output_linear = w}, rng), shape_error);
}
