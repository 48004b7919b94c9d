// tests/data/toy2d_test.cpp — the 2-D toy datasets: shapes, labels, names, seeding, and for each
// set the statistics its FFJORD definition implies (tolerances of five or more standard errors).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include "eigenflow/data/toy2d.hpp"
#include "eigenflow/error.hpp"

namespace {

using namespace eigenflow;
using eigenflow::data::toy2d;

constexpr index_t n = 20000;
constexpr double pi = std::numbers::pi;

data::labeled_points<double> sample(toy2d set, index_t count = n, std::uint64_t seed = 42) {
  random_engine rng(seed);
  return data::sample_toy2d_labeled<double>(set, count, rng);
}

std::vector<index_t> label_counts(const data::labeled_points<double>& d) {
  std::vector<index_t> counts(static_cast<std::size_t>(d.classes), 0);
  for (index_t label : d.labels) ++counts[static_cast<std::size_t>(label)];
  return counts;
}

/// Mean of the rows whose label is `label`.
Eigen::RowVector2d class_mean(const data::labeled_points<double>& d, index_t label) {
  Eigen::RowVector2d sum = Eigen::RowVector2d::Zero();
  index_t count = 0;
  for (index_t i = 0; i < d.points.rows(); ++i) {
    if (d.labels[static_cast<std::size_t>(i)] != label) continue;
    sum += d.points.row(i);
    ++count;
  }
  return sum / static_cast<double>(count);
}

/// Mean distance from the origin of the rows whose label is `label`.
double class_mean_norm(const data::labeled_points<double>& d, index_t label) {
  double sum = 0;
  index_t count = 0;
  for (index_t i = 0; i < d.points.rows(); ++i) {
    if (d.labels[static_cast<std::size_t>(i)] != label) continue;
    sum += d.points.row(i).norm();
    ++count;
  }
  return sum / static_cast<double>(count);
}

double mean_squared_norm(const matrix<double>& points) { return points.rowwise().squaredNorm().mean(); }

/// Mean of sin(t) over numpy.linspace(0, π, m) (endpoint included).
double mean_sin_linspace(index_t m) {
  double sum = 0;
  for (index_t i = 0; i < m; ++i) sum += std::sin(i == m - 1 ? pi : static_cast<double>(i) * (pi / static_cast<double>(m - 1)));
  return sum / static_cast<double>(m);
}

}  // namespace

TEST_CASE("toy2d: names round trip, unknown names and bad sizes throw", "[data][toy2d]") {
  const std::array<std::string, 8> names = {"8gaussians", "2spirals", "checkerboard", "circles",
                                            "moons",      "pinwheel", "rings",        "swissroll"};
  for (std::size_t k = 0; k < names.size(); ++k) {
    const toy2d set = data::all_toy2d[k];
    CHECK(data::to_string(set) == names[k]);
    CHECK(data::parse_toy2d(names[k]) == set);
    random_engine rng(1);
    CHECK_THROWS_AS(data::sample_toy2d<double>(set, 0, rng), value_error);
    CHECK_THROWS_AS(data::sample_toy2d_labeled<float>(set, -3, rng), value_error);
  }
  CHECK_THROWS_AS(data::parse_toy2d("8gaussian"), value_error);
  CHECK_THROWS_WITH(data::parse_toy2d("spiral"),
                    "unknown toy dataset 'spiral' (known: 8gaussians, 2spirals, checkerboard, circles, moons, "
                    "pinwheel, rings, swissroll)");
  random_engine rng(1);
  CHECK_THROWS_AS(data::sklearn_moons<double>(0, 0.05, rng), value_error);
  CHECK_THROWS_AS(data::sklearn_moons<double>(10, -0.1, rng), value_error);
  CHECK_THROWS_AS(data::sklearn_moons<double>(10, std::nan(""), rng), value_error);
}

TEST_CASE("toy2d: shapes, finiteness, label ranges and seeding for every set", "[data][toy2d]") {
  for (toy2d set : data::all_toy2d) {
    INFO(data::to_string(set));
    for (index_t count : {index_t{1}, index_t{2}, index_t{3}, index_t{7}, index_t{13}, n}) {
      INFO("n = " << count);
      const auto d = sample(set, count);
      REQUIRE(d.points.rows() == count);
      REQUIRE(d.points.cols() == 2);
      CHECK(d.points.allFinite());
      REQUIRE(d.labels.size() == static_cast<std::size_t>(count));
      for (index_t label : d.labels) CHECK((label >= 0 && label < d.classes));
    }
    // Same seed, same points; another seed, other points; float is the double result rounded.
    const auto a = sample(set, 500, 7), b = sample(set, 500, 7), c = sample(set, 500, 8);
    CHECK(a.points == b.points);
    CHECK(a.labels == b.labels);
    CHECK(a.points != c.points);
    random_engine rng_f(7), rng_m(7);
    const auto f = data::sample_toy2d_labeled<float>(set, 500, rng_f);
    CHECK(f.points == a.points.cast<float>());
    CHECK(f.labels == a.labels);
    CHECK(data::sample_toy2d<double>(set, 500, rng_m) == a.points);
  }
}

TEST_CASE("toy2d: 8gaussians — centres at radius 4/1.414, noise 0.5/1.414", "[data][toy2d]") {
  const auto d = sample(toy2d::eight_gaussians);
  CHECK(d.classes == 8);
  for (index_t c : label_counts(d)) CHECK((c > 2200 && c < 2800));  // 2500 ± 47
  std::array<Eigen::RowVector2d, 8> centres;
  for (index_t k = 0; k < 8; ++k) {
    const double angle = static_cast<double>(k) * pi / 4;
    centres[static_cast<std::size_t>(k)] = Eigen::RowVector2d(std::cos(angle), std::sin(angle)) * (4.0 / 1.414);
    CHECK((class_mean(d, k) - centres[static_cast<std::size_t>(k)]).norm() < 0.04);  // s.e. 0.007
  }
  double sum = 0;
  for (index_t i = 0; i < n; ++i) sum += (d.points.row(i) - centres[static_cast<std::size_t>(d.labels[static_cast<std::size_t>(i)])]).squaredNorm();
  CHECK(sum / n == Approx(2 * 0.25 / (1.414 * 1.414)).margin(0.015));  // s.e. 0.0018
}

TEST_CASE("toy2d: 2spirals — mirrored spirals, their means and spread", "[data][toy2d]") {
  const auto d = sample(toy2d::two_spirals);
  CHECK(label_counts(d) == std::vector<index_t>{n / 2, n / 2});
  CHECK(d.points.colwise().mean().norm() < 0.005);  // the spirals cancel; noise s.e. 0.0007
  // r = 3π·sqrt(U): E[r cos r] = −4/(3π), E[r sin r] = 2 − 8/(9π²), E[r²] = 9π²/2.
  const double e_rcos = -4 / (3 * pi), e_rsin = 2 - 8 / (9 * pi * pi);
  const Eigen::RowVector2d mean0((-e_rcos + 0.25) / 3, (e_rsin + 0.25) / 3);
  CHECK((class_mean(d, 0) - mean0).norm() < 0.1);  // s.e. 0.02
  CHECK((class_mean(d, 1) + mean0).norm() < 0.1);
  const double expected_sq = (9 * pi * pi / 2 + 0.5 * (-e_rcos + e_rsin) + 1.0 / 6) / 9 + 2 * 0.01;
  CHECK(mean_squared_norm(d.points) == Approx(expected_sq).margin(0.15));  // s.e. 0.02
}

TEST_CASE("toy2d: checkerboard — only the black squares of [−4, 4]²", "[data][toy2d]") {
  const auto d = sample(toy2d::checkerboard);
  CHECK(d.classes == 8);
  for (index_t c : label_counts(d)) CHECK((c > 2200 && c < 2800));
  for (index_t i = 0; i < n; ++i) {
    const double x = d.points(i, 0), y = d.points(i, 1);
    REQUIRE((x >= -4 && x < 4 && y >= -4 && y < 4));
    const auto column = static_cast<index_t>(std::floor(x / 2)) + 2, row = static_cast<index_t>(std::floor(y / 2)) + 2;
    REQUIRE((column + row) % 2 == 0);
    REQUIRE(d.labels[static_cast<std::size_t>(i)] == 2 * column + row / 2);
  }
  // Uniform over the black squares: each coordinate is uniform on [−4, 4] (variance 16/3).
  CHECK(d.points.colwise().mean().norm() < 0.1);  // s.e. 0.016
  const matrix<double> centred = d.points.rowwise() - d.points.colwise().mean();
  CHECK(centred.col(0).squaredNorm() / n == Approx(16.0 / 3).margin(0.2));  // s.e. 0.034
  CHECK(centred.col(1).squaredNorm() / n == Approx(16.0 / 3).margin(0.2));
}

TEST_CASE("toy2d: circles — radii 3 and 1.5, radial noise 0.24", "[data][toy2d]") {
  const auto d = sample(toy2d::circles);
  CHECK(label_counts(d) == std::vector<index_t>{n / 2, n / 2});
  const std::array<double, 2> radii = {3.0, 1.5};
  for (index_t k = 0; k < 2; ++k) CHECK(class_mean_norm(d, k) == Approx(radii[static_cast<std::size_t>(k)]).margin(0.05));
  double sq = 0;
  for (index_t i = 0; i < n; ++i) sq += std::pow(d.points.row(i).norm() - radii[static_cast<std::size_t>(d.labels[static_cast<std::size_t>(i)])], 2);
  CHECK(std::sqrt(sq / n) == Approx(0.24).margin(0.03));
  CHECK(d.points.colwise().mean().norm() < 0.02);
}

TEST_CASE("toy2d: moons — the exact means of the rescaled half-circles", "[data][toy2d]") {
  const auto d = sample(toy2d::moons);
  CHECK(label_counts(d) == std::vector<index_t>{n / 2, n / 2});
  // Outer moon (cos t, sin t), inner (1 − cos t, 0.5 − sin t), t = linspace(0, π, n/2); mean of
  // cos t is 0; then ·2 + (−1, −0.2). Overall: (0, 0.3).
  const double s = mean_sin_linspace(n / 2);
  CHECK((class_mean(d, 0) - Eigen::RowVector2d(-1.0, 2 * s - 0.2)).norm() < 0.01);  // s.e. 0.002
  CHECK((class_mean(d, 1) - Eigen::RowVector2d(1.0, 2 * (0.5 - s) - 0.2)).norm() < 0.01);
  CHECK((d.points.colwise().mean() - Eigen::RowVector2d(0.0, 0.3)).norm() < 0.01);
}

TEST_CASE("toy2d: pinwheel — five arms, symmetric, rotated as FFJORD's einsum", "[data][toy2d]") {
  const auto d = sample(toy2d::pinwheel);
  CHECK(label_counts(d) == std::vector<index_t>(5, n / 5));
  CHECK(label_counts(sample(toy2d::pinwheel, 7)) == std::vector<index_t>{2, 2, 1, 1, 1});
  CHECK(d.points.colwise().mean().norm() < 0.05);  // five-fold symmetry; s.e. 0.01
  // |point|² = 4(f0² + f1²), f0 ~ N(1, 0.3²), f1 ~ N(0, 0.1²).
  CHECK(mean_squared_norm(d.points) == Approx(4 * (1 + 0.09 + 0.01)).margin(0.1));  // s.e. 0.017
  // point = 2(f0 + i f1)·e^{−ia} with a = 2πk/5 + 0.25·e^{f0}: arm k's mean angle is −2πk/5 −
  // 0.25·E[e^{f0}] = −2πk/5 − 0.25·e^{1.045}.
  for (index_t k = 0; k < 5; ++k) {
    const double expected = -2 * pi * static_cast<double>(k) / 5 - 0.25 * std::exp(1.045);
    double sum = 0;
    index_t count = 0;
    for (index_t i = 0; i < n; ++i) {
      if (d.labels[static_cast<std::size_t>(i)] != k) continue;
      sum += std::remainder(std::atan2(d.points(i, 1), d.points(i, 0)) - expected, 2 * pi);
      ++count;
    }
    CHECK(std::abs(sum / static_cast<double>(count)) < 0.03);  // s.e. 0.004
  }
}

TEST_CASE("toy2d: rings — four rings of radius 3, 2.25, 1.5, 0.75", "[data][toy2d]") {
  const auto d = sample(toy2d::rings);
  CHECK(label_counts(d) == std::vector<index_t>(4, n / 4));
  CHECK(label_counts(sample(toy2d::rings, 7)) == std::vector<index_t>{1, 1, 1, 4});
  const std::array<double, 4> radii = {3.0, 2.25, 1.5, 0.75};
  for (index_t k = 0; k < 4; ++k) CHECK(class_mean_norm(d, k) == Approx(radii[static_cast<std::size_t>(k)]).margin(0.02));
  for (index_t i = 0; i < n; ++i)
    REQUIRE(std::abs(d.points.row(i).norm() - radii[static_cast<std::size_t>(d.labels[static_cast<std::size_t>(i)])]) < 0.5);
  CHECK(d.points.colwise().mean().norm() < 0.01);
}

TEST_CASE("toy2d: swissroll — radius t/5 for t uniform on [1.5π, 4.5π]", "[data][toy2d]") {
  const auto d = sample(toy2d::swissroll);
  CHECK(d.classes == 1);
  CHECK(label_counts(d) == std::vector<index_t>{n});
  CHECK(d.points.cwiseAbs().maxCoeff() < 4.5);  // 4.5π/5 = 2.83 plus noise of s.d. 0.2
  CHECK(d.points.cwiseAbs().maxCoeff() > 2.5);
  double mean_norm = 0;
  for (index_t i = 0; i < n; ++i) mean_norm += d.points.row(i).norm() / n;
  CHECK(mean_norm == Approx(3 * pi / 5).margin(0.05));  // s.e. 0.004, noise bias ≈ 0.01
  const double lo = 1.5 * pi, hi = 4.5 * pi;
  const double e_t2 = (hi * hi * hi - lo * lo * lo) / (3 * (hi - lo));
  CHECK(mean_squared_norm(d.points) == Approx(e_t2 / 25 + 2 * 0.04).margin(0.1));  // s.e. 0.015
}

TEST_CASE("toy2d: sklearn_moons lies near the two unit half-circles", "[data][toy2d]") {
  random_engine rng(3);
  const matrix<double> x = data::sklearn_moons<double>(n, 0.05, rng);
  REQUIRE(x.rows() == n);
  REQUIRE(x.cols() == 2);
  // Distance to the upper half of the unit circle and to the lower half of the one at (1, 0.5).
  const auto arc_distance = [](Eigen::RowVector2d p, Eigen::RowVector2d centre, bool upper) {
    const Eigen::RowVector2d q = p - centre;
    if (upper ? q.y() >= 0 : q.y() <= 0) return std::abs(q.norm() - 1);
    return std::min((q - Eigen::RowVector2d(1, 0)).norm(), (q + Eigen::RowVector2d(1, 0)).norm());
  };
  double mean_distance = 0;
  for (index_t i = 0; i < n; ++i) {
    const Eigen::RowVector2d p = x.row(i);
    const double dist = std::min(arc_distance(p, {0.0, 0.0}, true), arc_distance(p, {1.0, 0.5}, false));
    REQUIRE(dist < 0.3);  // six noise standard deviations
    mean_distance += dist / n;
  }
  CHECK(mean_distance < 0.05);  // ≈ 0.05·sqrt(2/π) = 0.04 for the radial part alone
  CHECK((x.colwise().mean() - Eigen::RowVector2d(0.5, 0.25)).norm() < 0.01);
  random_engine again(3);
  CHECK(data::sklearn_moons<double>(n, 0.05, again) == x);
}
