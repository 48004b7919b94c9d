// tools/eigenflow/commands.hpp — the verbs of the `eigenflow` command line. Each verb lives in its
// own file (train.cpp, sample.cpp, logprob.cpp, info.cpp) and offers two functions: one that adds
// its options to the command line and one that runs it; main.cpp parses and dispatches.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "eigenflow/eigenflow.hpp"

namespace eigenflow::cli {

struct train_settings {
  std::string data;
  std::optional<index_t> label_col;
  std::string labels;  // images: an IDX file of their class ids (trains p(x | class))
  std::string model = "coupling";
  long iters = 0;     // 0: the default for the table's size
  index_t batch = 0;  // 0: the default for the table's size
  double lr = 0;             // 0: the default for the table's size
  double weight_decay = -1;  // negative: the default for the data's size (AdamW's decoupled decay)
  index_t hidden = 0;  // 0: the default for the table's size
  int layers = 0;      // 0: the default for the table's size
  int couplings = 0;   // 0: the default for the table's size
  index_t bins = 8;      // spline and nsf kinds: bins per spline
  double bound = 4.0;    // spline and nsf kinds: the splines' interval [-bound, bound], in standardized units
  int levels = 0;        // image kinds: scales (0: as many as the size allows, at most 2)
  double holdout = 0.1;
  double validation = 0.1;  // share of the training rows kept for model selection (0: none)
  long eval_every = 0;      // 0: about 20 evaluations per run
  long patience = 10;       // evaluations without improvement before stopping (0: never)
  std::uint64_t seed = 1;
  std::string progress = "auto";
  int threads = parallel::hardware_threads();
  long checkpoint_every = 100;
  bool drop_constant = false;
  bool restart = false;
  std::string out;
};
CLI::App* add_train_command(CLI::App& app, train_settings& s);
int run_train(const train_settings& s, parallel::process_group& group);

struct sample_settings {
  std::string model;
  index_t n = 0;
  std::optional<index_t> class_id;
  std::uint64_t seed = 1;
  int threads = 1;  // not every core by default: the draws of a seed depend on the thread count
  std::string out;
  std::string labels_out;  // images of a conditional model: their classes, as an IDX file
  double temperature = 1;  // flows: the base draws scaled by it
};
CLI::App* add_sample_command(CLI::App& app, sample_settings& s);
int run_sample(const sample_settings& s);

struct logprob_settings {
  std::string model;
  std::string data;
  std::string labels;  // images: an IDX file of their class ids
  std::uint64_t seed = 1;  // images: the dequantization noise's
  std::string out;
  int threads = parallel::hardware_threads();
  long long block_rows = 65536;  // rows read and scored at a time: bounds the memory for any file size
};
CLI::App* add_logprob_command(CLI::App& app, logprob_settings& s);
int run_logprob(const logprob_settings& s);

struct info_settings {
  std::string model;
};
CLI::App* add_info_command(CLI::App& app, info_settings& s);
int run_info(const info_settings& s);

/// The whole command line: the app with every verb and the settings its options fill. main.cpp
/// parses it and runs the verb chosen; tests/fuzz/cli_options.cpp parses the same one.
struct command_line {
  CLI::App app{"eigenflow " EIGENFLOW_VERSION_STRING ": train normalizing flows on a data file, sample from them, "
               "evaluate log-densities."};
  train_settings train;
  sample_settings sample;
  logprob_settings logprob;
  info_settings info;
  CLI::App* train_app = add_train_command(app, train);
  CLI::App* sample_app = add_sample_command(app, sample);
  CLI::App* logprob_app = add_logprob_command(app, logprob);
  CLI::App* info_app = add_info_command(app, info);

  command_line() {
    app.set_version_flag("--version", "eigenflow " EIGENFLOW_VERSION_STRING);
    app.require_subcommand(1);
  }
  command_line(const command_line&) = delete;  // the options point into this object's settings
  command_line& operator=(const command_line&) = delete;
};

}  // namespace eigenflow::cli
