// tools/eigenflow/training_run.hpp — what `eigenflow train` does the same for a table and for
// images: checks --out first, splits the rows by a seeded shuffle into training, validation and
// held-out rows, counts the classes, and keeps DIR/model.ckpt: written every --checkpoint-every
// iterations and at the end, resumed by a rerun of the same command, refused (naming what differs)
// when it holds another run.
#pragma once

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "saved_model.hpp"
#include "table_file.hpp"

namespace eigenflow::cli {

/// Throws unless --out can name a model directory (checked before any work).
inline void check_model_directory(const std::string& out) {
  if (out.empty()) throw value_error("--out is empty: name the model directory to write");
  if (std::filesystem::exists(out) && !std::filesystem::is_directory(out)) {
    throw value_error("--out " + out + " is a file, not a directory: name the model directory to write");
  }
}

/// Which rows of a data file train, select the model and are held out for the final score.
struct row_split {
  std::vector<index_t> train, validation, test;
};

/// A shuffle of `n` rows drawn from `rng` (files are often sorted by class or time); the last
/// --holdout share is held out, and of the rest the last --validation share kept for model
/// selection. Throws a value_error naming `file` if fewer than 2 training rows or no held-out row
/// would be left.
inline row_split split_rows(const train_settings& s, index_t n, const std::string& file, random_engine& rng) {
  if (!(s.holdout > 0 && s.holdout < 1))
    throw value_error("--holdout must be in (0, 1), got " + std::to_string(s.holdout));
  if (!(s.validation >= 0 && s.validation < 1)) {
    throw value_error("--validation must be in [0, 1), got " + std::to_string(s.validation));
  }
  const index_t held_out = static_cast<index_t>(std::llround(s.holdout * double(n)));
  if (held_out < 1 || held_out >= n) {
    throw value_error(file + ": " + std::to_string(n) + " rows cannot be split into training and " +
                      std::to_string(s.holdout) + " held out");
  }
  std::vector<index_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), index_t(0));
  shuffle(order, rng);  // eigenflow::shuffle: the same split on every standard library
  const index_t n_rest = n - held_out;
  const index_t validating = s.validation > 0 ? std::max<index_t>(1, std::llround(s.validation * double(n_rest))) : 0;
  if (n_rest - validating < 2) {
    throw value_error(file + ": " + std::to_string(n) + " rows leave fewer than 2 training rows after " +
                      std::to_string(held_out) + " held out and " + std::to_string(validating) + " for validation");
  }
  const auto part = [&](index_t begin, index_t end) {
    return std::vector<index_t>(order.begin() + begin, order.begin() + end);
  };
  return {part(0, n_rest - validating), part(n_rest - validating, n_rest), part(n_rest, n)};
}

/// Class ids must be 0..C-1; returns the training rows per class, and throws if a validation or
/// held-out row has a class no training row has.
inline std::vector<double> count_classes(const train::dataset<Scalar>& train_rows,
                                         std::initializer_list<const train::dataset<Scalar>*> kept,
                                         const std::string& file) {
  const std::vector<index_t>& labels = train_rows.labels;
  const index_t classes = *std::max_element(labels.begin(), labels.end()) + 1;
  if (classes > 100000)
    throw value_error("the labels hold class " + std::to_string(classes - 1) +
                      "; labels must be small class ids 0..C-1");
  std::vector<double> counts(static_cast<std::size_t>(classes), 0.0);
  for (const index_t l : labels) counts[static_cast<std::size_t>(l)] += 1;
  for (const train::dataset<Scalar>* rows : kept) {
    if (!rows->labels.empty() && *std::max_element(rows->labels.begin(), rows->labels.end()) >= classes) {
      throw value_error(file +
                        ": a held-out or validation row has a class that no training row has; use more data "
                        "or another --seed");
    }
  }
  return counts;
}

/// The settings that make a training run what it is, besides the architecture (the recipe's
/// spec.* metadata): not threads, ranks or progress. A rerun resumes only the same run.
inline io::checkpoint_metadata run_identity(const train_settings& s, const train::trainer_options& o, index_t rows) {
  io::checkpoint_metadata run{{"run.data", std::filesystem::absolute(s.data).lexically_normal().string()},
                              {"run.data_fingerprint", file_fingerprint(s.data)},
                              {"run.rows", std::to_string(rows)},
                              {"run.label_col", s.label_col ? std::to_string(*s.label_col) : "none"},
                              {"run.iterations", std::to_string(o.iterations)},
                              {"run.batch", std::to_string(o.batch)},
                              {"run.lr", to_text(static_cast<Scalar>(o.learning_rate))},
                              {"run.holdout", to_text(static_cast<Scalar>(s.holdout))},
                              {"run.validation", to_text(static_cast<Scalar>(s.validation))},
                              {"run.drop_constant", s.drop_constant ? "yes" : "no"},
                              {"run.eval_every", std::to_string(o.evaluate_every)},
                              {"run.patience", std::to_string(o.patience)},
                              {"run.seed", std::to_string(s.seed)}};
  if (!s.labels.empty()) {  // only runs on images have a label file, so a table's checkpoint stays as it was
    run.emplace_back("run.labels", std::filesystem::absolute(s.labels).lexically_normal().string());
    run.emplace_back("run.labels_fingerprint", file_fingerprint(s.labels));
  }
  return run;
}

/// The trainer's options: the defaults for these data, overridden by what the command line gave.
inline train::trainer_options training_options(const model_kind& kind, const table_defaults& d, const train_settings& s,
                                               parallel::process_group& group) {
  train::trainer_options options;
  options.iterations = s.iters > 0 ? s.iters : d.iterations;
  options.batch = s.batch > 0 ? s.batch : d.batch;
  options.learning_rate = s.lr > 0 ? s.lr : d.learning_rate;
  options.weight_decay = s.weight_decay >= 0 ? s.weight_decay : d.weight_decay;
  options.decoupled_weight_decay = true;  // a shrink toward zero outputs: toward the fitted Gaussian
  options.clip = 10;
  options.schedule = kind.sizing.schedule;
  options.warmup = kind.sizing.warmup_divisor > 0 ? options.iterations / kind.sizing.warmup_divisor : 0;
  options.seed = s.seed;
  options.progress = train::parse_progress_mode(s.progress);
  options.threads = s.threads;
  options.processes = &group;
  options.checkpoint_every = s.checkpoint_every;
  // Model selection on the validation rows, from step 0 (the fitted Gaussian) on.
  options.evaluate_every = s.eval_every > 0 ? s.eval_every : std::max(1L, options.iterations / 20);
  options.patience = s.patience;
  options.keep_best = true;
  options.evaluate_at_start = true;
  return options;
}

/// A figure as a finished run's checkpoint keeps it: six decimals.
inline std::string result_text(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6f", v);
  return buffer;
}

/// What a finished run records of itself, for tables and images alike; the caller appends its
/// figures (test_nll, ...).
inline io::checkpoint_metadata finished_run_metadata(const train_settings& s, index_t training_rows, index_t held_out,
                                                     index_t validating, const train::trainer_options& options,
                                                     const train::training_summary& summary,
                                                     const parallel::process_group& group) {
  return {{"train.data", std::filesystem::absolute(s.data).string()},
          {"train.rows", std::to_string(training_rows)},
          {"train.held_out_rows", std::to_string(held_out)},
          {"train.iterations", std::to_string(summary.iterations)},
          {"train.batch", std::to_string(options.batch)},
          {"train.seed", std::to_string(s.seed)},
          {"train.processes", std::to_string(group.size())},
          {"train.seconds", std::to_string(summary.seconds)},
          {"train.validation_rows", std::to_string(validating)},
          {"train.best_iteration", std::to_string(summary.best_iteration)},
          {"train.stopped_early", summary.stopped_early ? "yes" : "no"}};
}

/// Says how the batch is shared when the run spans several processes (nothing for one).
inline void print_data_parallel(const parallel::process_group& group, int threads, index_t batch) {
  if (group.size() < 2) return;
  std::printf("data parallel over %d processes, %d threads each; batch %ld split across them\n", group.size(), threads,
              static_cast<long>(batch));
}

/// DIR/model.ckpt of a run: resumed if it holds the same run, written along the way and at the end.
class run_checkpoints {
 public:
  /// `run`: run_identity's metadata; `recipe`: the architecture's (recipe_metadata).
  run_checkpoints(const train_settings& s, parallel::process_group& group, io::checkpoint_metadata run,
                  io::checkpoint_metadata recipe)
      : s_(s), group_(group), run_(std::move(run)), recipe_(std::move(recipe)) {}

  /// Model selection's state: kept current by fit, saved with every checkpoint.
  train::selection_state selection;

  /// resume(); unless that run had finished, then arms options.on_checkpoint to save this run
  /// (model, layout and adam must outlive the training) and flushes what was printed so far.
  bool resume_or_arm(saved_model& model, const data_layout& layout, optim::adam<Scalar>& adam,
                     train::trainer_options& options, std::initializer_list<const char*> results) {
    if (resume(model, adam, options, results)) return true;
    std::fflush(stdout);
    options.on_checkpoint = [this, &model, &layout, &adam](long it) { save(model, layout, adam, it, false); };
    return false;
  }

  /// Writes DIR/model.ckpt from rank 0 (the other ranks do nothing): the model, its layout, the
  /// optimizer's state, `completed` iterations, `status` (a finished run's results) and, mid-run,
  /// model selection's state.
  void save(saved_model& model, const data_layout& layout, optim::adam<Scalar>& adam, long completed, bool finished,
            io::checkpoint_metadata status = {}) {
    if (group_.rank() != 0) return;
    io::checkpoint_metadata meta = run_;
    meta.emplace_back("train.completed_iterations", std::to_string(completed));
    meta.emplace_back("train.finished", finished ? "yes" : "no");
    for (auto& entry : status) meta.push_back(std::move(entry));
    save_model_dir(s_.out, model, layout, std::move(meta), adam.export_state(), finished ? nullptr : &selection);
  }

 private:
  /// Resumes from DIR/model.ckpt (unless --restart): its parameters into `model`, its optimizer
  /// state into `adam`, its completed iterations into options. Returns true if that run had
  /// already finished; then it printed so, and the saved `results` (e.g. test_nll), and the caller
  /// is done. Throws a value_error naming what differs if DIR holds another run.
  bool resume(saved_model& model, optim::adam<Scalar>& adam, train::trainer_options& options,
              std::initializer_list<const char*> results) {
    std::optional<io::checkpoint<Scalar>> saved = saved_checkpoint();
    if (!saved) return false;
    check_same_run(*saved, recipe_);
    check_same_run(*saved, run_);
    const std::filesystem::path file = checkpoint_path(s_.out);
    const long completed = parse_metadata<long>(io::metadata_value(*saved, "train.completed_iterations"),
                                                "train.completed_iterations", file);
    if (io::find_metadata(*saved, "train.finished") == "yes") {
      std::printf("%s already holds this run, finished after %ld iterations: nothing to do (--restart trains again)\n",
                  file.c_str(), completed);
      for (const char* key : results) {
        if (const auto value = io::find_metadata(*saved, key)) std::printf("%s: %s\n", key, value->c_str());
      }
      return true;
    }
    selection = take_selection(*saved, file);
    io::restore_parameters(*saved, model.model());
    if (!saved->optimizer) throw io_error(file.string() + " has no optimizer state to resume with");
    adam.import_state(*saved->optimizer, model.model().parameters());
    options.completed_iterations = completed;
    std::printf("resuming from %s at iteration %ld of %ld\n", file.c_str(), completed, options.iterations);
    return false;
  }

  /// The checkpoint a rerun resumes from (none, or --restart: nullopt). Rank 0 reads it and every
  /// other rank gets it from rank 0: the other machines need not see DIR.
  std::optional<io::checkpoint<Scalar>> saved_checkpoint() {
    const std::filesystem::path file = checkpoint_path(s_.out);
    std::optional<io::checkpoint<Scalar>> saved;
    if (!s_.restart && group_.rank() == 0 && std::filesystem::exists(file)) saved = io::load_checkpoint<Scalar>(file);
    if (group_.size() == 1) return saved;
    std::string bytes = saved ? io::encode_checkpoint(*saved) : std::string();
    group_.broadcast(bytes);
    if (!saved && !bytes.empty()) saved = io::decode_checkpoint<Scalar>(bytes, file);
    return saved;
  }

  /// Throws unless `ckpt` holds these metadata (the same run), naming the first that differs.
  void check_same_run(const io::checkpoint<Scalar>& ckpt, const io::checkpoint_metadata& expected) const {
    for (const auto& [key, value] : expected) {
      const auto saved = io::find_metadata(ckpt, key);
      if (saved != value && (key == "run.data_fingerprint" || key == "run.labels_fingerprint")) {
        throw value_error("the data changed since " + checkpoint_path(s_.out).string() + " was written (" +
                          (saved ? *saved : std::string("no fingerprint recorded")) + " then, " + value +
                          " now); pass --restart to train on the new data from scratch, or choose another --out");
      }
      if (saved != value) {
        throw value_error(checkpoint_path(s_.out).string() + " holds another run (" + key.substr(key.find('.') + 1) +
                          ": " + (saved ? *saved : std::string("not recorded")) + " there, " + value +
                          " now); pass --restart to train from scratch, or choose another --out");
      }
    }
  }

  const train_settings& s_;
  parallel::process_group& group_;
  io::checkpoint_metadata run_;
  io::checkpoint_metadata recipe_;
};

/// `eigenflow train` on images (train_images.cpp): `kind` must be an image kind.
int run_train_images(const train_settings& s, const model_kind& kind, parallel::process_group& group);

}  // namespace eigenflow::cli
