// tools/eigenflow/main.cpp — the `eigenflow` command line: train a flow on a data file, sample
// from it, evaluate log-densities, describe a trained model.
//
//   eigenflow train   --data FILE [--label-col K] --model KIND [--iters N] [--holdout F] [--seed S] --out DIR
//   mpirun -np P eigenflow train ...   (built with MPI: data parallel across P processes)
//   eigenflow sample  --model DIR -n N [--class C] [--seed S] --out FILE.npy|FILE.csv
//   eigenflow logprob --model DIR --data FILE --out FILE.npy|FILE.csv
//   eigenflow info    --model DIR
//
// Every density is in the units of the data as given: the model sees standardized rows and the
// standardization's log-determinant is added back. Any failure ends with one line on stderr and
// exit code 1 (2 for a mistake on the command line itself).
//
// train saves DIR/model.ckpt every --checkpoint-every iterations; running the same command again
// resumes from it (with any number of MPI ranks), and a finished run is not trained twice.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#ifdef EIGENFLOW_CLI_WITH_MPI
#include "eigenflow/distributed/mpi.hpp"
#endif
#include "saved_model.hpp"
#include "table_file.hpp"

namespace {

using namespace eigenflow;
using cli::Scalar;

// ---- train ----------------------------------------------------------------------------------

struct train_settings {
  std::string data;
  std::optional<index_t> label_col;
  std::string model = "coupling";
  long iters = 0;  // 0: the model's default
  index_t batch = 0;
  double lr = 1e-3;
  index_t hidden = 0;
  int layers = 0;
  int couplings = 8;
  double holdout = 0.1;
  std::uint64_t seed = 1;
  std::string progress = "auto";
  int threads = parallel::hardware_threads();
  long checkpoint_every = 100;
  bool restart = false;
  std::string out;
};

/// Class ids must be 0..C-1; returns the rows per class.
std::vector<double> count_classes(const std::vector<index_t>& labels) {
  const index_t classes = *std::max_element(labels.begin(), labels.end()) + 1;
  if (classes > 100000) throw value_error("the label column holds class " + std::to_string(classes - 1) + "; labels must be small class ids 0..C-1");
  std::vector<double> counts(static_cast<std::size_t>(classes), 0.0);
  for (const index_t l : labels) counts[static_cast<std::size_t>(l)] += 1;
  return counts;
}

/// log p(x) in data units of rows x [| labels], from the model of standardized rows.
matrix<Scalar> data_log_prob(const cli::saved_model& model, const cli::data_layout& layout, const matrix<Scalar>& x,
                             std::span<const index_t> labels, int threads) {
  return layout.standardizer.to_data_log_prob(model.log_prob(layout.standardizer.apply(x), labels, threads));
}

/// The settings that make a training run what it is, besides the architecture (the recipe's
/// spec.* metadata): not threads, ranks or progress. A rerun resumes only the same run.
io::checkpoint_metadata run_identity(const train_settings& s, const train::trainer_options& o, index_t rows) {
  return {{"run.data", std::filesystem::absolute(s.data).lexically_normal().string()},
          {"run.rows", std::to_string(rows)},
          {"run.label_col", s.label_col ? std::to_string(*s.label_col) : "none"},
          {"run.iterations", std::to_string(o.iterations)},
          {"run.batch", std::to_string(o.batch)},
          {"run.lr", cli::to_text(static_cast<Scalar>(o.learning_rate))},
          {"run.holdout", cli::to_text(static_cast<Scalar>(s.holdout))},
          {"run.seed", std::to_string(s.seed)}};
}

/// The checkpoint a rerun resumes from (none, or --restart: nullopt). Rank 0 reads it and every
/// other rank gets it from rank 0: the other machines need not see DIR.
std::optional<io::checkpoint<Scalar>> checkpoint_to_resume(const train_settings& s, parallel::process_group& group) {
  const std::filesystem::path file = cli::checkpoint_path(s.out);
  std::optional<io::checkpoint<Scalar>> saved;
  if (!s.restart && group.rank() == 0 && std::filesystem::exists(file)) saved = io::load_checkpoint<Scalar>(file);
  if (group.size() == 1) return saved;
  std::string bytes = saved ? io::encode_checkpoint(*saved) : std::string();
  group.broadcast(bytes);
  if (!saved && !bytes.empty()) saved = io::decode_checkpoint<Scalar>(bytes, file);
  return saved;
}

/// Throws unless `ckpt` holds these metadata (the same run), naming the first that differs.
void check_same_run(const io::checkpoint<Scalar>& ckpt, const io::checkpoint_metadata& expected, const std::string& dir) {
  for (const auto& [key, value] : expected) {
    const auto saved = io::find_metadata(ckpt, key);
    if (saved != value) {
      throw value_error(cli::checkpoint_path(dir).string() + " holds another run (" + key.substr(key.find('.') + 1) +
                        ": " + (saved ? *saved : std::string("not recorded")) + " there, " + value +
                        " now); pass --restart to train from scratch, or choose another --out");
    }
  }
}

int train_command(const train_settings& s, parallel::process_group& group) {
  cli::check_model_kind(s.model);
  if (!(s.holdout > 0 && s.holdout < 1)) throw value_error("--holdout must be in (0, 1), got " + std::to_string(s.holdout));
  const train::progress_mode progress = train::parse_progress_mode(s.progress);
  const cli::table<Scalar> table = cli::read_table<Scalar>(s.data, s.label_col);
  const index_t n = table.values.rows();
  const index_t held_out = static_cast<index_t>(std::llround(s.holdout * double(n)));
  if (held_out < 1 || held_out >= n) {
    throw value_error(s.data + ": " + std::to_string(n) + " rows cannot be split into training and " +
                      std::to_string(s.holdout) + " held out");
  }

  // A seeded shuffle, then the last rows are held out: files are often sorted by class or time.
  random_engine rng(s.seed);
  std::vector<index_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), index_t(0));
  shuffle(order, rng);  // eigenflow::shuffle: the same split on every standard library
  train::dataset<Scalar> all{.x = table.values, .labels = table.labels};
  const train::dataset<Scalar> train_rows = all.subset(std::vector<index_t>(order.begin(), order.end() - held_out));
  const train::dataset<Scalar> test_rows = all.subset(std::vector<index_t>(order.end() - held_out, order.end()));
  train_rows.validate(s.data);

  if ((table.values.array() == table.values.array().round()).all()) {
    std::printf("note: every value in %s is an integer; a density of discrete values grows without bound as the "
                "model sharpens; dequantize (add uniform [0, 1) noise) first\n", s.data.c_str());
  }
  cli::data_layout layout;
  layout.standardizer = data::standardizer<Scalar>::fit(train_rows.x);
  layout.label_position = table.label_position;
  layout.column_names = table.column_names;
  if (!table.label_name.empty()) layout.label_name = table.label_name;
  if (!table.labels.empty()) layout.class_counts = count_classes(train_rows.labels);

  cli::model_recipe recipe = cli::default_recipe(s.model);
  recipe.dim = table.values.cols();
  recipe.classes = static_cast<index_t>(layout.class_counts.size());
  if (s.hidden > 0) recipe.hidden = s.hidden;
  if (s.layers > 0) recipe.layers = s.layers;
  recipe.couplings = s.couplings;
  cli::saved_model model(recipe, rng);
  if (!table.labels.empty() && *std::max_element(test_rows.labels.begin(), test_rows.labels.end()) >= recipe.classes) {
    throw value_error(s.data + ": a held-out row has a class that no training row has; use more data or another --seed");
  }

  // Coupling flows: a cosine schedule; continuous flows: FFJORD's constant rate with weight decay.
  const bool continuous = cli::is_continuous(s.model);
  train::trainer_options options;
  options.iterations = s.iters > 0 ? s.iters : (continuous ? 1000 : 2000);
  options.batch = s.batch > 0 ? s.batch : (continuous ? 100 : 256);
  options.learning_rate = s.lr;
  options.weight_decay = continuous ? 1e-5 : 0.0;
  options.clip = 10;
  options.schedule = continuous ? train::schedule_kind::constant : train::schedule_kind::cosine;
  options.warmup = continuous ? 0 : options.iterations / 50;
  options.seed = s.seed;
  options.progress = progress;
  options.threads = s.threads;
  options.processes = &group;
  std::printf("eigenflow train: %s on %s (%ld rows x %ld columns%s), %ld parameters; %ld held out\n", s.model.c_str(),
              s.data.c_str(), static_cast<long>(n), static_cast<long>(recipe.dim),
              recipe.classes > 0 ? (", " + std::to_string(recipe.classes) + " classes").c_str() : "",
              static_cast<long>(model.model().parameters().count()), static_cast<long>(held_out));
  if (group.size() > 1) {
    std::printf("data parallel over %d processes, %d threads each; batch %ld split across them\n", group.size(),
                s.threads, static_cast<long>(options.batch));
  }

  optim::adam<Scalar> adam = train::make_optimizer<Scalar>(options);
  const io::checkpoint_metadata run = run_identity(s, options, n);
  if (const auto saved = checkpoint_to_resume(s, group)) {
    check_same_run(*saved, cli::recipe_metadata(recipe), s.out);
    check_same_run(*saved, run, s.out);
    const long completed = cli::parse_metadata<long>(io::metadata_value(*saved, "train.completed_iterations"),
                                                     "train.completed_iterations", cli::checkpoint_path(s.out));
    if (io::find_metadata(*saved, "train.finished") == "yes") {
      std::printf("%s already holds this run, finished after %ld iterations: nothing to do (--restart trains again)\n",
                  cli::checkpoint_path(s.out).c_str(), completed);
      std::printf("test_nll: %s\n", io::metadata_value(*saved, "test_nll").c_str());
      return 0;
    }
    io::restore_parameters(*saved, model.model());
    if (!saved->optimizer) throw io_error(cli::checkpoint_path(s.out).string() + " has no optimizer state to resume with");
    adam.import_state(*saved->optimizer, model.model().parameters());
    options.completed_iterations = completed;
    std::printf("resuming from %s at iteration %ld of %ld\n", cli::checkpoint_path(s.out).c_str(), completed,
                options.iterations);
  }
  std::fflush(stdout);

  // Rank 0 writes (checkpoints along the way, the model at the end); a rerun resumes from them.
  auto save = [&](long completed, io::checkpoint_metadata status) {
    if (group.rank() != 0) return;
    io::checkpoint_metadata meta = run;
    meta.emplace_back("train.completed_iterations", std::to_string(completed));
    for (auto& entry : status) meta.push_back(std::move(entry));
    cli::save_model_dir(s.out, model, layout, std::move(meta), adam.export_state());
  };
  options.checkpoint_every = s.checkpoint_every;
  options.on_checkpoint = [&](long it) { save(it, {{"train.finished", "no"}}); };

  // Every process trains on its shard of the training rows and scores its shard of the held-out ones.
  const train::dataset<Scalar> standardized{.x = layout.standardizer.apply(train_rows.x), .labels = train_rows.labels};
  const train::training_summary summary = model.fit(adam, train::shard(standardized, group), options);
  const train::dataset<Scalar> my_test = train::shard(test_rows, group);
  const double test_nll = parallel::mean_over_processes(
      group, -data_log_prob(model, layout, my_test.x, my_test.labels, s.threads).cast<double>().sum(), my_test.rows());

  char nll_text[32];
  std::snprintf(nll_text, sizeof nll_text, "%.6f", test_nll);
  save(summary.iterations, {{"train.finished", "yes"},
                            {"train.data", std::filesystem::absolute(s.data).string()},
                            {"train.rows", std::to_string(n - held_out)},
                            {"train.held_out_rows", std::to_string(held_out)},
                            {"train.iterations", std::to_string(summary.iterations)},
                            {"train.batch", std::to_string(options.batch)},
                            {"train.seed", std::to_string(s.seed)},
                            {"train.processes", std::to_string(group.size())},
                            {"train.seconds", std::to_string(summary.seconds)},
                            {"test_nll", nll_text}});
  std::printf("model written to %s\n", cli::checkpoint_path(s.out).c_str());
  std::printf("test_nll: %.4f\n", test_nll);
  return 0;
}

// ---- sample ---------------------------------------------------------------------------------

struct sample_settings {
  std::string model;
  index_t n = 0;
  std::optional<index_t> class_id;
  std::uint64_t seed = 1;
  int threads = 1;  // not every core by default: the draws of a seed depend on the thread count
  std::string out;
};

/// n class ids: all `fixed`, or drawn from the training rows' class frequencies.
std::vector<index_t> draw_classes(const std::vector<double>& counts, index_t n, std::optional<index_t> fixed,
                                  random_engine& rng) {
  if (fixed) return std::vector<index_t>(static_cast<std::size_t>(n), *fixed);
  std::discrete_distribution<index_t> prior(counts.begin(), counts.end());
  std::vector<index_t> out(static_cast<std::size_t>(n));
  for (auto& c : out) c = prior(rng);
  return out;
}

int sample_command(const sample_settings& s) {
  const cli::loaded_model loaded = cli::load_model_dir(s.model);
  const cli::saved_model& model = *loaded.model;
  const cli::data_layout& layout = loaded.layout;
  if (s.n < 1) throw value_error("-n must be positive");
  if (s.class_id && !model.conditional()) {
    throw value_error("--class given, but the model in " + s.model + " is not class-conditional");
  }
  if (s.class_id && (*s.class_id < 0 || *s.class_id >= model.recipe().classes)) {
    throw value_error("--class " + std::to_string(*s.class_id) + " is outside the model's classes 0.." +
                      std::to_string(model.recipe().classes - 1));
  }
  cli::format_of(s.out);  // an unknown output type fails before sampling
  random_engine rng(s.seed);
  const std::vector<index_t> labels =
      model.conditional() ? draw_classes(layout.class_counts, s.n, s.class_id, rng) : std::vector<index_t>{};
  matrix<Scalar> x = layout.standardizer.invert(model.sample(s.n, rng, labels, s.threads));
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
  cli::write_table(s.out, x, names);
  std::printf("%ld samples written to %s\n", static_cast<long>(s.n), s.out.c_str());
  return 0;
}

// ---- logprob --------------------------------------------------------------------------------

struct logprob_settings {
  std::string model;
  std::string data;
  std::string out;
  int threads = parallel::hardware_threads();
};

/// log Σ_c exp(a_c), row by row, without overflow.
matrix<Scalar> log_sum_exp_columns(const matrix<Scalar>& a) {
  const vector<Scalar> top = a.rowwise().maxCoeff();
  matrix<Scalar> out(a.rows(), 1);
  for (index_t i = 0; i < a.rows(); ++i) {
    out(i, 0) = std::isinf(top(i)) ? top(i) : top(i) + std::log((a.row(i).array() - top(i)).exp().sum());
  }
  return out;
}

int logprob_command(const logprob_settings& s) {
  const cli::loaded_model loaded = cli::load_model_dir(s.model);
  const cli::saved_model& model = *loaded.model;
  const cli::data_layout& layout = loaded.layout;
  cli::format_of(s.out);
  cli::table<Scalar> t;
  std::tie(t.values, t.column_names) = cli::read_columns<Scalar>(s.data);
  const index_t d = model.dim();
  if (model.conditional() && t.values.cols() == d + 1) {
    cli::split_label_column(s.data, t, std::min(layout.label_position.value_or(d), d));
  } else if (t.values.cols() != d) {
    throw shape_error(s.data + " has " + std::to_string(t.values.cols()) + " columns, the model in " + s.model +
                      " expects " + std::to_string(d) + (model.conditional() ? " (or one more: the class label)" : ""));
  }
  train::dataset<Scalar>{.x = t.values, .labels = t.labels}.validate(s.data);
  matrix<Scalar> log_p;
  if (!model.conditional() || !t.labels.empty()) {
    log_p = data_log_prob(model, layout, t.values, t.labels, s.threads);
  } else {  // no labels: the marginal log Σ_c p(x | c) p(c) with p(c) from the training rows
    const double total = std::accumulate(layout.class_counts.begin(), layout.class_counts.end(), 0.0);
    matrix<Scalar> joint(t.values.rows(), model.recipe().classes);
    for (index_t c = 0; c < joint.cols(); ++c) {
      const std::vector<index_t> labels(static_cast<std::size_t>(t.values.rows()), c);
      const double log_prior = std::log(layout.class_counts[static_cast<std::size_t>(c)] / total);
      joint.col(c) = (data_log_prob(model, layout, t.values, labels, s.threads).array() + static_cast<Scalar>(log_prior)).matrix();
    }
    log_p = log_sum_exp_columns(joint);
  }
  cli::write_table(s.out, log_p, {"log_prob"});
  std::printf("%ld log-densities written to %s (mean %.4f nats)\n", static_cast<long>(log_p.rows()), s.out.c_str(),
              log_p.cast<double>().mean());
  return 0;
}

// ---- info -----------------------------------------------------------------------------------

int info_command(const std::string& dir) {
  cli::loaded_model loaded = cli::load_model_dir(dir);
  cli::saved_model& model = *loaded.model;
  const cli::model_recipe& r = model.recipe();
  const auto& ckpt = loaded.checkpoint;
  std::printf("model: %s\n", cli::checkpoint_path(dir).c_str());
  std::printf("kind: %s, %ld dimensions, %s\n", r.kind.c_str(), static_cast<long>(r.dim),
              r.classes > 0 ? ("conditional on " + std::to_string(r.classes) + " classes").c_str() : "unconditional");
  std::printf("architecture: %s\n", ckpt.architecture.c_str());
  std::printf("parameters: %ld in %zu tensors\n", static_cast<long>(model.model().parameters().count()), ckpt.parameters.size());
  if (ckpt.optimizer) std::printf("optimizer: %s, step %ld\n", ckpt.optimizer->kind.c_str(), static_cast<long>(ckpt.optimizer->step));
  for (const auto& [key, value] : ckpt.metadata) {
    if (key.rfind("train.", 0) == 0 || key == "test_nll") std::printf("%s: %s\n", key.c_str(), value.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"eigenflow " EIGENFLOW_VERSION_STRING ": train normalizing flows on a data file, sample from them, "
               "evaluate log-densities."};
  app.set_version_flag("--version", "eigenflow " EIGENFLOW_VERSION_STRING);
  app.require_subcommand(1);

  train_settings ts;
  CLI::App* train_app = app.add_subcommand("train", "train a flow; writes DIR/model.ckpt and prints test_nll last");
  train_app->add_option("--data", ts.data, "data file: .csv (header optional) or .npy, one row per sample")->required();
  train_app->add_option("--label-col", ts.label_col,
                        "column of integer class ids 0..C-1 (negative: from the end): trains p(x | class)");
  train_app->add_option("--model", ts.model, std::string("flow: ") + cli::model_kinds)->capture_default_str();
  train_app->add_option("--iters", ts.iters, "training iterations (default 2000; 1000 for cnf/ffjord)")->check(CLI::PositiveNumber);
  train_app->add_option("--batch", ts.batch, "batch size (default 256; 100 for cnf/ffjord)")->check(CLI::PositiveNumber);
  train_app->add_option("--lr", ts.lr, "learning rate (Adam)")->check(CLI::PositiveNumber)->capture_default_str();
  train_app->add_option("--hidden", ts.hidden, "hidden width (default 128; 64 for cnf/ffjord)")->check(CLI::PositiveNumber);
  train_app->add_option("--layers", ts.layers, "hidden layers (default 2; 3 for cnf/ffjord)")->check(CLI::PositiveNumber);
  train_app->add_option("--couplings", ts.couplings, "coupling layers")->check(CLI::PositiveNumber)->capture_default_str();
  train_app->add_option("--holdout", ts.holdout, "fraction of rows held out for test_nll")->capture_default_str();
  train_app->add_option("--seed", ts.seed, "random seed (split, initialization, batches)")->capture_default_str();
  train_app->add_option("--progress", ts.progress, "progress display: " + known_names(train::progress_mode_names) + " (auto: a bar on a terminal, else lines)")->capture_default_str();
  train_app->add_option("--threads", ts.threads, "worker threads: each batch split across them")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train_app->add_option("--checkpoint-every", ts.checkpoint_every,
                        "save DIR/model.ckpt every N iterations (0: only at the end); rerunning the same command "
                        "resumes from it")->check(CLI::NonNegativeNumber)->capture_default_str();
  train_app->add_flag("--restart", ts.restart, "train from scratch even if DIR holds a checkpoint of this or another run");
  train_app->add_option("--out", ts.out, "model directory to write")->required();

  sample_settings ss;
  CLI::App* sample_app = app.add_subcommand("sample", "draw samples from a trained model");
  sample_app->add_option("--model", ss.model, "model directory (from eigenflow train)")->required();
  sample_app->add_option("-n", ss.n, "number of samples")->required()->check(CLI::PositiveNumber);
  sample_app->add_option("--class", ss.class_id, "class to sample (conditional models; default: drawn from the "
                                                 "training frequencies)");
  sample_app->add_option("--seed", ss.seed, "random seed")->capture_default_str();
  sample_app->add_option("--threads", ss.threads,
                         "worker threads, each drawing a block of rows (the draws of a seed depend on N)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  sample_app->add_option("--out", ss.out, "output file, .npy or .csv")->required();

  logprob_settings ls;
  CLI::App* logprob_app = app.add_subcommand("logprob", "log-density of each row of a data file, in the data's units");
  logprob_app->add_option("--model", ls.model, "model directory (from eigenflow train)")->required();
  logprob_app->add_option("--data", ls.data,
                          "data file with the training file's columns (for a conditional model, without the label "
                          "column: log p(x) summed over classes)")->required();
  logprob_app->add_option("--out", ls.out, "output file, .npy or .csv (one column)")->required();
  logprob_app->add_option("--threads", ls.threads, "worker threads: the rows split across them")
      ->check(CLI::PositiveNumber)->capture_default_str();

  std::string info_dir;
  CLI::App* info_app = app.add_subcommand("info", "describe a trained model");
  info_app->add_option("--model", info_dir, "model directory")->required();

  // CLI11 would take an unknown verb for a stray argument and ask for a subcommand.
  const auto verbs = std::as_const(app).get_subcommands([](const CLI::App*) { return true; });
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(verbs.begin(), verbs.end(), [&](const CLI::App* v) { return v->get_name() == argv[1]; })) {
    std::fprintf(stderr, "eigenflow: unknown command '%s' (known: train, sample, logprob, info)\n", argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForVersion& e) {
    std::printf("%s\n", e.what());
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "eigenflow: %s (see eigenflow --help)\n", e.what());
    return 2;
  }
  const std::string verb = app.get_subcommands().front()->get_name();
  parallel::single_process alone;
  parallel::process_group* group = &alone;
#ifdef EIGENFLOW_CLI_WITH_MPI
  // Under mpirun, train runs data parallel over the ranks; every other verb, and train started
  // without a launcher, never touches MPI.
  std::optional<distributed::mpi_session> mpi;
  std::optional<distributed::mpi_group> world;
  if (*train_app && distributed::launched_by_mpi()) {
    try {
      mpi.emplace(argc, argv);
      world.emplace();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eigenflow train: %s\n", e.what());
      return 1;
    }
    group = &*world;
    if (train_app->count("--threads") == 0) {  // share the machine's cores among the ranks on it
      const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
      const int ranks_here = local ? std::max(1, std::atoi(local)) : 1;
      ts.threads = std::max(1, parallel::hardware_threads() / ranks_here);
    }
    if (group->rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr) return 1;  // rank 0 speaks for the job
  }
#endif
  try {
    if (*train_app) return train_command(ts, *group);
    if (*sample_app) return sample_command(ss);
    if (*logprob_app) return logprob_command(ls);
    return info_command(info_dir);
  } catch (const std::exception& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');  // one line, whatever the message
    if (group->size() > 1) {
      // The other ranks may be waiting in a collective for this one: end the whole job.
      std::fprintf(stderr, "eigenflow %s (rank %d of %d): %s\n", verb.c_str(), group->rank(), group->size(), message.c_str());
      std::fflush(stderr);
#ifdef EIGENFLOW_CLI_WITH_MPI
      MPI_Abort(MPI_COMM_WORLD, 1);
#endif
      return 1;
    }
    std::fprintf(stderr, "eigenflow %s: %s\n", verb.c_str(), message.c_str());
    return 1;
  }
}
