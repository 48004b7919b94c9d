// tests/autodiff/indexing_test.cpp — the ops a spline is built from: cumulative sums along rows,
// per-row bin search, per-row gathers and element-wise selection. Values against explicit loops,
// gradients and tangents against finite differences (double), errors for bad shapes and indices.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::check_ad;
using eigenflow::test::uniform;
using Catch::Matchers::Contains;

TEST_CASE("cumsum_rows: running sums along each row", "[autodiff][ops][indexing]") {
  const matrix<double> x = uniform(4, 5, -1, 1, 1);
  const matrix<double> y = cumsum_rows(x);
  for (index_t i = 0; i < 4; ++i) {
    double running = 0;
    for (index_t j = 0; j < 5; ++j) {
      running += x(i, j);
      CHECK(y(i, j) == Approx(running).epsilon(1e-15));
    }
  }
  check_ad([](const auto& in) { return cumsum_rows(in[0]); }, {x});
  // Weighted by another input, so that every output entry has its own adjoint.
  check_ad([](const auto& in) { return mul(cumsum_rows(in[0]), in[1]); }, {x, uniform(4, 5, 0.5, 2, 2)});
  CHECK(cumsum_rows(matrix<double>(3, 0)).cols() == 0);
}

TEST_CASE("searchsorted_rows: the bin of each value among its row's knots", "[autodiff][ops][indexing]") {
  matrix<double> knots(2, 4);
  knots << -1.0, 0.0, 0.5, 1.0,  //
      0.0, 1.0, 2.0, 3.0;
  matrix<double> x(2, 7);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  x << -5.0, -1.0, -0.5, 0.0, 0.7, 1.0, 9.0,  //
      0.5, 1.0, 1.5, 2.0, 2.999, 3.0, nan;
  index_matrix expected(2, 7);
  expected << 0, 0, 0, 1, 2, 2, 2,  //
      0, 1, 1, 2, 2, 2, 0;
  CHECK(searchsorted_rows(knots, x) == expected);

  // Against a count of the knots at or below each value, on random sorted knots.
  const matrix<double> steps = uniform(50, 9, 0.01, 1, 3);
  const matrix<double> sorted = cumsum_rows(steps);
  const matrix<double> values = uniform(50, 3, 0, 9, 4);
  const index_matrix bins = searchsorted_rows(sorted, values);
  for (index_t i = 0; i < 50; ++i) {
    for (index_t j = 0; j < 3; ++j) {
      index_t at_or_below = 0;
      for (index_t k = 0; k < 9; ++k) at_or_below += sorted(i, k) <= values(i, j) ? 1 : 0;
      CHECK(bins(i, j) == std::clamp<index_t>(at_or_below - 1, 0, 7));
    }
  }

  // On a tape: the same bins, in the tape's storage.
  tape<double> t;
  const index_map on_tape = searchsorted_rows(t.variable(sorted), t.constant(values));
  CHECK(on_tape == bins);
  const dual<double> d(t.variable(sorted));
  CHECK(searchsorted_rows(d, dual<double>(t.constant(values))) == bins);

  REQUIRE_THROWS_AS(searchsorted_rows(matrix<double>(2, 1), x), shape_error);
  REQUIRE_THROWS_WITH(searchsorted_rows(knots, matrix<double>(3, 1)), Contains("knots 2x4 and values 3x1 differ in rows"));
}

TEST_CASE("take_along_rows: one entry of each row per index", "[autodiff][ops][indexing]") {
  const matrix<double> table = uniform(3, 4, -1, 1, 5);
  index_matrix idx(3, 2);
  idx << 0, 3,  //
      2, 2,     // a repeated index: its gradients add up
      1, 0;
  const matrix<double> y = take_along_rows(table, idx);
  for (index_t i = 0; i < 3; ++i) {
    for (index_t j = 0; j < 2; ++j) CHECK(y(i, j) == table(i, idx(i, j)));
  }
  check_ad([&idx](const auto& in) { return mul(take_along_rows(in[0], idx), in[1]); }, {table, uniform(3, 2, 0.5, 2, 6)});
  index_matrix bad = idx;
  bad(1, 0) = 4;
  REQUIRE_THROWS_WITH(take_along_rows(table, bad), Contains("index 4 at (1, 0) is outside [0, 4)"));
  bad(1, 0) = -1;
  REQUIRE_THROWS_AS(take_along_rows(table, bad), value_error);
  REQUIRE_THROWS_AS(take_along_rows(table, index_matrix::Zero(2, 2)), shape_error);
}

TEST_CASE("where and within: element-wise choice", "[autodiff][ops][indexing]") {
  const matrix<double> a = uniform(3, 4, -2, 2, 7);
  const matrix<double> b = uniform(3, 4, -2, 2, 8);
  const index_matrix inside = within(a, -1.0, 1.0);
  for (index_t i = 0; i < a.size(); ++i) CHECK((inside.data()[i] != 0) == (std::abs(a.data()[i]) <= 1));
  const matrix<double> y = where(inside, a, b);
  for (index_t i = 0; i < a.size(); ++i) CHECK(y.data()[i] == (inside.data()[i] != 0 ? a.data()[i] : b.data()[i]));
  check_ad([&inside](const auto& in) { return mul(where(inside, in[0], in[1]), in[2]); }, {a, b, uniform(3, 4, 0.5, 2, 9)});
  // within on a tape and for a dual reads the primal; NaN is never inside.
  tape<double> t;
  CHECK(within(t.constant(a), -1.0, 1.0) == inside);
  CHECK(within(dual<double>(t.constant(a)), -1.0, 1.0) == inside);
  CHECK(within(matrix<double>(matrix<double>::Constant(1, 1, std::numeric_limits<double>::quiet_NaN())), -1.0, 1.0)(0, 0) == 0);
  // A zero (null) tangent on one side: the chosen tangent is zero there.
  const dual<double> with_tangent(t.constant(a), t.constant(matrix<double>::Ones(3, 4)));
  const dual<double> without(t.constant(b));
  const dual<double> chosen = where(inside, with_tangent, without);
  REQUIRE(chosen.has_tangent());
  CHECK(matrix<double>(chosen.tangent.value()) == inside.cast<double>());
  CHECK_FALSE(where(inside, without, without).has_tangent());
  REQUIRE_THROWS_AS(where(inside, a, matrix<double>(3, 3)), shape_error);
}

TEST_CASE("a piecewise-linear map built from the indexing ops has exact gradients", "[autodiff][ops][indexing]") {
  // y = the piecewise-linear interpolation of knots (cumulative softmax widths) at x: the bins are
  // constant under small perturbations of values away from the knots, so finite differences hold.
  const matrix<double> logits = uniform(6, 5, -1, 1, 10);
  const matrix<double> x = uniform(6, 1, 0.05, 0.95, 11);
  check_ad(
      [](const auto& in) {
        const auto widths = softmax_rows(in[0]);
        const auto right = cumsum_rows(widths);
        const auto left = sub(right, widths);
        const auto knots = concat(slice(left, 0, 1), right);
        const auto bins = searchsorted_rows(knots, in[1]);
        const auto lo = take_along_rows(left, bins);
        const auto width = take_along_rows(widths, bins);
        return div(sub(in[1], lo), width);  // the position within the bin
      },
      {logits, x});
}
