// tools/eigenflow/train.cpp — `eigenflow train`: reads a data file, holds out a seeded share of its
// rows, trains a model of the chosen kind on the whitened rest (data parallel over threads and
// MPI ranks), and writes DIR/model.ckpt with what the other verbs need. Prints test_nll last.
//
// train saves DIR/model.ckpt every --checkpoint-every iterations; running the same command again
// resumes from it (with any number of MPI ranks), and a finished run is not trained twice.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numbers>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "image_file.hpp"
#include "model_kinds.hpp"
#include "options.hpp"
#include "saved_model.hpp"
#include "table_file.hpp"
#include "training_run.hpp"

namespace eigenflow::cli {
namespace {

/// Says (on stdout, as the other notes) what makes a table a poor fit for a density: rows that
/// repeat an earlier row (labels included), which a flow can learn as spikes; fewer rows than
/// twice the columns, which leave the covariance barely determined; classes without rows.
void warn_about_table(const std::string& file, const table<Scalar>& data, const std::vector<double>& class_counts) {
  const index_t n = data.values.rows();
  const index_t d = data.values.cols();
  std::vector<std::vector<Scalar>> rows(static_cast<std::size_t>(n));  // each row with its label: sorted, repeats meet
  for (index_t i = 0; i < n; ++i) {
    std::vector<Scalar>& row = rows[static_cast<std::size_t>(i)];
    row.assign(data.values.row(i).begin(), data.values.row(i).end());
    if (!data.labels.empty()) row.push_back(static_cast<Scalar>(data.labels[static_cast<std::size_t>(i)]));
  }
  std::sort(rows.begin(), rows.end());
  long repeats = 0;
  for (std::size_t k = 1; k < rows.size(); ++k) repeats += rows[k] == rows[k - 1] ? 1 : 0;
  if (repeats > 0) {
    std::printf("warning: %ld rows of %s repeat an earlier row; a flow can learn repeats as spikes, and a repeat "
                "split between training and held-out rows flatters test_nll\n", repeats, file.c_str());
  }
  if (n < 2 * d) {
    std::printf("warning: %s has %ld rows for %ld columns, fewer than two per column: its covariance, and any "
                "density fitted to it, is barely determined\n", file.c_str(), static_cast<long>(n), static_cast<long>(d));
  }
  for (std::size_t c = 0; c < class_counts.size(); ++c) {
    if (class_counts[c] == 0) {
      std::printf("warning: class %zu has no training rows; the model learns nothing of it, and sample refuses it\n", c);
    }
  }
}

/// A constant column of the training rows, as a message names it: by its name in the file's
/// header, if any, and its position in the file.
std::string describe_column(const table<Scalar>& data, index_t j) {
  const index_t in_file = data.label_position && *data.label_position <= j ? j + 1 : j;
  const std::string name =
      data.column_names.empty() ? "" : "'" + data.column_names[static_cast<std::size_t>(j)] + "' ";
  return "column " + name + "(" + std::to_string(in_file) + ", counting from 0)";
}

/// The constant columns of the training rows: without --drop-constant a value_error naming the
/// first (no density can be fitted to it); with it, each is reported and recorded in `layout`.
void handle_constant_columns(const std::string& file, const table<Scalar>& data, const matrix<Scalar>& rows,
                             bool drop, data_layout& layout) {
  const std::vector<index_t> constant = data::constant_columns(rows);
  if (constant.empty()) return;
  if (!drop) {
    const index_t j = constant.front();
    throw value_error(file + ": " + describe_column(data, j) + " holds " + to_text(rows(0, j)) +
                      " in every training row: a density of a constant is a spike, not a fit; remove the column or "
                      "pass --drop-constant");
  }
  for (const index_t j : constant) {
    layout.dropped.emplace_back(j, rows(0, j));
    std::printf("dropped %s: %s in every training row (sample writes it back, logprob requires it)\n",
                describe_column(data, j).c_str(), to_text(rows(0, j)).c_str());
  }
}

/// Sets `layout` to how `kind` sees the data of the fitted `gaussian`. Continuous kinds see
/// whitened rows. Coupling and autoregressive kinds see standardized ones (the data's own axes, where a bounded or
/// discrete column stays one column; per class, each class's mean and scales) and hold the
/// correlation, which the classes share, in their last layer: returns where that layer starts, the
/// correlation's inverse Cholesky factor (empty for continuous kinds). Either way a model that is
/// the identity on what it sees is exactly the Gaussian.
matrix<double> lay_out(const model_kind& kind, const data::class_whitening<Scalar>& gaussian, data_layout& layout) {
  if (kind.continuous) {
    layout.whitening = gaussian;
    return {};
  }
  std::vector<data::whitening<Scalar>> standardizing;
  for (index_t c = 0; c < gaussian.classes(); ++c) {
    const vector<Scalar> scale = gaussian.of(c).factor().rowwise().norm();
    standardizing.emplace_back(gaussian.of(c).mean(), scale.asDiagonal().toDenseMatrix());
  }
  layout.whitening = gaussian.shared() ? data::class_whitening<Scalar>(std::move(standardizing.front()))
                                       : data::class_whitening<Scalar>(std::move(standardizing));
  const matrix<double> factor = gaussian.of(0).factor().cast<double>();
  const matrix<double> correlation_factor = factor.rowwise().norm().cwiseInverse().asDiagonal() * factor;
  return correlation_factor.triangularView<Eigen::Lower>().solve(matrix<double>::Identity(factor.rows(), factor.cols()));
}

/// The rows of both data sets, with their labels.
train::dataset<Scalar> joined(const train::dataset<Scalar>& a, const train::dataset<Scalar>& b) {
  train::dataset<Scalar> out;
  out.x.resize(a.rows() + b.rows(), a.x.cols());
  out.x << a.x, b.x;
  out.labels = a.labels;
  out.labels.insert(out.labels.end(), b.labels.begin(), b.labels.end());
  return out;
}

/// How much of the Gaussian a model starts as is per class. Unconditional: none. Conditional: of
/// class_covariance's choices, the one whose Gaussian, fitted to the training rows, does best on
/// the validation rows (each process scores its shard); without validation rows, per-class means
/// and shrunk scales. A choice that cannot be fitted (a column constant within every class) is
/// left out, and said so. Returns the choice and a line that says how it was made (empty if unconditional).
std::pair<data::class_covariance, std::string> choose_gaussian(const train::dataset<Scalar>& train_rows,
                                                               const train::dataset<Scalar>& validation_rows,
                                                               index_t classes, parallel::process_group& group) {
  using data::class_covariance;
  if (classes == 0) return {class_covariance::pooled, ""};
  if (validation_rows.rows() == 0) {
    return {class_covariance::scaled, "gaussian per class: scaled (no validation rows to choose with)"};
  }
  const train::dataset<Scalar> mine = train::shard(validation_rows, group);
  class_covariance best = class_covariance::pooled;
  double best_nll = std::numeric_limits<double>::infinity();
  std::string scores;
  for (const class_covariance choice : {class_covariance::scaled, class_covariance::means, class_covariance::pooled}) {
    const std::string name(name_of(data::class_covariance_names, choice));
    try {
      const auto g =
          data::class_whitening<Scalar>::fit(train_rows.x, train_rows.labels, classes, {.covariance = choice});
      const double nll =
          parallel::mean_over_processes(group, -g.log_prob(mine.x, mine.labels).cast<double>().sum(), mine.rows());
      scores += (scores.empty() ? "" : ", ") + name + " " + to_text(static_cast<Scalar>(nll));
      if (nll < best_nll) best = choice, best_nll = nll;
    } catch (const value_error& e) {
      scores += (scores.empty() ? "" : ", ") + name + " left out: " + e.what();
    }
  }
  return {best, "gaussian per class: " + std::string(name_of(data::class_covariance_names, best)) + " (validation nll: " +
                    scores + ")"};
}

/// Sets a coupling or autoregressive model's last layer to `w`, as the builder starts it (model_recipe::output_start).
void set_output_linear(saved_model& model, const matrix<double>& w) {
  auto start = flows::lu_linear<Scalar>::lower_triangular("output_linear", w);
  const nn::parameter_list<Scalar> values = start.parameters();
  std::size_t set = 0;
  for (nn::parameter<Scalar>* to : model.model().parameters()) {
    for (const nn::parameter<Scalar>* from : values) {
      if (to->name == from->name) to->value = from->value, ++set;
    }
  }
  if (set != values.size()) throw std::logic_error("set_output_linear: the model has no output_linear layer");
}

/// The architecture: the defaults for this table, overridden by what the command line gave.
model_recipe make_recipe(const model_kind& kind, const table_defaults& d, const train_settings& s, index_t columns,
                         index_t classes) {
  model_recipe recipe;
  recipe.kind = std::string(kind.name);
  recipe.dim = columns;
  recipe.classes = classes;
  recipe.hidden = s.hidden > 0 ? s.hidden : d.hidden;
  recipe.layers = s.layers > 0 ? s.layers : d.layers;
  recipe.couplings = s.couplings > 0 ? s.couplings : d.couplings;
  recipe.bins = s.bins;
  recipe.bound = s.bound;
  return recipe;
}

}  // namespace

CLI::App* add_train_command(CLI::App& app, train_settings& s) {
  std::string kinds;
  for (const model_kind& k : model_kinds) kinds += (kinds.empty() ? "" : ", ") + std::string(k.name) + " (" + std::string(k.summary) + ")";
  CLI::App* cmd = app.add_subcommand("train", "train a flow; writes DIR/model.ckpt and prints test_nll last");
  cmd->add_option("--data", s.data,
                  "data file: .csv (header optional) or .npy, one row per sample; for --model glow, images: an IDX "
                  "file of bytes (.idx or -ubyte, either gzipped), N x H x W or N x H x W x C")
      ->required();
  cmd->add_option("--labels", s.labels, "images: an IDX file of their class ids 0..C-1, one per image: trains p(x | class)");
  cmd->add_option("--label-col", s.label_col,
                  "column of integer class ids 0..C-1 (negative: from the end): trains p(x | class)")
      ->transform(whole_number(std::numeric_limits<index_t>::min() + 1));
  cmd->add_option("--model", s.model, "model kind: " + kinds)->capture_default_str();
  const std::string sized = " (default: by the table's size, printed when training starts)";
  const long long most_int = std::numeric_limits<int>::max();
  cmd->add_option("--iters", s.iters, "training iterations" + sized)->transform(whole_number(1));
  cmd->add_option("--batch", s.batch, "batch size" + sized)->transform(whole_number(1));
  cmd->add_option("--lr", s.lr, "learning rate (Adam)" + sized)->transform(finite_number(0, false));
  cmd->add_option("--weight-decay", s.weight_decay, "AdamW's decoupled weight decay" + sized)->transform(finite_number(0, true));
  cmd->add_option("--hidden", s.hidden, "hidden width" + sized)->transform(whole_number(1));
  cmd->add_option("--layers", s.layers, "hidden layers, residual blocks or dynamics layers" + sized)
      ->transform(whole_number(1, most_int));
  cmd->add_option("--couplings", s.couplings, "coupling layers (coupling kinds), autoregressive layers (maf, nsf)" + sized)->transform(whole_number(1, most_int));
  cmd->add_option("--levels", s.levels, "image kinds: scales, each halving the height and width (default: 2 if they divide)")
      ->transform(whole_number(1, 16));
  cmd->add_option("--bins", s.bins, "spline and nsf kinds: bins of each rational-quadratic spline")
      ->transform(whole_number(2, 4096))->capture_default_str();
  cmd->add_option("--bound", s.bound,
                  "spline and nsf kinds: the splines act on [-B, B] of the standardized columns, the identity outside")
      ->transform(finite_number(0, false))->capture_default_str();
  cmd->add_option("--holdout", s.holdout, "fraction of rows held out for test_nll")
      ->transform(finite_number(0, false, 1, false))->capture_default_str();
  cmd->add_option("--validation", s.validation,
                  "fraction of the training rows kept aside to choose the best model and stop early (0: none)")
      ->transform(finite_number(0, true, 1, false))->capture_default_str();
  cmd->add_option("--eval-every", s.eval_every, "evaluate on the validation rows every N iterations (default: iterations / 20)")
      ->transform(whole_number(1));
  cmd->add_option("--patience", s.patience, "stop after this many evaluations without improvement (0: never)")
      ->transform(whole_number(0))->capture_default_str();
  cmd->add_option("--seed", s.seed, "random seed (split, initialization, batches)")->transform(whole_number(0))->capture_default_str();
  std::vector<std::string> progress_modes;
  for (const auto& entry : train::progress_mode_names) progress_modes.emplace_back(entry.name);
  cmd->add_option("--progress", s.progress,
                  "progress display: " + known_names(train::progress_mode_names) + " (auto: a bar on a terminal, else lines)")
      ->check(CLI::IsMember(progress_modes))->capture_default_str();
  cmd->add_option("--threads", s.threads, "worker threads: each batch split across them")
      ->transform(whole_number(1, max_threads))->capture_default_str();
  cmd->add_option("--checkpoint-every", s.checkpoint_every,
                  "save DIR/model.ckpt every N iterations (0: only at the end); rerunning the same command resumes from it")
      ->transform(whole_number(0))->capture_default_str();
  cmd->add_flag("--drop-constant", s.drop_constant,
                "leave out columns that hold one value in every training row (reported; sample writes them back)");
  cmd->add_flag("--restart", s.restart, "train from scratch even if DIR holds a checkpoint of this or another run");
  cmd->add_option("--out", s.out, "model directory to write")->required();
  return cmd;
}

int run_train(const train_settings& s, parallel::process_group& group) {
  const model_kind& kind = find_model_kind(s.model);
  if (kind.images || is_idx_path(s.data)) return run_train_images(s, kind, group);
  check_model_directory(s.out);  // a wrong --out fails now, not after the training
  if (!s.labels.empty()) {
    throw value_error("--labels names the label file of images; a table's labels are one of its columns: --label-col");
  }
  const table<Scalar> data = read_table<Scalar>(s.data, s.label_col);
  const index_t n = data.values.rows();
  random_engine rng(s.seed);  // the split's shuffle, then the model's initialization
  const row_split split = split_rows(s, n, s.data, rng);
  const index_t held_out = static_cast<index_t>(split.test.size());
  const index_t validating = static_cast<index_t>(split.validation.size());
  const index_t n_rest = n - held_out;
  const train::dataset<Scalar> all{.x = data.values, .labels = data.labels};
  train::dataset<Scalar> train_rows = all.subset(split.train);
  train::dataset<Scalar> validation_rows = all.subset(split.validation);
  train::dataset<Scalar> test_rows = all.subset(split.test);
  train_rows.validate(s.data);

  if ((data.values.array() == data.values.array().round()).all()) {
    std::printf("note: every value in %s is an integer; a density of discrete values grows without bound as the "
                "model sharpens; dequantize (add uniform [0, 1) noise) first\n", s.data.c_str());
  }
  data_layout layout;
  handle_constant_columns(s.data, data, train_rows.x, s.drop_constant, layout);
  for (train::dataset<Scalar>* rows : {&train_rows, &validation_rows, &test_rows}) rows->x = without_dropped(layout, rows->x);
  if (!data.labels.empty()) layout.class_counts = count_classes(train_rows, {&validation_rows, &test_rows}, s.data);
  const auto classes = static_cast<index_t>(layout.class_counts.size());
  std::string gaussian_choice;
  std::tie(layout.gaussian, gaussian_choice) = choose_gaussian(train_rows, validation_rows, classes, group);
  const auto gaussian =
      data::class_whitening<Scalar>::fit(train_rows.x, train_rows.labels, classes, {.covariance = layout.gaussian});
  if (gaussian.ridge() > 0) {
    std::printf("note: some columns of %s are nearly collinear; a ridge of %.3g was added to their correlation "
                "matrix\n", s.data.c_str(), gaussian.ridge());
  }
  const matrix<double> correlation_whitener = lay_out(kind, gaussian, layout);
  layout.label_position = data.label_position;
  layout.column_names = data.column_names;
  if (!data.label_name.empty()) layout.label_name = data.label_name;

  warn_about_table(s.data, data, layout.class_counts);
  const table_defaults defaults = defaults_for(kind, train_rows.rows(), train_rows.x.cols());
  train::trainer_options options = training_options(kind, defaults, s, group);
  model_recipe recipe = make_recipe(kind, defaults, s, train_rows.x.cols(), classes);
  recipe.output_linear = !kind.continuous;
  recipe.output_start = correlation_whitener;
  saved_model model(recipe, rng);

  std::printf("eigenflow train: %s on %s (%ld rows x %ld columns%s), %ld parameters; %ld held out, %ld for "
              "validation\n", s.model.c_str(), s.data.c_str(), static_cast<long>(n), static_cast<long>(recipe.dim),
              recipe.classes > 0 ? (", " + std::to_string(recipe.classes) + " classes").c_str() : "",
              static_cast<long>(model.model().parameters().count()), static_cast<long>(held_out),
              static_cast<long>(validating));
  std::printf("hidden %ld x %d%s, batch %ld, %ld iterations, learning rate %g, weight decay %g\n",
              static_cast<long>(recipe.hidden), recipe.layers,
              kind.continuous ? "" : (", " + std::to_string(recipe.couplings) + " " + stacked_layers(kind)).c_str(),
              static_cast<long>(options.batch), options.iterations, options.learning_rate, options.weight_decay);
  if (!gaussian_choice.empty()) std::printf("%s\n", gaussian_choice.c_str());
  if (kind.name == "cnf" && recipe.dim > 10) {
    std::printf("note: cnf takes the exact trace, %ld backward passes per dynamics evaluation; ffjord estimates it "
                "with one\n", static_cast<long>(recipe.dim));
  }
  print_data_parallel(group, s.threads, options.batch);

  optim::adam<Scalar> adam = train::make_optimizer<Scalar>(options);
  run_checkpoints checkpoints(s, group, run_identity(s, options, n), recipe_metadata(recipe));
  // Rank 0 writes (checkpoints along the way, the model at the end); a rerun resumes from them.
  if (checkpoints.resume_or_arm(model, layout, adam, options, {"gaussian_nll", "test_nll"})) return 0;

  // Every process trains on its shard of the training rows and scores its shard of the held-out ones.
  auto whitened = [&](const train::dataset<Scalar>& rows) {
    return train::shard(train::dataset<Scalar>{.x = layout.whitening.apply(rows.x, rows.labels), .labels = rows.labels}, group);
  };
  if (validating > 0) options.selection = &checkpoints.selection;
  const train::dataset<Scalar> my_validation = validating > 0 ? whitened(validation_rows) : train::dataset<Scalar>{};
  // The Gaussian (N(0, I) of the whitened rows) stays the choice unless a model beats it on the
  // validation rows by two standard errors: on a small table, noise must not replace it.
  if (validating > 0) {  // in the model's units: the data's NLL plus log|det| of the layout's map
    const train::dataset<Scalar> rows = train::shard(validation_rows, group);
    const vector<double> log_det = layout.whitening.log_det(rows.rows(), rows.labels);
    const vector<double> nll = -gaussian.log_prob(rows.x, rows.labels).cast<double>().col(0) + log_det;
    options.baseline_rows.assign(nll.data(), nll.data() + nll.size());
    options.baseline_z = 2;
    options.shown_nll_offset = -parallel::mean_over_processes(group, log_det.sum(), rows.rows());  // the data's units
  }
  const train::training_summary summary =
      model.fit(adam, whitened(train_rows), validating > 0 ? &my_validation : nullptr, options);
  // The baseline for what the flow gained: the Gaussian fitted to every training row, the
  // validation rows included. If it kept its place (no model beat it on the validation rows, so
  // the parameters are those of step 0), those rows have done their work and the model becomes it.
  data::class_whitening<Scalar> final_gaussian = gaussian;
  if (validating > 0) {
    const train::dataset<Scalar> every_training_row = joined(train_rows, validation_rows);
    final_gaussian = data::class_whitening<Scalar>::fit(every_training_row.x, every_training_row.labels, classes,
                                                        {.covariance = layout.gaussian});
    if (summary.best_iteration == 0) {
      const matrix<double> w = lay_out(kind, final_gaussian, layout);
      if (!kind.continuous) set_output_linear(model, w);
    }
  }
  const train::dataset<Scalar> my_test = train::shard(test_rows, group);
  const double test_nll = parallel::mean_over_processes(
      group, -data_log_prob(model, layout, my_test.x, my_test.labels, s.threads).cast<double>().sum(), my_test.rows());
  const double gaussian_nll = parallel::mean_over_processes(
      group, -final_gaussian.log_prob(my_test.x, my_test.labels).cast<double>().sum(), my_test.rows());

  io::checkpoint_metadata results =
      finished_run_metadata(s, n_rest - validating, held_out, validating, options, summary, group);
  results.emplace_back("train.validation_nll", result_text(summary.best_validation_nll + options.shown_nll_offset));
  results.emplace_back("gaussian_nll", result_text(gaussian_nll));
  results.emplace_back("test_nll", result_text(test_nll));
  checkpoints.save(model, layout, adam, summary.iterations, true, std::move(results));
  if (validating > 0) {
    std::printf("best validation nll %.4f at iteration %ld of %ld%s\n", summary.best_validation_nll + options.shown_nll_offset,
                summary.best_iteration, summary.iterations, summary.stopped_early ? " (stopped early)" : "");
  }
  std::printf("model written to %s\n", checkpoint_path(s.out).c_str());
  std::printf("gaussian_nll: %.4f\n", gaussian_nll);
  std::printf("test_nll: %.4f\n", test_nll);
  return 0;
}

}  // namespace eigenflow::cli
