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
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "eigenflow/eigenflow.hpp"
#include "eigenflow/plot.hpp"
#include "fmnist_common.hpp"

namespace {

using namespace fmnist_example;

struct settings : common_settings {
  bool classes = false;
};

int run(const settings& s) {
  const fmnist_data d = load(s, s.classes);
  random_engine rng(s.seed);
  flows::flow<float> model =
      make_model({.levels = s.levels,
                  .steps = s.steps,
                  .width = s.width,
                  .condition = {.classes = s.classes ? index_t(data::fashion_mnist_classes.size()) : 0}},
                 rng);
  initialize(model, d, s.seed);
  std::printf(
      "fmnist_glow: %d levels x %d steps, width %ld%s, %ld parameters; %ld training / %ld validation / %ld "
      "test images; %d thread%s\n",
      s.levels, s.steps, static_cast<long>(s.width), s.classes ? ", class-conditional" : "",
      static_cast<long>(model.parameters().count()), static_cast<long>(d.train.rows()),
      static_cast<long>(d.validation.rows()), static_cast<long>(d.test.rows()), s.threads, s.threads == 1 ? "" : "s");
  std::fflush(stdout);

  optim::adam<float> adam = train::make_optimizer<float>(trainer_options(s));
  fit(model, adam, s, d);
  const double test_bpd = bits_per_dimension(mean_log_prob(model, d.test));

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
    plot::write_png(out / name, plot::image_grid(x, height, width, static_cast<int>(per_row), 0.0, 1.0, 3));
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
  s.out = "out/fmnist_glow";
  const auto own_options = [](CLI::App& app, settings& s) {
    app.add_flag("--classes", s.classes, "class-conditional: every conditioner sees the class");
  };
  return main_of(argc, argv, "fmnist_glow", "Train Glow's multi-scale flow on Fashion-MNIST; prints test_bpd last.", s,
                 true, own_options, run);
}
