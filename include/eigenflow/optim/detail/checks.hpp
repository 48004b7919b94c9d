// include/eigenflow/optim/detail/checks.hpp — option checks, shape checks and value formatting
// shared by the optimizers, the schedules and the guard.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <system_error>
#include <vector>

#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::optim::detail {

/// Shortest text that reads back as `value` ("1e-08", "0.9999999", "nan", "-inf"): an error
/// message must show the value that was rejected, not a rounding of it.
template <class Scalar>
std::string format_scalar(Scalar value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (result.ec != std::errc()) return "?";
  return std::string(buffer, result.ptr);
}

using eigenflow::detail::format_shape;  // "RxC", as every message writes a shape

/// "parameter 'w' (#2)": how messages point at one entry of a parameter list.
inline std::string describe_parameter(const std::string& name, std::size_t position) {
  return "parameter '" + name + "' (#" + std::to_string(position) + ")";
}

/// Throws value_error "<who>: <option> = <value> (must be <rule>)" unless `ok`.
template <class Scalar>
void require_option(bool ok, const char* who, const char* option, Scalar value, const char* rule) {
  if (!ok) {
    throw value_error(std::string(who) + ": " + option + " = " + format_scalar(value) +
                      " (must be " + rule + ")");
  }
}

// The comparisons below are written so that NaN fails them.

template <class Scalar>
void require_positive_finite(const char* who, const char* option, Scalar value) {
  require_option(value > 0 && std::isfinite(value), who, option, value, "finite and > 0");
}

template <class Scalar>
void require_nonnegative_finite(const char* who, const char* option, Scalar value) {
  require_option(value >= 0 && std::isfinite(value), who, option, value, "finite and >= 0");
}

/// For decay rates (Adam's betas, momentum): 0 <= value < 1.
template <class Scalar>
void require_decay_rate(const char* who, const char* option, Scalar value) {
  require_option(value >= 0 && value < 1, who, option, value, "in [0, 1)");
}

/// Every gradient has its value's shape (otherwise an in-place update would read out of bounds).
template <class Scalar>
void check_gradient_shapes(const char* who, const nn::parameter_list<Scalar>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const nn::parameter<Scalar>& p = params[i];
    if (p.grad.rows() != p.value.rows() || p.grad.cols() != p.value.cols()) {
      throw shape_error(std::string(who) + ": " + describe_parameter(p.name, i) + " has a " +
                        format_shape(p.value) + " value but a " + format_shape(p.grad) +
                        " gradient");
    }
  }
}

/// The parameters are the ones the per-parameter state `slot` was sized for: same count, same
/// shapes, in the same order.
template <class Scalar>
void check_state_shapes(const char* who, const nn::parameter_list<Scalar>& params,
                        const std::vector<matrix<Scalar>>& slot) {
  if (params.size() != slot.size()) {
    throw shape_error(std::string(who) + ": got " + std::to_string(params.size()) +
                      " parameters, but the optimizer state was made for " +
                      std::to_string(slot.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const matrix<Scalar>& value = params[i].value;
    if (value.rows() != slot[i].rows() || value.cols() != slot[i].cols()) {
      throw shape_error(std::string(who) + ": " + describe_parameter(params[i].name, i) + " is " +
                        format_shape(value) + ", but the optimizer state for it is " +
                        format_shape(slot[i]));
    }
  }
}

}  // namespace eigenflow::optim::detail
