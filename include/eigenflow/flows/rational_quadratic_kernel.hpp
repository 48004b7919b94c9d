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

// The spline of every row at once: the softmaxes, logs and softplus run as Eigen array
// expressions over all rows (vectorized), and only the bin search's gathers and the adjoints'
// scatters go row by row. All storage is a per-thread workspace that grows once, so a spline
// in steady state allocates nothing.
template <class Scalar>
class rational_quadratic_batch {
 public:
  using column = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
  using table = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, Eigen::Dynamic>>;
  using bins_type = Eigen::Map<Eigen::Array<index_t, Eigen::Dynamic, 1>>;

  /// The constants of pack() for R rows of K bins: the splines of `widths`, `heights` and
  /// `derivatives` (R×K, R×K, R×(K−1), column-major) evaluated at v (R), forward or inverse.
  template <class In, class Params>
  rational_quadratic_batch(const Scalar* constants, const In& v, const Params& widths, const Params& heights,
                           const Params& derivatives, bool inverse)
      : rows_(v.rows()), k_(widths.cols()), inverse_(inverse), bound_(constants[0]), min_derivative_(constants[3]),
        shift_(static_cast<Scalar>(std::log(std::expm1(1 - static_cast<double>(constants[3]))))),
        store_(workspace(rows_, k_)),
        bins_(bin_workspace(rows_), rows_),
        px_(take(k_), rows_, k_), sx_(take(k_), rows_, k_), xk_(take(k_ + 1), rows_, k_ + 1),
        py_(take(k_), rows_, k_), sy_(take(k_), rows_, k_), yk_(take(k_ + 1), rows_, k_ + 1),
        in_(take(1), rows_), inside_(take(1), rows_), safe_(take(1), rows_),
        x_left_(take(1), rows_), x_right_(take(1), rows_), width_(take(1), rows_), y_left_(take(1), rows_),
        y_right_(take(1), rows_), height_(take(1), rows_),
        u_left_(take(1), rows_), u_right_(take(1), rows_), d0_(take(1), rows_), d1_(take(1), rows_),
        theta_(take(1), rows_), value_(take(1), rows_), log_derivative_(take(1), rows_) {
    const auto kk = static_cast<Scalar>(k_);
    width_scale_ = 2 * bound_ * (1 - kk * constants[1]);
    height_scale_ = 2 * bound_ * (1 - kk * constants[2]);
    for (index_t r = 0; r < rows_; ++r) in_(r) = v(r, 0);
    inside_ = (in_ >= -bound_ && in_ <= bound_).template cast<Scalar>();
    safe_ = inside_ * in_;  // outside rows evaluate the spline at 0 (finite) and drop the result
    axis(widths, 2 * bound_ * constants[1], width_scale_, px_, sx_, xk_);
    axis(heights, 2 * bound_ * constants[2], height_scale_, py_, sy_, yk_);
    // The bin: how many interior knots are ≤ the value (searchsorted_rows' rule).
    const table& knots = inverse ? yk_ : xk_;
    bins_.setZero();
    for (index_t j = 1; j < k_; ++j) bins_ += (knots.col(j) <= safe_).template cast<index_t>();
    for (index_t r = 0; r < rows_; ++r) {
      const index_t b = bins_(r);
      x_left_(r) = xk_(r, b);
      x_right_(r) = xk_(r, b + 1);
      width_(r) = sx_(r, b);
      y_left_(r) = yk_(r, b);
      y_right_(r) = yk_(r, b + 1);
      height_(r) = sy_(r, b);
      u_left_(r) = b >= 1 ? derivatives(r, b - 1) : Scalar(0);
      u_right_(r) = b + 1 <= k_ - 1 ? derivatives(r, b) : Scalar(0);
    }
    // δ_b and δ_{b+1}: 1 at the ends (the tails' slope), m + softplus(u + shift) inside.
    d0_ = (bins_ >= 1).select(min_derivative_ + softplus(u_left_ + shift_), Scalar(1));
    d1_ = (bins_ + 1 <= k_ - 1).select(min_derivative_ + softplus(u_right_ + shift_), Scalar(1));
    if (inverse) {
      // The root in [0, 1] of aθ² + bθ + c = 0 (rational_quadratic.hpp explains the two forms).
      const auto slope = height_ / width_;
      const auto offset = safe_ - y_left_;
      const auto curvature = d1_ + d0_ - 2 * slope;
      const auto qa = height_ * (slope - d0_) + offset * curvature;
      const auto qb = height_ * d0_ - offset * curvature;
      const auto qc = -slope * offset;
      const auto root = (qb * qb - 4 * qa * qc).max(Scalar(0)).sqrt();
      theta_ = (qb >= 0).select(2 * qc / (-qb - root), (-qb + root) / (2 * qa));
    } else {
      theta_ = (safe_ - x_left_) / width_;
    }
    const auto slope = height_ / width_;
    const auto spread = theta_ * (1 - theta_);
    const auto denominator = slope + (d1_ + d0_ - 2 * slope) * spread;
    const auto m = d1_ * theta_.square() + 2 * slope * spread + d0_ * (1 - theta_).square();
    log_derivative_ = (slope.square() * m).log() - 2 * denominator.log();
    if (inverse) {
      // From the nearer knot, so that θ = 1 lands on the right knot exactly, not an ulp past it
      // (x_l + w rounds differently from the running sum that made the knot).
      value_ = inside_ * (theta_ < Scalar(0.5)).select(x_left_ + theta_ * width_, x_right_ - (1 - theta_) * width_) +
               (1 - inside_) * in_;
      log_derivative_ = -inside_ * log_derivative_;
    } else {
      // y_l + h·N/den, or from the right knot: y_r − h·(den − N)/den with den − N = (1−θ)(s + (δ₁ − s)θ).
      value_ = inside_ * (theta_ < Scalar(0.5))
                             .select(y_left_ + height_ * (slope * theta_.square() + d0_ * spread) / denominator,
                                     y_right_ - height_ * (1 - theta_) * (slope + (d1_ - slope) * theta_) / denominator) +
               (1 - inside_) * in_;
      log_derivative_ = inside_ * log_derivative_;
    }
  }

  /// The result: the spline's value and log-derivative per row.
  const column& value() const { return value_; }
  /// log dy/dx forward, log dx/dy inverse (0 outside [−B, B]).
  const column& log_derivative() const { return log_derivative_; }

  /// Adds the adjoints of v and of the parameters (each null when not wanted; R×K, R×K,
  /// R×(K−1), column-major) given the adjoints of value() and log_derivative().
  template <class Bar>
  void backward(const Bar& value_bar, const Bar& log_bar, Scalar* v_bar, Scalar* widths_bar, Scalar* heights_bar,
                Scalar* derivatives_bar) {
    // Reuse the workspace of quantities no longer needed: the value and log-derivative.
    column a(value_.data(), rows_), l(log_derivative_.data(), rows_);
    a = inside_ * value_bar.array();
    l = inside_ * log_bar.array();
    const auto slope = height_ / width_;
    const auto t2 = theta_.square();
    const auto om = 1 - theta_;
    const auto dsp = 1 - 2 * theta_;
    const auto spread = theta_ * om;
    const auto curvature = d1_ + d0_ - 2 * slope;
    const auto den = slope + curvature * spread;
    const auto n = slope * t2 + d0_ * spread;
    const auto m = d1_ * t2 + 2 * slope * spread + d0_ * om.square();
    // ∂y and ∂ℓ in θ and s (θ and s held apart): y_θ = y_x·w, and the rest below.
    column y_theta(take_again(0), rows_), l_theta(take_again(1), rows_), y_s(take_again(2), rows_), l_s(take_again(3), rows_);
    y_theta = height_ * ((2 * slope * theta_ + d0_ * dsp) * den - n * curvature * dsp) / den.square();
    l_theta = 2 * (d1_ * theta_ + slope * dsp - d0_ * om) / m - 2 * curvature * dsp / den;
    y_s = height_ * (t2 * den - n * (1 - 2 * spread)) / den.square();
    l_s = 2 / slope + 2 * spread / m - 2 * (1 - 2 * spread) / den;
    if (inverse_) {
      // g = (x̄ − ℓ̄·ℓ_x)/y_x is v's adjoint; the parameters take the forward partials with
      // weights (−g, −ℓ̄). Here ℓ̄ is the inverse log-derivative's (minus the forward one's).
      column g(take_again(4), rows_);
      g = (a - l * l_theta / width_) / (y_theta / width_);
      if (v_bar != nullptr) column(v_bar, rows_) += g + (1 - inside_) * value_bar.array();
      a = -g;
      l = -l;
    } else if (v_bar != nullptr) {
      column(v_bar, rows_) += (a * y_theta + l * l_theta) / width_ + (1 - inside_) * value_bar.array();
    }
    // θ = (x − x_l)/w and s = h/w carried to the bin's quantities, weighted by (a, l).
    const auto theta_bar = a * y_theta + l * l_theta;
    const auto s_bar = a * y_s + l * l_s;
    column left_bar(take_again(5), rows_), size_bar(take_again(6), rows_);
    if (widths_bar != nullptr) {
      left_bar = -theta_bar / width_;
      size_bar = -(theta_ * theta_bar + slope * s_bar) / width_;
      axis_backward(left_bar, size_bar, width_scale_, px_, widths_bar);
    }
    if (heights_bar != nullptr) {
      left_bar = a;  // ∂y/∂y_l = 1, ∂ℓ/∂y_l = 0
      size_bar = a * n / den + s_bar / width_;
      axis_backward(left_bar, size_bar, height_scale_, py_, heights_bar);
    }
    if (derivatives_bar != nullptr) {
      // ∂δ/∂u = sigmoid(u + shift) = 1 − exp(−softplus(u + shift)); δ_0 and δ_K are constants.
      left_bar = (a * spread * (den - n) * height_ / den.square() + l * (om.square() / m - 2 * spread / den)) *
                 (1 - (-(d0_ - min_derivative_)).exp());
      size_bar = (-a * height_ * n * spread / den.square() + l * (t2 / m - 2 * spread / den)) *
                 (1 - (-(d1_ - min_derivative_)).exp());
      for (index_t r = 0; r < rows_; ++r) {
        const index_t b = bins_(r);
        if (b >= 1) derivatives_bar[r + (b - 1) * rows_] += left_bar(r);
        if (b + 1 <= k_ - 1) derivatives_bar[r + b * rows_] += size_bar(r);
      }
    }
  }

  /// Writes the spline's constants to out[0..3] (bound, min width share, min height share, min
  /// derivative): a tape node carries them as a small constant operand, in the tape's arena.
  static void pack(const spline_constants& o, Scalar* out) {
    out[0] = static_cast<Scalar>(o.bound);
    out[1] = static_cast<Scalar>(o.min_bin_width);
    out[2] = static_cast<Scalar>(o.min_bin_height);
    out[3] = static_cast<Scalar>(o.min_derivative);
  }

 private:
  template <class Z>
  static auto softplus(const Z& z) {
    return z.max(Scalar(0)) + (-z.abs()).exp().log1p();
  }

  // Per thread: 2 axes of 3K + 1 columns, 16 per-row columns for the forward pass and 7 more
  // for the backward pass's partials.
  static Scalar* workspace(index_t rows, index_t k) {
    thread_local std::vector<Scalar> store;
    const auto n = static_cast<std::size_t>(rows * (2 * (3 * k + 1) + 16 + 7));
    if (store.size() < n) store.resize(n);
    return store.data();
  }
  static index_t* bin_workspace(index_t rows) {
    thread_local std::vector<index_t> store;
    if (store.size() < static_cast<std::size_t>(rows)) store.resize(static_cast<std::size_t>(rows));
    return store.data();
  }
  // The next `columns` columns of R scalars of the workspace.
  Scalar* take(index_t columns) {
    Scalar* p = store_ + used_ * rows_;
    used_ += columns;
    return p;
  }
  // Column `i` of the backward pass's 7, after the forward pass's.
  Scalar* take_again(index_t i) { return store_ + (used_ + i) * rows_; }

  // Softmax rows into p, sizes floor + scale·p into s, knots (left edges, then the last right
  // edge) into knots, as make_spline_axis computes them.
  template <class Params>
  void axis(const Params& u, Scalar floor, Scalar scale, table& p, table& s, table& knots) {
    column top(value_.data(), rows_), sum(log_derivative_.data(), rows_), running(theta_.data(), rows_);
    top = u.col(0).array();
    for (index_t j = 1; j < k_; ++j) top = top.max(u.col(j).array());
    sum.setZero();
    for (index_t j = 0; j < k_; ++j) {
      p.col(j) = (u.col(j).array() - top).exp();
      sum += p.col(j);
    }
    running.setZero();
    for (index_t j = 0; j < k_; ++j) {
      p.col(j) /= sum;
      s.col(j) = scale * p.col(j) + floor;
      running += s.col(j);
      knots.col(j) = running - bound_ - s.col(j);
    }
    knots.col(k_) = running - bound_;
  }

  // The bin's left-edge and size adjoints (left_b = Σ_{j<b} size_j − B) through the sizes and the
  // softmax: p̄_j = scale·(left_bar if j < b, size_bar if j = b, else 0), ū_j = p_j (p̄_j − Σ p_i p̄_i).
  void axis_backward(const column& left_bar, const column& size_bar, Scalar scale, const table& p, Scalar* u_bar) {
    column dot(take_again(4), rows_);
    dot.setZero();
    for (index_t j = 0; j < k_; ++j) {
      dot += p.col(j) * (bins_ > j).select(left_bar, (bins_ == j).select(size_bar, Scalar(0)));
    }
    for (index_t j = 0; j < k_; ++j) {
      column(u_bar + j * rows_, rows_) +=
          scale * p.col(j) * ((bins_ > j).select(left_bar, (bins_ == j).select(size_bar, Scalar(0))) - dot);
    }
  }

  index_t rows_, k_;
  bool inverse_;
  Scalar bound_, min_derivative_, shift_;
  Scalar width_scale_ = 0, height_scale_ = 0;
  Scalar* store_;
  index_t used_ = 0;
  bins_type bins_;
  table px_, sx_, xk_, py_, sy_, yk_;  // softmax shares, sizes (K columns) and knots (K + 1)
  column in_, inside_, safe_;
  column x_left_, x_right_, width_, y_left_, y_right_, height_, u_left_, u_right_, d0_, d1_;  // each row's bin
  column theta_, value_, log_derivative_;
};

// Backward rule of the fused node: operands x, widths, heights, derivatives, constants
// (index_args), int_args[0] = 1 for the inverse.
template <class Scalar>
void rational_quadratic_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(static_cast<std::int32_t>(n.index_args[0]));
  const tape_node<Scalar>& w = t.node_at(static_cast<std::int32_t>(n.index_args[1]));
  const tape_node<Scalar>& h = t.node_at(static_cast<std::int32_t>(n.index_args[2]));
  const tape_node<Scalar>& d = t.node_at(static_cast<std::int32_t>(n.index_args[3]));
  const tape_node<Scalar>& c = t.node_at(static_cast<std::int32_t>(n.index_args[4]));
  rational_quadratic_batch<Scalar> spline(c.value_data, x.value(), w.value(), h.value(), d.value(), n.int_args[0] != 0);
  const auto bar = n.adjoint();
  spline.backward(bar.col(0), bar.col(1), x.needs_grad() ? x.adjoint_data : nullptr,
                  w.needs_grad() ? w.adjoint_data : nullptr, h.needs_grad() ? h.adjoint_data : nullptr,
                  d.needs_grad() ? d.adjoint_data : nullptr);
}

/// The fused spline on plain matrices (shapes already checked).
template <class Scalar>
transformed<matrix<Scalar>> rational_quadratic_fused(const matrix<Scalar>& v, const matrix<Scalar>& widths,
                                                     const matrix<Scalar>& heights, const matrix<Scalar>& derivatives,
                                                     const spline_constants& options, bool inverse) {
  std::array<Scalar, 4> constants;
  rational_quadratic_batch<Scalar>::pack(options, constants.data());
  const rational_quadratic_batch<Scalar> spline(constants.data(), v, widths, heights, derivatives, inverse);
  return {spline.value().matrix(), spline.log_derivative().matrix()};
}

/// The fused spline on the tape: one node R×2 (value, log-derivative), then its two columns.
template <class Scalar>
transformed<var<Scalar>> rational_quadratic_fused(const var<Scalar>& v, const var<Scalar>& widths,
                                                  const var<Scalar>& heights, const var<Scalar>& derivatives,
                                                  const spline_constants& options, bool inverse) {
  tape<Scalar>& t = v.owner();
  const var<Scalar> constants = t.zeros(1, 4);  // filled in place: no allocation per step
  rational_quadratic_batch<Scalar>::pack(options, constants.output().data());
  const var<Scalar> operands[] = {v, widths, heights, derivatives, constants};
  var<Scalar> out = t.record_many(
      "rational_quadratic", v.rows(), 2, 5, [&](index_t k) { return operands[k]; }, &rational_quadratic_backward<Scalar>);
  t.node_at(out.id()).int_args[0] = inverse ? 1 : 0;
  const rational_quadratic_batch<Scalar> spline(constants.value().data(), v.value(), widths.value(), heights.value(),
                                                derivatives.value(), inverse);
  auto o = out.node().output();
  o.col(0) = spline.value().matrix();
  o.col(1) = spline.log_derivative().matrix();
  return {slice(out, 0, 1), slice(out, 1, 1)};
}

}  // namespace eigenflow::detail
