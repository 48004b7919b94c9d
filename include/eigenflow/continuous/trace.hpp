// include/eigenflow/continuous/trace.hpp — how tr(∂f/∂z) is computed: exactly, from the D unit
// directions, or by Hutchinson's estimator from one random direction per sample (docs/conventions.md).
//
// Both are the same computation, tr J ≈ Σ_k v_kᵀ J v_k over a set of probe directions: exact uses
// v_k = e_k (k = 1..D), Hutchinson one ε with E[εεᵀ] = I. The probes are stacked batch copies, so
// one tangent pass of f over K·B rows gives every J v_k at once with large matrix products.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "eigenflow/enum_names.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::continuous {

/// How tr(∂f/∂z) is computed.
enum class trace_estimator {
  exact,       ///< D tangent directions: exact, cost grows with D (CNF)
  hutchinson,  ///< one random direction per sample, held fixed over the solve (FFJORD)
};

/// Distribution of Hutchinson's ε (both have E[εεᵀ] = I; Rademacher has the lower variance).
enum class noise_kind { gaussian, rademacher };

/// The names of the trace estimators, for parsing and printing.
inline constexpr auto trace_estimator_names = std::to_array<enum_name<trace_estimator>>(
    {{trace_estimator::exact, "exact"}, {trace_estimator::hutchinson, "hutchinson"}});
/// The names of the noise kinds, for parsing and printing.
inline constexpr auto noise_kind_names = std::to_array<enum_name<noise_kind>>(
    {{noise_kind::gaussian, "gaussian"}, {noise_kind::rademacher, "rademacher"}});

/// The estimator's name ("exact" or "hutchinson").
inline std::string to_string(trace_estimator e) { return std::string(name_of(trace_estimator_names, e)); }
/// The noise kind's name ("gaussian" or "rademacher").
inline std::string to_string(noise_kind n) { return std::string(name_of(noise_kind_names, n)); }

/// The estimator named `name`; throws value_error for an unknown name.
inline trace_estimator parse_trace_estimator(std::string_view name) {
  return parse_enum(trace_estimator_names, name, "trace estimator");
}
/// The noise kind named `name`; throws value_error for an unknown name.
inline noise_kind parse_noise_kind(std::string_view name) { return parse_enum(noise_kind_names, name, "noise"); }

/// The probe directions for a batch of `rows` samples of width D: K blocks of rows × D stacked
/// vertically (block k holds v_k for every sample).
template <class Scalar>
struct probe_set {
  matrix<Scalar> stacked;  ///< (K·B) × D: block k holds v_k for every sample
  index_t count = 0;       ///< K, the number of directions per sample
  index_t rows = 0;        ///< B, the number of samples

  /// e_1 … e_D: the exact trace.
  static probe_set unit(index_t rows, index_t dim) {
    probe_set p;
    p.count = dim;
    p.rows = rows;
    p.stacked.setZero(dim * rows, dim);
    for (index_t k = 0; k < dim; ++k) p.stacked.block(k * rows, k, rows, 1).setOnes();
    return p;
  }

  /// No directions (a zero one): for solves that need f alone.
  static probe_set none(index_t rows, index_t dim) {
    probe_set p;
    p.count = 1;
    p.rows = rows;
    p.stacked.setZero(rows, dim);
    return p;
  }

  /// One ε per sample, drawn from rng.
  static probe_set random(index_t rows, index_t dim, noise_kind noise, random_engine& rng) {
    probe_set p;
    p.count = 1;
    p.rows = rows;
    p.stacked.resize(rows, dim);
    // Column-major draw order, fixed, so a seed gives the same ε on every platform.
    for (index_t j = 0; j < dim; ++j) {
      for (index_t i = 0; i < rows; ++i) {
        p.stacked(i, j) = static_cast<Scalar>(noise == noise_kind::gaussian ? standard_normal(rng) : rademacher(rng));
      }
    }
    return p;
  }

  /// The probes estimator `e` uses: unit() for exact, random() for Hutchinson (`noise` and `rng`
  /// are used only then).
  static probe_set make(trace_estimator e, index_t rows, index_t dim, noise_kind noise, random_engine& rng) {
    return e == trace_estimator::exact ? unit(rows, dim) : random(rows, dim, noise, rng);
  }
};

}  // namespace eigenflow::continuous
