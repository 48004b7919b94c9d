// examples/toy2d/main.cpp — trains a flow on a 2-D toy set by maximum likelihood and reports the
// test negative log-likelihood. With no flags: FFJORD on 8gaussians, the README's main example.
//
//   toy2d [--model ffjord|cnf] [--data 8gaussians] [--iters 10000] [--solver dopri5|cash_karp54|rk4|euler]
//         [--atol 1e-5] [--rtol 1e-5] [--steps N] [--grad adjoint|backprop] [--trace exact|hutchinson]
//         [--kinetic W] [--jacobian W] [--out out/toy2d]
//   toy2d --model coupling|residual|attention|spline|maf|nsf [--iters 2000] [--batch 512] [--lr 1e-3]
//         [--seed 1] [--bins 8] [--bound 5] (spline, nsf)
//   [--threads N]: each step's batch and each log_prob split across N threads (default: every core)
//
// Every iteration draws a fresh batch (the sets are infinite). Adam with global-norm clipping;
// a non-finite loss or gradient stops the run with an error. Continuous models start from
// FFJORD's toy settings (ConcatSquash 64-64-64, tanh, dopri5 at 1e-5, end time 0.5 learned,
// batch 100, Adam 1e-3 with weight decay 1e-5, constant rate) unless a flag says otherwise. The
// last line is `test_nll: <nats>`, the mean −log p over 20,000 fresh samples drawn with another
// seed (continuous models: with the exact trace). Writes DIR/samples.csv, DIR/density.png,
// DIR/samples.png (data left, samples right) and, for cnf/ffjord, DIR/trajectories.png.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "eigenflow/eigenflow.hpp"
#include "eigenflow/plot.hpp"

namespace {

using namespace eigenflow;
using clock_type = std::chrono::steady_clock;

struct settings {
  std::string model = "ffjord";
  std::string data = "8gaussians";
  int iters = 10000;  // coupling flows: 2000
  index_t batch = 512;
  double lr = 1e-3;
  std::uint64_t seed = 1;
  std::string out = "out/toy2d";
  int couplings = 8;
  index_t hidden = 128;
  double clip = 10.0;
  double scale_bound = 2.0;
  index_t bins = 8;      // spline, nsf: bins of each rational-quadratic spline
  double bound = 5.0;    // spline, nsf: the splines act on [-bound, bound]
  std::string schedule = "cosine";
  std::string activation = "tanh";
  index_t test_samples = 20000;
  int picture_pixels = 256;
  int threads = parallel::hardware_threads();
  // Continuous models (cnf, ffjord)
  std::string dynamics = "concat_squash";
  int hidden_layers = 3;
  std::string solver = "dopri5";
  double atol = 1e-5;
  double rtol = 1e-5;
  int steps = 20;
  std::string grad = "adjoint";
  std::string trace;  // default: exact for cnf, hutchinson for ffjord
  double kinetic = 0;
  double jacobian = 0;
  double end_time = 0.5;
  std::string learn_time = "auto";  // auto: learned, unless a regularizer is on (RNODE fixes T)
  double weight_decay = 0;

  bool continuous() const { return model == "cnf" || model == "ffjord"; }
  bool autoregressive() const { return model == "maf" || model == "nsf"; }
};

/// A data set by name: FFJORD's eight, or "sklearn-moons" (make_moons with noise 0.05, not
/// rescaled: the set the PyTorch reference figures in benchmarks/coupling_flow.cpp use).
struct data_source {
  std::string name;
  matrix<float> operator()(index_t n, random_engine& rng) const {
    if (name == "sklearn-moons") return data::sklearn_moons<float>(n, 0.05, rng);
    return data::sample_toy2d<float>(data::parse_toy2d(name), n, rng);
  }
};

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

void write_csv(const std::filesystem::path& path, const matrix<float>& points) {
  const std::filesystem::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial);
    out << "x,y\n";
    for (index_t i = 0; i < points.rows(); ++i) out << points(i, 0) << ',' << points(i, 1) << '\n';
    if (!out) throw io_error("cannot write " + partial.string());
  }
  std::filesystem::rename(partial, path);  // no half-written file left behind
}

any_model<float> coupling_model(const settings& s, random_engine& rng) {
  const bool spline = s.model == "spline";
  flows::coupling_stack_options options{.dim = 2,
                                        .couplings = s.couplings,
                                        .kind = spline ? flows::coupling_kind::mlp : flows::parse_coupling_kind(s.model),
                                        .hidden_width = s.hidden,
                                        .hidden_layers = 2,
                                        .hidden_activation = parse_activation(s.activation),
                                        .transform = spline ? flows::coupling_transform::spline
                                                            : flows::coupling_transform::affine,
                                        .scale_bound = s.scale_bound,
                                        .spline = {.bins = s.bins, .bound = s.bound}};
  return flows::make_coupling_flow<float>(options, rng);
}

// MAF or the autoregressive NSF: MADEs of the couplings' width and depth (masked MLPs, not
// residual: the same network as the coupling conditioners), reverse permutations between layers.
any_model<float> autoregressive_model(const settings& s, random_engine& rng) {
  const flows::autoregressive_stack_options options{.dim = 2,
                                                    .transforms = s.couplings,
                                                    .hidden_width = s.hidden,
                                                    .hidden_layers = 2,
                                                    .residual = false,
                                                    .hidden_activation = parse_activation(s.activation),
                                                    .scale_bound = s.scale_bound,
                                                    .spline = {.bins = s.bins, .bound = s.bound}};
  return s.model == "nsf" ? flows::make_nsf<float>(options, rng) : flows::make_maf<float>(options, rng);
}

any_model<float> continuous_model(const settings& s, random_engine& rng) {
  continuous::continuous_flow_spec spec;
  spec.dynamics = continuous::parse_dynamics_kind(s.dynamics);
  spec.network.hidden.assign(static_cast<std::size_t>(s.hidden_layers), s.hidden);
  spec.network.hidden_activation = parse_activation(s.activation);
  const ode::solver_options solver{.solver = ode::parse_method(s.solver), .atol = s.atol, .rtol = s.rtol, .steps = s.steps};
  spec.model.training_solver = solver;
  spec.model.evaluation_solver = solver;
  spec.model.gradient = continuous::parse_gradient_method(s.grad);
  spec.model.training_trace = continuous::parse_trace_estimator(
      !s.trace.empty() ? s.trace : (s.model == "cnf" ? "exact" : "hutchinson"));
  spec.model.kinetic_weight = s.kinetic;
  spec.model.jacobian_weight = s.jacobian;
  spec.model.end_time = s.end_time;
  if (s.learn_time != "auto" && s.learn_time != "on" && s.learn_time != "off") {
    throw value_error("--learn-time must be auto, on or off, got '" + s.learn_time + "'");
  }
  spec.model.learn_end_time = s.learn_time == "auto" ? (s.kinetic == 0 && s.jacobian == 0) : s.learn_time == "on";
  return continuous::make_continuous_flow<float>(2, rng, spec);
}

/// What the progress lines call the model.
std::string description_of(const settings& s, const any_model<float>& model) {
  const auto* f = model.get_if<continuous::cnf<float>>();
  if (f == nullptr) return s.model;
  return s.model + " (" + f->dynamics_function().describe() + ", " + s.solver + ", " + s.grad + ", " +
         continuous::to_string(f->options().training_trace) + " trace, T " +
         (f->options().learn_end_time ? "learned" : "fixed") + ")";
}

/// density.png (the model's density on a grid), samples.png (data beside samples) and, for
/// continuous flows, trajectories.png (base points carried to the data over time).
void draw_pictures(const std::filesystem::path& out, const settings& s, train::data_parallel<any_model<float>>& workers,
                   const any_model<float>& model, const matrix<float>& data, const matrix<float>& samples) {
  const auto* ode_flow = model.get_if<continuous::cnf<float>>();
  const plot::view v = plot::bounds_of(data, 0.1, true);
  const int pixels = s.picture_pixels;
  plot::write_png(out / "density.png", plot::density_heatmap<float>([&](const matrix<float>& grid) { return workers.log_prob(model, grid); }, v, pixels));
  const matrix<float> shown_data = data.topRows(std::min<index_t>(data.rows(), samples.rows()));
  plot::write_png(out / "samples.png",
                  plot::side_by_side({plot::scatter(shown_data, v, pixels, plot::rgb{40, 40, 40}),
                                      plot::scatter(samples, v, pixels, plot::rgb{30, 100, 200})}));
  if (ode_flow != nullptr) {
    random_engine rng(s.seed + 3);
    const matrix<float> z = ode_flow->base().sample(300, rng);
    std::vector<double> times;
    for (int k = 0; k <= 40; ++k) times.push_back(double(ode_flow->end_time()) * k / 40.0);
    const std::vector<matrix<float>> path = ode_flow->trajectory(z, times);
    plot::write_png(out / "trajectories.png", plot::trajectories(path, plot::bounds_of(path.back(), 0.1, true), pixels));
  }
}

int run(const settings& s) {
  const data_source set{s.data};
  if (s.data != "sklearn-moons") data::parse_toy2d(s.data);  // an unknown name fails before training
  const train::schedule_kind schedule = train::parse_schedule_kind(s.schedule);  // an unknown name fails before training
  if (!s.continuous() && !s.autoregressive() && s.model != "coupling" && s.model != "residual" &&
      s.model != "attention" && s.model != "spline") {
    throw value_error("unknown model '" + s.model + "' (known: coupling, residual, attention, spline, maf, nsf, cnf, ffjord)");
  }
  random_engine rng(s.seed);
  any_model<float> model = s.continuous()       ? continuous_model(s, rng)
                           : s.autoregressive() ? autoregressive_model(s, rng)
                                                : coupling_model(s, rng);
  const nn::parameter_list<float> params = model.parameters();
  std::printf("toy2d: %s on %s, %ld parameters, %d iterations of batch %ld on %d thread%s\n", description_of(s, model).c_str(),
              s.data.c_str(), static_cast<long>(params.count()), s.iters, static_cast<long>(s.batch), s.threads,
              s.threads == 1 ? "" : "s");

  optim::adam<float> adam({.learning_rate = static_cast<float>(s.lr), .weight_decay = static_cast<float>(s.weight_decay)});
  train::trainer_options schedule_options;  // the trainer's schedule: the one rule for the learning rate
  schedule_options.learning_rate = s.lr;
  schedule_options.schedule = schedule;
  schedule_options.warmup = s.iters / 50;
  schedule_options.iterations = s.iters;
  const train::learning_rate_schedule rate_at = train::make_schedule(schedule_options);
  // Fresh data every step (the toy sets are infinite), so the loop is the trainer's step alone.
  parallel::single_process alone;
  train::gradient_step<any_model<float>, optim::adam<float>> step(model, adam, {.clip = s.clip, .threads = s.threads}, alone);
  const auto* ode_flow = model.get_if<continuous::cnf<float>>();
  const int report_every = std::max(1, s.iters / 20);
  const auto start = clock_type::now();
  double running = 0;
  for (int it = 1; it <= s.iters; ++it) {
    const train::dataset<float> batch{set(s.batch, rng)};
    const step_loss l = step(batch, static_cast<float>(rate_at(it - 1)), rng).loss;
    std::string note;
    if (ode_flow != nullptr) {
      char buffer[96];
      std::snprintf(buffer, sizeof buffer, "  nfe %3ld+%-3ld  T %.3f", static_cast<long>(l.forward_evaluations),
                    static_cast<long>(l.backward_evaluations), double(ode_flow->end_time()));
      note = buffer;
    }
    const double loss = l.loss;
    running += loss;
    if (it % report_every == 0 || it == s.iters) {
      const double elapsed = seconds_since(start);
      std::printf("iter %6d/%d  loss %8.4f  %7.2f ms/iter  elapsed %6.1f s%s\n", it, s.iters,
                  running / (it % report_every == 0 ? report_every : it % report_every), 1e3 * elapsed / it, elapsed,
                  note.c_str());
      std::fflush(stdout);
      running = 0;
    }
  }

  const std::filesystem::path out(s.out);
  std::filesystem::create_directories(out);
  random_engine sample_rng(s.seed + 2);
  const matrix<float> samples = model.sample(5000, sample_rng);
  write_csv(out / "samples.csv", samples);

  random_engine test_rng(s.seed + 1);  // another seed: fresh data never seen in training
  const matrix<float> test = set(s.test_samples, test_rng);
  const auto eval_start = clock_type::now();
  const double nll = -step.workers().log_prob(model, test).cast<double>().mean();
  std::printf("log_prob of %ld samples: %.1f ms\n", static_cast<long>(s.test_samples), 1e3 * seconds_since(eval_start));

  draw_pictures(out, s, step.workers(), model, test, samples);
  std::printf("samples and pictures written to %s\n", out.c_str());
  std::printf("test_nll: %.4f\n", nll);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"Train a coupling or continuous flow on a 2-D toy data set; prints test_nll last."};
  app.add_option("--model", s.model,
                 "coupling (MLP conditioners), residual, attention (every third coupling; residual otherwise), "
                 "spline (rational-quadratic spline couplings, MLP conditioners), maf (masked autoregressive), "
                 "nsf (autoregressive rational-quadratic splines), "
                 "cnf (continuous, exact trace) or ffjord (continuous, Hutchinson trace)")
      ->capture_default_str();
  app.add_option("--data", s.data,
                 "8gaussians, 2spirals, checkerboard, circles, moons, pinwheel, rings, swissroll, sklearn-moons")
      ->capture_default_str();
  app.add_option("--iters", s.iters, "training iterations (default 10000 for cnf/ffjord, 2000 otherwise)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", s.batch, "batch size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", s.lr, "peak learning rate (cosine schedule)")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", s.seed, "random seed")->capture_default_str();
  app.add_option("--out", s.out, "output directory")->capture_default_str();
  app.add_option("--couplings", s.couplings, "coupling layers")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--hidden", s.hidden, "hidden width of each conditioner")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--clip", s.clip, "global gradient-norm bound")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--scale-bound", s.scale_bound, "log-scale bound b: s = b tanh(s_raw / b)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--bins", s.bins, "spline, nsf: bins of each rational-quadratic spline")->check(CLI::Range(2, 4096))
      ->capture_default_str();
  app.add_option("--bound", s.bound, "spline, nsf: the splines act on [-B, B], the identity outside")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--activation", s.activation, "conditioners' hidden activation: tanh, relu, elu, softplus, sigmoid")
      ->capture_default_str();
  app.add_option("--schedule", s.schedule, "learning-rate schedule: cosine (with warm-up) or constant")
      ->capture_default_str();
  app.add_option("--test-samples", s.test_samples, "fresh samples for test_nll")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--threads", s.threads, "worker threads for each step and for log_prob (the batch split into blocks)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--pixels", s.picture_pixels, "side of each picture in pixels")->check(CLI::Range(16, 4096))
      ->capture_default_str();
  app.add_option("--dynamics", s.dynamics, "cnf/ffjord: concat_squash or time_mlp")->capture_default_str();
  app.add_option("--layers", s.hidden_layers, "cnf/ffjord: hidden layers of the dynamics")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--solver", s.solver, "cnf/ffjord: dopri5, cash_karp54 (adaptive), rk4, euler (fixed step)")
      ->capture_default_str();
  app.add_option("--atol", s.atol, "cnf/ffjord: absolute tolerance")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--rtol", s.rtol, "cnf/ffjord: relative tolerance")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--steps", s.steps, "cnf/ffjord: steps of a fixed-step solver")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--grad", s.grad, "cnf/ffjord: adjoint or backprop (through the solver steps)")->capture_default_str();
  app.add_option("--trace", s.trace, "cnf/ffjord training trace: exact or hutchinson (default: exact for cnf, "
                 "hutchinson for ffjord; test_nll always uses the exact trace)");
  app.add_option("--kinetic", s.kinetic, "cnf/ffjord: weight of the kinetic-energy regularizer")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--jacobian", s.jacobian, "cnf/ffjord: weight of the Jacobian Frobenius regularizer")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--end-time", s.end_time, "cnf/ffjord: (initial) end time T")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--learn-time", s.learn_time,
                 "cnf/ffjord: learn T (on, off; auto: on unless --kinetic/--jacobian is set, as RNODE fixes T)")
      ->capture_default_str();
  app.add_option("--weight-decay", s.weight_decay, "Adam weight decay (default 1e-5 for cnf/ffjord, else 0)");
  CLI11_PARSE(app, argc, argv);
  if (!s.continuous() && app.count("--iters") == 0) s.iters = 2000;
  if (s.continuous()) {  // FFJORD's toy settings, where no flag overrides them
    if (app.count("--batch") == 0) s.batch = 100;
    if (app.count("--hidden") == 0) s.hidden = 64;
    if (app.count("--schedule") == 0) s.schedule = "constant";
    if (app.count("--weight-decay") == 0) s.weight_decay = 1e-5;
  }
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "toy2d: %s\n", e.what());
    return 1;
  }
}
