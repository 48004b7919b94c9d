// tools/eigenflow/sample.cpp — `eigenflow sample`: draws rows from a trained model, in the data's
// units and laid out as the training file's rows (a conditional model's class column included).
#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "options.hpp"
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
  cmd->add_option("--out", s.out, "output file, .npy or .csv")->required();
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
  check_output_table(s.out);  // a wrong --out fails before sampling
  const index_t width = model.dim() + static_cast<index_t>(layout.dropped.size()) + (model.conditional() ? 1 : 0);
  // The draws, their data-unit copy and the file's layout of them, each n × width.
  require_memory(3.0 * sizeof(Scalar) * static_cast<double>(s.n) * static_cast<double>(width),
                 "-n " + std::to_string(s.n) + " samples of " + std::to_string(width) + " columns");
  random_engine rng(s.seed);
  const std::vector<index_t> labels =
      model.conditional() ? draw_classes(layout.class_counts, s.n, s.class_id, rng) : std::vector<index_t>{};
  matrix<Scalar> x = with_dropped(layout, layout.whitening.invert(model.sample(s.n, rng, labels, s.threads), labels));
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
