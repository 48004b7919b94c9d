// include/eigenflow/flows/autoregressive_builders.hpp — the autoregressive stacks every flow
// library has, from a few options (as zuko's MAF and NSF): MAF, IAF, and neural spline flows in
// their autoregressive and coupling forms. A permutation (reverse or random) follows each layer
// but the last, so that each layer sees the features in another order.
#pragma once

#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/flows/autoregressive.hpp"
#include "eigenflow/flows/builders.hpp"

namespace eigenflow::flows {

/// The form of a neural spline flow's layers.
enum class spline_form {
  autoregressive,  ///< every feature's spline conditioned on the features before it (a MADE)
  coupling         ///< half the features' splines conditioned on the other half
};

/// The settings of make_maf(), make_iaf() and make_nsf().
struct autoregressive_stack_options {
  index_t dim = 2;           ///< D, the data width (at least 1; 2 for the coupling form)
  int transforms = 5;        ///< number of autoregressive (or coupling) layers
  index_t hidden_width = 128;  ///< width of the MADEs' hidden layers
  index_t hidden_layers = 2;   ///< residual: blocks per MADE (2 as nflows); else hidden layers
  bool residual = true;        ///< residual MADEs (nflows' default) or plain masked MLPs
  activation hidden_activation = activation::relu;      ///< between the masked layers
  made_order order = made_order::natural;               ///< natural, or random masks
  permutation_kind permutation = permutation_kind::reverse;  ///< between the layers
  double scale_bound = 2.0;              ///< affine (MAF, IAF): |log-scale| ≤ b
  rational_quadratic_options spline{};   ///< NSF: bins, interval [−B, B] and floors
  spline_form form = spline_form::autoregressive;  ///< NSF: autoregressive or coupling layers
  bool actnorm = false;                  ///< an ActNorm before each layer (call flow::initialize)
  bool learnable_base = false;           ///< diagonal Gaussian base instead of N(0, I)
  condition_spec condition{};            ///< class labels and/or a context matrix
  index_t embedding_dim = 8;             ///< class-embedding width
  /// Empty: none. Else a learnable lu_linear after the last layer, starting at this
  /// lower-triangular matrix (as coupling_stack_options::output_linear).
  matrix<double> output_linear{};
};

}  // namespace eigenflow::flows

namespace eigenflow::detail {

inline void check_autoregressive_options(const flows::autoregressive_stack_options& o, const std::string& who) {
  if (o.dim < 1) throw value_error(who + ": D must be at least 1, got " + std::to_string(o.dim));
  if (o.transforms < 1) throw value_error(who + ": at least one transform");
  if (o.hidden_width < 1 || o.hidden_layers < 1) throw value_error(who + ": hidden sizes must be positive");
}

inline flows::made_options made_options_of(const flows::autoregressive_stack_options& o) {
  return {.hidden = o.residual ? std::vector<index_t>{o.hidden_layers, o.hidden_width}
                               : std::vector<index_t>(static_cast<std::size_t>(o.hidden_layers), o.hidden_width),
          .hidden_activation = o.hidden_activation,
          .order = o.order,
          .residual = o.residual,
          .condition = o.condition,
          .embedding_dim = o.embedding_dim};
}

// Layers named "transforms.k", each built by make_layer(name); a permutation after each but the last.
template <class Scalar, class MakeLayer>
flows::flow<Scalar> autoregressive_stack(const flows::autoregressive_stack_options& o, random_engine& rng,
                                         const std::string& who, MakeLayer&& make_layer) {
  check_autoregressive_options(o, who);
  flow_stack<Scalar> stack(o.dim);
  for (int k = 0; k < o.transforms; ++k) {
    const std::string name = "transforms." + std::to_string(k);
    if (o.actnorm) stack.layers->add(flows::actnorm<Scalar>(name + ".actnorm", o.dim));
    stack.layers->add(make_layer(name + ".made"));
    if (k + 1 < o.transforms && o.dim > 1) stack.permute(o.permutation, rng);
  }
  return std::move(stack).finish(o.output_linear, o.learnable_base, who);
}

}  // namespace eigenflow::detail

namespace eigenflow::flows {

/// MAF: affine autoregressive layers, density in one pass, sampling in D passes per layer.
///
/// @code
///   auto model = flows::make_maf<float>({.dim = 16, .transforms = 5, .permutation = flows::permutation_kind::random}, rng);
/// @endcode
template <class Scalar>
flow<Scalar> make_maf(const autoregressive_stack_options& o, random_engine& rng,
                      autoregressive_pass pass = autoregressive_pass::density) {
  const made_options net = eigenflow::detail::made_options_of(o);
  const affine_bijector<Scalar> affine(static_cast<Scalar>(o.scale_bound));
  return eigenflow::detail::autoregressive_stack<Scalar>(
      o, rng, pass == autoregressive_pass::density ? "make_maf" : "make_iaf",
      [&](const std::string& name) { return affine_autoregressive<Scalar>(name, o.dim, net, rng, affine, pass); });
}

/// IAF: the MAF stack with every layer turned around: sampling (and the density of its own
/// samples, sample_and_log_prob) in one pass per layer, the density of new points in D.
template <class Scalar>
flow<Scalar> make_iaf(const autoregressive_stack_options& o, random_engine& rng) {
  return make_maf<Scalar>(o, rng, autoregressive_pass::sampling);
}

/// NSF: rational-quadratic splines, autoregressive (MADE) or coupling layers (o.form). The
/// coupling form uses residual or MLP conditioners as o.residual says.
template <class Scalar>
flow<Scalar> make_nsf(const autoregressive_stack_options& o, random_engine& rng) {
  if (o.form == spline_form::coupling) {
    eigenflow::detail::check_autoregressive_options(o, "make_nsf");
    return make_coupling_flow<Scalar>({.dim = o.dim,
                                       .couplings = o.transforms,
                                       .kind = o.residual ? coupling_kind::residual : coupling_kind::mlp,
                                       .hidden_width = o.hidden_width,
                                       .hidden_layers = o.hidden_layers,
                                       .hidden_activation = o.hidden_activation,
                                       .transform = coupling_transform::spline,
                                       .spline = o.spline,
                                       .permutation = o.permutation,
                                       .actnorm = o.actnorm,
                                       .learnable_base = o.learnable_base,
                                       .condition = o.condition,
                                       .embedding_dim = o.embedding_dim,
                                       .output_linear = o.output_linear},
                                      rng);
  }
  const made_options net = eigenflow::detail::made_options_of(o);
  const spline_bijector<Scalar> spline(o.spline);
  return eigenflow::detail::autoregressive_stack<Scalar>(o, rng, "make_nsf", [&](const std::string& name) {
    return spline_autoregressive<Scalar>(name, o.dim, net, rng, spline);
  });
}

}  // namespace eigenflow::flows
