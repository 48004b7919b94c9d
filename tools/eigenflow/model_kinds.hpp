// tools/eigenflow/model_kinds.hpp — the one table of the models `eigenflow train --model` builds.
// Each row names a kind, says what it is, gives its architecture and training defaults and the
// function that builds it; the help text, the recipe, the trainer's defaults and the checkpoint
// reader all read this table, so a new kind is one row and one builder.
#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eigenflow/eigenflow.hpp"

namespace eigenflow::cli {

using Scalar = float;

/// How a model is built: enough to build the same network again.
struct model_recipe {
  std::string kind = "coupling";
  index_t dim = 0;
  index_t classes = 0;   // > 0: class-conditional
  int couplings = 8;     // coupling layers (ignored by continuous flows)
  index_t hidden = 128;  // hidden width
  int layers = 2;        // hidden layers (MLP), residual blocks, or dynamics layers
};

/// What a run trains with when the command line does not say.
struct training_defaults {
  long iterations;
  index_t batch;
  double weight_decay;
  train::schedule_kind schedule;
  long warmup_divisor;  // warm-up steps = iterations / divisor (0: no warm-up)
};

/// One row of the table.
struct model_kind {
  std::string_view name;
  std::string_view summary;  // for --help
  bool continuous;           // an ODE flow (its help and defaults differ)
  index_t hidden;
  int layers;
  training_defaults training;
  any_model<Scalar> (*build)(const model_recipe&, random_engine&);
};

namespace detail {

inline void check_recipe_sizes(const model_recipe& r) {
  if (r.dim < 1) throw value_error("the data have no columns to model");
  if (r.hidden < 1 || r.layers < 1 || r.couplings < 1) throw value_error("hidden width, layers and couplings must be positive");
}

inline any_model<Scalar> build_coupling_flow(const model_recipe& r, random_engine& rng) {
  check_recipe_sizes(r);
  if (r.dim < 2) {
    throw value_error("a coupling flow needs at least 2 data columns, the data have 1 (use --model cnf or ffjord)");
  }
  const flows::coupling_stack_options options{.dim = r.dim,
                                              .couplings = r.couplings,
                                              .kind = flows::parse_coupling_kind(r.kind),
                                              .hidden_width = r.hidden,
                                              .hidden_layers = r.layers,
                                              .condition = {.classes = r.classes}};
  return flows::make_coupling_flow<Scalar>(options, rng);  // its couplings start as the identity
}

inline any_model<Scalar> build_continuous_flow(const model_recipe& r, random_engine& rng) {
  check_recipe_sizes(r);
  continuous::continuous_flow_spec spec;
  spec.network.hidden.assign(static_cast<std::size_t>(r.layers), r.hidden);
  spec.network.condition.classes = r.classes;
  spec.network.zero_output = true;  // the identity at step 0: the whitened rows' Gaussian
  spec.model.training_trace = r.kind == "cnf" ? continuous::trace_estimator::exact : continuous::trace_estimator::hutchinson;
  return continuous::make_continuous_flow<Scalar>(r.dim, rng, spec);
}

// Coupling flows: a cosine schedule with a short warm-up; continuous flows: FFJORD's toy
// settings (a constant rate with weight decay, smaller batches and networks).
inline constexpr training_defaults coupling_training{2000, 256, 0.0, train::schedule_kind::cosine, 50};
inline constexpr training_defaults continuous_training{1000, 100, 1e-5, train::schedule_kind::constant, 0};

}  // namespace detail

inline const std::array<model_kind, 5> model_kinds{{
    {"coupling", "affine couplings, MLP conditioners", false, 128, 2, detail::coupling_training, detail::build_coupling_flow},
    {"residual", "affine couplings, residual-MLP conditioners", false, 128, 2, detail::coupling_training,
     detail::build_coupling_flow},
    {"attention", "affine couplings, self-attention conditioners", false, 128, 2, detail::coupling_training,
     detail::build_coupling_flow},
    {"cnf", "continuous flow, exact trace", true, 64, 3, detail::continuous_training, detail::build_continuous_flow},
    {"ffjord", "continuous flow, Hutchinson trace as in FFJORD", true, 64, 3, detail::continuous_training,
     detail::build_continuous_flow},
}};

/// "coupling, residual, ...": the kinds' names.
inline std::string model_kind_names() {
  std::string out;
  for (const model_kind& k : model_kinds) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

/// The row of `name`; an unknown name is a value_error listing the known ones.
inline const model_kind& find_model_kind(std::string_view name) {
  for (const model_kind& k : model_kinds) {
    if (k.name == name) return k;
  }
  throw value_error("unknown model '" + std::string(name) + "' (known: " + model_kind_names() + ")");
}

/// The recipe a kind is built from when the command line gives no sizes.
inline model_recipe default_recipe(std::string_view name) {
  const model_kind& k = find_model_kind(name);
  model_recipe r;
  r.kind = std::string(k.name);
  r.hidden = k.hidden;
  r.layers = k.layers;
  return r;
}

inline any_model<Scalar> build_model(const model_recipe& recipe, random_engine& rng) {
  return find_model_kind(recipe.kind).build(recipe, rng);
}

/// "default 2000; 1000 for cnf, ffjord": a default as the help shows it, the first kind's value
/// first and the kinds that differ after it.
template <class Value>
std::string default_help(const std::function<Value(const model_kind&)>& value_of) {
  std::vector<std::pair<Value, std::string>> groups;  // value, kinds with it (in table order)
  for (const model_kind& k : model_kinds) {
    const Value v = value_of(k);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == v; });
    if (it == groups.end()) {
      groups.emplace_back(v, std::string(k.name));
    } else {
      it->second += ", " + std::string(k.name);
    }
  }
  std::string out = "default " + std::to_string(groups.front().first);
  for (std::size_t g = 1; g < groups.size(); ++g) out += "; " + std::to_string(groups[g].first) + " for " + groups[g].second;
  return out;
}

}  // namespace eigenflow::cli
