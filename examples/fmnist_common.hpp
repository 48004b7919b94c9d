// examples/fmnist_common.hpp — what the Fashion-MNIST examples share: their options, the split
// into training, validation and test images, uniform dequantization (fresh noise per batch through
// train::fit's batch hook, one fixed draw for the held-out sets), the logit-then-Glow model, the
// training run with keep-best on validation, and bits per dimension in the discrete sense
// (docs/images.md): bpd = (−log p(x) + 784·log 256) / (784·ln 2), x = (pixel + u)/256 in (0, 1).
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "eigenflow/eigenflow.hpp"

namespace fmnist_example {

using namespace eigenflow;

inline constexpr index_t pixels = data::fashion_mnist_pixels;
inline constexpr index_t height = data::fashion_mnist_height;
inline constexpr index_t width = data::fashion_mnist_width;
inline constexpr double logit_alpha = 1e-6;       // FFJORD's: logit(α + (1 − 2α)x)
inline constexpr index_t evaluation_chunk = 500;  // rows scored at once, to bound memory

/// The options every Fashion-MNIST example takes (the Glow architecture's only the Glow ones);
/// each example sets its own defaults before parsing.
struct common_settings {
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
  int threads = 2;
  std::uint64_t seed = 1;
  std::string out;
  std::string progress = "auto";
};

inline void add_common_options(CLI::App& app, common_settings& s) {
  app.add_option("--data", s.data, "directory of the IDX files (Debian: dataset-fashion-mnist)")->capture_default_str();
  app.add_option("--iters", s.iters, "training steps")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch", s.batch, "images per step")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", s.lr, "peak learning rate (cosine schedule, warm-up)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--train-rows", s.train_rows, "training images (0: all but the validation rows)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--validation-rows", s.validation_rows, "validation images (the last of the train split)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--test-rows", s.test_rows, "test images scored at the end")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--threads", s.threads, "threads for each step")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--seed", s.seed, "seed of the model, the batches and the noise")->capture_default_str();
  app.add_option("--out", s.out, "directory for the pictures and the checkpoint")->capture_default_str();
  app.add_option("--progress", s.progress, "auto, bar, lines or quiet")->capture_default_str();
}

/// The Glow examples' architecture options.
inline void add_glow_options(CLI::App& app, common_settings& s) {
  app.add_option("--levels", s.levels, "scales (28 must be divisible by 2^levels: 1 or 2)")
      ->check(CLI::Range(1, 2))
      ->capture_default_str();
  app.add_option("--steps", s.steps, "ActNorm, 1x1 conv, coupling steps per level")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--width", s.width, "hidden channels of each coupling's conditioner")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

/// Bits per dimension of `dims` pixels on the 0..255 scale, from the mean log p of
/// x = (pixel + u)/256.
inline double bits_per_dimension(double mean_log_p, index_t dims = pixels) {
  return data::bits_per_dimension(mean_log_p, dims, 256);
}

/// x = (pixel + u)/256 with u ~ U[0, 1) from `rng`.
inline matrix<float> dequantized(const matrix<float>& pixel_values, random_engine& rng) {
  return data::dequantize_to_unit(pixel_values, 256, rng);
}

/// Images on the 0..255 scale averaged over f×f blocks: (28/f)×(28/f) images, in (0, 1) once
/// divided by 256 (what the super-resolution model is given).
inline matrix<float> block_averages(const matrix<float>& pixel_values, index_t f) {
  const index_t h = height / f, w = width / f;
  matrix<float> out = matrix<float>::Zero(pixel_values.rows(), h * w);
  for (index_t y = 0; y < height; ++y) {
    for (index_t x = 0; x < width; ++x) out.col((y / f) * w + x / f) += pixel_values.col(y * width + x);
  }
  return out / float(f * f);
}

/// The held-out images in a fixed dequantized draw, and the training images as pixel values.
struct fmnist_data {
  train::dataset<float> train;       ///< pixel values (0..255); the batch hook dequantizes
  train::dataset<float> validation;  ///< dequantized once
  train::dataset<float> test;        ///< dequantized once
};

/// Called on each set while x still holds pixel values (0..255): adds the context the model is
/// given, or changes the images (a smaller resolution, say).
using set_preparation = std::function<void(train::dataset<float>&)>;

/// The train split less its last `validation_rows` images (at most `train_rows` of them), those
/// validation images, and the first `test_rows` of the test split; labels when `labels`.
inline fmnist_data load(const common_settings& s, bool labels, const set_preparation& prepare = {}) {
  const data::fashion_mnist_set<float> train_split =
      data::load_fashion_mnist<float>(s.data, data::fashion_mnist_split::train);
  const data::fashion_mnist_set<float> test_split =
      data::load_fashion_mnist<float>(s.data, data::fashion_mnist_split::test);
  const index_t available = train_split.images.rows() - s.validation_rows;
  if (s.validation_rows < s.batch || available < s.batch) {
    throw value_error("need at least one batch of validation and of training rows, got " +
                      std::to_string(s.validation_rows) + " and " + std::to_string(available));
  }
  const auto rows_of = [&](const data::fashion_mnist_set<float>& set, index_t begin, index_t count) {
    train::dataset<float> d{.x = set.images.middleRows(begin, count)};
    if (labels) d.labels.assign(set.labels.begin() + begin, set.labels.begin() + begin + count);
    if (prepare) prepare(d);
    return d;
  };
  fmnist_data d{.train = rows_of(train_split, 0, s.train_rows > 0 ? std::min(s.train_rows, available) : available),
                .validation = rows_of(train_split, available, s.validation_rows),
                .test = rows_of(test_split, 0, std::min(s.test_rows, test_split.images.rows()))};
  random_engine noise(s.seed + 7);  // one fixed draw, so evaluations compare
  d.validation.x = dequantized(d.validation.x, noise);
  d.test.x = dequantized(d.test.x, noise);
  return d;
}

/// The logit layer, then make_glow's flow for `o` (its image is Fashion-MNIST's), over N(0, I).
inline flows::flow<float> make_model(flows::glow_options o, random_engine& rng) {
  o.image = {1, height, width};
  o.logit_alpha = logit_alpha;
  return flows::make_glow<float>(o, rng);
}

/// The data-dependent initialization (ActNorm) on the first 512 training images, dequantized and
/// then given to `extra_hook` as a training batch would be.
inline void initialize(flows::flow<float>& model, const fmnist_data& d, std::uint64_t seed,
                       const train::batch_hook<float>& extra_hook = {}) {
  random_engine init_noise(seed + 3);
  train::dataset<float> first = d.train.rows_range(0, std::min<index_t>(512, d.train.rows()));
  first.x = dequantized(first.x, init_noise);
  if (extra_hook) extra_hook(first, init_noise);
  model.initialize(first.x, first.context());
}

/// Mean log p over `set`, scored `evaluation_chunk` rows at a time.
template <density_model Model>
double mean_log_prob(const Model& model, const train::dataset<float>& set) {
  double total = 0;
  for (index_t begin = 0; begin < set.rows(); begin += evaluation_chunk) {
    const train::dataset<float> part = set.rows_range(begin, std::min(evaluation_chunk, set.rows() - begin));
    total += model.log_prob(part.x, part.context()).template cast<double>().sum();
  }
  return total / double(set.rows());
}

/// The trainer's settings for `s`: cosine schedule with 5% warm-up, ten validation evaluations.
inline train::trainer_options trainer_options(const common_settings& s) {
  return {.iterations = s.iters,
          .batch = s.batch,
          .learning_rate = s.lr,
          .clip = 50,
          .schedule = train::schedule_kind::cosine,
          .warmup = s.iters / 20,
          .evaluate_every = std::max<long>(1, s.iters / 10),
          .seed = s.seed,
          .progress = train::parse_progress_mode(s.progress),
          .threads = s.threads};
}

/// How the validation NLL the trainer reports becomes bits per dimension: `dims` pixels, and a
/// log-det the model does not see (a preprocessing's, averaged over the validation rows).
struct bpd_scale {
  index_t dims = pixels;
  double validation_log_det = 0;
};

/// Trains with Adam (cosine schedule, warm-up, clipping), fresh dequantization noise per batch,
/// then `extra_hook` if given, and keeps the parameters best on validation; prints what it did.
template <density_model Model>
train::training_summary fit(Model& model, optim::adam<float>& adam, const common_settings& s, const fmnist_data& d,
                            const train::batch_hook<float>& extra_hook = {}, const bpd_scale& scale = {}) {
  const train::trainer_options o = trainer_options(s);
  const auto hook = [&](train::dataset<float>& b, random_engine& r) {
    b.x = dequantized(b.x, r);
    if (extra_hook) extra_hook(b, r);
  };
  const train::training_summary summary = train::fit(model, adam, d.train, &d.validation, o, hook);
  std::printf("trained %ld iterations in %.1f s (%.0f ms each); best validation %.4f bits/dim at iteration %ld\n",
              summary.iterations, summary.seconds, 1e3 * summary.seconds / double(std::max(1L, summary.iterations)),
              bits_per_dimension(scale.validation_log_det - summary.best_validation_nll, scale.dims),
              summary.best_iteration);
  return summary;
}

/// An example's main(): parses the common options (and the Glow ones when `glow`), then those
/// `add_own` adds, and runs `run(settings)`, turning an exception into a message on stderr and
/// exit status 1.
template <class Settings, class AddOwn, class Run>
int main_of(int argc, char** argv, const char* program, const char* description, Settings s, bool glow,
            const AddOwn& add_own, const Run& run) {
  CLI::App app{description};
  add_common_options(app, s);
  if (glow) add_glow_options(app, s);
  add_own(app, s);
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace fmnist_example
