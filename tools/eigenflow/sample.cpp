// tools/eigenflow/sample.cpp — `eigenflow sample`: draws rows from a trained model, in the data's
// units and laid out as the training file's rows (a conditional model's class column included).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "options.hpp"
#include "image_file.hpp"
#include "saved_model.hpp"
#include "table_file.hpp"

namespace eigenflow::cli {
namespace {

/// n class ids: all `fixed`, or drawn from the training rows' class frequencies.
std::vector<index_t> draw_classes(const std::vector<double>& counts, index_t n, std::optional<index_t> fixed,
                                  random_engine& rng) {
  if (fixed) return std::vector<index_t>(static_cast<std::size_t>(n), *fixed);
  std::discrete_distribution<index_t> prior(counts.begin(), counts.end());
  std::vector<index_t> out(static_cast<std::size_t>(n));
  for (auto& c : out) c = prior(rng);
  return out;
}

/// Draws images from an image model: quantized to pixel values 0..255, written as --out names them
/// (a PNG grid, an IDX file, a table of pixels); drawn classes come sorted, so that a grid shows a
/// class after another, and go to --labels-out.
void sample_images(const sample_settings& s, const saved_model& model, const data_layout& layout, random_engine& rng) {
  const image_shape shape = *model.recipe().image;
  check_image_output(s.out, shape);
  if (!s.labels_out.empty()) {
    if (!model.conditional()) throw value_error("--labels-out given, but the model in " + s.model + " is not class-conditional");
    if (!is_idx_path(s.labels_out)) throw value_error("--labels-out " + s.labels_out + ": name an IDX file (.idx or -ubyte, either with .gz)");
  }
  std::vector<index_t> labels =
      model.conditional() ? draw_classes(layout.class_counts, s.n, s.class_id, rng) : std::vector<index_t>{};
  std::sort(labels.begin(), labels.end());
  const matrix<Scalar> pixels =
      data::quantize_from_unit(model.sample(s.n, rng, labels, s.threads, s.temperature), layout.pixel_levels);
  const int columns = std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(s.n)))));
  write_images(s.out, pixels, shape, columns);
  if (!s.labels_out.empty()) {
    matrix<Scalar> ids(s.n, 1);
    for (index_t i = 0; i < s.n; ++i) ids(i, 0) = static_cast<Scalar>(labels[static_cast<std::size_t>(i)]);
    const io::idx_type type = model.recipe().classes <= 256 ? io::idx_type::u8 : io::idx_type::i32;
    io::write_idx(s.labels_out, io::make_idx(type, {s.n}, ids), {.gzip = s.labels_out.ends_with(".gz")});
  }
  std::printf("%ld images of %s written to %s\n", static_cast<long>(s.n), shape.to_string().c_str(), s.out.c_str());
}

}  // namespace

CLI::App* add_sample_command(CLI::App& app, sample_settings& s) {
  CLI::App* cmd = app.add_subcommand("sample", "draw samples from a trained model");
  cmd->add_option("--model", s.model, "model directory (from eigenflow train)")->required();
  cmd->add_option("-n", s.n, "number of samples")->required()->transform(whole_number(1));
  cmd->add_option("--class", s.class_id, "class to sample (conditional models; default: drawn from the training frequencies)")
      ->transform(whole_number(0));
  cmd->add_option("--seed", s.seed, "random seed")->transform(whole_number(0))->capture_default_str();
  cmd->add_option("--threads", s.threads, "worker threads, each drawing a block of rows (the draws of a seed depend on N)")
      ->transform(whole_number(1, max_threads))->capture_default_str();
  cmd->add_option("--out", s.out,
                  "output file, .npy or .csv; for an image model also .png (a grid) or an IDX file (.idx or -ubyte, "
                  "either with .gz) of pixel values")
      ->required();
  cmd->add_option("--temperature", s.temperature,
                  "flows: draw the base at temperature T, z ~ N(0, T^2 I) (T < 1: fewer, cleaner modes, as Glow's "
                  "samples)")
      ->transform(finite_number(0, false))
      ->capture_default_str();
  cmd->add_option("--labels-out", s.labels_out, "image models with classes: an IDX file of the sampled images' classes");
  return cmd;
}

int run_sample(const sample_settings& s) {
  const loaded_model loaded = load_model_dir(s.model);
  const saved_model& model = *loaded.model;
  const data_layout& layout = loaded.layout;
  if (s.n < 1) throw value_error("-n must be positive");
  if (s.class_id && !model.conditional()) {
    throw value_error("--class given, but the model in " + s.model + " is not class-conditional");
  }
  if (s.class_id && (*s.class_id < 0 || *s.class_id >= model.recipe().classes)) {
    throw value_error("--class " + std::to_string(*s.class_id) + " is outside the model's classes 0.." +
                      std::to_string(model.recipe().classes - 1));
  }
  if (s.class_id && layout.class_counts[static_cast<std::size_t>(*s.class_id)] == 0) {
    throw value_error("--class " + std::to_string(*s.class_id) + " had no training rows: the model in " + s.model +
                      " has learned nothing of it");
  }
  if (model.recipe().image) {
    // The draws and their quantized copy, each n × D.
    require_memory(2.0 * sizeof(Scalar) * static_cast<double>(s.n) * static_cast<double>(model.dim()),
                   "-n " + std::to_string(s.n) + " images of " + model.recipe().image->to_string());
    random_engine rng(s.seed);
    sample_images(s, model, layout, rng);
    return 0;
  }
  if (!s.labels_out.empty()) throw value_error("--labels-out is for image models; a table's samples hold their class column");
  check_output_table(s.out);  // a wrong --out fails before sampling
  const index_t width = model.dim() + static_cast<index_t>(layout.dropped.size()) + (model.conditional() ? 1 : 0);
  // The draws, their data-unit copy and the file's layout of them, each n × width.
  require_memory(3.0 * sizeof(Scalar) * static_cast<double>(s.n) * static_cast<double>(width),
                 "-n " + std::to_string(s.n) + " samples of " + std::to_string(width) + " columns");
  random_engine rng(s.seed);
  const std::vector<index_t> labels =
      model.conditional() ? draw_classes(layout.class_counts, s.n, s.class_id, rng) : std::vector<index_t>{};
  const matrix<Scalar> draws = model.sample(s.n, rng, labels, s.threads, s.temperature);
  matrix<Scalar> x = with_dropped(layout, layout.whitening.invert(draws, labels));
  std::vector<std::string> names = layout.column_names;
  if (model.conditional()) {  // the rows come out laid out as the training file's were
    const index_t k = std::min(layout.label_position.value_or(x.cols()), x.cols());
    matrix<Scalar> with_labels(x.rows(), x.cols() + 1);
    with_labels.leftCols(k) = x.leftCols(k);
    for (index_t i = 0; i < x.rows(); ++i) with_labels(i, k) = static_cast<Scalar>(labels[static_cast<std::size_t>(i)]);
    with_labels.rightCols(x.cols() - k) = x.rightCols(x.cols() - k);
    x = std::move(with_labels);
    if (!names.empty()) names.insert(names.begin() + k, layout.label_name);
  }
  write_table(s.out, x, names);
  std::printf("%ld samples written to %s\n", static_cast<long>(s.n), s.out.c_str());
  return 0;
}

}  // namespace eigenflow::cli
