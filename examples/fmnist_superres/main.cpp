// examples/fmnist_superres/main.cpp — super-resolution on Fashion-MNIST: a Glow-style flow of the
// 28×28 image conditioned on its low-resolution version (f×f block averages, 14×14 or 7×7), which
// every coupling's conditioner sees pixel by pixel at its own resolution (glow_options::
// context_image).
//
//   fmnist_superres [--factor 2|4] [--temperature T] [common options of fmnist_glow]
//
// Prints `test_bpd:` last: bits per dimension of the full image given its low-resolution version
// (the discrete sense of docs/images.md), to compare with fmnist_glow's unconditional figure.
// Writes DIR/superres.png, a row per test image: the low-resolution input (enlarged), samples at
// temperature T, and the truth; and DIR/model.ckpt.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>

#include "eigenflow/eigenflow.hpp"
#include "eigenflow/plot.hpp"
#include "fmnist_common.hpp"

namespace {

using namespace fmnist_example;

struct settings : common_settings {
  index_t factor = 2;
  double temperature = 0.7;
};

int run(const settings& s) {
  const image_shape low{1, height / s.factor, width / s.factor};
  // The context: block averages on the 0..1 scale, computed from the pixel values.
  const auto add_low_resolution = [&](train::dataset<float>& d) {
    d.features = block_averages(d.x, s.factor) / 255.0f;
  };
  const fmnist_data d = load(s, false, add_low_resolution);
  random_engine rng(s.seed);
  flows::flow<float> model = make_model({.levels = s.levels,
                                         .steps = s.steps,
                                         .width = s.width,
                                         .condition = {.features = low.size()},
                                         .context_image = low},
                                        rng);
  initialize(model, d, s.seed);
  std::printf(
      "fmnist_superres: 28x28 given %s, %d levels x %d steps, width %ld, %ld parameters; %ld training / %ld "
      "validation / %ld test images; %d thread%s\n",
      low.to_string().c_str(), s.levels, s.steps, static_cast<long>(s.width),
      static_cast<long>(model.parameters().count()), static_cast<long>(d.train.rows()),
      static_cast<long>(d.validation.rows()), static_cast<long>(d.test.rows()), s.threads, s.threads == 1 ? "" : "s");
  std::fflush(stdout);

  optim::adam<float> adam = train::make_optimizer<float>(trainer_options(s));
  fit(model, adam, s, d);
  const double test_bpd = bits_per_dimension(mean_log_prob(model, d.test));

  // A row per test image: the input enlarged to 28×28, `samples` draws, the truth.
  const index_t shown = std::min<index_t>(8, d.test.rows()), samples = 4, per_row = samples + 2;
  const resampled_image enlarge = resampled_columns(low, height, width);
  const train::dataset<float> inputs = d.test.rows_range(0, shown);
  matrix<float> repeated(shown * samples, low.size());
  for (index_t i = 0; i < shown; ++i) repeated.middleRows(i * samples, samples).rowwise() = inputs.features.row(i);
  random_engine sample_rng(s.seed + 11);
  const matrix<float> z = float(s.temperature) * normal_matrix<float>(shown * samples, pixels, sample_rng);
  const matrix<float> drawn = model.bijection().inverse(z, {.features = &repeated}).value;
  const matrix<float> enlarged = gather_cols(inputs.features, std::span<const index_t>(enlarge.columns));
  matrix<float> grid(shown * per_row, pixels);
  for (index_t i = 0; i < shown; ++i) {
    grid.row(i * per_row) = enlarged.row(i);
    grid.middleRows(i * per_row + 1, samples) = drawn.middleRows(i * samples, samples);
    grid.row(i * per_row + per_row - 1) = inputs.x.row(i);
  }
  const std::filesystem::path out(s.out);
  std::filesystem::create_directories(out);
  plot::write_png(out / "superres.png", plot::image_grid(grid, height, width, static_cast<int>(per_row), 0.0, 1.0, 3));
  io::save_checkpoint(out / "model.ckpt", io::make_checkpoint(model,
                                                              {{"example", "fmnist_superres"},
                                                               {"low_resolution", low.to_string()},
                                                               {"test_bpd", std::to_string(test_bpd)}},
                                                              adam.export_state()));
  std::printf("superres.png (input | %ld samples at T=%g | truth) and model.ckpt written to %s\n",
              static_cast<long>(samples), s.temperature, out.c_str());
  std::printf("test_bpd: %.4f\n", test_bpd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  s.out = "out/fmnist_superres";
  const auto own_options = [](CLI::App& app, settings& s) {
    app.add_option("--factor", s.factor, "the input is f x f block averages: 2 (14x14) or 4 (7x7)")
        ->check(CLI::IsMember({2, 4}))
        ->capture_default_str();
    app.add_option("--temperature", s.temperature, "samples draw z ~ N(0, T^2 I)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
  };
  return main_of(argc, argv, "fmnist_superres",
                 "Train a flow of Fashion-MNIST images given their low-resolution versions; prints test_bpd last.", s,
                 true, own_options, run);
}
