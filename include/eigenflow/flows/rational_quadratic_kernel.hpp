// include/eigenflow/flows/rational_quadratic_kernel.hpp — the rational-quadratic spline of
// rational_quadratic.hpp fused into one kernel per row: plain matrices get the spline in one
// loop, and the tape records one node (R×2: value and log-derivative) instead of the ~40 nodes
// of the composed ops, each an R×K matrix. Its backward rule recomputes each row's spline (K
// softmax terms per axis, a bin search) and applies the chain rule by hand:
//
// Forward, per row, from the bin's left knot x_l, width w, y_l, height h and end derivatives
// δ₀, δ₁: θ = (x − x_l)/w, s = h/w, σ = θ(1−θ), C = δ₁ + δ₀ − 2s, den = s + Cσ,
// N = sθ² + δ₀σ, M = δ₁θ² + 2sσ + δ₀(1−θ)²:
//   y = y_l + h N/den,  ℓ = 2 log s + log M − 2 log den  (the log-derivative)
// with the partials of y and ℓ in θ, s, δ₀, δ₁ written out in bin_partials() below, and
// θ, s carried to x, x_l, w, h. The inverse x(v) solves the same spline for v; by the implicit
// function theorem ∂x/∂v = 1/y_x and ∂x/∂p = −y_p/y_x, and its log-derivative is −ℓ(x(v)), so
// with g = (x̄ − ℓ̄_inv·ℓ_x)/y_x its adjoints are v̄ = g and p̄ = −g·y_p − ℓ̄_inv·ℓ_p: the forward
// partials with weights (−g, −ℓ̄_inv). The bins' sizes are a floor plus a softmax and their left
// edges a running sum, so a bin's adjoints flow to every size before it, then through the softmax.
//
// Duals (forward-mode tangents) keep the composed ops: their tangent rules exist op by op.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/density/transformed.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::detail {

/// The constants of a spline (rational_quadratic_options without the bin count, which the
/// parameters' widths give).
struct spline_constants {
  double bound, min_bin_width, min_bin_height, min_derivative;
};

/// One row's spline, built from its unconstrained parameters, and its evaluation and partials.
template <class Scalar>
class rational_quadratic_row {
 public:
  /// The spline's constants, packed in a small vector so that a tape node can carry them as a
  /// constant operand: bound, min width share, min height share, min derivative.
  static matrix<Scalar> pack(const spline_constants& o) {
    matrix<Scalar> c(1, 4);
    c << static_cast<Scalar>(o.bound), static_cast<Scalar>(o.min_bin_width), static_cast<Scalar>(o.min_bin_height),
        static_cast<Scalar>(o.min_derivative);
    return c;
  }

  /// A kernel of K bins with the constants of pack(); `scratch` holds scratch_size(K) scalars.
  rational_quadratic_row(const Scalar* constants, index_t bins, Scalar* scratch)
      : k_(bins),
        bound_(constants[0]),
        min_derivative_(constants[3]),
        shift_(static_cast<Scalar>(std::log(std::expm1(1 - static_cast<double>(constants[3]))))) {
    const auto kk = static_cast<Scalar>(bins);
    width_floor_ = 2 * bound_ * constants[1];
    width_scale_ = 2 * bound_ * (1 - kk * constants[1]);
    height_floor_ = 2 * bound_ * constants[2];
    height_scale_ = 2 * bound_ * (1 - kk * constants[2]);
    Scalar* p = scratch;
    for (Scalar** a : {&pw_, &sw_, &ph_, &sh_}) {
      *a = p;
      p += bins;
    }
    for (Scalar** a : {&xk_, &yk_}) {
      *a = p;
      p += bins + 1;
    }
  }

  /// Scalars of scratch a kernel of K bins needs.
  static std::size_t scratch_size(index_t bins) { return static_cast<std::size_t>(6 * bins + 2); }

  /// Builds the row's knots from its unconstrained parameters; entry j of each is at p[j·stride]
  /// (a row of a column-major R×K matrix has stride R). The derivatives are read when a bin is
  /// evaluated: only its two ends' are needed.
  void build(const Scalar* widths, const Scalar* heights, const Scalar* derivatives, index_t stride) {
    axis(widths, stride, width_floor_, width_scale_, pw_, sw_, xk_);
    axis(heights, stride, height_floor_, height_scale_, ph_, sh_, yk_);
    derivatives_ = derivatives;
    stride_ = stride;
  }

  /// Whether v is inside [−B, B] (outside, the spline is the identity).
  bool inside(Scalar v) const { return -bound_ <= v && v <= bound_; }

  /// The bin of v along the x knots (inverse: the y knots): the largest b in [0, K−1] whose left
  /// knot is ≤ v, as searchsorted_rows.
  index_t bin_of(Scalar v, bool inverse) const {
    const Scalar* knots = inverse ? yk_ : xk_;
    return static_cast<index_t>(std::upper_bound(knots + 1, knots + k_, v) - (knots + 1));
  }

  /// Value and log-derivative at v in bin b: forward y(v), or inverse x(v) with −ℓ at x.
  std::pair<Scalar, Scalar> evaluate(Scalar v, index_t b, bool inverse) const {
    const bin q = at(b);
    const Scalar theta = inverse ? inverse_theta(q, v) : (v - q.x_left) / q.width;
    const position p = locate(q, theta);
    if (inverse) return {theta * q.width + q.x_left, -p.log_derivative};
    return {q.y_left + q.height * p.numerator / p.denominator, p.log_derivative};
  }

  /// Adds the adjoints of v and of the row's unconstrained parameters, given the adjoints of the
  /// value (`value_bar`) and log-derivative (`log_bar`) evaluate() returned for v in bin b.
  /// Returns v's adjoint; the parameters' are added at p[j·stride] (null: not wanted).
  Scalar backward(Scalar v, index_t b, bool inverse, Scalar value_bar, Scalar log_bar, Scalar* widths_bar,
                  Scalar* heights_bar, Scalar* derivatives_bar, index_t stride) const {
    const bin q = at(b);
    const Scalar theta = inverse ? inverse_theta(q, v) : (v - q.x_left) / q.width;
    const partials d = bin_partials(q, locate(q, theta), theta);
    Scalar a = value_bar, l = log_bar, v_bar;
    if (inverse) {  // the forward partials with weights (−g, −ℓ̄), g = (x̄ − ℓ̄·ℓ_x)/y_x
      const Scalar g = (value_bar - log_bar * d.log_x) / d.value_x;
      a = -g;
      l = -log_bar;
      v_bar = g;
    } else {
      v_bar = a * d.value_x + l * d.log_x;
    }
    const auto weigh = [&](const std::array<Scalar, 2>& p) { return a * p[0] + l * p[1]; };
    if (widths_bar != nullptr) {
      axis_backward(b, weigh(d.width), weigh(d.x_left), width_scale_, pw_, widths_bar, stride);
    }
    if (heights_bar != nullptr) {
      axis_backward(b, weigh(d.height), a /* ∂y/∂y_l = 1, ∂ℓ/∂y_l = 0 */, height_scale_, ph_, heights_bar, stride);
    }
    if (derivatives_bar != nullptr) {
      // δ_j = m + softplus(u_{j−1} + shift): ∂δ/∂u = sigmoid(u + shift); δ_0 and δ_K are constants.
      const auto add_derivative = [&](index_t j, Scalar bar) {
        if (j < 1 || j >= k_) return;
        const Scalar u = derivative(j) - min_derivative_;  // softplus(z); sigmoid(z) = 1 − exp(−softplus(z))
        derivatives_bar[(j - 1) * stride] += bar * -std::expm1(-u);
      };
      add_derivative(b, weigh(d.derivative_left));
      add_derivative(b + 1, weigh(d.derivative_right));
    }
    return v_bar;
  }

 private:
  struct bin {
    Scalar x_left, width, y_left, height, slope, derivative_left, derivative_right;
  };
  struct position {
    Scalar spread, curvature, denominator, numerator, m, log_derivative;
  };
  // ∂(y, ℓ)/∂· for each quantity of the bin (index 0: y, 1: ℓ), and y_x, ℓ_x.
  struct partials {
    std::array<Scalar, 2> x_left, width, height, derivative_left, derivative_right;
    Scalar value_x, log_x;
  };

  static Scalar softplus(Scalar z) { return z > Scalar(20) ? z : std::log1p(std::exp(z)); }

  // Softmax of the row into p, sizes floor + scale·p into s, knots into k (left edges, then the
  // last right edge) as make_spline_axis computes them.
  void axis(const Scalar* u, index_t stride, Scalar floor, Scalar scale, Scalar* p, Scalar* s, Scalar* knots) const {
    Scalar top = u[0];
    for (index_t j = 1; j < k_; ++j) top = std::max(top, u[j * stride]);
    Scalar sum = 0;
    for (index_t j = 0; j < k_; ++j) sum += (p[j] = std::exp(u[j * stride] - top));
    Scalar running = 0, right = -bound_;
    for (index_t j = 0; j < k_; ++j) {
      p[j] /= sum;
      s[j] = scale * p[j] + floor;
      running += s[j];
      right = running - bound_;
      knots[j] = right - s[j];
    }
    knots[k_] = right;
  }

  // Bin b's size adjoint `size_bar` and left-edge adjoint `left_bar` (left_b = Σ_{j<b} size_j − B)
  // through the sizes and the softmax into the unconstrained row.
  void axis_backward(index_t b, Scalar size_bar, Scalar left_bar, Scalar scale, const Scalar* p, Scalar* u_bar,
                     index_t stride) const {
    // p̄_j = scale·s̄_j with s̄_j = left_bar for j < b, size_bar for j = b, 0 after; softmax:
    // ū_j = p_j (p̄_j − Σ_i p_i p̄_i).
    Scalar dot = 0;
    for (index_t j = 0; j < b; ++j) dot += p[j] * left_bar;
    dot += p[b] * size_bar;
    dot *= scale;
    for (index_t j = 0; j < k_; ++j) {
      const Scalar p_bar = j < b ? scale * left_bar : j == b ? scale * size_bar : Scalar(0);
      u_bar[j * stride] += p[j] * (p_bar - dot);
    }
  }

  // δ_j: 1 at both ends (the identity tails' slope), m + softplus(u_{j−1} + shift) inside.
  Scalar derivative(index_t j) const {
    return j < 1 || j >= k_ ? Scalar(1) : min_derivative_ + softplus(derivatives_[(j - 1) * stride_] + shift_);
  }

  bin at(index_t b) const {
    return {xk_[b], sw_[b], yk_[b], sh_[b], sh_[b] / sw_[b], derivative(b), derivative(b + 1)};
  }

  static position locate(const bin& q, Scalar theta) {
    position p;
    const Scalar one_minus = 1 - theta;
    p.spread = theta * one_minus;
    p.curvature = q.derivative_right + q.derivative_left - 2 * q.slope;
    p.denominator = q.slope + p.curvature * p.spread;
    p.numerator = q.slope * theta * theta + q.derivative_left * p.spread;
    p.m = q.derivative_right * theta * theta + 2 * q.slope * p.spread + q.derivative_left * one_minus * one_minus;
    p.log_derivative = 2 * std::log(q.slope) + std::log(p.m) - 2 * std::log(p.denominator);
    return p;
  }

  // The root in [0, 1] of aθ² + bθ + c = 0 (rational_quadratic.hpp explains the two forms).
  static Scalar inverse_theta(const bin& q, Scalar v) {
    const Scalar offset = v - q.y_left;
    const Scalar curvature = q.derivative_right + q.derivative_left - 2 * q.slope;
    const Scalar qa = q.height * (q.slope - q.derivative_left) + offset * curvature;
    const Scalar qb = q.height * q.derivative_left - offset * curvature;
    const Scalar qc = -q.slope * offset;
    const Scalar root = std::sqrt(std::max(qb * qb - 4 * qa * qc, Scalar(0)));
    return qb >= 0 ? 2 * qc / (-qb - root) : (-qb + root) / (2 * qa);
  }

  static partials bin_partials(const bin& q, const position& p, Scalar theta) {
    const Scalar s = q.slope, den = p.denominator, n = p.numerator, sp = p.spread, m = p.m;
    const Scalar den2 = den * den, t2 = theta * theta, om = 1 - theta, dsp = 1 - 2 * theta;
    // In θ, s, δ₀, δ₁ (θ and s held apart).
    const Scalar y_theta = q.height * ((2 * s * theta + q.derivative_left * dsp) * den - n * p.curvature * dsp) / den2;
    const Scalar y_s = q.height * (t2 * den - n * (1 - 2 * sp)) / den2;
    const Scalar y_d0 = q.height * sp * (den - n) / den2;
    const Scalar y_d1 = -q.height * n * sp / den2;
    const Scalar l_theta = 2 * (q.derivative_right * theta + s * dsp - q.derivative_left * om) / m - 2 * p.curvature * dsp / den;
    const Scalar l_s = 2 / s + 2 * sp / m - 2 * (1 - 2 * sp) / den;
    const Scalar l_d0 = om * om / m - 2 * sp / den;
    const Scalar l_d1 = t2 / m - 2 * sp / den;
    // θ = (x − x_l)/w, s = h/w.
    const Scalar inv_w = 1 / q.width;
    partials d;
    d.value_x = y_theta * inv_w;
    d.log_x = l_theta * inv_w;
    d.x_left = {-y_theta * inv_w, -l_theta * inv_w};
    d.width = {-(theta * y_theta + s * y_s) * inv_w, -(theta * l_theta + s * l_s) * inv_w};
    d.height = {n / den + y_s * inv_w, l_s * inv_w};
    d.derivative_left = {y_d0, l_d0};
    d.derivative_right = {y_d1, l_d1};
    return d;
  }

  index_t k_;
  Scalar bound_, min_derivative_, shift_;
  Scalar width_floor_ = 0, width_scale_ = 0, height_floor_ = 0, height_scale_ = 0;
  Scalar *pw_ = nullptr, *sw_ = nullptr, *ph_ = nullptr, *sh_ = nullptr;  // softmax shares and sizes, K each
  Scalar *xk_ = nullptr, *yk_ = nullptr;                                  // knots, K + 1 each
  const Scalar* derivatives_ = nullptr;                                    // the row's unconstrained derivatives
  index_t stride_ = 1;
};

// Per-thread scratch of a row kernel: grows once, then a spline allocates nothing.
template <class Scalar>
Scalar* rational_quadratic_scratch(index_t bins) {
  thread_local std::vector<Scalar> scratch;
  const std::size_t n = rational_quadratic_row<Scalar>::scratch_size(bins);
  if (scratch.size() < n) scratch.resize(n);
  return scratch.data();
}

// Values and log-derivatives of every row into out (R×2), with the row kernel.
template <class Scalar, class In, class Out>
void rational_quadratic_rows(const In& v, const In& widths, const In& heights, const In& derivatives,
                             const Scalar* constants, bool inverse, Out&& out) {
  const index_t rows = v.rows(), stride = rows;
  rational_quadratic_row<Scalar> row(constants, widths.cols(), rational_quadratic_scratch<Scalar>(widths.cols()));
  for (index_t r = 0; r < rows; ++r) {
    const Scalar x = v(r, 0);
    if (!row.inside(x)) {
      out(r, 0) = x;
      out(r, 1) = 0;
      continue;
    }
    row.build(widths.data() + r, heights.data() + r, derivatives.data() + r, stride);
    const auto [value, log_derivative] = row.evaluate(x, row.bin_of(x, inverse), inverse);
    out(r, 0) = value;
    out(r, 1) = log_derivative;
  }
}

// Backward rule of the fused node: operands x, widths, heights, derivatives, constants
// (index_args), int_args[0] = 1 for the inverse.
template <class Scalar>
void rational_quadratic_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(static_cast<std::int32_t>(n.index_args[0]));
  const tape_node<Scalar>& w = t.node_at(static_cast<std::int32_t>(n.index_args[1]));
  const tape_node<Scalar>& h = t.node_at(static_cast<std::int32_t>(n.index_args[2]));
  const tape_node<Scalar>& d = t.node_at(static_cast<std::int32_t>(n.index_args[3]));
  const tape_node<Scalar>& c = t.node_at(static_cast<std::int32_t>(n.index_args[4]));
  const bool inverse = n.int_args[0] != 0;
  const index_t rows = x.rows, stride = rows;
  const auto bar = n.adjoint();
  rational_quadratic_row<Scalar> row(c.value_data, w.cols, rational_quadratic_scratch<Scalar>(w.cols));
  for (index_t r = 0; r < rows; ++r) {
    const Scalar v = x.value_data[r];
    if (!row.inside(v)) {  // the identity: the value's adjoint passes straight through
      if (x.needs_grad()) x.adjoint_data[r] += bar(r, 0);
      continue;
    }
    row.build(w.value_data + r, h.value_data + r, d.value_data + r, stride);
    const Scalar v_bar = row.backward(v, row.bin_of(v, inverse), inverse, bar(r, 0), bar(r, 1),
                                      w.needs_grad() ? w.adjoint_data + r : nullptr,
                                      h.needs_grad() ? h.adjoint_data + r : nullptr,
                                      d.needs_grad() ? d.adjoint_data + r : nullptr, stride);
    if (x.needs_grad()) x.adjoint_data[r] += v_bar;
  }
}

/// The fused spline on plain matrices (shapes already checked).
template <class Scalar>
transformed<matrix<Scalar>> rational_quadratic_fused(const matrix<Scalar>& v, const matrix<Scalar>& widths,
                                                     const matrix<Scalar>& heights, const matrix<Scalar>& derivatives,
                                                     const spline_constants& options, bool inverse) {
  const matrix<Scalar> constants = rational_quadratic_row<Scalar>::pack(options);
  matrix<Scalar> out(v.rows(), 2);
  rational_quadratic_rows<Scalar>(v, widths, heights, derivatives, constants.data(), inverse, out);
  return {out.col(0), out.col(1)};
}

/// The fused spline on the tape: one node R×2 (value, log-derivative), then its two columns.
template <class Scalar>
transformed<var<Scalar>> rational_quadratic_fused(const var<Scalar>& v, const var<Scalar>& widths,
                                                  const var<Scalar>& heights, const var<Scalar>& derivatives,
                                                  const spline_constants& options, bool inverse) {
  tape<Scalar>& t = v.owner();
  const var<Scalar> constants = t.constant(rational_quadratic_row<Scalar>::pack(options));
  const var<Scalar> operands[] = {v, widths, heights, derivatives, constants};
  var<Scalar> out = t.record_many(
      "rational_quadratic", v.rows(), 2, 5, [&](index_t k) { return operands[k]; }, &rational_quadratic_backward<Scalar>);
  t.node_at(out.id()).int_args[0] = inverse ? 1 : 0;
  rational_quadratic_rows<Scalar>(v.value(), widths.value(), heights.value(), derivatives.value(), constants.value().data(),
                                  inverse, out.node().output());
  return {slice(out, 0, 1), slice(out, 1, 1)};
}

}  // namespace eigenflow::detail
