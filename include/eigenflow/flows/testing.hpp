// include/eigenflow/flows/testing.hpp — what every transform must satisfy, as a check you can run
// on your own (docs/extending.md): inverse ∘ forward = id and forward ∘ inverse = id with
// log-determinants that cancel, each log-determinant equal to log|det J| of the full Jacobian
// (taken by reverse mode on the tape, one pass per output column), and the tape giving the plain
// values. It returns what it found, as check_gradients does, so any test framework can assert it.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/flows/transform.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::flows {

/// Tolerances of check_bijection(), as absolute errors in double.
struct bijection_check_options {
  double round_trip_tolerance = 1e-10;  ///< max |x − T⁻¹(T(x))|, and on the sum of the two log-dets
  double log_det_tolerance = 1e-8;      ///< |log-det − log|det J||, per sample
  double tape_tolerance = 1e-12;        ///< max |tape − plain| of values and log-dets
};

/// The largest deviation of each property and whether all are within their tolerances.
struct bijection_check_result {
  double round_trip_error = 0;  ///< both directions, values and log-dets
  double log_det_error = 0;     ///< against the Jacobian's, both directions
  double tape_error = 0;        ///< forward on the tape against plain
  bool passed = false;          ///< whether every error is within its tolerance
  std::string message;          ///< what failed, with the transform's description; empty if passed
};

}  // namespace eigenflow::flows

// Helpers live in eigenflow::detail, never in a flows::detail: a flows::detail declared before
// another flows header would capture that header's detail:: calls.
namespace eigenflow::detail {

/// ∂y/∂x per sample of the transform's forward (or inverse) at x: D reverse passes on the tape.
inline std::vector<matrix<double>> per_sample_jacobians(const flows::transform<double>& t, const matrix<double>& x,
                                                        const context<matrix<double>>& c, bool inverse) {
  const index_t n = x.rows(), d = x.cols();
  std::vector<matrix<double>> out(static_cast<std::size_t>(n), matrix<double>(d, d));
  tape<double> tp;
  const var<double> xv = tp.variable(x);
  const var<double> features = c.has_features() ? tp.constant(*c.features) : var<double>();
  const context<var<double>> cv{c.labels, c.has_features() ? &features : nullptr};
  const var<double> y = inverse ? t.inverse(xv, cv).value : t.forward(xv, cv).value;
  for (index_t j = 0; j < d; ++j) {
    tp.zero_adjoints();
    matrix<double> seed = matrix<double>::Zero(n, d);
    seed.col(j).setOnes();
    tp.seed(y, seed);
    tp.propagate();
    for (index_t s = 0; s < n; ++s) out[static_cast<std::size_t>(s)].row(j) = xv.adjoint().row(s);
  }
  return out;
}

}  // namespace eigenflow::detail

namespace eigenflow::flows {

/// Checks `t` at the rows of x (in double: the tolerances are for double rounding) given c.
inline bijection_check_result check_bijection(const transform<double>& t, const matrix<double>& x,
                                              const context<matrix<double>>& c = {},
                                              const bijection_check_options& options = {}) {
  bijection_check_result r;
  const transformed<matrix<double>> fwd = t.forward(x, c);
  const transformed<matrix<double>> back = t.inverse(fwd.value, c);
  const transformed<matrix<double>> inv = t.inverse(x, c);
  const transformed<matrix<double>> again = t.forward(inv.value, c);
  std::ostringstream why;
  if (fwd.log_det.rows() != x.rows() || fwd.log_det.cols() != 1 || inv.log_det.rows() != x.rows() ||
      inv.log_det.cols() != 1) {
    why << "log-dets are " << ::eigenflow::detail::format_shape(fwd.log_det) << " and "
        << ::eigenflow::detail::format_shape(inv.log_det) << ", not " << x.rows() << "x1; ";
    r.round_trip_error = std::numeric_limits<double>::infinity();
  } else {
    r.round_trip_error = std::max({(back.value - x).cwiseAbs().maxCoeff(), (again.value - x).cwiseAbs().maxCoeff(),
                                   (fwd.log_det + back.log_det).cwiseAbs().maxCoeff(),
                                   (inv.log_det + again.log_det).cwiseAbs().maxCoeff()});
    for (const bool inverse : {false, true}) {
      const std::vector<matrix<double>> jacobians = eigenflow::detail::per_sample_jacobians(t, x, c, inverse);
      const matrix<double>& log_det = inverse ? inv.log_det : fwd.log_det;
      for (index_t s = 0; s < x.rows(); ++s) {
        const double expected = std::log(std::abs(jacobians[static_cast<std::size_t>(s)].determinant()));
        const double error = std::abs(log_det(s, 0) - expected);
        r.log_det_error = std::max(r.log_det_error, std::isnan(error) ? std::numeric_limits<double>::infinity() : error);
      }
    }
  }
  tape<double> tp;
  const var<double> features = c.has_features() ? tp.constant(*c.features) : var<double>();
  const context<var<double>> cv{c.labels, c.has_features() ? &features : nullptr};
  const transformed<var<double>> on_tape = t.forward(tp.constant(x), cv);
  r.tape_error = std::max((on_tape.value.value() - fwd.value).cwiseAbs().maxCoeff(),
                          (on_tape.log_det.value() - fwd.log_det).cwiseAbs().maxCoeff());
  if (!(r.round_trip_error <= options.round_trip_tolerance)) why << "round trip off by " << r.round_trip_error << "; ";
  if (!(r.log_det_error <= options.log_det_tolerance)) {
    why << "log-det off the Jacobian's by " << r.log_det_error << "; ";
  }
  if (!(r.tape_error <= options.tape_tolerance)) why << "tape and plain differ by " << r.tape_error << "; ";
  r.message = why.str();
  r.passed = r.message.empty();
  if (!r.passed) r.message = t.describe() + ": " + r.message.substr(0, r.message.size() - 2);
  return r;
}

}  // namespace eigenflow::flows
