// include/eigenflow/continuous/builders.hpp — ready-made continuous flows: a standard-normal base
// and a built-in dynamics network, with FFJORD's settings for its toy experiments as defaults.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "eigenflow/continuous/cnf.hpp"
#include "eigenflow/continuous/concat_squash_dynamics.hpp"
#include "eigenflow/continuous/dynamics_options.hpp"
#include "eigenflow/continuous/time_mlp_dynamics.hpp"
#include "eigenflow/distributions/standard_normal.hpp"
#include "eigenflow/enum_names.hpp"

namespace eigenflow::continuous {

/// The built-in dynamics networks.
enum class dynamics_kind {
  concat_squash,  ///< ConcatSquash layers: t gates and shifts every layer (FFJORD's default)
  time_mlp,       ///< an MLP on [z, t]
};

/// The names of the dynamics networks, for parsing and printing.
inline constexpr auto dynamics_kind_names = std::to_array<enum_name<dynamics_kind>>(
    {{dynamics_kind::concat_squash, "concat_squash"}, {dynamics_kind::time_mlp, "time_mlp"}});

/// The network's name ("concat_squash" or "time_mlp").
inline std::string to_string(dynamics_kind k) { return std::string(name_of(dynamics_kind_names, k)); }
/// The network named `name`; throws value_error for an unknown name.
inline dynamics_kind parse_dynamics_kind(std::string_view name) {
  return parse_enum(dynamics_kind_names, name, "dynamics");
}

/// Everything a continuous flow is built from. The defaults are FFJORD's toy settings:
/// ConcatSquash 64-64-64 with tanh, dopri5 at atol = rtol = 1e-5, end time 0.5 learned, adjoint
/// gradients; exact trace for evaluation.
struct continuous_flow_spec {
  dynamics_kind dynamics = dynamics_kind::concat_squash;  ///< which network f is
  dynamics_options network{};                             ///< the network's widths, activation and condition
  cnf_options model{};                                    ///< trace, solvers, gradient method, end time, regularizers
};

/// A dynamics network of the given kind for z of width dim.
template <class Scalar>
std::unique_ptr<dynamics<Scalar>> make_dynamics_network(index_t dim, random_engine& rng, dynamics_kind kind,
                                                        const dynamics_options& network) {
  if (kind == dynamics_kind::time_mlp) return std::make_unique<time_mlp_dynamics<Scalar>>(dim, rng, network);
  return std::make_unique<concat_squash_dynamics<Scalar>>(dim, rng, network);
}

/// A continuous flow exactly as `spec` says.
template <class Scalar>
cnf<Scalar> make_continuous_flow(index_t dim, random_engine& rng, const continuous_flow_spec& spec = {}) {
  return cnf<Scalar>(std::make_unique<distributions::standard_normal<Scalar>>(dim),
                     make_dynamics_network<Scalar>(dim, rng, spec.dynamics, spec.network), spec.model);
}

/// A CNF: trained with the exact trace (D tangent directions; for small D).
template <class Scalar>
cnf<Scalar> make_cnf(index_t dim, random_engine& rng, continuous_flow_spec spec = {}) {
  spec.model.training_trace = trace_estimator::exact;
  return make_continuous_flow<Scalar>(dim, rng, spec);
}

/// FFJORD: trained with Hutchinson's estimator (one direction per sample, any D).
template <class Scalar>
cnf<Scalar> make_ffjord(index_t dim, random_engine& rng, continuous_flow_spec spec = {}) {
  spec.model.training_trace = trace_estimator::hutchinson;
  return make_continuous_flow<Scalar>(dim, rng, spec);
}

}  // namespace eigenflow::continuous
