// include/eigenflow/autodiff/gradient_check.hpp — finite-difference checks of reverse-mode
// gradients, forward-mode tangents and plain/tape agreement, in double precision.
//
// Modelled on Stan Math's expect_ad: one helper, used by every op and module test. A function
// with a matrix output is reduced to the scalar Σ W ⊙ f(x) with fixed random weights W, so every
// output entry is checked. Derivatives are compared with central differences of step
// h = cbrt(ε)·max(1, |x|) by the error |analytic − numeric| / max(1, |analytic|, |numeric|):
// relative for large values, absolute below 1.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

/// Settings shared by check_gradients and check_tangents.
struct gradient_check_options {
  double tolerance = 1e-6;      ///< on the mixed relative/absolute error above
  std::uint64_t seed = 20261128;  ///< for the projection weights and tangent directions
};

/// What a check found: the largest error, where, and the values compared there.
struct gradient_check_result {
  /// The largest error seen (mixed relative/absolute, see the top of this file); NaN counts as infinite.
  double max_error = 0;
  std::string worst;  ///< Where max_error was seen, such as "input 1 (3x4) entry (2, 0): analytic 0.5, numeric 0.49"
  /// True while every error is within the tolerance.
  bool passed = true;

  /// Adds one comparison: kept as `worst` if its error is the largest so far; the check fails when
  /// error > tolerance.
  void record(double error, const std::string& where, double analytic, double numeric, double tolerance) {
    if (std::isnan(error)) error = std::numeric_limits<double>::infinity();
    if (worst.empty() || error > max_error) {
      max_error = error;
      std::ostringstream s;
      s.precision(12);
      s << where << ": analytic " << analytic << ", numeric " << numeric;
      worst = s.str();
    }
    passed = passed && error <= tolerance;
  }
};

/// A differentiable quantity for check_gradients: its value is perturbed in place for finite
/// differences, and `grad` is where the function under test accumulates its gradient (a
/// parameter's value and gradient, for instance).
struct gradient_target {
  /// The value to perturb (restored after each step).
  matrix<double>* value;
  /// Where the function under test accumulates the analytic gradient; check_gradients zeroes it first.
  matrix<double>* grad;
  /// Label used in gradient_check_result::worst.
  std::string name;
};

namespace detail {

inline double derivative_error(double analytic, double numeric) {
  return std::abs(analytic - numeric) / std::max({1.0, std::abs(analytic), std::abs(numeric)});
}

inline double fd_step(double x) { return std::cbrt(std::numeric_limits<double>::epsilon()) * std::max(1.0, std::abs(x)); }

inline matrix<double> random_normal(index_t rows, index_t cols, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  matrix<double> m(rows, cols);
  for (index_t i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

}  // namespace detail

/// Checks the reverse-mode gradient of `record(tape)` with respect to each target against central
/// differences. `record` puts the targets on the tape (tape.leaf(*value, *grad)), computes, and
/// returns the output var; it is called once for the analytic pass and twice per target entry.
template <class Record>
gradient_check_result check_gradients(const Record& record, const std::vector<gradient_target>& targets,
                                      const gradient_check_options& options = {}) {
  std::mt19937_64 rng(options.seed);
  tape<double> t;
  for (const gradient_target& target : targets) target.grad->setZero(target.value->rows(), target.value->cols());
  const var<double> out = record(t);
  const matrix<double> weights = detail::random_normal(out.rows(), out.cols(), rng);
  t.seed(out, weights);
  t.propagate();

  tape<double> scratch;
  auto projected = [&]() {
    scratch.clear();
    const var<double> y = record(scratch);
    if (y.rows() != weights.rows() || y.cols() != weights.cols()) {
      throw shape_error("check_gradients: the output changed shape between evaluations");
    }
    return (y.value().array() * weights.array()).sum();
  };

  gradient_check_result result;
  for (std::size_t k = 0; k < targets.size(); ++k) {
    matrix<double>& x = *targets[k].value;
    const matrix<double> analytic = *targets[k].grad;
    for (index_t j = 0; j < x.cols(); ++j) {
      for (index_t i = 0; i < x.rows(); ++i) {
        const double x0 = x(i, j);
        const double h = detail::fd_step(x0);
        x(i, j) = x0 + h;
        const double up = projected();
        x(i, j) = x0 - h;
        const double down = projected();
        x(i, j) = x0;
        const double numeric = (up - down) / (2 * h);
        const std::string where = targets[k].name + " (" + std::to_string(x.rows()) + "x" +
                                  std::to_string(x.cols()) + ") entry (" + std::to_string(i) + ", " +
                                  std::to_string(j) + ")";
        result.record(detail::derivative_error(analytic(i, j), numeric), where, analytic(i, j), numeric,
                      options.tolerance);
      }
    }
  }
  return result;
}

/// check_gradients for a function of input matrices: f(const std::vector<var<double>>&) → var.
template <class F>
gradient_check_result check_gradients(const F& f, std::vector<matrix<double>> inputs,
                                      const gradient_check_options& options = {}) {
  std::vector<matrix<double>> grads(inputs.size());
  std::vector<gradient_target> targets;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    targets.push_back({&inputs[k], &grads[k], "input " + std::to_string(k)});
  }
  return check_gradients(
      [&](tape<double>& t) {
        std::vector<var<double>> vars;
        for (std::size_t k = 0; k < inputs.size(); ++k) vars.push_back(t.leaf(inputs[k], grads[k]));
        return f(vars);
      },
      targets, options);
}

/// Checks forward-mode tangents: f(const std::vector<dual<double>>&) → dual, with random
/// directions v, against the central difference (f(x + h v) − f(x − h v)) / 2h, entry by entry.
template <class F>
gradient_check_result check_tangents(const F& f, const std::vector<matrix<double>>& inputs,
                                     const gradient_check_options& options = {}) {
  std::mt19937_64 rng(options.seed + 1);
  std::vector<matrix<double>> directions;
  double scale = 1;
  for (const auto& x : inputs) {
    directions.push_back(detail::random_normal(x.rows(), x.cols(), rng));
    scale = std::max(scale, x.cwiseAbs().maxCoeff());
  }
  auto evaluate = [&](double step, bool with_tangent) {
    tape<double> t;
    std::vector<dual<double>> duals;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      const matrix<double> moved = inputs[k] + step * directions[k];
      duals.emplace_back(t.constant(moved), with_tangent ? t.constant(directions[k]) : var<double>());
    }
    const dual<double> y = f(duals);
    if (!with_tangent) return matrix<double>(y.primal.value());
    if (!y.has_tangent()) return matrix<double>(matrix<double>::Zero(y.rows(), y.cols()));
    return matrix<double>(y.tangent.value());
  };
  const matrix<double> analytic = evaluate(0, true);
  const double h = detail::fd_step(scale);
  const matrix<double> numeric = (evaluate(h, false) - evaluate(-h, false)) / (2 * h);
  gradient_check_result result;
  for (index_t j = 0; j < analytic.cols(); ++j) {
    for (index_t i = 0; i < analytic.rows(); ++i) {
      result.record(detail::derivative_error(analytic(i, j), numeric(i, j)),
                    "tangent entry (" + std::to_string(i) + ", " + std::to_string(j) + ")", analytic(i, j),
                    numeric(i, j), options.tolerance);
    }
  }
  return result;
}

/// Largest |plain − tape| / max(1, |plain|) over the output entries: f run on matrices and on vars.
template <class F>
double plain_tape_difference(const F& f, const std::vector<matrix<double>>& inputs) {
  const matrix<double> plain = f(inputs);
  tape<double> t;
  std::vector<var<double>> vars;
  for (const auto& x : inputs) vars.push_back(t.constant(x));
  const var<double> on_tape = f(vars);
  if (on_tape.rows() != plain.rows() || on_tape.cols() != plain.cols()) {
    return std::numeric_limits<double>::infinity();
  }
  return ((plain - on_tape.value()).array().abs() / plain.array().abs().max(1.0)).maxCoeff();
}

}  // namespace eigenflow
