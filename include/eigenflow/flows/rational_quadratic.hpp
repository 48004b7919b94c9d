// include/eigenflow/flows/rational_quadratic.hpp — the monotone rational-quadratic spline
// (Durkan et al. 2019, "Neural Spline Flows") as an element-wise bijection with identity tails,
// for all value types (docs/conventions.md, "Rational-quadratic spline").
//
// On [−B, B] the map is K rational-quadratic pieces through K + 1 knots (x_k, y_k) with positive
// derivatives δ_k at the knots; outside it is the identity, and δ_0 = δ_K = 1 so that value and
// derivative are continuous at ±B. Within bin k, with θ = (x − x_k)/w_k and s_k = h_k/w_k:
//   y = y_k + h_k (s_k θ² + δ_k θ(1−θ)) / (s_k + (δ_{k+1} + δ_k − 2 s_k) θ(1−θ))
//   dy/dx = s_k² (δ_{k+1} θ² + 2 s_k θ(1−θ) + δ_k (1−θ)²) / (s_k + (δ_{k+1} + δ_k − 2 s_k) θ(1−θ))²
// The inverse solves a quadratic aθ² + bθ + c = 0 (c ≤ 0) in θ for its root in [0, 1], in a form
// that never subtracts nearly equal terms: 2c / (−b − √(b² − 4ac)) when b ≥ 0 (also right when a
// is near zero, a nearly linear bin), (−b + √(b² − 4ac)) / 2a when b < 0 (a steep right end).
//
// Each row of x is one value with its own spline: x is R×1 and the unconstrained parameters are
// R×K (widths), R×K (heights) and R×(K−1) (interior derivatives), as a conditioner emits them.
// widths and heights go through a softmax and a floor (min_bin_width, min_bin_height, as a share
// of 2B); derivatives u through min_derivative + softplus(u + softplus⁻¹(1 − min_derivative)), so
// that parameters all 0 make the identity (equal bins, every derivative 1): a coupling whose
// conditioner starts at zero output starts as the identity. Rows outside [−B, B] pass through
// with log-derivative 0, and their spline parameters get no gradient.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/indexing.hpp"
#include "eigenflow/autodiff/ops/scan.hpp"
#include "eigenflow/autodiff/ops/select.hpp"
#include "eigenflow/autodiff/ops/softmax.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/autodiff/value_traits.hpp"
#include "eigenflow/density/transformed.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/rational_quadratic_kernel.hpp"

namespace eigenflow::flows {

/// The shape of a rational-quadratic spline: its bins, its interval and its floors.
struct rational_quadratic_options {
  /// K, the number of bins (at least 2).
  index_t bins = 8;
  /// B: the spline acts on [−B, B], the identity outside.
  double bound = 3.0;
  /// Floor of each bin's width, as a share of 2B (K·min < 1).
  double min_bin_width = 1e-3;
  /// Floor of each bin's height, as a share of 2B (K·min < 1).
  double min_bin_height = 1e-3;
  /// Floor of the derivative at each interior knot (> 0).
  double min_derivative = 1e-3;

  /// Unconstrained parameters per transformed value: K widths, K heights, K − 1 derivatives.
  index_t parameters_per_value() const { return 3 * bins - 1; }

  /// @throws value_error naming the option that is out of range.
  void validate() const {
    const auto fail = [](const std::string& what) { throw value_error("rational_quadratic_options: " + what); };
    if (bins < 2) fail("bins must be at least 2, got " + std::to_string(bins));
    if (!(bound > 0) || !std::isfinite(bound)) fail("bound must be positive and finite, got " + std::to_string(bound));
    const auto check_share = [&](const char* name, double v) {
      if (!(v >= 0) || !(v * static_cast<double>(bins) < 1)) {
        fail(std::string(name) + " must be in [0, 1/bins), got " + std::to_string(v) + " for " + std::to_string(bins) +
             " bins");
      }
    };
    check_share("min_bin_width", min_bin_width);
    check_share("min_bin_height", min_bin_height);
    if (!(min_derivative > 0) || !std::isfinite(min_derivative)) {
      fail("min_derivative must be positive, got " + std::to_string(min_derivative));
    }
  }
};

}  // namespace eigenflow::flows

// The helpers live in eigenflow::detail, never in a flows::detail: a flows::detail declared
// before another flows header would capture that header's detail:: calls.
namespace eigenflow::detail {

/// One axis of the spline's knots: the bins' sizes and left edges, and the K + 1 knots.
template <class Value>
struct spline_axis {
  Value size;   // R×K
  Value left;   // R×K
  Value knots;  // R×(K+1)
};

// Sizes 2B·(min + (1 − K·min)·softmax(u)) and left edges −B + (cumulative sum − size). The knots
// are the left edges and the last right edge, so a value on a knot is that bin's left edge to the
// last bit, θ = 0 there in both directions, and a knot round-trips exactly.
template <class Value>
spline_axis<Value> make_spline_axis(const Value& unconstrained, double floor, double bound) {
  using Scalar = scalar_of<Value>;
  const auto k = static_cast<double>(unconstrained.cols());
  const Value size = affine(softmax_rows(unconstrained), static_cast<Scalar>(2 * bound * (1 - k * floor)),
                            static_cast<Scalar>(2 * bound * floor));
  const Value right = shift(cumsum_rows(size), static_cast<Scalar>(-bound));
  const Value left = sub(right, size);
  return {size, left, concat(left, slice(right, unconstrained.cols() - 1, 1))};
}

// softplus⁻¹(1 − m_δ): the shift that makes an unconstrained derivative of 0 the slope 1.
inline double unit_derivative_shift(const flows::rational_quadratic_options& options) {
  return std::log(std::expm1(1 - options.min_derivative));
}

template <class Value>
void check_spline_shapes(const char* who, const Value& x, const Value& widths, const Value& heights,
                         const Value& derivatives, const flows::rational_quadratic_options& options) {
  const index_t k = options.bins;
  const auto bad = [&](const char* name, const Value& v, index_t cols) {
    return v.rows() != x.rows() || v.cols() != cols ? std::string(name) + " is " + format_shape(v) +
                                                          ", expected " +
                                                          format_shape(x.rows(), cols) + "; "
                                                    : std::string();
  };
  const std::string problems = (x.cols() != 1 ? "x is " + format_shape(x) + ", expected one column; " : std::string()) +
                               bad("widths", widths, k) + bad("heights", heights, k) +
                               bad("derivatives", derivatives, k - 1);
  if (!problems.empty()) {
    throw shape_error(std::string(who) + ": " + problems.substr(0, problems.size() - 2) + " (" + std::to_string(k) +
                      " bins)");
  }
}

/// Everything one bin contributes at each row: its left knot, width, height, slope and the
/// derivatives at its ends.
template <class Value>
struct spline_bin {
  Value x_left, width, y_left, height, slope, derivative_left, derivative_right;
};

template <class Value>
spline_bin<Value> gather_bins(const spline_axis<Value>& xs, const spline_axis<Value>& ys, const Value& derivatives,
                              const Eigen::Ref<const index_matrix>& bins, index_t k) {
  spline_bin<Value> b{take_along_rows(xs.left, bins), take_along_rows(xs.size, bins), take_along_rows(ys.left, bins),
                      take_along_rows(ys.size, bins), Value{}, take_along_rows(slice(derivatives, 0, k), bins),
                      take_along_rows(slice(derivatives, 1, k), bins)};
  b.slope = div(b.height, b.width);
  return b;
}

/// Where a value sits in its bin: θ, 1 − θ, θ(1 − θ) and the rational function's denominator
/// s + (δ₁ + δ₀ − 2s)·θ(1 − θ), each recorded once for the value and the log-derivative.
template <class Value>
struct bin_position {
  Value theta, one_minus, spread, denominator;
};

template <class Value>
bin_position<Value> position_in_bin(const spline_bin<Value>& b, const Value& curvature, const Value& theta) {
  const Value one_minus = neg(shift(theta, -1));
  const Value spread = mul(theta, one_minus);
  return {theta, one_minus, spread, add(b.slope, mul(curvature, spread))};
}

// log dy/dx at θ: log(s² (δ₁θ² + 2sθ(1−θ) + δ₀(1−θ)²)) − 2 log(denominator).
template <class Value>
Value spline_log_derivative(const spline_bin<Value>& b, const bin_position<Value>& p) {
  const Value numerator = mul(square(b.slope), add(add(mul(b.derivative_right, square(p.theta)), mul(scale(b.slope, 2), p.spread)),
                                                   mul(b.derivative_left, square(p.one_minus))));
  return sub(log(numerator), scale(log(p.denominator), 2));
}

/// The spline composed of tape ops: what duals run (each op has its tangent rule), and the
/// reference the fused kernel (rational_quadratic_kernel.hpp) is tested against. Checks nothing.
template <class Value>
transformed<Value> rational_quadratic_composed(const Value& in, const Value& widths, const Value& heights,
                                               const Value& derivatives, const flows::rational_quadratic_options& options,
                                               bool inverse) {
  using Scalar = scalar_of<Value>;
  const index_t k = options.bins;
  const auto bound = static_cast<Scalar>(options.bound);
  const spline_axis<Value> xs = make_spline_axis(widths, options.min_bin_width, options.bound);
  const spline_axis<Value> ys = make_spline_axis(heights, options.min_bin_height, options.bound);
  // δ_0 = δ_K = 1 (the identity tails' slope), the interior ones above the floor and 1 at u = 0.
  const Value zero = zeros_like(in, in.rows(), 1);
  const Value one = shift(zero, Scalar(1));
  const Value interior = shift(softplus(shift(derivatives, static_cast<Scalar>(unit_derivative_shift(options)))),
                               static_cast<Scalar>(options.min_derivative));
  const Value all_derivatives = concat(concat(one, interior), one);

  // Rows outside [−B, B] are the identity; the spline is evaluated at 0 there (an inside point
  // keeps its arithmetic finite) and its result dropped by `where`.
  const auto inside = within(in, -bound, bound);
  const Value safe = where(inside, in, zero);
  const auto bins = searchsorted_rows(inverse ? ys.knots : xs.knots, safe);
  const spline_bin<Value> b = gather_bins(xs, ys, all_derivatives, bins, k);
  const Value curvature = sub(add(b.derivative_right, b.derivative_left), scale(b.slope, 2));
  if (!inverse) {
    const bin_position<Value> p = position_in_bin(b, curvature, div(sub(safe, b.x_left), b.width));
    const Value numerator = mul(b.height, add(mul(b.slope, square(p.theta)), mul(b.derivative_left, p.spread)));
    const Value out = add(b.y_left, div(numerator, p.denominator));
    return {where(inside, out, in), where(inside, spline_log_derivative(b, p), zero)};
  }
  // a θ² + b θ + c = 0 with the root in [0, 1]: θ = 2c / (−b − √(b² − 4ac)).
  const Value offset = sub(safe, b.y_left);
  const Value offset_curvature = mul(offset, curvature);
  const Value qa = add(mul(b.height, sub(b.slope, b.derivative_left)), offset_curvature);
  const Value qb = sub(mul(b.height, b.derivative_left), offset_curvature);
  const Value qc = neg(mul(b.slope, offset));
  // b² − 4ac ≥ 0 in exact arithmetic; relu drops a rounding error below zero. With c ≤ 0 the root
  // in [0, 1] is 2c / (−b − √(b² − 4ac)) when b ≥ 0 and (−b + √(b² − 4ac)) / 2a when b < 0 (then
  // a > 0): each form adds two terms of one sign, so neither cancels. The form of the other sign
  // is not computed at all (where picks the numerator and denominator), so no branch divides by 0.
  const Value root = sqrt(relu(sub(square(qb), scale(mul(qa, qc), 4))));
  const auto b_nonnegative = within(qb, Scalar(0), std::numeric_limits<Scalar>::infinity());
  const Value theta = div(where(b_nonnegative, scale(qc, 2), add(neg(qb), root)),
                          where(b_nonnegative, sub(neg(qb), root), scale(qa, 2)));
  const Value out = add(mul(theta, b.width), b.x_left);
  return {where(inside, out, in), where(inside, neg(spline_log_derivative(b, position_in_bin(b, curvature, theta))), zero)};
}

template <class Value>
transformed<Value> rational_quadratic(const Value& in, const Value& widths, const Value& heights,
                                      const Value& derivatives, const flows::rational_quadratic_options& options,
                                      bool inverse) {
  options.validate();
  check_spline_shapes(inverse ? "rational_quadratic_inverse" : "rational_quadratic_forward", in, widths, heights,
                      derivatives, options);
  if constexpr (std::is_same_v<Value, dual<scalar_of<Value>>>) {
    return rational_quadratic_composed(in, widths, heights, derivatives, options, inverse);
  } else {  // plain and tape: one fused kernel
    return rational_quadratic_fused(in, widths, heights, derivatives,
                                    {options.bound, options.min_bin_width, options.min_bin_height, options.min_derivative},
                                    inverse);
  }
}

}  // namespace eigenflow::detail

namespace eigenflow::flows {

/// y = spline(x) and log dy/dx per row. x is R×1; widths and heights R×K, derivatives R×(K−1),
/// unconstrained (see the header comment).
/// @throws shape_error for shapes that do not fit `options.bins`; value_error for bad options.
template <class Value>
  requires value_type<Value>
transformed<Value> rational_quadratic_forward(const Value& x, const Value& widths, const Value& heights,
                                              const Value& derivatives, const rational_quadratic_options& options) {
  return eigenflow::detail::rational_quadratic(x, widths, heights, derivatives, options, false);
}

/// x = spline⁻¹(y) and log dx/dy per row (minus the forward log-derivative at x), for the same
/// parameters as rational_quadratic_forward.
template <class Value>
  requires value_type<Value>
transformed<Value> rational_quadratic_inverse(const Value& y, const Value& widths, const Value& heights,
                                              const Value& derivatives, const rational_quadratic_options& options) {
  return eigenflow::detail::rational_quadratic(y, widths, heights, derivatives, options, true);
}

}  // namespace eigenflow::flows
