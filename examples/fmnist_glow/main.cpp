// examples/fmnist_glow/main.cpp — Glow's multi-scale flow on Fashion-MNIST (28×28 grayscale, 10
// classes), unconditional or class-conditional.
//
//   fmnist_glow [--data DIR] [--iters N] [--batch B] [--lr R] [--levels L] [--steps K] [--width W]
//               [--train-rows N] [--validation-rows N] [--test-rows N] [--classes] [--threads T]
//               [--seed S] [--out DIR] [--progress auto|bar|lines|quiet]
//
// Data: Debian's dataset-fashion-mnist (scripts/install-deps.sh --images). Pixels are dequantized
// with fresh uniform noise per batch, x = (pixel + u)/256 in (0, 1), then the model is
// logit(α + (1 − 2α)x) (α = 1e-6, as FFJORD) followed by make_glow's flow, so log p(x) includes
// the logit's log-det. Trains on the train split less the validation rows, keeps the best
// parameters on those, and only then scores the test split: bits per dimension in the discrete
// sense, bpd = (−log p(x) + 784·log 256) / (784·ln 2), with x on the 0..1 scale (docs/images.md).
// Writes DIR/samples_T{0.5,0.75,1}.png (temperatures: z ~ N(0, T²I)), a row per class with
// --classes, and DIR/model.ckpt; the last line is `test_bpd: <bits per dimension>`.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "eigenflow/eigenflow.hpp"
#include "eigenflow/plot.hpp"

namespace {

using namespace eigenflow;

constexpr index_t pixels = data::fashion_mnist_pixels;
constexpr double logit_alpha = 1e-6;

struct settings {
  std::string data = std::string(data::fashion_mnist_default_directory);
  long iters = 6000;
  index_t batch = 64;
  double lr = 1e-3;
  int levels = 2;
  int steps = 4;
  index_t width = 64;
  index_t train_rows = 0;  // 0: all of the train split but the validation rows
  index_t validation_rows = 2000;
  index_t test_rows = 10000;
  bool classes = false;
  int threads = 2;
  std::uint64_t seed = 1;
  std::string out = "out/fmnist_glow";
  std::string progress = "auto";
};

/// Bits per dimension of pixels on the 0..255 scale, from log p of x = (pixel + u)/256.
double bits_per_dimension(double mean_log_p) {
  return (-mean_log_p + double(pixels) * std::log(256.0)) / (double(pixels) * std::log(2.0));
}

/// x = (pixel + u)/256 with u ~ U[0, 1) from `rng`.
matrix<float> dequantized(const matrix<float>& pixel_values, random_engine& rng) {
  const matrix<float> u = uniform_matrix<float>(pixel_values.rows(), pixel_values.cols(), 0.0, 1.0, rng);
  return ((pixel_values.array() + u.array()) / 256.0f).matrix();
}

train::dataset<float> rows_of(const data::fashion_mnist_set<float>& set, index_t begin, index_t count, bool labels) {
  train::dataset<float> d{.x = set.images.middleRows(begin, count)};
  if (labels) d.labels.assign(set.labels.begin() + begin, set.labels.begin() + begin + count);
  return d;
}

/// The logit layer, then Glow's flow, over an N(0, I) base.
flows::flow<float> make_model(const settings& s, random_engine& rng) {
  const flows::flow<float> glow = flows::make_glow<float>(
      {.image = {1, data::fashion_mnist_height, data::fashion_mnist_width},
       .levels = s.levels,
       .steps = s.steps,
       .width = s.width,
       .condition = {.classes = s.classes ? index_t(data::fashion_mnist_classes.size()) : 0}},
      rng);
  auto layers = std::make_unique<flows::composite<float>>(pixels);
  layers->add(flows::logit<float>(pixels, logit_alpha));
  layers->push_back(glow.bijection().clone());
  return flows::flow<float>(std::make_unique<distributions::standard_normal<float>>(pixels), std::move(layers));
}

int run(const settings& s) {
  const data::fashion_mnist_set<float> train_split = data::load_fashion_mnist<float>(s.data, data::fashion_mnist_split::train);
  const data::fashion_mnist_set<float> test_split = data::load_fashion_mnist<float>(s.data, data::fashion_mnist_split::test);
  const index_t available = train_split.images.rows() - s.validation_rows;
  if (s.validation_rows < s.batch || available < s.batch) {
    throw value_error("need at least one batch of validation and of training rows, got " +
                      std::to_string(s.validation_rows) + " and " + std::to_string(available));
  }
  const index_t train_rows = s.train_rows > 0 ? std::min(s.train_rows, available) : available;
  const index_t test_rows = std::min(s.test_rows, test_split.images.rows());
  // The validation rows are the last of the train split; the training rows the first.
  const train::dataset<float> train_set = rows_of(train_split, 0, train_rows, s.classes);
  random_engine noise(s.seed + 7);
  train::dataset<float> validation_set = rows_of(train_split, available, s.validation_rows, s.classes);
  validation_set.x = dequantized(validation_set.x, noise);  // one fixed draw, so evaluations compare
  train::dataset<float> test_set = rows_of(test_split, 0, test_rows, s.classes);
  test_set.x = dequantized(test_set.x, noise);

  random_engine rng(s.seed);
  flows::flow<float> model = make_model(s, rng);
  {
    random_engine init_noise(s.seed + 3);
    const index_t init_rows = std::min<index_t>(512, train_rows);
    const train::dataset<float> first = train_set.rows_range(0, init_rows);
    model.initialize(dequantized(first.x, init_noise), first.context());
  }
  std::printf("fmnist_glow: %d levels x %d steps, width %ld%s, %ld parameters; %ld training / %ld validation / %ld "
              "test images; %d thread%s\n",
              s.levels, s.steps, static_cast<long>(s.width), s.classes ? ", class-conditional" : "",
              static_cast<long>(model.parameters().count()), static_cast<long>(train_rows),
              static_cast<long>(s.validation_rows), static_cast<long>(test_rows), s.threads, s.threads == 1 ? "" : "s");
  std::fflush(stdout);

  const train::trainer_options o{.iterations = s.iters,
                                 .batch = s.batch,
                                 .learning_rate = s.lr,
                                 .clip = 50,
                                 .schedule = train::schedule_kind::cosine,
                                 .warmup = s.iters / 20,
                                 .evaluate_every = std::max<long>(1, s.iters / 10),
                                 .seed = s.seed,
                                 .progress = train::parse_progress_mode(s.progress),
                                 .threads = s.threads};
  optim::adam<float> adam = train::make_optimizer<float>(o);
  const auto fresh_noise = [](train::dataset<float>& b, random_engine& r) { b.x = dequantized(b.x, r); };
  const train::training_summary summary = train::fit(model, adam, train_set, &validation_set, o, fresh_noise);
  std::printf("trained %ld iterations in %.1f s (%.0f ms each); best validation %.4f bits/dim at iteration %ld\n",
              summary.iterations, summary.seconds, 1e3 * summary.seconds / double(std::max(1L, summary.iterations)),
              bits_per_dimension(-summary.best_validation_nll), summary.best_iteration);

  const double test_bpd = bits_per_dimension(model.log_prob(test_set.x, test_set.context()).mean());

  const std::filesystem::path out(s.out);
  std::filesystem::create_directories(out);
  const index_t per_row = 10, rows = s.classes ? index_t(data::fashion_mnist_classes.size()) : 6;
  std::vector<index_t> labels;
  if (s.classes) {
    for (index_t c = 0; c < rows; ++c) labels.insert(labels.end(), per_row, c);
  }
  context<matrix<float>> sample_context;
  sample_context.labels = labels;
  for (const float temperature : {0.5f, 0.75f, 1.0f}) {
    random_engine sample_rng(s.seed + 11);
    const matrix<float> z = temperature * normal_matrix<float>(rows * per_row, pixels, sample_rng);
    const matrix<float> x = model.bijection().inverse(z, sample_context).value;
    char name[64];
    std::snprintf(name, sizeof name, "samples_T%g.png", double(temperature));
    plot::write_png(out / name, plot::image_grid(x, data::fashion_mnist_height, data::fashion_mnist_width,
                                                 static_cast<int>(per_row), 0.0, 1.0, 3));
  }
  io::save_checkpoint(out / "model.ckpt",
                      io::make_checkpoint(model, {{"example", "fmnist_glow"}, {"test_bpd", std::to_string(test_bpd)}},
                                          adam.export_state()));
  std::printf("samples_T0.5.png, samples_T0.75.png, samples_T1.png and model.ckpt written to %s\n", out.c_str());
  std::printf("test_bpd: %.4f\n", test_bpd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"Train Glow's multi-scale flow on Fashion-MNIST; prints test_bpd last."};
  app.add_option("--data", s.data, "directory of the IDX files (Debian: dataset-fashion-mnist)")->capture_default_str();
  app.add_option("--iters", s.iters, "training steps")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch", s.batch, "images per step")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", s.lr, "peak learning rate (cosine schedule, warm-up)")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--levels", s.levels, "scales (28 must be divisible by 2^levels: 1 or 2)")->check(CLI::Range(1, 2))
      ->capture_default_str();
  app.add_option("--steps", s.steps, "ActNorm, 1x1 conv, coupling steps per level")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--width", s.width, "hidden channels of each coupling's conditioner")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--train-rows", s.train_rows, "training images (0: all but the validation rows)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--validation-rows", s.validation_rows, "validation images (the last of the train split)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--test-rows", s.test_rows, "test images scored at the end")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--classes", s.classes, "class-conditional: every conditioner sees the class");
  app.add_option("--threads", s.threads, "threads for each step")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--seed", s.seed, "seed of the model, the batches and the noise")->capture_default_str();
  app.add_option("--out", s.out, "directory for the pictures and the checkpoint")->capture_default_str();
  app.add_option("--progress", s.progress, "auto, bar, lines or quiet")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fmnist_glow: %s\n", e.what());
    return 1;
  }
}
