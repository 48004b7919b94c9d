// include/eigenflow/flows/builders.hpp — the usual coupling stacks, built from a few options:
// RealNVP-style affine couplings with MLP conditioners, residual conditioners, attention mixed
// with residual (attention every third coupling), and class-conditional variants; a
// permutation between consecutive couplings so that every feature
// is transformed (in both directions: the stack's inverse inverts each permutation).
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "eigenflow/distributions/diagonal_gaussian.hpp"
#include "eigenflow/distributions/standard_normal.hpp"
#include "eigenflow/enum_names.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/actnorm.hpp"
#include "eigenflow/flows/affine_coupling.hpp"
#include "eigenflow/flows/attention_conditioner.hpp"
#include "eigenflow/flows/composite.hpp"
#include "eigenflow/flows/flow.hpp"
#include "eigenflow/flows/lu_linear.hpp"
#include "eigenflow/flows/mlp_conditioner.hpp"
#include "eigenflow/flows/permutation.hpp"
#include "eigenflow/flows/residual_conditioner.hpp"
#include "eigenflow/flows/spline_coupling.hpp"

namespace eigenflow::flows {

/// The conditioner each coupling of a stack uses. attention: an attention conditioner in every
/// third coupling (2, 5, 8, ...), residual conditioners in the others.
enum class coupling_kind { mlp, residual, attention };

/// "mlp" and "affine" are accepted as aliases of "coupling" (they parse, but are not listed).
inline constexpr auto coupling_kind_names = std::to_array<enum_name<coupling_kind>>(
    {{coupling_kind::mlp, "coupling"},
     {coupling_kind::mlp, "mlp"},
     {coupling_kind::mlp, "affine"},
     {coupling_kind::residual, "residual"},
     {coupling_kind::attention, "attention"}});

/// The kind named `name` (a name of coupling_kind_names); throws value_error for an unknown name.
inline coupling_kind parse_coupling_kind(std::string_view name) {
  return parse_enum(coupling_kind_names, name, "coupling kind");
}

/// Between consecutive couplings.
enum class permutation_kind { reverse, random };

/// What each coupling does to its transformed features: an affine map (RealNVP) or a
/// rational-quadratic spline (a neural spline flow's coupling form).
enum class coupling_transform { affine, spline };

/// The settings of make_coupling_flow().
struct coupling_stack_options {
  index_t dim = 2;                 ///< D, the data width (at least 2)
  int couplings = 8;               ///< number of affine couplings
  coupling_kind kind = coupling_kind::mlp;  ///< which conditioner the couplings use
  index_t hidden_width = 64;       ///< width of the conditioners' hidden layers
  index_t hidden_layers = 2;       ///< MLP: hidden layers; residual: blocks
  activation hidden_activation = activation::tanh;  ///< the conditioners' activation
  coupling_transform transform = coupling_transform::affine;  ///< affine or spline couplings
  double scale_bound = 2.0;        ///< affine: bound b on the couplings' log-scale, |s| ≤ b
  rational_quadratic_options spline{};  ///< spline: bins, interval [−B, B] and floors
  permutation_kind permutation = permutation_kind::reverse;  ///< the permutation between couplings
  bool actnorm = false;            ///< an ActNorm before each coupling (call flow::initialize)
  bool learnable_base = false;     ///< diagonal Gaussian base instead of N(0, I)
  condition_spec condition{};      ///< class labels and/or a context matrix
  index_t embedding_dim = 8;       ///< class-embedding width
  attention_conditioner_options attention{};  ///< for kind = attention (condition and activation are set from above)
  /// Empty: none. Else a learnable lu_linear after the last coupling (toward the base), starting
  /// at this lower-triangular matrix: with the inverse Cholesky factor of the data's correlation,
  /// the flow starts as the correlated Gaussian while its couplings see the data's own axes.
  matrix<double> output_linear{};
};

}  // namespace eigenflow::flows

// Shared by the builders of every stack (couplings here, autoregressive layers in
// autoregressive_builders.hpp). In eigenflow::detail, never flows::detail (see testing.hpp).
namespace eigenflow::detail {

/// A stack under construction and which data column each of its positions holds, so that the
/// output linear layer can start in the data's own column order.
template <class Scalar>
struct flow_stack {
  std::unique_ptr<flows::composite<Scalar>> layers;
  std::vector<index_t> order;  // order[j]: the data column at position j after the layers so far

  explicit flow_stack(index_t dim) : layers(std::make_unique<flows::composite<Scalar>>(dim)), order(static_cast<std::size_t>(dim)) {
    std::iota(order.begin(), order.end(), index_t(0));
  }

  /// Appends a permutation of `kind` and follows the columns it moves.
  void permute(flows::permutation_kind kind, random_engine& rng) {
    const auto dim = static_cast<index_t>(order.size());
    flows::permutation<Scalar> mix = kind == flows::permutation_kind::reverse ? flows::permutation<Scalar>::reverse(dim)
                                                                             : flows::permutation<Scalar>::random(dim, rng);
    std::vector<index_t> moved(order.size());  // y_j = x_{π(j)}: position j now holds order[π(j)]
    for (std::size_t j = 0; j < order.size(); ++j) moved[j] = order[static_cast<std::size_t>(mix.indices()[j])];
    order = std::move(moved);
    layers->add(std::move(mix));
  }

  /// Appends the output linear layer (if `output_linear` is not empty), then the base: N(0, I),
  /// or a learnable diagonal Gaussian. `who` names the builder in errors.
  flows::flow<Scalar> finish(const matrix<double>& output_linear, bool learnable_base, const std::string& who) && {
    const auto dim = static_cast<index_t>(order.size());
    if (output_linear.size() > 0) {
      if (output_linear.rows() != dim) {
        throw shape_error(who + ": output_linear is " + format_shape(output_linear) + " for D = " + std::to_string(dim));
      }
      // The data's column order first (the permutations moved it), so that the layer starts as
      // the whitening of the data's own columns.
      std::vector<index_t> restore(order.size());
      for (std::size_t j = 0; j < order.size(); ++j) restore[static_cast<std::size_t>(order[j])] = static_cast<index_t>(j);
      if (!std::is_sorted(order.begin(), order.end())) layers->add(flows::permutation<Scalar>(std::move(restore), "restore"));
      layers->add(flows::lu_linear<Scalar>::lower_triangular("output_linear", output_linear));
    }
    std::unique_ptr<distributions::distribution<Scalar>> base;
    if (learnable_base) {
      base = std::make_unique<distributions::diagonal_gaussian<Scalar>>("base", dim);
    } else {
      base = std::make_unique<distributions::standard_normal<Scalar>>(dim);
    }
    return flows::flow<Scalar>(std::move(base), std::move(layers));
  }
};

}  // namespace eigenflow::detail

namespace eigenflow::flows {

/// Each coupling transforms the second half; a permutation follows each but the last.
template <class Scalar>
flow<Scalar> make_coupling_flow(const coupling_stack_options& o, random_engine& rng) {
  if (o.dim < 2) throw value_error("make_coupling_flow: couplings need D >= 2, got " + std::to_string(o.dim));
  if (o.couplings < 1) throw value_error("make_coupling_flow: at least one coupling");
  if (o.hidden_width < 1 || o.hidden_layers < 1) throw value_error("make_coupling_flow: hidden sizes must be positive");
  eigenflow::detail::flow_stack<Scalar> stack(o.dim);
  conditioner_options net{.hidden_activation = o.hidden_activation, .condition = o.condition,
                          .embedding_dim = o.embedding_dim};
  if (o.kind == coupling_kind::mlp) {
    net.hidden.assign(static_cast<std::size_t>(o.hidden_layers), o.hidden_width);
  } else {
    net.hidden = {o.hidden_layers, o.hidden_width};
  }
  attention_conditioner_options attention = o.attention;
  attention.condition = o.condition;
  attention.embedding_dim = o.embedding_dim;
  attention.hidden_activation = o.hidden_activation;
  for (int k = 0; k < o.couplings; ++k) {
    const std::string name = "couplings." + std::to_string(k);
    if (o.actnorm) stack.layers->add(actnorm<Scalar>(name + ".actnorm", o.dim));
    // Always the same half: the permutation between couplings brings the other features into it.
    // (Alternating halves *and* reversing would cancel out and leave half the features untouched.)
    const auto b = half_split(o.dim, false);
    const index_t nb = static_cast<index_t>(b.size());
    const bool spline = o.transform == coupling_transform::spline;
    const index_t outputs = nb * (spline ? o.spline.parameters_per_value() : 2);
    std::unique_ptr<conditioner<Scalar>> c;
    if (o.kind == coupling_kind::mlp) {
      c = std::make_unique<mlp_conditioner<Scalar>>(name + ".net", o.dim - nb, outputs, net, rng);
    } else if (o.kind == coupling_kind::attention && k % 3 == 2) {
      c = std::make_unique<attention_conditioner<Scalar>>(name + ".net", o.dim - nb, outputs, attention, rng);
    } else {
      c = std::make_unique<residual_conditioner<Scalar>>(name + ".net", o.dim - nb, outputs, net, rng);
    }
    if (spline) {
      stack.layers->add(spline_coupling<Scalar>(o.dim, b, std::move(c), o.spline));
    } else {
      stack.layers->add(affine_coupling<Scalar>(o.dim, b, std::move(c), static_cast<Scalar>(o.scale_bound)));
    }
    if (k + 1 < o.couplings) stack.permute(o.permutation, rng);
  }
  return std::move(stack).finish(o.output_linear, o.learnable_base, "make_coupling_flow");
}

/// RealNVP-style: affine couplings with MLP conditioners and reverse permutations.
template <class Scalar>
flow<Scalar> make_realnvp(index_t dim, int couplings, index_t hidden_width, random_engine& rng) {
  return make_coupling_flow<Scalar>({.dim = dim, .couplings = couplings, .hidden_width = hidden_width}, rng);
}

/// The same stack conditioned on a class label (embedding into every conditioner).
template <class Scalar>
flow<Scalar> make_class_conditional_flow(index_t dim, index_t classes, int couplings, index_t hidden_width,
                                         random_engine& rng) {
  return make_coupling_flow<Scalar>(
      {.dim = dim, .couplings = couplings, .hidden_width = hidden_width, .condition = {.classes = classes}}, rng);
}

}  // namespace eigenflow::flows
