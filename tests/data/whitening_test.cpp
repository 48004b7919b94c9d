// tests/data/whitening_test.cpp — the full-covariance Gaussian of a table as a fixed affine map:
// its fit, round trip, log-determinant, density (against the closed form and by quadrature), and
// the tables it refuses or repairs.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "eigenflow/data/whitening.hpp"
#include "eigenflow/random.hpp"
#include "support/gaussian_density.hpp"

using namespace eigenflow;
using eigenflow::test::gaussian_log_density;

namespace {

/// 800 rows of a correlated 3-D Gaussian in mixed units.
matrix<double> correlated_table(std::uint64_t seed) {
  random_engine rng(seed);
  const matrix<double> z = normal_matrix<double>(800, 3, rng);
  matrix<double> mix(3, 3);
  mix << 2.0, 0.0, 0.0, 1.5, 0.3, 0.0, -40.0, 25.0, 60.0;
  return (z * mix.transpose()).rowwise() + row_vector<double>{{5.0, -1.0, 300.0}};
}

}  // namespace

TEST_CASE("whitening: fit gives the sample mean and covariance; apply and invert round trip", "[data]") {
  const matrix<double> x = correlated_table(1);
  const auto g = data::whitening<double>::fit(x);
  CHECK(g.ridge() == 0);
  const row_vector<double> mean = x.colwise().mean();
  const matrix<double> centered = x.rowwise() - mean;
  const matrix<double> cov = centered.transpose() * centered / 800.0;
  CHECK((g.mean() - mean).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((g.factor() * g.factor().transpose() - cov).cwiseAbs().maxCoeff() < 1e-9 * cov.cwiseAbs().maxCoeff());
  const matrix<double> z = g.apply(x);
  CHECK(z.colwise().mean().cwiseAbs().maxCoeff() < 1e-12);
  CHECK((z.transpose() * z / 800.0 - matrix<double>::Identity(3, 3)).cwiseAbs().maxCoeff() < 1e-10);
  CHECK((g.invert(z) - x).cwiseAbs().maxCoeff() < 1e-10);
  CHECK(g.log_det() == Approx(-0.5 * std::log(cov.determinant())).epsilon(1e-12));
}

TEST_CASE("whitening: log_prob is the fitted Gaussian's density, and a standard normal in z maps to it",
          "[data]") {
  const matrix<double> x = correlated_table(2);
  const auto g = data::whitening<double>::fit(x);
  const matrix<double> cov = g.factor() * g.factor().transpose();
  const matrix<double> log_p = g.log_prob(x.topRows(20));
  const matrix<double> z = g.apply(x.topRows(20));
  const matrix<double> log_p_z =
      (-0.5 * z.rowwise().squaredNorm()).array() - 1.5 * std::log(2 * std::numbers::pi);
  const matrix<double> through_z = g.to_data_log_prob(log_p_z);
  for (index_t i = 0; i < 20; ++i) {
    const double expected = gaussian_log_density(x.row(i), g.mean(), cov);
    CHECK(log_p(i, 0) == Approx(expected).epsilon(1e-10));
    CHECK(through_z(i, 0) == Approx(expected).epsilon(1e-10));
  }
}

TEST_CASE("whitening: the fitted 2-D density integrates to one", "[data]") {
  random_engine rng(4);
  matrix<double> x = normal_matrix<double>(300, 2, rng);
  x.col(1) = 0.8 * x.col(0) + 0.3 * x.col(1);
  const auto g = data::whitening<double>::fit(x);
  // Midpoint rule over ±8 standard deviations of each axis: the tails beyond hold < 1e-14.
  const double sx = g.factor().row(0).norm() * 8, sy = g.factor().row(1).norm() * 8;
  const index_t n = 400;
  const double hx = 2 * sx / n, hy = 2 * sy / n;
  matrix<double> grid(n * n, 2);
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < n; ++j) {
      grid(i * n + j, 0) = g.mean()(0) - sx + (i + 0.5) * hx;
      grid(i * n + j, 1) = g.mean()(1) - sy + (j + 0.5) * hy;
    }
  }
  const double mass = g.log_prob(grid).array().exp().sum() * hx * hy;
  CHECK(mass == Approx(1.0).epsilon(1e-6));
}

TEST_CASE("whitening: collinear columns get a reported ridge and finite densities", "[data]") {
  matrix<double> x = correlated_table(5);
  matrix<double> with_sum(x.rows(), 4);
  with_sum << x, x.col(0) * 2.0 - x.col(1);  // the fourth column is a combination of two others
  const auto g = data::whitening<double>::fit(with_sum);
  CHECK(g.ridge() > 0);
  CHECK(g.ridge() < 1e-5);
  const matrix<double> log_p = g.log_prob(with_sum);
  CHECK(log_p.allFinite());
  CHECK((g.invert(g.apply(with_sum)) - with_sum).cwiseAbs().maxCoeff() < 1e-6 * with_sum.cwiseAbs().maxCoeff());
  // The same table in float: no NaN either.
  const auto gf = data::whitening<float>::fit(with_sum.cast<float>());
  CHECK(gf.ridge() > 0);
  CHECK(gf.log_prob(with_sum.cast<float>()).allFinite());
}

TEST_CASE("whitening: constant columns, too few rows and non-finite values are refused, naming them", "[data]") {
  matrix<double> x = correlated_table(6);
  CHECK(data::constant_columns(x).empty());
  x.col(1).setConstant(7.25);
  CHECK(data::constant_columns(x) == std::vector<index_t>{1});
  CHECK_THROWS_WITH(data::whitening<double>::fit(x),
                    "whitening::fit: column 1 is constant (zero variance); drop it before fitting");
  CHECK_THROWS_AS(data::whitening<double>::fit(matrix<double>::Ones(1, 3)), shape_error);
  matrix<double> y = correlated_table(7);
  y(3, 2) = std::nan("");
  CHECK_THROWS_WITH(data::whitening<double>::fit(y), Catch::Contains("not finite at row 3, column 2"));
  CHECK_THROWS_AS(data::whitening<double>(row_vector<double>::Zero(2), matrix<double>::Identity(3, 3)), shape_error);
  CHECK_THROWS_WITH(data::whitening<double>(row_vector<double>::Zero(2), -matrix<double>::Identity(2, 2)),
                    Catch::Contains("diagonal entry 0 of the factor must be positive"));
  const auto g = data::whitening<double>::fit(correlated_table(8));
  CHECK_THROWS_WITH(g.apply(matrix<double>::Zero(4, 2)), "whitening::apply: expected 3 features, got a 4x2 input");
}
