// include/eigenflow/data/unit_dequantization.hpp — quantized data (an image's pixel values
// 0..L−1) as a continuous variable in [0, 1) that a flow can model, and back, with bits per
// dimension, the figure image models are compared by (docs/images.md).
//
// x = (v + u)/L with u ~ U[0, 1) per value. For any density p of x, E_u[log p(x)] − D·log L is a
// lower bound of log P(v), the discrete likelihood of the D values, so
//   bits/dim = (−log p(x) + D·log L) / (D·ln 2)
// bounds the bits a code built from the model needs per value, the figure RealNVP, Glow and
// FFJORD report. A uniform model scores log2 L (8 bits/dim for L = 256).
#pragma once

#include <cmath>
#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::data {

/// Throws value_error naming `who`, the row and the column of the first value that is not a whole
/// number in 0..levels−1 (and for levels < 2).
template <class Scalar>
void check_quantized(const matrix<Scalar>& values, int levels, const std::string& who) {
  if (levels < 2) throw value_error(who + ": quantized data need at least 2 levels, got " + std::to_string(levels));
  for (index_t i = 0; i < values.rows(); ++i) {
    for (index_t j = 0; j < values.cols(); ++j) {
      const Scalar v = values(i, j);
      if (!(v >= 0 && v <= Scalar(levels - 1) && v == std::floor(v))) {
        throw value_error(who + ": row " + std::to_string(i) + ", column " + std::to_string(j) + " holds " +
                          std::to_string(v) + ", not a whole number in 0.." + std::to_string(levels - 1));
      }
    }
  }
}

/// x = (v + u)/levels with u ~ U[0, 1) from `rng`, drawn in storage order (uniform_matrix's).
/// The values are taken as they are: check_quantized first when they come from outside.
template <class Scalar>
matrix<Scalar> dequantize_to_unit(const matrix<Scalar>& values, int levels, random_engine& rng) {
  const matrix<Scalar> u = uniform_matrix<Scalar>(values.rows(), values.cols(), 0.0, 1.0, rng);
  return ((values.array() + u.array()) / static_cast<Scalar>(levels)).matrix();
}

/// The values 0..levels−1 whose dequantization intervals hold x: floor(x·levels), with x outside
/// [0, 1) clamped to the nearest level (a model's sample can stray a little past its data).
/// value_error for a NaN, which no level holds.
template <class Scalar>
matrix<Scalar> quantize_from_unit(const matrix<Scalar>& x, int levels) {
  if (x.hasNaN()) throw value_error("quantize_from_unit: the data hold NaN");
  const Scalar top = static_cast<Scalar>(levels - 1);
  return (x.array() * static_cast<Scalar>(levels)).floor().max(Scalar(0)).min(top).matrix();
}

/// Bits per dimension of data quantized to `levels` values, from the mean log-density (nats) of
/// their unit dequantization (x = (v + u)/levels, D = `dims` values per row).
inline double bits_per_dimension(double mean_log_p, index_t dims, int levels = 256) {
  if (dims < 1 || levels < 2) {
    throw value_error("bits_per_dimension: need at least 1 dimension and 2 levels, got " + std::to_string(dims) +
                      " and " + std::to_string(levels));
  }
  const double d = static_cast<double>(dims);
  return (-mean_log_p + d * std::log(static_cast<double>(levels))) / (d * std::log(2.0));
}

}  // namespace eigenflow::data
