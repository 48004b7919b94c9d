// examples/fmnist_ffjord/main.cpp — FFJORD's image model on Fashion-MNIST at 14×14: a continuous
// flow whose dynamics are time-gated 3×3 convolutions (conv_concat_squash_dynamics), trained with
// Hutchinson's trace (exact-gradient through conv2d's tangent mode) and RNODE's kinetic and
// Jacobian penalties, which keep the number of ODE evaluations down.
//
//   fmnist_ffjord [--hidden C] [--layers L] [--solver S] [--tol T] [--steps N] [--grad adjoint|backprop]
//                 [--kinetic W] [--jacobian W] [--end-time T] [--samples N] [common options of fmnist_glow]
//
// Images: 2×2 block averages of the 28×28 pixels, rounded (196 pixels on 0..255, so bits per
// dimension keep their discrete sense), dequantized x = (pixel + u)/256, then logit(α + (1 − 2α)x)
// and a per-pixel standardization fitted on the training images; the flow models the result, and
// log p(x) adds both log-dets. Prints the evaluations per training step (forward + backward),
// the test bits/dim (a Hutchinson estimate: unbiased for log p, with a fixed seed) and
// `test_bpd:` last. Writes DIR/samples.png and DIR/model.ckpt.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "eigenflow/eigenflow.hpp"
#include "eigenflow/plot.hpp"
#include "fmnist_common.hpp"

namespace {

using namespace fmnist_example;

constexpr index_t low_side = 14;
constexpr index_t low_pixels = low_side * low_side;

struct settings : common_settings {
  index_t hidden = 32;
  int layers = 3;
  std::string solver = "dopri5";
  double tol = 1e-3;
  index_t steps = 8;  // fixed-step solvers
  std::string grad = "adjoint";
  double kinetic = 0.01;
  double jacobian = 0.01;
  double end_time = 1.0;
  index_t samples = 30;
};

/// logit, then the standardization: the values the flow models, and the log-det of both per row.
struct preprocessing {
  flows::logit<float> logit{low_pixels, logit_alpha};
  data::standardizer<float> standardize{low_pixels};

  matrix<float> apply(const matrix<float>& x, matrix<float>* log_det = nullptr) const {
    const auto y = logit.forward(x, {});
    if (log_det) *log_det = (y.log_det.array() + standardize.log_det()).matrix();
    return standardize.apply(y.value);
  }
};

int run(const settings& s) {
  // 14×14 images on the 0..255 scale, still integers.
  const auto downsample = [](train::dataset<float>& d) { d.x = block_averages(d.x, 2).array().round().matrix(); };
  fmnist_data d = load(s, false, downsample);
  preprocessing prep;
  {
    random_engine fit_noise(s.seed + 5);
    prep.standardize = data::standardizer<float>::fit(prep.logit.forward(dequantized(d.train.x, fit_noise), {}).value);
  }
  matrix<float> validation_log_det, test_log_det;
  d.validation.x = prep.apply(d.validation.x, &validation_log_det);
  d.test.x = prep.apply(d.test.x, &test_log_det);

  const image_shape image{1, low_side, low_side};
  random_engine rng(s.seed);
  continuous::dynamics_options network{.hidden_activation = activation::softplus, .zero_output = true};
  network.hidden.assign(static_cast<std::size_t>(s.layers), s.hidden);
  const ode::solver_options solve{
      .solver = ode::parse_method(s.solver), .atol = s.tol, .rtol = s.tol, .steps = s.steps};
  continuous::cnf<float> model(std::make_unique<distributions::standard_normal<float>>(low_pixels),
                               std::make_unique<continuous::conv_concat_squash_dynamics<float>>(image, rng, network),
                               {.training_trace = continuous::trace_estimator::hutchinson,
                                .evaluation_trace = continuous::trace_estimator::hutchinson,
                                .noise = continuous::noise_kind::rademacher,
                                .training_solver = solve,
                                .evaluation_solver = solve,
                                .gradient = continuous::parse_gradient_method(s.grad),
                                .end_time = s.end_time,
                                .learn_end_time = false,
                                .kinetic_weight = s.kinetic,
                                .jacobian_weight = s.jacobian});
  std::printf(
      "fmnist_ffjord: %s, %s at tol %g, %s gradients, T = %g, %ld parameters; %ld training / %ld validation / "
      "%ld test images of 14x14; %d thread%s\n",
      model.dynamics_function().describe().c_str(), s.solver.c_str(), s.tol, s.grad.c_str(), s.end_time,
      static_cast<long>(model.parameters().count()), static_cast<long>(d.train.rows()),
      static_cast<long>(d.validation.rows()), static_cast<long>(d.test.rows()), s.threads, s.threads == 1 ? "" : "s");
  std::fflush(stdout);

  optim::adam<float> adam = train::make_optimizer<float>(trainer_options(s));
  const auto to_model_space = [&](train::dataset<float>& b, random_engine&) { b.x = prep.apply(b.x); };
  const train::training_summary summary =
      fit(model, adam, s, d, to_model_space, {.dims = low_pixels, .validation_log_det = validation_log_det.mean()});
  std::printf("evaluations per step: %.1f forward + %.1f backward\n", summary.mean_forward_evaluations,
              summary.mean_backward_evaluations);

  const auto start = std::chrono::steady_clock::now();
  const double test_bpd = bits_per_dimension(mean_log_prob(model, d.test) + test_log_det.mean(), low_pixels);
  std::printf("test log_prob (Hutchinson estimate): %ld evaluations per solve, %.1f s\n",
              static_cast<long>(model.last_solve().evaluations),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  const std::filesystem::path out(s.out);
  std::filesystem::create_directories(out);
  random_engine sample_rng(s.seed + 11);
  const matrix<float> y = model.sample(s.samples, sample_rng);
  const matrix<float> x = prep.logit.inverse(prep.standardize.invert(y), {}).value;
  plot::write_png(out / "samples.png", plot::image_grid(x, low_side, low_side, 10, 0.0, 1.0, 3));
  io::save_checkpoint(out / "model.ckpt",
                      io::make_checkpoint(model, {{"example", "fmnist_ffjord"}, {"test_bpd", std::to_string(test_bpd)}},
                                          adam.export_state()));
  std::printf("samples.png and model.ckpt written to %s\n", out.c_str());
  std::printf("test_bpd: %.4f\n", test_bpd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  s.out = "out/fmnist_ffjord";
  s.iters = 300;
  s.validation_rows = 500;
  s.test_rows = 1000;
  const auto own_options = [](CLI::App& app, settings& s) {
    app.add_option("--hidden", s.hidden, "channels of each hidden layer")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--layers", s.layers, "hidden layers")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--solver", s.solver, "dopri5, cash_karp54, rk4 or euler")->capture_default_str();
    app.add_option("--tol", s.tol, "adaptive solvers: atol = rtol")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--steps", s.steps, "fixed-step solvers: steps over [0, T]")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--grad", s.grad, "adjoint or backprop")->capture_default_str();
    app.add_option("--kinetic", s.kinetic, "RNODE's kinetic-energy weight")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--jacobian", s.jacobian, "RNODE's Jacobian-norm weight")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--end-time", s.end_time, "T, fixed (RNODE)")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--samples", s.samples, "samples drawn into samples.png")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
  };
  return main_of(argc, argv, "fmnist_ffjord",
                 "Train FFJORD's convolutional continuous flow on 14x14 Fashion-MNIST; prints test_bpd last.", s, false,
                 own_options, run);
}
