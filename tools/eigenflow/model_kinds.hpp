// tools/eigenflow/model_kinds.hpp — the one table of the models `eigenflow train --model` builds.
// Each row names a kind, says what it is, gives its architecture and training defaults and the
// function that builds it; the help text, the recipe, the trainer's defaults and the checkpoint
// reader all read this table, so a new kind is one row and one builder.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
  index_t bins = 8;      // spline and nsf kinds: bins of each rational-quadratic spline
  double bound = 4.0;    // spline and nsf kinds: the splines act on [-bound, bound] (standardized units)
  /// Coupling and autoregressive kinds: a learnable linear layer after the last layer, which holds the data's
  /// correlation (the couplings then see standardized, not whitened, rows).
  bool output_linear = false;
  /// Where that layer starts (lower-triangular); empty: the identity, as when a checkpoint is
  /// read (its parameters then restore the trained values). Not part of the saved recipe.
  matrix<double> output_start{};
  /// Image kinds (glow): the images' shape, whose size is `dim`; none for the table kinds.
  std::optional<image_shape> image{};
  /// Image kinds: scales of the multi-scale flow (couplings counts the steps of each, hidden
  /// the channels of their conditioners).
  int levels = 2;
  /// Image kinds: the seed the model is built from. Its 1x1 convolutions draw a permutation and
  /// signs that are not parameters, so reading a checkpoint back builds from the same seed.
  std::uint64_t seed = 0;
};

/// How a kind's defaults follow the table it trains on (README, "Defaults that fit the data"):
/// small tables get small networks, few couplings and weight decay; large ones more steps.
struct sizing_rule {
  index_t hidden_per_column;  ///< hidden width per data column, within [min_hidden, max_hidden]
  index_t min_hidden;
  index_t max_hidden;
  int layers;              ///< hidden layers, residual blocks or dynamics layers
  index_t max_batch;       ///< the batch is 1/32 of the training rows, within [32, max_batch]
  long epochs;             ///< iterations to pass over the training rows this often,
  long min_iterations;     ///< within these bounds (early stopping ends most runs sooner)
  long max_iterations;
  double small_table_rate;  ///< the learning rate under 10,000 rows (1e-3 above)
  train::schedule_kind schedule;
  long warmup_divisor;  ///< warm-up steps = iterations / divisor (0: no warm-up)
};

/// The sizes and training settings a run uses when the command line does not say.
struct table_defaults {
  long iterations;
  index_t batch;
  index_t hidden;
  int layers;
  int couplings;         ///< coupling layers (coupling kinds)
  double learning_rate;  ///< Adam's
  double weight_decay;   ///< AdamW's decoupled decay
  int levels = 0;        ///< image kinds: scales of the multi-scale flow
};

/// One row of the table.
struct model_kind {
  std::string_view name;
  std::string_view summary;  ///< for --help
  bool continuous;           ///< an ODE flow
  bool images;               ///< models images (an IDX file), not a table's rows
  sizing_rule sizing;
  any_model<Scalar> (*build)(const model_recipe&, random_engine&);
};

/// Whether a kind's layers are rational-quadratic splines, so that its recipe has bins and a
/// bound (spec.bins and spec.bound in its checkpoint; other kinds' checkpoints have neither).
inline bool kind_has_splines(std::string_view kind) { return kind == "spline" || kind == "nsf"; }

namespace detail {

/// Values a layer's network emits per data column, as check_recipe_sizes counts them: 3K − 1 for a
/// spline (K widths, K heights, K − 1 inner derivatives), 2 for MAF's shift and log-scale, none
/// for the affine coupling and continuous kinds (whose outputs were never counted).
inline double outputs_per_column(const model_recipe& r) {
  if (kind_has_splines(r.kind)) return 3.0 * static_cast<double>(r.bins) - 1.0;
  return r.kind == "maf" ? 2.0 : 0.0;
}

/// Throws unless the recipe's sizes are positive and its model fits in this machine's memory.
/// The bound counts only the square hidden-to-hidden weights and those that meet the data
/// columns and the class inputs, for the parameters, their gradients and Adam's two moments: a
/// model it refuses could never train here.
inline void check_recipe_sizes(const model_recipe& r, bool continuous) {
  if (r.dim < 1) throw value_error("the data have no columns to model");
  if (r.hidden < 1 || r.layers < 1 || r.couplings < 1) throw value_error("hidden width, layers and couplings must be positive");
  const double blocks = continuous ? 1.0 : static_cast<double>(r.couplings);
  const auto h = static_cast<double>(r.hidden);
  const double inputs = static_cast<double>(r.dim) + static_cast<double>(std::max<index_t>(r.classes, 0));
  const double outputs = static_cast<double>(r.dim) * outputs_per_column(r);
  const double weights = blocks * (h * (inputs + outputs) + static_cast<double>(r.layers - 1) * h * h);
  require_memory(4.0 * sizeof(Scalar) * weights,
                 "a " + r.kind + " model of " + std::to_string(r.dim) + " columns" +
                     (r.classes > 0 ? ", " + std::to_string(r.classes) + " classes" : "") + ", hidden width " +
                     std::to_string(r.hidden) + ", " + std::to_string(r.layers) + " layers" +
                     (continuous ? "" : " and " + std::to_string(r.couplings) + " couplings") +
                     " (its parameters, gradients and optimizer state)");
}

/// Where the learnable linear layer after a stack's last layer starts: none (empty) unless the
/// recipe asks for one; then r.output_start, or the identity when reading a checkpoint back.
inline matrix<double> output_linear_of(const model_recipe& r) {
  if (!r.output_linear) return {};
  return r.output_start.size() > 0 ? r.output_start : matrix<double>::Identity(r.dim, r.dim);
}

inline flows::rational_quadratic_options spline_of(const model_recipe& r) { return {.bins = r.bins, .bound = r.bound}; }

inline any_model<Scalar> build_coupling_flow(const model_recipe& r, random_engine& rng) {
  check_recipe_sizes(r, false);
  if (r.dim < 2) {
    throw value_error(
        "a coupling flow needs at least 2 data columns, the data have 1 (use --model maf, nsf, cnf or ffjord)");
  }
  const bool spline = r.kind == "spline";
  const flows::coupling_stack_options options{.dim = r.dim,
                                              .couplings = r.couplings,
                                              .kind = spline ? flows::coupling_kind::mlp : flows::parse_coupling_kind(r.kind),
                                              .hidden_width = r.hidden,
                                              .hidden_layers = r.layers,
                                              .transform = spline ? flows::coupling_transform::spline
                                                                  : flows::coupling_transform::affine,
                                              .spline = spline_of(r),
                                              .condition = {.classes = r.classes},
                                              .output_linear = output_linear_of(r)};
  return flows::make_coupling_flow<Scalar>(options, rng);  // its couplings start as the identity
}

/// maf (affine) or nsf (rational-quadratic spline) autoregressive layers on residual MADEs, as
/// nflows' defaults: one feature at a time, so one data column is enough. tanh, not nflows' relu,
/// as the coupling kinds: on diabetes, wine and breast_cancer (3 seeds each) it gave the lower
/// held-out NLL for maf on all three and for nsf on breast_cancer (by about a nat), relu for nsf
/// by under 0.2 nats elsewhere. Reverse permutations between the layers: with them a
/// checkpoint's architecture depends on the recipe alone, not on the rng.
inline any_model<Scalar> build_autoregressive_flow(const model_recipe& r, random_engine& rng) {
  check_recipe_sizes(r, false);
  const flows::autoregressive_stack_options options{.dim = r.dim,
                                                    .transforms = r.couplings,
                                                    .hidden_width = r.hidden,
                                                    .hidden_layers = r.layers,
                                                    .residual = true,
                                                    .hidden_activation = activation::tanh,
                                                    .permutation = flows::permutation_kind::reverse,
                                                    .spline = spline_of(r),
                                                    .condition = {.classes = r.classes},
                                                    .output_linear = output_linear_of(r)};
  // Their MADEs' output layers start at zero: the layers start as the identity.
  return r.kind == "nsf" ? flows::make_nsf<Scalar>(options, rng) : flows::make_maf<Scalar>(options, rng);
}

/// Glow's multi-scale flow over dequantized images in [0, 1) (x = (pixel + u)/256), behind a
/// logit layer, as the Fashion-MNIST examples build it. Call initialize on a batch of them before
/// training (ActNorm's data-dependent start).
inline any_model<Scalar> build_glow(const model_recipe& r, random_engine& rng) {
  if (!r.image) throw value_error("a glow model takes images: --data must be an IDX file of images (.idx, -ubyte, .gz)");
  if (r.image->size() != r.dim) throw value_error("a glow recipe's dim is not its images' size");
  if (r.hidden < 1 || r.levels < 1 || r.couplings < 1) throw value_error("width, levels and steps must be positive");
  // The square hidden-to-hidden weights and the 3x3 kernels at each level's channels, for the
  // parameters, their gradients and Adam's moments: a model it refuses could never train here.
  const auto w = static_cast<double>(r.hidden);
  double weights = 0, channels = 4.0 * static_cast<double>(r.image->channels);
  for (int level = 0; level < r.levels; ++level, channels *= 2) {
    weights += (r.couplings + 1.0) * (w * w + 27.0 * w * channels);
  }
  require_memory(4.0 * sizeof(Scalar) * weights, "a glow model of width " + std::to_string(r.hidden) + ", " +
                                                     std::to_string(r.levels) + " levels and " +
                                                     std::to_string(r.couplings) + " steps a level");
  flows::glow_options o{.image = *r.image,
                        .levels = r.levels,
                        .steps = r.couplings,
                        .width = r.hidden,
                        .condition = {.classes = r.classes},
                        .logit_alpha = 1e-6};
  return flows::make_glow<Scalar>(o, rng);
}

inline any_model<Scalar> build_continuous_flow(const model_recipe& r, random_engine& rng) {
  check_recipe_sizes(r, true);
  continuous::continuous_flow_spec spec;
  spec.network.hidden.assign(static_cast<std::size_t>(r.layers), r.hidden);
  spec.network.condition.classes = r.classes;
  spec.network.zero_output = true;  // the identity at step 0: the whitened rows' Gaussian
  spec.model.training_trace = r.kind == "cnf" ? continuous::trace_estimator::exact : continuous::trace_estimator::hutchinson;
  return continuous::make_continuous_flow<Scalar>(r.dim, rng, spec);
}

// Coupling flows: a cosine schedule with a short warm-up, up to 100 epochs. Continuous flows cost
// far more per step: fewer epochs and smaller batches, a constant rate as in FFJORD.
inline constexpr sizing_rule coupling_sizing{8, 32, 256, 2, 256, 100, 1000, 10000, 3e-4, train::schedule_kind::cosine, 40};
inline constexpr sizing_rule continuous_sizing{4, 64, 256, 3, 128, 10, 500, 2000, 1e-3, train::schedule_kind::constant, 0};
// Image kinds: images_defaults sets the sizes; what is read here is the schedule (cosine, 5% warm-up).
inline constexpr sizing_rule image_sizing{0, 64, 64, 0, 64, 10, 500, 6000, 1e-3, train::schedule_kind::cosine, 20};

}  // namespace detail

inline const std::array<model_kind, 9> model_kinds{{
    {"coupling", "affine couplings, MLP conditioners", false, false, detail::coupling_sizing,
     detail::build_coupling_flow},
    {"spline", "rational-quadratic spline couplings (--bins, --bound), MLP conditioners", false, false,
     detail::coupling_sizing, detail::build_coupling_flow},
    {"residual", "affine couplings, residual-MLP conditioners", false, false, detail::coupling_sizing,
     detail::build_coupling_flow},
    {"attention", "affine couplings, self-attention conditioners", false, false, detail::coupling_sizing,
     detail::build_coupling_flow},
    {"maf", "masked autoregressive flow: affine autoregressive layers, residual MADEs", false, false,
     detail::coupling_sizing, detail::build_autoregressive_flow},
    {"nsf", "neural spline flow: rational-quadratic autoregressive layers (--bins, --bound), residual MADEs", false,
     false, detail::coupling_sizing, detail::build_autoregressive_flow},
    {"cnf", "continuous flow, exact trace", true, false, detail::continuous_sizing, detail::build_continuous_flow},
    {"ffjord", "continuous flow, Hutchinson trace as in FFJORD", true, false, detail::continuous_sizing,
     detail::build_continuous_flow},
    {"glow", "images (an IDX file): Glow's multi-scale flow (--levels; --couplings steps a level, --hidden channels)",
     false, true, detail::image_sizing, detail::build_glow},
}};

/// What a discrete kind's recipe.couplings counts, as `train` names it: "couplings", or
/// "autoregressive layers" for maf and nsf.
inline std::string stacked_layers(const model_kind& kind) {
  return kind.build == detail::build_autoregressive_flow ? "autoregressive layers" : "couplings";
}

/// The defaults of `kind` for a table of `rows` training rows and `columns` columns.
/// Width grows with the columns but stays below an eighth of the rows (a network much larger
/// than its data memorizes it); small tables (under 1,000 rows) get 4 couplings, those under
/// 10,000 rows a slower rate for coupling kinds (3e-4, not 1e-3: they overfit within a few
/// hundred steps, and validation must see the best of them) and weight decay 0.01, which shrinks the flow toward
/// the Gaussian it starts as.
inline table_defaults defaults_for(const model_kind& kind, index_t rows, index_t columns) {
  const sizing_rule& r = kind.sizing;
  const auto round_up_8 = [](index_t v) { return (v + 7) / 8 * 8; };
  table_defaults d{};
  d.batch = std::min(rows, std::clamp<index_t>(rows / 32, 32, r.max_batch));
  const long steps_per_epoch = static_cast<long>((rows + d.batch - 1) / d.batch);
  d.iterations = std::clamp(r.epochs * steps_per_epoch, r.min_iterations, r.max_iterations);
  const index_t by_columns = std::clamp(r.hidden_per_column * columns, r.min_hidden, r.max_hidden);
  d.hidden = round_up_8(std::max(r.min_hidden, std::min(by_columns, rows / 8)));
  d.layers = r.layers;
  d.couplings = rows < 1000 ? 4 : 8;
  const bool small = rows < 10000;
  d.learning_rate = small ? r.small_table_rate : 1e-3;
  d.weight_decay = small ? 0.01 : 0.0;
  return d;
}

/// The defaults of an image kind for `rows` training images of `shape`: Glow with 4 steps a level
/// of 64 channels, as many levels (at most 2) as the height and width can be halved, batch 64,
/// 10 passes over the images within [500, 6000] steps (Fashion-MNIST's 54,000: 6,000 steps,
/// about 5 minutes on 2 cores for 3.4 bits/dim).
inline table_defaults image_defaults(const model_kind& kind, index_t rows, const image_shape& shape) {
  const sizing_rule& r = kind.sizing;
  table_defaults d{};
  while (d.levels < 2 && shape.height % (index_t(2) << d.levels) == 0 && shape.width % (index_t(2) << d.levels) == 0) {
    ++d.levels;
  }
  d.batch = std::min(rows, r.max_batch);
  const long steps_per_epoch = static_cast<long>((rows + d.batch - 1) / d.batch);
  d.iterations = std::clamp(r.epochs * steps_per_epoch, r.min_iterations, r.max_iterations);
  d.hidden = r.min_hidden;
  d.layers = 1;
  d.couplings = 4;
  d.learning_rate = r.small_table_rate;
  d.weight_decay = 0;
  return d;
}

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

inline any_model<Scalar> build_model(const model_recipe& recipe, random_engine& rng) {
  return find_model_kind(recipe.kind).build(recipe, rng);
}

}  // namespace eigenflow::cli
