// examples/digits_ffjord/main.cpp — FFJORD on the 64-dimensional dequantized 8x8 digits
// (unconditional): Hutchinson's trace estimator and adjoint gradients in training, the exact
// trace when scoring.
//
//   digits_ffjord [--iters N] [--batch B] [--lr R] [--hidden H] [--layers L] [--solver dopri5]
//                 [--atol A] [--rtol R] [--seed S] [--data digits.csv] [--out DIR]
//                 [--progress auto|bar|lines|quiet]
//
// Data handling as digits_conditional (fresh dequantization noise per batch, standardized, 10%
// of the train split held out for keep-best, the test split scored once at the end). Writes
// DIR/samples.png (a grid of samples) and DIR/model.ckpt; the last line is
// `test_bpd: <bits per pixel>` (−mean log p(y), 0..17 scale, exact trace).
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "digits_common.hpp"

namespace {

using namespace eigenflow;
using namespace digits_example;

struct settings : common_settings {
  index_t hidden = 0;
  int layers = 0;
  std::string solver;
  double atol = 0;
  double rtol = 0;
  int steps = 0;
  double eval_tol = 0;  // 0: the training tolerances
  std::string noise;
  double end_time = 0;
  double weight_decay = 0;
  int samples = 100;
};

/// Measured on the validation rows within a ~10-minute budget on 2 cores: wider dynamics learn
/// faster but overfit the 1,350 images (hidden 512: train NLL 29 vs validation 49 nats); AdamW
/// decay 1 holds that back (much more also decays the end time T = tau^2 towards 0 and stalls
/// training). Tolerances 1e-3..1e-5 gave the same likelihoods; 1e-5 costs 1.5x the evaluations.
settings defaults() {
  settings s;
  s.iters = 8000;
  s.batch = 128;
  s.lr = 3e-3;
  s.clip = 10;
  s.evaluate_every = 500;
  s.out = "out/digits_ffjord";
  s.hidden = 256;
  s.layers = 2;
  s.solver = "dopri5";
  s.atol = 1e-4;
  s.rtol = 1e-4;
  s.steps = 8;
  s.noise = "rademacher";
  s.end_time = 0.5;
  s.weight_decay = 1;
  return s;
}

int run(const settings& s) {
  const digits_data d = load(s.data, s.validation_fraction);
  continuous::continuous_flow_spec spec;
  spec.network.hidden.assign(static_cast<std::size_t>(s.layers), s.hidden);
  const ode::solver_options training{
      .solver = ode::parse_method(s.solver), .atol = s.atol, .rtol = s.rtol, .steps = s.steps};
  ode::solver_options evaluation = training;
  if (s.eval_tol > 0) evaluation.atol = evaluation.rtol = s.eval_tol;
  spec.model.training_solver = training;
  spec.model.evaluation_solver = evaluation;
  spec.model.noise = continuous::parse_noise_kind(s.noise);
  spec.model.end_time = s.end_time;
  random_engine rng(s.seed);
  continuous::cnf<float> model = continuous::make_ffjord<float>(data::digits_pixels, rng, spec);
  std::printf("digits_ffjord: %s, %s at atol %g rtol %g, %ld parameters; "
              "%ld training / %ld validation / %ld test rows; %d thread%s\n",
              model.dynamics_function().describe().c_str(), s.solver.c_str(), s.atol, s.rtol,
              static_cast<long>(model.parameters().count()), static_cast<long>(d.train.rows()),
              static_cast<long>(d.validation.rows()), static_cast<long>(d.test.pixels.rows()), s.threads,
              s.threads == 1 ? "" : "s");
  std::fflush(stdout);

  const train::trainer_options o{.iterations = s.iters,
                                 .batch = s.batch,
                                 .learning_rate = s.lr,
                                 .weight_decay = s.weight_decay,
                                 .decoupled_weight_decay = true,
                                 .clip = s.clip,
                                 .schedule = train::schedule_kind::cosine,
                                 .warmup = s.iters / 50,
                                 .evaluate_every = s.evaluate_every,
                                 .seed = s.seed,
                                 .progress = parse_progress(s.progress),
                                 .threads = s.threads};
  optim::adam<float> adam = train::make_optimizer<float>(o);
  // Without labels: fit would pass them to the model as context, which an unconditional flow refuses.
  const train::dataset<float> train_rows{d.train.x}, validation_rows{d.validation.x};
  const train::training_summary summary =
      train::fit(model, adam, train_rows, &validation_rows, o, dequantize_batches(d.standardize));
  std::printf("trained %ld iterations in %.1f s; best validation %.4f bits per pixel at iteration %ld; T = %.3f\n",
              summary.iterations, summary.seconds, bits_per_pixel(d.standardize, summary.best_validation_nll),
              summary.best_iteration, double(model.end_time()));

  const auto eval_start = std::chrono::steady_clock::now();
  const matrix<float> y = dequantized_standardized(d.standardize, d.test.pixels, test_noise_seed);
  const double test_bpd = bits_per_pixel(d.standardize, model.log_prob(y));
  std::printf("test log_prob (exact trace): %ld evaluations, %.1f s\n",
              static_cast<long>(model.last_solve().evaluations),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - eval_start).count());

  const std::filesystem::path out(s.out);
  std::filesystem::create_directories(out);
  random_engine sample_rng(s.seed + 1);
  write_sample_grid(out / "samples.png", d.standardize, model.sample(s.samples, sample_rng), 10);
  io::checkpoint_metadata metadata = common_metadata(s, d, summary, test_bpd);
  metadata.emplace_back("end_time", format(double(model.end_time())));
  io::save_checkpoint(out / "model.ckpt", io::make_checkpoint(model, std::move(metadata), adam.export_state()));
  std::printf("samples.png and model.ckpt written to %s\n", out.c_str());
  std::printf("test_bpd: %.4f\n", test_bpd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  settings s = defaults();
  CLI::App app{"Train FFJORD on the 8x8 digits; prints test_bpd last."};
  add_common_options(app, s);
  app.add_option("--hidden", s.hidden, "hidden width of the ConcatSquash dynamics")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--layers", s.layers, "hidden layers of the dynamics")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--solver", s.solver, "dopri5, cash_karp54 (adaptive), rk4, euler (fixed step)")
      ->capture_default_str();
  app.add_option("--atol", s.atol, "absolute tolerance")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--rtol", s.rtol, "relative tolerance")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--steps", s.steps, "steps of a fixed-step solver")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--eval-tol", s.eval_tol, "atol = rtol for validation and test scoring (0: the training ones)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--noise", s.noise, "Hutchinson probes: rademacher or gaussian")->capture_default_str();
  app.add_option("--end-time", s.end_time, "initial end time T (learned)")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--weight-decay", s.weight_decay, "AdamW (decoupled) weight decay")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--samples", s.samples, "samples in samples.png, 10 to a row")->check(CLI::Range(1, 1000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "digits_ffjord: %s\n", e.what());
    return 1;
  }
}
