// include/eigenflow/data/toy2d.hpp — seeded generators of the standard 2-D toy datasets.
//
// The definitions are FFJORD's (lib/toy_data.py, with sklearn's make_moons, make_circles and
// make_swiss_roll where it calls them). They reproduce the distributions, not numpy's random
// streams: every draw goes through eigenflow's portable uniform01 / standard_normal, so a seeded
// run gives the same points with every standard library.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigenflow/enum_names.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::data {

/// The toy datasets (named in FFJORD's spelling by to_string / parse_toy2d).
enum class toy2d { eight_gaussians, two_spirals, checkerboard, circles, moons, pinwheel, rings, swissroll };

/// FFJORD's names of the datasets, in declaration order.
inline constexpr auto toy2d_names = std::to_array<enum_name<toy2d>>(
    {{toy2d::eight_gaussians, "8gaussians"}, {toy2d::two_spirals, "2spirals"}, {toy2d::checkerboard, "checkerboard"},
     {toy2d::circles, "circles"},            {toy2d::moons, "moons"},          {toy2d::pinwheel, "pinwheel"},
     {toy2d::rings, "rings"},                {toy2d::swissroll, "swissroll"}});

/// Every toy2d value, in declaration order (read off the name table, which lists each once).
inline constexpr std::array<toy2d, toy2d_names.size()> all_toy2d = [] {
  std::array<toy2d, toy2d_names.size()> all{};
  for (std::size_t k = 0; k < all.size(); ++k) all[k] = toy2d_names[k].value;
  return all;
}();

/// FFJORD's name of a dataset: "8gaussians", "2spirals", "checkerboard", "circles", "moons",
/// "pinwheel", "rings" or "swissroll".
inline std::string to_string(toy2d set) { return std::string(name_of(toy2d_names, set)); }

/// The dataset named `name` (FFJORD's spelling); throws value_error listing the known names.
inline toy2d parse_toy2d(std::string_view name) { return parse_enum(toy2d_names, name, "toy dataset"); }

/// Points with, per point, the mixture component it was drawn from.
template <class Scalar>
struct labeled_points {
  matrix<Scalar> points;        ///< n×2, one point per row
  std::vector<index_t> labels;  ///< labels[i] in [0, classes) is the component of row i
  index_t classes;              ///< number of components (1 for sets without any, e.g. swissroll)
};

namespace detail {

/// The rows and their labels shuffled together (eigenflow::shuffle_positions).
inline void shuffle_rows(labeled_points<double>& d, random_engine& rng) {
  shuffle_positions(d.points.rows(), rng, [&](index_t i, index_t j) {
    d.points.row(i).swap(d.points.row(j));
    std::swap(d.labels[static_cast<std::size_t>(i)], d.labels[static_cast<std::size_t>(j)]);
  });
}

/// numpy.linspace(start, stop, num, endpoint)[i].
inline double linspace_at(double start, double stop, index_t num, bool endpoint, index_t i) {
  if (endpoint && i == num - 1 && num > 1) return stop;  // numpy sets the last one exactly
  const index_t div = endpoint ? num - 1 : num;
  if (div <= 0) return start;
  return start + static_cast<double>(i) * ((stop - start) / static_cast<double>(div));
}

inline void check_count(const char* who, index_t n) {
  if (n < 1) throw value_error(std::string(who) + ": n = " + std::to_string(n) + " (must be >= 1)");
}

inline labeled_points<double> empty_points(index_t n, index_t classes) {
  return {matrix<double>(n, 2), std::vector<index_t>(static_cast<std::size_t>(n), 0), classes};
}

inline void set_row(labeled_points<double>& d, index_t i, double x, double y, index_t label) {
  d.points(i, 0) = x;
  d.points(i, 1) = y;
  d.labels[static_cast<std::size_t>(i)] = label;
}

inline void add_noise(matrix<double>& points, double stddev, random_engine& rng) {
  for (index_t i = 0; i < points.rows(); ++i)
    for (index_t j = 0; j < points.cols(); ++j) points(i, j) += stddev * standard_normal(rng);
}

/// sklearn.datasets.make_moons: outer moon (label 0) first, then inner, shuffled, then noise.
inline labeled_points<double> make_moons(index_t n, double noise, random_engine& rng) {
  const index_t n_out = n / 2, n_in = n - n_out;
  labeled_points<double> d = empty_points(n, 2);
  for (index_t i = 0; i < n_out; ++i) {
    const double t = linspace_at(0.0, std::numbers::pi, n_out, true, i);
    set_row(d, i, std::cos(t), std::sin(t), 0);
  }
  for (index_t i = 0; i < n_in; ++i) {
    const double t = linspace_at(0.0, std::numbers::pi, n_in, true, i);
    set_row(d, n_out + i, 1.0 - std::cos(t), 1.0 - std::sin(t) - 0.5, 1);
  }
  shuffle_rows(d, rng);
  add_noise(d.points, noise, rng);
  return d;
}

/// sklearn.datasets.make_circles: outer circle (label 0) first, then inner, shuffled, then noise.
inline labeled_points<double> make_circles(index_t n, double factor, double noise, random_engine& rng) {
  const index_t n_out = n / 2, n_in = n - n_out;
  labeled_points<double> d = empty_points(n, 2);
  for (index_t i = 0; i < n_out; ++i) {
    const double t = linspace_at(0.0, 2.0 * std::numbers::pi, n_out, false, i);
    set_row(d, i, std::cos(t), std::sin(t), 0);
  }
  for (index_t i = 0; i < n_in; ++i) {
    const double t = linspace_at(0.0, 2.0 * std::numbers::pi, n_in, false, i);
    set_row(d, n_out + i, factor * std::cos(t), factor * std::sin(t), 1);
  }
  shuffle_rows(d, rng);
  add_noise(d.points, noise, rng);
  return d;
}

inline labeled_points<double> eight_gaussians(index_t n, random_engine& rng) {
  // Label k is the centre at angle k·45°, radius 4 (FFJORD lists the same 8 in another order).
  constexpr double s = 1.0 / std::numbers::sqrt2;
  constexpr std::array<std::array<double, 2>, 8> unit = {
      {{1, 0}, {s, s}, {0, 1}, {-s, s}, {-1, 0}, {-s, -s}, {0, -1}, {s, -s}}};
  labeled_points<double> d = empty_points(n, 8);
  for (index_t i = 0; i < n; ++i) {
    const double nx = 0.5 * standard_normal(rng);
    const double ny = 0.5 * standard_normal(rng);
    const auto k = static_cast<index_t>(uniform_below(8, rng));
    const auto& c = unit[static_cast<std::size_t>(k)];
    set_row(d, i, (4.0 * c[0] + nx) / 1.414, (4.0 * c[1] + ny) / 1.414, k);
  }
  return d;
}

inline labeled_points<double> two_spirals(index_t n, random_engine& rng) {
  // FFJORD draws n/2 points and stacks their negation; the extra point of an odd n goes to
  // spiral 0, so exactly n points come out.
  const index_t n1 = n / 2, n0 = n - n1;
  labeled_points<double> d = empty_points(n, 2);
  for (index_t i = 0; i < n0; ++i) {
    const double r = std::sqrt(uniform01(rng)) * 540.0 * (2.0 * std::numbers::pi) / 360.0;
    const double x = -std::cos(r) * r + uniform01(rng) * 0.5;
    const double y = std::sin(r) * r + uniform01(rng) * 0.5;
    set_row(d, i, x / 3.0, y / 3.0, 0);
    if (i < n1) set_row(d, n0 + i, -x / 3.0, -y / 3.0, 1);
  }
  add_noise(d.points, 0.1, rng);
  return d;
}

inline labeled_points<double> checkerboard(index_t n, random_engine& rng) {
  labeled_points<double> d = empty_points(n, 8);
  for (index_t i = 0; i < n; ++i) {
    const double x1 = uniform01(rng) * 4.0 - 2.0;
    const double lower = static_cast<double>(rng() >> 63);  // numpy's randint(0, 2)
    const double x2_ = uniform01(rng) - lower * 2.0;
    const double column = std::floor(x1);                          // -2, -1, 0 or 1
    const double parity = column - 2.0 * std::floor(column / 2.0);  // Python's % 2: 0 or 1
    // The 8 black unit squares: two per column, lower one first.
    const auto label = static_cast<index_t>(2.0 * (column + 2.0) + (1.0 - lower));
    set_row(d, i, x1 * 2.0, (x2_ + parity) * 2.0, label);
  }
  return d;
}

inline labeled_points<double> pinwheel(index_t n, random_engine& rng) {
  constexpr index_t classes = 5;
  constexpr double radial_std = 0.3, tangential_std = 0.1, rate = 0.25;
  labeled_points<double> d = empty_points(n, classes);
  index_t i = 0;
  for (index_t k = 0; k < classes; ++k) {
    // FFJORD makes n/5 per arm; the remainder goes to the first arms so that n points come out.
    const index_t count = n / classes + (k < n % classes ? 1 : 0);
    const double rad = linspace_at(0.0, 2.0 * std::numbers::pi, classes, false, k);
    for (index_t m = 0; m < count; ++m, ++i) {
      const double f0 = standard_normal(rng) * radial_std + 1.0;
      const double f1 = standard_normal(rng) * tangential_std;
      const double a = rad + rate * std::exp(f0);
      // einsum("ti,tij->tj", f, [[cos, -sin], [sin, cos]]): the row vector f times R.
      set_row(d, i, 2.0 * (f0 * std::cos(a) + f1 * std::sin(a)), 2.0 * (-f0 * std::sin(a) + f1 * std::cos(a)), k);
    }
  }
  shuffle_rows(d, rng);
  return d;
}

inline labeled_points<double> rings(index_t n, random_engine& rng) {
  // FFJORD's circ4, circ3, circ2, circ1 in its order: label 0 is the outer ring; the innermost
  // takes the remainder.
  const index_t quarter = n / 4;
  const std::array<index_t, 4> counts = {quarter, quarter, quarter, n - 3 * quarter};
  const std::array<double, 4> radii = {1.0, 0.75, 0.5, 0.25};
  labeled_points<double> d = empty_points(n, 4);
  index_t i = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    for (index_t m = 0; m < counts[k]; ++m, ++i) {
      const double t = linspace_at(0.0, 2.0 * std::numbers::pi, counts[k], false, m);
      set_row(d, i, 3.0 * radii[k] * std::cos(t), 3.0 * radii[k] * std::sin(t), static_cast<index_t>(k));
    }
  }
  shuffle_rows(d, rng);
  add_noise(d.points, 0.08, rng);  // after the ×3, as FFJORD adds it
  return d;
}

inline labeled_points<double> swissroll(index_t n, random_engine& rng) {
  // make_swiss_roll's y (height) and its noise are not drawn: FFJORD keeps only (x, z).
  labeled_points<double> d = empty_points(n, 1);
  for (index_t i = 0; i < n; ++i) {
    const double t = 1.5 * std::numbers::pi * (1.0 + 2.0 * uniform01(rng));
    const double x = t * std::cos(t) + standard_normal(rng);
    const double z = t * std::sin(t) + standard_normal(rng);
    set_row(d, i, x / 5.0, z / 5.0, 0);
  }
  return d;
}

template <class Scalar>
labeled_points<Scalar> cast_points(labeled_points<double>&& d) {
  if constexpr (std::is_same_v<Scalar, double>) {
    return std::move(d);
  } else {
    return {d.points.cast<Scalar>(), std::move(d.labels), d.classes};
  }
}

}  // namespace detail

/// n points of `set` (n×2, computed in double) with the mixture component of each: 8gaussians:
/// the centre 0..7 (centre k at angle k·45°); 2spirals: spiral 0..1 (1 is the negation of 0);
/// checkerboard: the black square 0..7 (two per column of width 2, left to right, lower first);
/// circles and moons: 0 outer, 1 inner; pinwheel: arm 0..4; rings: 0..3 from the outer ring in;
/// swissroll: 0 for all, classes = 1. Deterministic for a given engine state; throws value_error
/// if n < 1.
template <class Scalar>
labeled_points<Scalar> sample_toy2d_labeled(toy2d set, index_t n, random_engine& rng) {
  detail::check_count("sample_toy2d", n);
  labeled_points<double> d{};
  switch (set) {
    case toy2d::eight_gaussians: d = detail::eight_gaussians(n, rng); break;
    case toy2d::two_spirals: d = detail::two_spirals(n, rng); break;
    case toy2d::checkerboard: d = detail::checkerboard(n, rng); break;
    case toy2d::circles:
      d = detail::make_circles(n, 0.5, 0.08, rng);
      d.points *= 3.0;
      break;
    case toy2d::moons:
      d = detail::make_moons(n, 0.1, rng);
      d.points = (2.0 * d.points).rowwise() + Eigen::RowVector2d(-1.0, -0.2);
      break;
    case toy2d::pinwheel: d = detail::pinwheel(n, rng); break;
    case toy2d::rings: d = detail::rings(n, rng); break;
    case toy2d::swissroll: d = detail::swissroll(n, rng); break;
    default: throw value_error("sample_toy2d: invalid toy2d value " + std::to_string(static_cast<int>(set)));
  }
  return detail::cast_points<Scalar>(std::move(d));
}

/// n points of `set` as an n×2 matrix: the points of sample_toy2d_labeled, same engine draws.
template <class Scalar>
matrix<Scalar> sample_toy2d(toy2d set, index_t n, random_engine& rng) {
  return sample_toy2d_labeled<Scalar>(set, n, rng).points;
}

/// sklearn.datasets.make_moons(n, noise=noise) without FFJORD's rescaling: n//2 points on the
/// upper unit half-circle, the rest on the lower one centred at (1, 0.5), shuffled, plus
/// Gaussian noise of standard deviation `noise` per coordinate. Throws value_error if n < 1 or
/// noise is negative or not finite.
template <class Scalar>
matrix<Scalar> sklearn_moons(index_t n, double noise, random_engine& rng) {
  detail::check_count("sklearn_moons", n);
  if (!(noise >= 0.0) || !std::isfinite(noise))
    throw value_error("sklearn_moons: noise = " + std::to_string(noise) + " (must be finite and >= 0)");
  return detail::make_moons(n, noise, rng).points.cast<Scalar>();
}

}  // namespace eigenflow::data
