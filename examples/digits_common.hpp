// examples/digits_common.hpp — what the two digits examples share: the split into training,
// validation and test rows, dequantization and standardization (fresh noise per batch through
// train::fit's batch hook), bits per pixel on the 0..17 scale, the sample grid and the options
// both take.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "eigenflow/eigenflow.hpp"
#include "eigenflow/plot.hpp"

#ifndef EIGENFLOW_EXAMPLES_DATA
#define EIGENFLOW_EXAMPLES_DATA "examples/data"
#endif

namespace digits_example {

using namespace eigenflow;

// Fixed seeds: the validation rows and the noise of the evaluation sets do not move with --seed,
// so that runs with different seeds or settings are scored on the same numbers.
inline constexpr std::uint64_t split_seed = 1001;
inline constexpr std::uint64_t standardizer_noise_seed = 1002;
inline constexpr std::uint64_t validation_noise_seed = 1003;
inline constexpr std::uint64_t test_noise_seed = 1004;

inline std::string default_data_path() { return std::string(EIGENFLOW_EXAMPLES_DATA) + "/digits.csv"; }

/// The options both examples take (each adds its model's own).
struct common_settings {
  std::string data = default_data_path();
  long iters = 0;
  index_t batch = 0;
  double lr = 0;
  double clip = 0;
  double validation_fraction = 0.1;
  long evaluate_every = 0;
  std::uint64_t seed = 1;
  std::string out;
  std::string progress = "auto";
  int threads = parallel::hardware_threads();
};

inline void add_common_options(CLI::App& app, common_settings& s) {
  app.add_option("--data", s.data, "the digits CSV (64 pixels 0..16 and a label per row)")->capture_default_str();
  app.add_option("--iters", s.iters, "training iterations")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch", s.batch, "batch size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", s.lr, "peak learning rate (cosine schedule)")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--clip", s.clip, "global gradient-norm bound")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--validation", s.validation_fraction, "fraction of the train split held out for keep-best")
      ->check(CLI::Range(0.01, 0.5))->capture_default_str();
  app.add_option("--evaluate-every", s.evaluate_every, "iterations between validation evaluations")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", s.seed, "random seed (initialization, batches, dequantization noise, samples)")
      ->capture_default_str();
  app.add_option("--out", s.out, "output directory")->capture_default_str();
  app.add_option("--progress", s.progress, "auto (a bar on a terminal, else lines), bar, lines or quiet")
      ->check(CLI::IsMember({"auto", "bar", "lines", "quiet"}))->capture_default_str();
  app.add_option("--threads", s.threads, "worker threads for training steps and validation (default: every core)")
      ->check(CLI::PositiveNumber)->capture_default_str();
}

inline train::progress_mode parse_progress(const std::string& name) {
  if (name == "bar") return train::progress_mode::bar;
  if (name == "lines") return train::progress_mode::lines;
  if (name == "quiet") return train::progress_mode::quiet;
  return train::progress_mode::automatic;
}

/// The digits, split three ways. Training rows stay integer pixels: the batch hook dequantizes
/// each batch afresh. Validation rows are dequantized once (fixed seed) and standardized.
struct digits_data {
  data::standardizer<float> standardize;
  train::dataset<float> train;       // pixels 0..16 and labels
  train::dataset<float> validation;  // standardized dequantized pixels and labels
  data::labeled_images<float> test;  // pixels 0..16 and labels: scored only at the end
};

/// y = pixels + U[0, 1) from a fixed seed, standardized.
inline matrix<float> dequantized_standardized(const data::standardizer<float>& s, const matrix<float>& pixels,
                                              std::uint64_t seed) {
  random_engine rng(seed);
  return s.apply(data::dequantize(pixels, rng));
}

inline digits_data load(const std::string& path, double validation_fraction) {
  // The CSV reader's "cannot open" would not say which option to fix.
  const std::string hint = " (--data names the digits CSV)";
  if (!std::filesystem::exists(path)) throw io_error(path + ": no such file" + hint);
  if (!std::filesystem::is_regular_file(path)) throw io_error(path + ": not a regular file" + hint);
  data::digits_split<float> split = data::load_digits<float>(path);
  const auto n = static_cast<std::size_t>(split.train.pixels.rows());
  const auto held_out = static_cast<std::size_t>(validation_fraction * double(n) + 0.5);
  // The file cycles through the classes in order; a shuffled split keeps every class on both sides.
  std::vector<index_t> order(n);
  std::iota(order.begin(), order.end(), index_t(0));
  random_engine split_rng(split_seed);
  std::shuffle(order.begin(), order.end(), split_rng);
  const auto cut = order.begin() + static_cast<std::ptrdiff_t>(held_out);
  const train::dataset<float> all{split.train.pixels, split.train.labels};
  const train::dataset<float> validation_pixels = all.subset(std::vector<index_t>(order.begin(), cut));
  digits_data d;
  d.train = all.subset(std::vector<index_t>(cut, order.end()));
  random_engine fit_rng(standardizer_noise_seed);
  d.standardize = data::standardizer<float>::fit(data::dequantize(d.train.x, fit_rng));
  d.validation = {dequantized_standardized(d.standardize, validation_pixels.x, validation_noise_seed),
                  validation_pixels.labels};
  d.test = std::move(split.test);
  return d;
}

/// The batch hook: fresh U[0, 1) noise on every batch, then the standardization.
inline train::batch_hook<float> dequantize_batches(const data::standardizer<float>& s) {
  return [s](train::dataset<float>& batch, random_engine& rng) { batch.x = s.apply(data::dequantize(batch.x, rng)); };
}

/// Bits per pixel of dequantized images from log-densities of their standardized values (nats).
inline double bits_per_pixel(const data::standardizer<float>& s, const matrix<float>& log_p_standardized) {
  return data::bits_per_pixel(s.to_data_log_prob(log_p_standardized));
}

/// The same from a mean NLL of standardized values (train::fit's validation figure).
inline double bits_per_pixel(const data::standardizer<float>& s, double nll_standardized) {
  return (nll_standardized - double(s.log_det())) / (double(data::digits_pixels) * std::log(2.0));
}

/// Standardized samples drawn back on the 0..17 scale, `columns` to a row.
inline void write_sample_grid(const std::filesystem::path& path, const data::standardizer<float>& s,
                              const matrix<float>& samples_standardized, int columns) {
  plot::write_png(path, plot::image_grid(s.invert(samples_standardized), 8, 8, columns, 0.0,
                                         double(data::digits_levels), 4));
}

/// "v0,v1,..." for checkpoint metadata.
inline std::string join(const row_vector<float>& v) {
  std::string out;
  char buffer[32];
  for (index_t j = 0; j < v.size(); ++j) {
    std::snprintf(buffer, sizeof buffer, "%s%.9g", j > 0 ? "," : "", double(v(j)));
    out += buffer;
  }
  return out;
}

inline std::string format(double value, const char* spec = "%.6g") {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, value);
  return buffer;
}

/// The metadata both checkpoints carry: how the data were prepared and the run's size.
inline io::checkpoint_metadata common_metadata(const common_settings& s, const digits_data& d,
                                               const train::training_summary& summary, double test_bpd) {
  return {{"data", s.data},
          {"seed", std::to_string(s.seed)},
          {"iterations", std::to_string(summary.iterations)},
          {"best_iteration", std::to_string(summary.best_iteration)},
          {"validation_bpd", format(bits_per_pixel(d.standardize, summary.best_validation_nll))},
          {"test_bpd", format(test_bpd)},
          {"standardizer_mean", join(d.standardize.mean())},
          {"standardizer_scale", join(d.standardize.scale())}};
}

}  // namespace digits_example
