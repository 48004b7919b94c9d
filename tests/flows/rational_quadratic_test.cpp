// tests/flows/rational_quadratic_test.cpp — the rational-quadratic spline: round trips (double
// and float) on knots, at ±B, in the tails and at extreme parameters; monotone; value and
// derivative continuous at every knot and at ±B; log-derivative against finite differences;
// gradients and tangents of every input against finite differences; clear errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/flows/rational_quadratic.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::check_ad;
using eigenflow::test::uniform;
using Catch::Matchers::Contains;
using flows::rational_quadratic_forward;
using flows::rational_quadratic_inverse;
using flows::rational_quadratic_options;

namespace {

/// Unconstrained spline parameters for R rows, entries uniform in [−spread, spread].
struct spline_parameters {
  matrix<double> widths, heights, derivatives;

  spline_parameters(index_t rows, index_t bins, double spread, unsigned seed)
      : widths(uniform(rows, bins, -spread, spread, seed)),
        heights(uniform(rows, bins, -spread, spread, seed + 1)),
        derivatives(uniform(rows, bins - 1, -spread, spread, seed + 2)) {}

  template <class Scalar>
  spline_parameters cast_back() const {
    spline_parameters p = *this;
    p.widths = widths.cast<Scalar>().template cast<double>();
    p.heights = heights.cast<Scalar>().template cast<double>();
    p.derivatives = derivatives.cast<Scalar>().template cast<double>();
    return p;
  }
};

template <class Scalar>
transformed<matrix<Scalar>> spline_forward(const matrix<double>& x, const spline_parameters& p,
                                    const rational_quadratic_options& o) {
  return rational_quadratic_forward<matrix<Scalar>>(x.cast<Scalar>(), p.widths.cast<Scalar>(), p.heights.cast<Scalar>(),
                                                    p.derivatives.cast<Scalar>(), o);
}
template <class Scalar>
transformed<matrix<Scalar>> spline_inverse(const matrix<double>& y, const spline_parameters& p,
                                    const rational_quadratic_options& o) {
  return rational_quadratic_inverse<matrix<Scalar>>(y.cast<Scalar>(), p.widths.cast<Scalar>(), p.heights.cast<Scalar>(),
                                                    p.derivatives.cast<Scalar>(), o);
}

/// The K + 1 x-knots of each row (what the spline computes from the widths).
matrix<double> x_knots(const spline_parameters& p, const rational_quadratic_options& o) {
  return eigenflow::detail::make_spline_axis(p.widths, o.min_bin_width, o.bound).knots;
}

/// Rows of test points for one parameter row each: every knot, ±B, points in the tails and
/// inside, so `rows` parameter rows give rows × (points per row) values.
struct test_points {
  matrix<double> x;
  spline_parameters p;
};
test_points points_on_and_between_knots(const spline_parameters& base, const rational_quadratic_options& o) {
  const matrix<double> knots = x_knots(base, o);
  std::vector<double> xs;
  std::vector<index_t> owner;
  for (index_t r = 0; r < knots.rows(); ++r) {
    std::vector<double> here = {-o.bound, o.bound, -o.bound - 1e-9, o.bound + 1e-9, -5 * o.bound, 3 * o.bound, 0.0};
    for (index_t k = 0; k < knots.cols(); ++k) here.push_back(knots(r, k));
    for (index_t k = 0; k + 1 < knots.cols(); ++k) here.push_back(0.5 * (knots(r, k) + knots(r, k + 1)));
    for (double v : here) {
      xs.push_back(v);
      owner.push_back(r);
    }
  }
  test_points t{matrix<double>(static_cast<index_t>(xs.size()), 1), base};
  t.p.widths = gather_rows(base.widths, std::span<const index_t>(owner));
  t.p.heights = gather_rows(base.heights, std::span<const index_t>(owner));
  t.p.derivatives = gather_rows(base.derivatives, std::span<const index_t>(owner));
  for (std::size_t i = 0; i < xs.size(); ++i) t.x(static_cast<index_t>(i), 0) = xs[i];
  return t;
}

}  // namespace

TEST_CASE("rational-quadratic spline: round trips on knots, at ±B, in the tails, at extreme parameters",
          "[flows][spline]") {
  const rational_quadratic_options o{.bins = 5, .bound = 3.0};
  for (double spread : {1.0, 8.0}) {  // 8: bins near their floors and derivatives near min and large
    INFO("parameter spread " << spread);
    const test_points t = points_on_and_between_knots(spline_parameters(6, 5, spread, 1), o);
    const auto fwd = spline_forward<double>(t.x, t.p, o);
    const auto back = spline_inverse<double>(fwd.value, t.p, o);
    // Within 1e-10, or within what the rounding of y allows where the spline is nearly flat:
    // at extreme parameters dy/dx falls to 1e-6 inside a bin, and a y rounded to 1e-16 then fixes
    // x only to 1e-16 · dx/dy. Knots round-trip exactly (θ = 0 in both directions).
    for (index_t i = 0; i < t.x.rows(); ++i) {
      INFO("x = " << t.x(i, 0) << ", log dy/dx = " << fwd.log_det(i, 0));
      CHECK(std::abs(back.value(i, 0) - t.x(i, 0)) <= 1e-10 + 1e-13 * std::exp(-fwd.log_det(i, 0)));
    }
    // The log-dets as the values: within 1e-10 where the spline is not flat; where it is, x (and
    // so log dy/dx) is known only as well as above, so compare the inverse's log-det with the
    // forward one at the point the inverse returned.
    const auto again = spline_forward<double>(back.value, t.p, o);
    for (index_t i = 0; i < t.x.rows(); ++i) {
      INFO("x = " << t.x(i, 0) << ", log dy/dx = " << fwd.log_det(i, 0));
      if (fwd.log_det(i, 0) > -5) CHECK(std::abs(fwd.log_det(i, 0) + back.log_det(i, 0)) <= 1e-10);
    }
    CHECK((again.log_det + back.log_det).cwiseAbs().maxCoeff() <= 1e-10);
    const matrix<double> knots = x_knots(spline_parameters(6, 5, spread, 1), o);
    const matrix<double> first_knots = knots.col(1);
    CHECK(spline_inverse<double>(spline_forward<double>(first_knots, spline_parameters(6, 5, spread, 1), o).value,
                                 spline_parameters(6, 5, spread, 1), o)
              .value == first_knots);
    // Tails: the identity with log-derivative 0.
    for (index_t i = 0; i < t.x.rows(); ++i) {
      if (std::abs(t.x(i, 0)) > o.bound) {
        CHECK(fwd.value(i, 0) == t.x(i, 0));
        CHECK(fwd.log_det(i, 0) == 0);
      }
    }
    // And from the other side: inverse then forward, on the same points read as y.
    const auto up = spline_forward<double>(spline_inverse<double>(t.x, t.p, o).value, t.p, o);
    CHECK((up.value - t.x).cwiseAbs().maxCoeff() <= 1e-10);
  }
  SECTION("float") {
    const spline_parameters base(6, 5, 3.0, 4);
    const test_points t = points_on_and_between_knots(base.cast_back<float>(), o);
    const auto fwd = spline_forward<float>(t.x, t.p, o);
    const auto back = spline_inverse<float>(fwd.value.cast<double>(), t.p, o);
    for (index_t i = 0; i < t.x.rows(); ++i) {  // as in double, with float's rounding of y
      INFO("x = " << t.x(i, 0) << ", log dy/dx = " << fwd.log_det(i, 0));
      CHECK(std::abs(back.value(i, 0) - t.x(i, 0)) <= 1e-5 + 5e-6 * std::exp(-fwd.log_det(i, 0)));
    }
    // Where x is only known to 1e-16 · dx/dy, so is log dy/dx: compare the inverse's log-det with
    // the forward one at the point the inverse returned.
    const auto again = spline_forward<float>(back.value.cast<double>(), t.p, o);
    CHECK((again.log_det + back.log_det).cwiseAbs().maxCoeff() <= 1e-4);
  }
  SECTION("a steep right end (b < 0 in the quadratic), in float") {
    // Two equal bins, derivative 200 at the middle knot: approaching it from the left, b < 0,
    // and the form 2c / (−b − √(b² − 4ac)) alone would cancel (1.3e-6 off at x = −0.0877, ten
    // times what float's rounding of y allows there).
    const rational_quadratic_options two{.bins = 2, .bound = 1.0};
    const index_t n = 9;
    const matrix<float> flat = matrix<float>::Zero(n, 2);
    // softplus(u + softplus⁻¹(1 − m)) + m = 200
    const double shift = std::log(std::expm1(1 - two.min_derivative));
    const matrix<float> steep =
        matrix<float>::Constant(n, 1, static_cast<float>(std::log(std::expm1(200.0 - two.min_derivative)) - shift));
    matrix<float> x(n, 1);
    for (index_t i = 0; i < n; ++i) x(i, 0) = static_cast<float>(-0.8877 + 0.1 * static_cast<double>(i));
    const auto y = rational_quadratic_forward(x, flat, flat, steep, two);
    const auto back = rational_quadratic_inverse(y.value, flat, flat, steep, two);
    for (index_t i = 0; i < n; ++i) {
      const double dx_dy = std::exp(-static_cast<double>(y.log_det(i, 0)));
      INFO("x = " << x(i, 0) << ", dx/dy = " << dx_dy);
      CHECK(std::abs(static_cast<double>(back.value(i, 0) - x(i, 0))) <= 2e-7 * std::max(1.0, dx_dy));
    }
  }
  SECTION("a nearly linear bin (a ≈ 0 in the quadratic)") {
    // Parameters all 0: equal widths and heights and every derivative 1, the identity (what a
    // coupling starts as); the quadratic's a vanishes.
    const rational_quadratic_options four{.bins = 4, .bound = 3.0};
    const spline_parameters p(20, 4, 0.0, 5);
    const matrix<double> y = uniform(20, 1, -3.5, 3.5, 6);
    const auto x = spline_inverse<double>(y, p, four);
    CHECK((x.value - y).cwiseAbs().maxCoeff() <= 1e-12);
    CHECK(x.log_det.cwiseAbs().maxCoeff() <= 1e-12);
    const auto z = spline_forward<double>(y, p, four);
    CHECK((z.value - y).cwiseAbs().maxCoeff() <= 1e-12);
    CHECK(z.log_det.cwiseAbs().maxCoeff() <= 1e-12);
  }
}

TEST_CASE("rational-quadratic spline: monotone, continuous with its derivative at every knot and at ±B",
          "[flows][spline]") {
  const rational_quadratic_options o{.bins = 6, .bound = 2.0};
  const spline_parameters one(1, 6, 2.0, 7);
  const index_t n = 4001;
  matrix<double> grid(n, 1);
  for (index_t i = 0; i < n; ++i) grid(i, 0) = -2.5 + 5.0 * static_cast<double>(i) / static_cast<double>(n - 1);
  spline_parameters p = one;
  const std::vector<index_t> same(static_cast<std::size_t>(n), 0);
  p.widths = gather_rows(one.widths, std::span<const index_t>(same));
  p.heights = gather_rows(one.heights, std::span<const index_t>(same));
  p.derivatives = gather_rows(one.derivatives, std::span<const index_t>(same));
  const auto y = spline_forward<double>(grid, p, o);
  for (index_t i = 1; i < n; ++i) CHECK(y.value(i, 0) > y.value(i - 1, 0));

  // Left and right limits at each knot (including ±B) of the value and the log-derivative.
  const matrix<double> knots = x_knots(one, o);
  const double h = 1e-10;
  matrix<double> sides(2 * knots.cols(), 1);
  for (index_t k = 0; k < knots.cols(); ++k) {
    sides(2 * k, 0) = knots(0, k) - h;
    sides(2 * k + 1, 0) = knots(0, k) + h;
  }
  const std::vector<index_t> zeros(static_cast<std::size_t>(sides.rows()), 0);
  spline_parameters q = one;
  q.widths = gather_rows(one.widths, std::span<const index_t>(zeros));
  q.heights = gather_rows(one.heights, std::span<const index_t>(zeros));
  q.derivatives = gather_rows(one.derivatives, std::span<const index_t>(zeros));
  const auto at = spline_forward<double>(sides, q, o);
  for (index_t k = 0; k < knots.cols(); ++k) {
    INFO("knot " << k << " at " << knots(0, k));
    CHECK(std::abs(at.value(2 * k + 1, 0) - at.value(2 * k, 0)) <= 1e-7);
    CHECK(std::abs(at.log_det(2 * k + 1, 0) - at.log_det(2 * k, 0)) <= 1e-6);
  }
  // The spline meets the identity tails: y(±B) = ±B and slope 1 there.
  CHECK(std::abs(at.value(0, 0) - (-2.0 - h)) <= 1e-12);
  CHECK(std::abs(at.value(2 * knots.cols() - 1, 0) - (2.0 + h)) <= 1e-12);
  CHECK(std::abs(at.log_det(1, 0)) <= 1e-6);
  CHECK(std::abs(at.log_det(2 * knots.cols() - 2, 0)) <= 1e-6);
}

TEST_CASE("rational-quadratic spline: log-derivative against finite differences", "[flows][spline]") {
  const rational_quadratic_options o{.bins = 8, .bound = 4.0};
  const spline_parameters p(200, 8, 2.0, 8);
  const matrix<double> x = uniform(200, 1, -4.5, 4.5, 9);
  const double h = 1e-6;
  const matrix<double> plus = (x.array() + h).matrix(), minus = (x.array() - h).matrix();
  const matrix<double> slope = (spline_forward<double>(plus, p, o).value - spline_forward<double>(minus, p, o).value) / (2 * h);
  const matrix<double> log_det = spline_forward<double>(x, p, o).log_det;
  CHECK((slope.array().log() - log_det.array()).abs().maxCoeff() <= 1e-6);
  // The inverse's log-derivative, the same way.
  const matrix<double> inv_slope = (spline_inverse<double>(plus, p, o).value - spline_inverse<double>(minus, p, o).value) / (2 * h);
  CHECK((inv_slope.array().log() - spline_inverse<double>(x, p, o).log_det.array()).abs().maxCoeff() <= 1e-6);
}

TEST_CASE("rational-quadratic spline: gradients and tangents of x and every parameter", "[flows][spline]") {
  const rational_quadratic_options o{.bins = 4, .bound = 2.0};
  const spline_parameters p(7, 4, 1.5, 10);
  matrix<double> x = uniform(7, 1, -1.9, 1.9, 11);
  x(6, 0) = 2.6;  // a tail row: its gradient is the identity's, its parameters get none
  const auto sum_both = [&o](bool inv) {
    return [&o, inv](const auto& in) {
      const auto r = inv ? rational_quadratic_inverse(in[0], in[1], in[2], in[3], o)
                         : rational_quadratic_forward(in[0], in[1], in[2], in[3], o);
      return add(r.value, scale(r.log_det, 0.7));
    };
  };
  check_ad(sum_both(false), {x, p.widths, p.heights, p.derivatives});
  check_ad(sum_both(true), {x, p.widths, p.heights, p.derivatives});
}

TEST_CASE("rational-quadratic spline: bad options and shapes are named", "[flows][spline]") {
  const spline_parameters p(3, 4, 1.0, 12);
  const matrix<double> x = uniform(3, 1, -1, 1, 13);
  const rational_quadratic_options good{.bins = 4};
  CHECK_NOTHROW(rational_quadratic_forward(x, p.widths, p.heights, p.derivatives, good));
  REQUIRE_THROWS_WITH(rational_quadratic_forward(x, p.widths, p.heights, p.derivatives, {.bins = 1}),
                      Contains("bins must be at least 2"));
  REQUIRE_THROWS_WITH(rational_quadratic_forward(x, p.widths, p.heights, p.derivatives, {.bins = 4, .bound = 0}),
                      Contains("bound must be positive"));
  REQUIRE_THROWS_WITH(
      rational_quadratic_forward(x, p.widths, p.heights, p.derivatives, {.bins = 4, .min_bin_width = 0.25}),
      Contains("min_bin_width must be in [0, 1/bins)"));
  REQUIRE_THROWS_WITH(
      rational_quadratic_forward(x, p.widths, p.heights, p.derivatives, {.bins = 4, .min_derivative = 0}),
      Contains("min_derivative must be positive"));
  REQUIRE_THROWS_WITH(rational_quadratic_forward(x, p.widths, p.heights, p.derivatives, {.bins = 5}),
                      Contains("widths is 3x4, expected 3x5; heights is 3x4, expected 3x5; derivatives is 3x3, "
                               "expected 3x4 (5 bins)"));
  REQUIRE_THROWS_WITH(rational_quadratic_inverse(matrix<double>(uniform(3, 2, 0, 1, 14)), p.widths, p.heights,
                                                 p.derivatives, good),
                      Contains("rational_quadratic_inverse: x is 3x2, expected one column"));
}

TEST_CASE("rational-quadratic spline: the fused kernel equals the composed ops, in value and gradient",
          "[flows][spline]") {
  // Points a quarter, half and three quarters into every bin, ±B and the tails, at moderate and
  // extreme parameters: every bin (the end bins, whose outer derivative is the constant 1,
  // included) in both directions. Not the interior knots: there the log-derivative's gradient
  // jumps (the spline is C¹, not C²), and an ulp of difference in the knots (std::exp in the
  // kernel, Eigen's vectorized exp in the ops) picks the other side's one-sided value.
  for (const double spread : {1.5, 6.0}) {
    const rational_quadratic_options o{.bins = 5, .bound = 2.5};
    const spline_parameters base(6, 5, spread, 40);
    const matrix<double> knots = x_knots(base, o);
    std::vector<double> xs;
    std::vector<index_t> owner;
    for (index_t r = 0; r < knots.rows(); ++r) {
      std::vector<double> here = {-o.bound, o.bound, -o.bound - 1e-9, o.bound + 1e-9, -5 * o.bound, 3 * o.bound};
      for (index_t k = 0; k + 1 < knots.cols(); ++k) {
        for (const double f : {0.25, 0.5, 0.75}) here.push_back((1 - f) * knots(r, k) + f * knots(r, k + 1));
      }
      for (double v : here) {
        xs.push_back(v);
        owner.push_back(r);
      }
    }
    test_points t{Eigen::Map<const matrix<double>>(xs.data(), static_cast<index_t>(xs.size()), 1), base};
    t.p.widths = gather_rows(base.widths, std::span<const index_t>(owner));
    t.p.heights = gather_rows(base.heights, std::span<const index_t>(owner));
    t.p.derivatives = gather_rows(base.derivatives, std::span<const index_t>(owner));
    const matrix<double> weights = uniform(t.x.rows(), 2, -1, 1, 41);
    for (const bool inverse : {false, true}) {
      INFO((inverse ? "inverse" : "forward") << ", parameters in ±" << spread);
      tape<double> tp;
      const var<double> x = tp.variable(t.x), w = tp.variable(t.p.widths), h = tp.variable(t.p.heights),
                        d = tp.variable(t.p.derivatives);
      const auto loss_of = [&](const transformed<var<double>>& r) {
        return sum(add(mul(r.value, tp.constant(weights.col(0))), mul(r.log_det, tp.constant(weights.col(1)))));
      };
      const transformed<var<double>> fused = inverse ? rational_quadratic_inverse(x, w, h, d, o)
                                                     : rational_quadratic_forward(x, w, h, d, o);
      const transformed<var<double>> composed =
          eigenflow::detail::rational_quadratic_composed(x, w, h, d, o, inverse);
      CHECK((fused.value.value() - composed.value.value()).cwiseAbs().maxCoeff() <= 1e-13);
      CHECK((fused.log_det.value() - composed.log_det.value()).cwiseAbs().maxCoeff() <= 1e-10);
      const auto gradients = [&](const var<double>& loss) {
        tp.zero_adjoints();
        tp.backward(loss);
        return std::vector<matrix<double>>{x.adjoint(), w.adjoint(), h.adjoint(), d.adjoint()};
      };
      const std::vector<matrix<double>> g_fused = gradients(loss_of(fused)), g_composed = gradients(loss_of(composed));
      for (std::size_t i = 0; i < g_fused.size(); ++i) {
        INFO("operand " << i);
        const double scale = std::max(1.0, g_composed[i].cwiseAbs().maxCoeff());
        CHECK((g_fused[i] - g_composed[i]).cwiseAbs().maxCoeff() <= 1e-10 * scale);
      }
    }
  }
}
