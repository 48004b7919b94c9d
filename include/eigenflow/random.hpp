// include/eigenflow/random.hpp — the random numbers every layer draws, reproducible everywhere.
//
// std::mt19937_64 is specified bit for bit by the standard, but std::normal_distribution and
// friends are not, so a seeded run would differ between standard libraries. The few
// distributions eigenflow needs are written here on top of the engine's raw output.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <utility>
#include <vector>

#include "eigenflow/matrix.hpp"

namespace eigenflow {

/// The random engine eigenflow uses everywhere (64-bit Mersenne Twister).
using random_engine = std::mt19937_64;

/// Uniform in [0, 1), with 53 random bits.
inline double uniform01(random_engine& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// Standard normal by Box–Muller (one draw per call; the second value is not cached, so that a
/// stream's meaning does not depend on hidden state).
inline double standard_normal(random_engine& rng) {
  const double u1 = 1.0 - uniform01(rng);  // (0, 1]: log is finite
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

/// ±1 with equal probability (Rademacher).
inline double rademacher(random_engine& rng) { return (rng() >> 63) != 0 ? 1.0 : -1.0; }

/// Uniform integer in [0, bound), without modulo bias: raw draws below 2^64 mod bound are
/// rejected, so the accepted range is a whole number of copies of [0, bound).
inline std::uint64_t uniform_below(std::uint64_t bound, random_engine& rng) {
  const std::uint64_t reject_below = (std::numeric_limits<std::uint64_t>::max() - bound + 1) % bound;
  for (;;) {
    const std::uint64_t x = rng();
    if (x >= reject_below) return x % bound;
  }
}

/// Fisher–Yates over positions 0..n-1: swap(i, j) for i = n-1 down to 1, j uniform in [0, i]
/// (skipped when j == i). Written out because std::shuffle's algorithm differs between standard
/// libraries; with this a seed gives the same order everywhere.
template <class Swap>
void shuffle_positions(index_t n, random_engine& rng, Swap&& swap) {
  for (index_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<index_t>(uniform_below(static_cast<std::uint64_t>(i) + 1, rng));
    if (j != i) swap(i, j);
  }
}

/// Shuffles `items` in place (shuffle_positions).
template <class T>
void shuffle(std::vector<T>& items, random_engine& rng) {
  shuffle_positions(static_cast<index_t>(items.size()), rng, [&](index_t i, index_t j) {
    std::swap(items[static_cast<std::size_t>(i)], items[static_cast<std::size_t>(j)]);
  });
}

/// A rows×cols matrix of standard normal draws, filled column by column.
template <class Scalar>
matrix<Scalar> normal_matrix(index_t rows, index_t cols, random_engine& rng) {
  matrix<Scalar> m(rows, cols);
  for (index_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<Scalar>(standard_normal(rng));
  return m;
}

/// A rows×cols matrix of uniform draws in [lo, hi), filled column by column.
template <class Scalar>
matrix<Scalar> uniform_matrix(index_t rows, index_t cols, double lo, double hi, random_engine& rng) {
  matrix<Scalar> m(rows, cols);
  for (index_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<Scalar>(lo + (hi - lo) * uniform01(rng));
  return m;
}

}  // namespace eigenflow
