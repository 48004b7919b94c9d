// tools/eigenflow/saved_model.hpp — what `eigenflow train` leaves in its output directory and the
// other verbs read back: a flow (coupling stack or continuous), the recipe it was built from, the
// whitening of the data (the training rows' Gaussian) and a summary of the training run, all in DIR/model.ckpt.
//
// The checkpoint's metadata holds the recipe ("spec.*") so that `sample`, `logprob` and `info`
// rebuild the same architecture and then restore its parameters; restore_parameters compares the
// rebuilt model's description with the saved one, so a recipe that no longer builds the same
// network is refused instead of loading the wrong numbers. Everything is float: the speed users
// expect from a command line, and the precision their data files have.
#pragma once

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigenflow/eigenflow.hpp"
#include "model_kinds.hpp"

namespace eigenflow::cli {

/// A model of any kind in the table, behind the operations the verbs need.
class saved_model {
 public:
  saved_model(const model_recipe& recipe, random_engine& rng) : recipe_(recipe), model_(build_model(recipe, rng)) {}

  const model_recipe& recipe() const { return recipe_; }
  bool conditional() const { return recipe_.classes > 0; }
  index_t dim() const { return recipe_.dim; }

  any_model<Scalar>& model() { return model_; }
  const any_model<Scalar>& model() const { return model_; }

  /// log p(w | labels) of whitened rows w (labels empty for an unconditional model), the rows
  /// split across `threads` workers.
  matrix<Scalar> log_prob(const matrix<Scalar>& w, std::span<const index_t> labels, int threads = 1) const {
    context<matrix<Scalar>> c;
    c.labels = labels;
    if (threads <= 1 || w.rows() < 2) return model_.log_prob(w, c);
    return train::data_parallel<any_model<Scalar>>(model_, threads).log_prob(model_, w, c);
  }

  /// n draws (with these labels, one per draw, for a conditional model), split across `threads`
  /// workers (each block from its own engine seeded from rng: the draws depend on `threads`). A
  /// temperature other than 1 scales the base draws of a flow (flows::flow::tempered); a model
  /// kind without such a base (the continuous flows) refuses it with a value_error.
  matrix<Scalar> sample(index_t n, random_engine& rng, std::span<const index_t> labels, int threads = 1,
                        double temperature = 1) const {
    if (temperature == 1) return sample_from(model_, n, rng, labels, threads);
    const auto* flow = model_.template get_if<flows::flow<Scalar>>();
    if (!flow) {
      throw value_error("a temperature scales a flow's base draws; a " + recipe_.kind +
                        " model is not sampled that way (give it no temperature)");
    }
    return sample_from(any_model<Scalar>(flow->tempered(temperature)), n, rng, labels, threads);
  }

  /// Trains on whitened rows, or dequantized images (train::fit; the optimizer is the caller's, for
  /// the checkpoint; `hook` changes each batch before the step).
  train::training_summary fit(optim::adam<Scalar>& optimizer, const train::dataset<Scalar>& data,
                              const train::dataset<Scalar>* validation, const train::trainer_options& options,
                              const train::batch_hook<Scalar>& hook = {}) {
    return train::fit(model_, optimizer, data, validation, options, hook);
  }

 private:
  static matrix<Scalar> sample_from(const any_model<Scalar>& model, index_t n, random_engine& rng,
                                    std::span<const index_t> labels, int threads) {
    context<matrix<Scalar>> c;
    c.labels = labels;
    if (threads <= 1 || n < 2) return model.sample(n, rng, c);
    return train::data_parallel<any_model<Scalar>>(model, threads).sample(model, n, rng, c);
  }

  model_recipe recipe_;
  any_model<Scalar> model_;
};

// ---- metadata as text -----------------------------------------------------------------------

/// Shortest text that reads back to the same float.
inline std::string to_text(Scalar v) {
  char buffer[32];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
}

inline std::string join(const row_vector<Scalar>& values) {
  std::string out;
  for (index_t j = 0; j < values.size(); ++j) out += (j > 0 ? " " : "") + to_text(values(j));
  return out;
}

/// Parses a whole metadata value as T; a corrupt value is an io_error naming the key.
template <class T>
T parse_metadata(const std::string& text, const std::string& key, const std::filesystem::path& file) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    throw io_error(file.string() + ": metadata '" + key + "' is '" + text + "', not a number");
  }
  return value;
}

inline row_vector<Scalar> split_floats(const std::string& text, index_t expected, const std::string& key,
                                       const std::filesystem::path& file) {
  row_vector<Scalar> out(expected);
  std::size_t pos = 0;
  for (index_t j = 0; j < expected; ++j) {
    const std::size_t end = std::min(text.find(' ', pos), text.size());
    out(j) = parse_metadata<Scalar>(text.substr(pos, end - pos), key, file);
    pos = end + 1;
  }
  if (pos <= text.size()) throw io_error(file.string() + ": metadata '" + key + "' has more than " + std::to_string(expected) + " values");
  return out;
}

// ---- the model directory --------------------------------------------------------------------

/// Everything in a model directory besides the network: how data map to the model's inputs.
struct data_layout {
  /// The map from the data to what the model sees: z = L_c⁻¹(x − μ_c), per class for a model that
  /// starts as a class-conditional Gaussian (then each row goes by its label), else one for all rows.
  data::class_whitening<Scalar> whitening;
  /// How much of the starting Gaussian is per class (data.gaussian; pooled: one for all rows).
  data::class_covariance gaussian = data::class_covariance::pooled;
  std::vector<double> class_counts;       // training rows per class (conditional models)
  std::optional<index_t> label_position;  // the label's column in the training file's rows
  std::vector<std::string> column_names;  // the value columns' names, if the file had a header
  std::string label_name = "label";       // the label column's name
  /// Columns left out by --drop-constant: (position among the value columns, the value), in order.
  std::vector<std::pair<index_t, Scalar>> dropped;
  /// Image models: the pixel values' levels L; the model sees x = (v + u)/L, u ~ U[0, 1). 0: a table.
  int pixel_levels = 0;
};

/// Rows of every value column, without the dropped ones: what the model sees.
inline matrix<Scalar> without_dropped(const data_layout& layout, const matrix<Scalar>& x) {
  if (layout.dropped.empty()) return x;
  std::vector<index_t> kept;
  std::size_t next = 0;
  for (index_t j = 0; j < x.cols(); ++j) {
    if (next < layout.dropped.size() && layout.dropped[next].first == j) {
      ++next;
    } else {
      kept.push_back(j);
    }
  }
  return x(Eigen::all, kept);
}

/// The model's rows with the dropped columns written back (each its constant value).
inline matrix<Scalar> with_dropped(const data_layout& layout, const matrix<Scalar>& z) {
  if (layout.dropped.empty()) return z;
  matrix<Scalar> x(z.rows(), z.cols() + static_cast<index_t>(layout.dropped.size()));
  std::size_t next = 0;
  index_t from = 0;
  for (index_t j = 0; j < x.cols(); ++j) {
    if (next < layout.dropped.size() && layout.dropped[next].first == j) {
      x.col(j).setConstant(layout.dropped[next++].second);
    } else {
      x.col(j) = z.col(from++);
    }
  }
  return x;
}

/// log p(x) in the data's units of rows x (labels: one per row for a conditional model, else
/// empty), from the model of whitened rows.
/// A finite row so far out that float cannot hold its whitened value has a log-density below any
/// float: -inf, as the model would give it (the model itself refuses non-finite input).
inline matrix<Scalar> data_log_prob(const saved_model& model, const data_layout& layout, const matrix<Scalar>& x,
                                    std::span<const index_t> labels, int threads) {
  const matrix<Scalar> z = layout.whitening.apply(x, labels);
  std::vector<index_t> representable;
  for (index_t i = 0; i < z.rows(); ++i) {
    if (z.row(i).allFinite()) representable.push_back(i);
  }
  if (static_cast<index_t>(representable.size()) == z.rows()) {
    return layout.whitening.to_data_log_prob(model.log_prob(z, labels, threads), labels);
  }
  std::vector<index_t> some_labels;
  for (const index_t i : representable) {
    if (!labels.empty()) some_labels.push_back(labels[static_cast<std::size_t>(i)]);
  }
  matrix<Scalar> out = matrix<Scalar>::Constant(z.rows(), 1, -std::numeric_limits<Scalar>::infinity());
  if (!representable.empty()) {
    out(representable, Eigen::all) = layout.whitening.to_data_log_prob(
        model.log_prob(z(representable, Eigen::all), some_labels, threads), some_labels);
  }
  return out;
}

/// The lower triangle of a square matrix, row by row (D(D+1)/2 values), and back.
inline row_vector<Scalar> lower_triangle(const matrix<Scalar>& m) {
  row_vector<Scalar> out(m.rows() * (m.rows() + 1) / 2);
  index_t k = 0;
  for (index_t i = 0; i < m.rows(); ++i) {
    for (index_t j = 0; j <= i; ++j) out(k++) = m(i, j);
  }
  return out;
}
inline matrix<Scalar> from_lower_triangle(const row_vector<Scalar>& values, index_t dim) {
  matrix<Scalar> m = matrix<Scalar>::Zero(dim, dim);
  index_t k = 0;
  for (index_t i = 0; i < dim; ++i) {
    for (index_t j = 0; j <= i; ++j) m(i, j) = values(k++);
  }
  return m;
}

inline std::filesystem::path checkpoint_path(const std::filesystem::path& dir) { return dir / "model.ckpt"; }

/// The recipe as metadata (spec.*: what load_model_dir rebuilds the architecture from).
inline io::checkpoint_metadata recipe_metadata(const model_recipe& r) {
  io::checkpoint_metadata meta = {{"spec.kind", r.kind},
                                  {"spec.dim", std::to_string(r.dim)},
                                  {"spec.classes", std::to_string(r.classes)},
                                  {"spec.couplings", std::to_string(r.couplings)},
                                  {"spec.hidden", std::to_string(r.hidden)},
                                  {"spec.layers", std::to_string(r.layers)},
                                  {"spec.output_linear", r.output_linear ? "yes" : "no"}};
  if (r.image) {  // only image kinds have them
    meta.emplace_back("spec.image", std::to_string(r.image->channels) + " " + std::to_string(r.image->height) + " " +
                                        std::to_string(r.image->width));
    meta.emplace_back("spec.levels", std::to_string(r.levels));
    meta.emplace_back("spec.seed", std::to_string(r.seed));
  }
  if (kind_has_splines(r.kind)) {  // only spline kinds have them, so other kinds' checkpoints stay as they were
    meta.emplace_back("spec.bins", std::to_string(r.bins));
    char bound[32];  // the shortest text that reads back to the same double
    meta.emplace_back("spec.bound", std::string(bound, std::to_chars(bound, bound + sizeof bound, r.bound).ptr));
  }
  return meta;
}

/// The parameter entry that holds model selection's best values in a checkpoint of a run in progress.
inline constexpr const char* best_values_entry = "selection.best_values";

/// Removes model selection's state from a checkpoint written mid-run (none: a fresh state), so that
/// what is left restores into the model. A corrupt state is an io_error naming the file.
inline train::selection_state take_selection(io::checkpoint<Scalar>& ckpt, const std::filesystem::path& file) {
  train::selection_state s;
  const auto best = io::find_metadata(ckpt, "selection.best_nll");
  if (!best) return s;
  s.best_nll = parse_metadata<double>(*best, "selection.best_nll", file);
  s.best_iteration = parse_metadata<long>(io::metadata_value(ckpt, "selection.best_iteration"), "selection.best_iteration", file);
  s.without_improvement = parse_metadata<long>(io::metadata_value(ckpt, "selection.without_improvement"),
                                               "selection.without_improvement", file);
  if (!ckpt.parameters.empty() && ckpt.parameters.back().first == best_values_entry) {
    const matrix<Scalar>& values = ckpt.parameters.back().second;
    s.best_values.assign(values.data(), values.data() + values.size());
    ckpt.parameters.pop_back();
  }
  return s;
}

/// Writes DIR/model.ckpt (atomically) with the recipe, the data layout and `summary`; with
/// `selection` (a run in progress), model selection's state too (take_selection reads it back).
inline void save_model_dir(const std::filesystem::path& dir, saved_model& model, const data_layout& layout,
                           io::checkpoint_metadata summary, std::optional<optim::optimizer_state<Scalar>> optimizer,
                           const train::selection_state* selection = nullptr) {
  io::checkpoint_metadata meta = {{"format", "eigenflow-cli 1"}};
  for (auto& entry : recipe_metadata(model.recipe())) meta.push_back(std::move(entry));
  if (layout.pixel_levels > 0) {
    meta.emplace_back("data.pixel_levels", std::to_string(layout.pixel_levels));
  } else {
    // One mean and factor per class, one after the other (one in all if the whitening is shared).
    std::string means, factors;
    for (index_t c = 0; c < layout.whitening.classes(); ++c) {
      means += (c > 0 ? " " : "") + join(layout.whitening.of(c).mean());
      factors += (c > 0 ? " " : "") + join(lower_triangle(layout.whitening.of(c).factor()));
    }
    meta.emplace_back("data.gaussian", std::string(name_of(data::class_covariance_names, layout.gaussian)));
    meta.emplace_back("data.mean", means);
    meta.emplace_back("data.factor", factors);
    meta.emplace_back("data.ridge", std::to_string(layout.whitening.ridge()));
  }
  if (layout.label_position) meta.emplace_back("data.label_position", std::to_string(*layout.label_position));
  if (!layout.dropped.empty()) {
    std::string dropped;  // "position value" pairs
    for (const auto& [j, value] : layout.dropped) dropped += (dropped.empty() ? "" : " ") + std::to_string(j) + " " + to_text(value);
    meta.emplace_back("data.dropped", dropped);
  }
  if (!layout.class_counts.empty()) {
    std::string counts;
    for (const double c : layout.class_counts) counts += (counts.empty() ? "" : " ") + std::to_string(static_cast<long>(c));
    meta.emplace_back("data.class_counts", counts);
  }
  if (!layout.column_names.empty()) {
    std::string names;  // one per line: CSV column names cannot hold line breaks
    for (const std::string& n : layout.column_names) names += (names.empty() ? "" : "\n") + n;
    meta.emplace_back("data.column_names", names);
    meta.emplace_back("data.label_name", layout.label_name);
  }
  for (auto& entry : summary) meta.push_back(std::move(entry));
  if (selection) {
    char best[32];
    meta.emplace_back("selection.best_nll",
                      std::string(best, std::to_chars(best, best + sizeof best, selection->best_nll).ptr));
    meta.emplace_back("selection.best_iteration", std::to_string(selection->best_iteration));
    meta.emplace_back("selection.without_improvement", std::to_string(selection->without_improvement));
  }
  io::checkpoint<Scalar> ckpt = io::make_checkpoint(model.model(), std::move(meta), std::move(optimizer));
  if (selection && !selection->best_values.empty()) {
    const auto n = static_cast<index_t>(selection->best_values.size());
    ckpt.parameters.emplace_back(best_values_entry,
                                 Eigen::Map<const vector<double>>(selection->best_values.data(), n).cast<Scalar>());
  }
  std::filesystem::create_directories(dir);
  io::save_checkpoint(checkpoint_path(dir), ckpt);
}

/// A model directory read back: the model with its parameters, its data layout, the checkpoint.
struct loaded_model {
  std::unique_ptr<saved_model> model;
  data_layout layout;
  io::checkpoint<Scalar> checkpoint;
};

inline loaded_model load_model_dir(const std::filesystem::path& dir) {
  const std::filesystem::path file = checkpoint_path(dir);
  if (!std::filesystem::exists(file)) {
    throw io_error(dir.string() + " is not a model directory (no model.ckpt; `eigenflow train --out DIR` makes one)");
  }
  loaded_model out;
  out.checkpoint = io::load_checkpoint<Scalar>(file);
  const auto& ckpt = out.checkpoint;
  if (io::find_metadata(ckpt, "format") != "eigenflow-cli 1") {
    throw io_error(file.string() + " was not written by `eigenflow train` (no 'format: eigenflow-cli 1' metadata)");
  }
  auto number = [&](const char* key) { return parse_metadata<long>(io::metadata_value(ckpt, key), key, file); };
  model_recipe r;
  r.kind = io::metadata_value(ckpt, "spec.kind");
  r.dim = number("spec.dim");
  r.classes = number("spec.classes");
  r.couplings = static_cast<int>(number("spec.couplings"));
  r.hidden = number("spec.hidden");
  r.layers = static_cast<int>(number("spec.layers"));
  r.output_linear = io::find_metadata(ckpt, "spec.output_linear") == "yes";  // older checkpoints: none
  if (find_model_kind(r.kind).images) {
    const std::string image_key = "spec.image";
    const row_vector<Scalar> sizes = split_floats(io::metadata_value(ckpt, image_key), 3, image_key, file);
    if (!(sizes.array() >= 1).all() || !(sizes.array() <= Scalar(1 << 20)).all() || sizes.array().floor().matrix() != sizes) {
      throw io_error(file.string() + ": metadata 'spec.image' is not three sizes C H W");
    }
    r.image = image_shape{static_cast<index_t>(sizes(0)), static_cast<index_t>(sizes(1)), static_cast<index_t>(sizes(2))};
    r.levels = static_cast<int>(number("spec.levels"));
    r.seed = parse_metadata<std::uint64_t>(io::metadata_value(ckpt, "spec.seed"), "spec.seed", file);
    if (r.image->size() != r.dim) throw io_error(file.string() + ": metadata 'spec.image' " + r.image->to_string() +
                                                 " is not of spec.dim " + std::to_string(r.dim) + " values");
  }
  if (kind_has_splines(r.kind)) {
    r.bins = number("spec.bins");
    r.bound = parse_metadata<double>(io::metadata_value(ckpt, "spec.bound"), "spec.bound", file);
  }
  // The values are overwritten; only the architecture matters, and for image kinds the fixed
  // parts their seed draws.
  random_engine rng(r.image ? r.seed : 0);
  try {
    out.model = std::make_unique<saved_model>(r, rng);
  } catch (const resource_error& e) {
    throw io_error(file.string() + ": its recipe (spec.*) asks for more than this machine can hold, so the file is corrupt, "
                   "tampered with, or from a far larger machine: " + e.what());
  }
  take_selection(out.checkpoint, file);  // a run in progress: its current parameters are the model
  io::restore_parameters(ckpt, out.model->model());
  if (r.classes > 0) {
    const row_vector<Scalar> counts = split_floats(io::metadata_value(ckpt, "data.class_counts"), r.classes, "data.class_counts", file);
    out.layout.class_counts.assign(counts.data(), counts.data() + counts.size());
  }
  if (r.image) {
    out.layout.pixel_levels = static_cast<int>(number("data.pixel_levels"));
    if (out.layout.pixel_levels < 2 || out.layout.pixel_levels > 65536) {
      throw io_error(file.string() + ": metadata 'data.pixel_levels' is " + std::to_string(out.layout.pixel_levels) +
                     ", not 2..65536");
    }
    return out;
  }

  // data.factor: the whitening's Cholesky factors, one per class if data.gaussian says the
  // Gaussian is per class; a model directory from before data.factor holds the per-column scales
  // of a standardization (data.scale), the same map with a diagonal factor.
  if (const auto gaussian = io::find_metadata(ckpt, "data.gaussian")) {
    try {
      out.layout.gaussian = parse_enum(data::class_covariance_names, *gaussian, "data.gaussian");
    } catch (const value_error& e) {
      throw io_error(file.string() + ": " + e.what());
    }
  }
  const bool per_class = out.layout.gaussian != data::class_covariance::pooled;
  if (per_class && r.classes < 1) throw io_error(file.string() + ": a per-class Gaussian (data.gaussian) in an unconditional model");
  const index_t blocks = per_class ? r.classes : 1;
  const index_t triangle = r.dim * (r.dim + 1) / 2;
  const row_vector<Scalar> means = split_floats(io::metadata_value(ckpt, "data.mean"), blocks * r.dim, "data.mean", file);
  try {
    std::vector<data::whitening<Scalar>> whitenings;
    if (const auto factor = io::find_metadata(ckpt, "data.factor")) {
      const double ridge = parse_metadata<double>(io::metadata_value(ckpt, "data.ridge"), "data.ridge", file);
      const row_vector<Scalar> factors = split_floats(*factor, blocks * triangle, "data.factor", file);
      for (index_t c = 0; c < blocks; ++c) {
        whitenings.emplace_back(means.segment(c * r.dim, r.dim),
                                from_lower_triangle(factors.segment(c * triangle, triangle), r.dim), ridge);
      }
    } else {
      const row_vector<Scalar> scale = split_floats(io::metadata_value(ckpt, "data.scale"), r.dim, "data.scale", file);
      whitenings.emplace_back(means, scale.transpose().asDiagonal().toDenseMatrix());
    }
    out.layout.whitening = per_class ? data::class_whitening<Scalar>(std::move(whitenings))
                                     : data::class_whitening<Scalar>(std::move(whitenings.front()));
  } catch (const value_error& e) {
    throw io_error(file.string() + ": the data's whitening is corrupt (" + e.what() + ")");
  }
  if (const auto dropped = io::find_metadata(ckpt, "data.dropped")) {
    std::istringstream in(*dropped);
    std::vector<std::string> tokens;
    for (std::string token; in >> token;) tokens.push_back(token);
    if (tokens.empty() || tokens.size() % 2 != 0) {
      throw io_error(file.string() + ": metadata 'data.dropped' is not a list of position and value pairs");
    }
    for (std::size_t k = 0; k < tokens.size(); k += 2) {
      const auto j = parse_metadata<long>(tokens[k], "data.dropped", file);
      const index_t width = r.dim + static_cast<index_t>(tokens.size() / 2);
      if (j < 0 || j >= width || (!out.layout.dropped.empty() && j <= out.layout.dropped.back().first)) {
        throw io_error(file.string() + ": metadata 'data.dropped' has position " + tokens[k] +
                       " out of order or outside the " + std::to_string(width) + " value columns");
      }
      out.layout.dropped.emplace_back(j, parse_metadata<Scalar>(tokens[k + 1], "data.dropped", file));
    }
  }
  if (const auto p = io::find_metadata(ckpt, "data.label_position")) {
    out.layout.label_position = parse_metadata<long>(*p, "data.label_position", file);
  }
  if (const auto name = io::find_metadata(ckpt, "data.label_name")) out.layout.label_name = *name;
  if (const auto names = io::find_metadata(ckpt, "data.column_names")) {
    std::size_t pos = 0;
    while (pos <= names->size()) {
      const std::size_t end = std::min(names->find('\n', pos), names->size());
      out.layout.column_names.push_back(names->substr(pos, end - pos));
      pos = end + 1;
    }
  }
  return out;
}

}  // namespace eigenflow::cli
