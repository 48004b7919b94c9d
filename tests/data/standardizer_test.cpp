// tests/data/standardizer_test.cpp — standardization and the change of units of log-densities.
#include <catch2/catch.hpp>

#include <cmath>

#include "eigenflow/data/standardizer.hpp"
#include "eigenflow/random.hpp"

using namespace eigenflow;

TEST_CASE("standardizer: fit, apply and invert", "[data]") {
  random_engine rng(3);
  matrix<double> x = normal_matrix<double>(500, 3, rng);
  x.col(0) = x.col(0) * 4.0 + vector<double>::Constant(500, 10.0);
  x.col(1) *= 0.01;
  const auto s = data::standardizer<double>::fit(x);
  const matrix<double> w = s.apply(x);
  CHECK(w.colwise().mean().cwiseAbs().maxCoeff() < 1e-12);
  CHECK((w.array().square().colwise().mean() - 1.0).abs().maxCoeff() < 1e-12);
  CHECK((s.invert(w) - x).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(s.log_det() == Approx(-(std::log(s.scale()(0)) + std::log(s.scale()(1)) + std::log(s.scale()(2)))));
}

TEST_CASE("standardizer: a standard normal in w is N(μ, σ²) in data units", "[data]") {
  const data::standardizer<double> s(row_vector<double>{{1.5, -2.0}}, row_vector<double>{{3.0, 0.5}});
  const row_vector<double>& mean = s.mean();
  const row_vector<double>& scale = s.scale();
  random_engine rng(5);
  const matrix<double> x = normal_matrix<double>(20, 2, rng) * 2.0;
  const matrix<double> w = s.apply(x);
  const matrix<double> log_p_w = (-0.5 * w.rowwise().squaredNorm()).array() - std::log(2 * M_PI);
  const matrix<double> log_p_x = s.to_data_log_prob(log_p_w);
  for (index_t i = 0; i < x.rows(); ++i) {
    double expected = 0;
    for (index_t j = 0; j < 2; ++j) {
      const double z = (x(i, j) - mean(j)) / scale(j);
      expected += -0.5 * z * z - 0.5 * std::log(2 * M_PI) - std::log(scale(j));
    }
    CHECK(log_p_x(i, 0) == Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("standardizer: constant features, bad input", "[data]") {
  matrix<double> x = matrix<double>::Ones(10, 2);
  x(3, 1) = 2.0;
  const auto s = data::standardizer<double>::fit(x, 1e-3);
  CHECK(s.scale()(0) == 1e-3);  // floored: a constant feature does not divide by zero
  CHECK(s.apply(x).allFinite());
  CHECK_THROWS_AS(s.apply(matrix<double>::Ones(2, 3)), shape_error);
  x(0, 0) = std::nan("");
  CHECK_THROWS_AS(data::standardizer<double>::fit(x), value_error);
  CHECK_THROWS_AS(data::standardizer<double>::fit(matrix<double>(0, 2)), shape_error);
  const row_vector<double> zero = row_vector<double>::Zero(1);
  CHECK_THROWS_AS(data::standardizer<double>(zero, zero), value_error);
}
