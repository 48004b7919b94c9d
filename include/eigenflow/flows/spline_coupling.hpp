// include/eigenflow/flows/spline_coupling.hpp — the rational-quadratic spline coupling (the
// coupling form of a neural spline flow, Durkan et al. 2019): each transformed feature goes
// through its own monotone spline on [−B, B] (identity outside) whose K widths, K heights and
// K − 1 interior derivatives the conditioner computes from the conditioning features.
#pragma once

#include <string>

#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/flows/coupling.hpp"
#include "eigenflow/flows/rational_quadratic.hpp"

namespace eigenflow::flows {

/// The rational-quadratic element-wise bijection of a coupling. The conditioner's output holds
/// 3K − 1 columns per transformed feature, feature by feature: K widths, K heights, K − 1
/// derivatives (unconstrained; all 0 is the identity, so a conditioner that starts at zero output
/// starts the coupling as the identity).
/// @tparam Scalar float or double.
template <class Scalar>
class spline_bijector {
 public:
  /// @throws value_error for options out of range.
  spline_bijector(rational_quadratic_options options = {}) : options_(options) {  // NOLINT(google-explicit-constructor)
    options_.validate();
  }

  /// 3K − 1 per transformed feature.
  index_t parameters_per_value() const { return options_.parameters_per_value(); }
  /// Each value's 3K − 1 parameters side by side.
  parameter_layout layout() const { return parameter_layout::by_feature; }
  /// y = spline(x) per feature; the log-det is the sum of the log-derivatives, one per row.
  template <class Value>
  transformed<Value> forward(const Value& x_b, const Value& h) const {
    return apply(x_b, h, false);
  }
  /// x = spline⁻¹(y) per feature, log-det minus the forward one.
  template <class Value>
  transformed<Value> inverse(const Value& y_b, const Value& h) const {
    return apply(y_b, h, true);
  }
  /// "spline": the family name autoregressive layers are named by.
  std::string family() const { return "spline"; }
  /// "spline_coupling".
  std::string name() const { return "spline_coupling"; }
  /// "bins=K, bound=B".
  std::string settings() const {
    return "bins=" + std::to_string(options_.bins) + ", bound=" + std::to_string(options_.bound);
  }
  /// The spline's bins, interval and floors.
  const rational_quadratic_options& options() const { return options_; }

 private:
  // Every (row, feature) becomes one row of the spline: column blocks of h (one per feature)
  // and the columns of x stack in the same order, feature-major.
  template <class Value>
  transformed<Value> apply(const Value& in, const Value& h, bool inverse) const {
    const index_t nb = in.cols();
    const index_t k = options_.bins;
    const Value per_value = stack_col_blocks(h, nb);  // (nb·N) × (3K − 1)
    const Value x = stack_col_blocks(in, nb);          // (nb·N) × 1
    const Value widths = slice(per_value, 0, k), heights = slice(per_value, k, k);
    const Value derivatives = slice(per_value, 2 * k, k - 1);
    const transformed<Value> r = inverse ? rational_quadratic_inverse(x, widths, heights, derivatives, options_)
                                         : rational_quadratic_forward(x, widths, heights, derivatives, options_);
    return {unstack_row_blocks(r.value, nb), sum_rows(unstack_row_blocks(r.log_det, nb))};
  }

  rational_quadratic_options options_;
};

/// Rational-quadratic spline coupling. @tparam Scalar float or double.
///
/// @code
///   const flows::rational_quadratic_options spline{.bins = 8, .bound = 4.0};
///   auto net = std::make_unique<flows::mlp_conditioner<float>>("c0.net", 1, 1 * spline.parameters_per_value(), opts, rng);
///   flows::spline_coupling<float> layer(2, flows::half_split(2, false), std::move(net), spline);
/// @endcode
template <class Scalar>
using spline_coupling = coupling<Scalar, spline_bijector<Scalar>>;

}  // namespace eigenflow::flows
