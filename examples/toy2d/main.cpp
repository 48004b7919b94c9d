// examples/toy2d/main.cpp — trains a coupling flow on a 2-D toy set by maximum likelihood and
// reports the test negative log-likelihood.
//
//   toy2d --model coupling|residual|attention --data 8gaussians --iters 2000 --batch 512 --lr 1e-3 --seed 1 --out out/toy2d
//
// Every iteration draws a fresh batch (the sets are infinite). Adam with global-norm clipping;
// a non-finite loss or gradient stops the run with an error. The last line is
// `test_nll: <nats>`, the mean −log p over 20,000 fresh samples drawn with another seed.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "eigenflow/eigenflow.hpp"

namespace {

using namespace eigenflow;
using clock_type = std::chrono::steady_clock;

struct settings {
  std::string model = "coupling";
  std::string data = "8gaussians";
  int iters = 2000;
  index_t batch = 512;
  double lr = 1e-3;
  std::uint64_t seed = 1;
  std::string out = "out/toy2d";
  int couplings = 8;
  index_t hidden = 128;
  double clip = 10.0;
  double scale_bound = 2.0;
  std::string schedule = "cosine";
  std::string activation = "tanh";
  index_t test_samples = 20000;
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

int run(const settings& s) {
  const data_source set{s.data};
  if (s.data != "sklearn-moons") data::parse_toy2d(s.data);  // an unknown name fails before training
  if (s.schedule != "cosine" && s.schedule != "constant") {
    throw value_error("unknown schedule '" + s.schedule + "' (known: cosine, constant)");
  }
  random_engine rng(s.seed);
  flows::coupling_stack_options options{.dim = 2,
                                        .couplings = s.couplings,
                                        .kind = flows::parse_coupling_kind(s.model),
                                        .hidden_width = s.hidden,
                                        .hidden_layers = 2,
                                        .hidden_activation = parse_activation(s.activation),
                                        .scale_bound = s.scale_bound};
  flows::flow<float> model = flows::make_coupling_flow<float>(options, rng);
  auto params = model.parameters();
  std::printf("toy2d: %s on %s, %ld parameters, %d iterations of batch %ld\n", s.model.c_str(), s.data.c_str(),
              static_cast<long>(params.count()), s.iters, static_cast<long>(s.batch));

  optim::adam<float> adam({.learning_rate = static_cast<float>(s.lr)});
  const optim::warmup_cosine_schedule<float> schedule(static_cast<float>(s.lr), s.iters / 50, s.iters,
                                                      static_cast<float>(s.lr) * 0.01f);
  optim::finite_guard guard(optim::finite_guard::policy::throw_error);
  tape<float> t;
  const int report_every = std::max(1, s.iters / 20);
  const auto start = clock_type::now();
  double running = 0;
  for (int it = 1; it <= s.iters; ++it) {
    const matrix<float> x = set(s.batch, rng);
    t.clear();
    params.zero_grad();
    const var<float> loss = neg(mean(model.log_prob(t.constant_view(x))));
    t.backward(loss);
    guard.check(loss.item(), params);
    optim::clip_grad_norm(params, static_cast<float>(s.clip));
    if (s.schedule == "cosine") adam.set_learning_rate(schedule(it - 1));
    adam.step(params);
    running += loss.item();
    if (it % report_every == 0 || it == s.iters) {
      const double elapsed = seconds_since(start);
      std::printf("iter %6d/%d  loss %8.4f  %7.2f ms/iter  elapsed %6.1f s\n", it, s.iters,
                  running / (it % report_every == 0 ? report_every : it % report_every), 1e3 * elapsed / it, elapsed);
      std::fflush(stdout);
      running = 0;
    }
  }

  std::filesystem::create_directories(s.out);
  random_engine sample_rng(s.seed + 2);
  write_csv(std::filesystem::path(s.out) / "samples.csv", model.sample(5000, sample_rng));

  random_engine test_rng(s.seed + 1);  // another seed: fresh data never seen in training
  const matrix<float> test = set(s.test_samples, test_rng);
  const auto eval_start = clock_type::now();
  const double nll = -model.log_prob(test).cast<double>().mean();
  std::printf("log_prob of %ld samples: %.1f ms\n", static_cast<long>(s.test_samples), 1e3 * seconds_since(eval_start));
  std::printf("samples written to %s\n", (std::filesystem::path(s.out) / "samples.csv").c_str());
  std::printf("test_nll: %.4f\n", nll);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"Train a coupling flow on a 2-D toy data set; prints test_nll last."};
  app.add_option("--model", s.model,
                 "coupling (MLP conditioners), residual, or attention (every third coupling; residual otherwise)")
      ->capture_default_str();
  app.add_option("--data", s.data,
                 "8gaussians, 2spirals, checkerboard, circles, moons, pinwheel, rings, swissroll, sklearn-moons")
      ->capture_default_str();
  app.add_option("--iters", s.iters, "training iterations")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch", s.batch, "batch size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", s.lr, "peak learning rate (cosine schedule)")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", s.seed, "random seed")->capture_default_str();
  app.add_option("--out", s.out, "output directory")->capture_default_str();
  app.add_option("--couplings", s.couplings, "coupling layers")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--hidden", s.hidden, "hidden width of each conditioner")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--clip", s.clip, "global gradient-norm bound")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--scale-bound", s.scale_bound, "log-scale bound b: s = b tanh(s_raw / b)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--activation", s.activation, "conditioners' hidden activation: tanh, relu, elu, softplus, sigmoid")
      ->capture_default_str();
  app.add_option("--schedule", s.schedule, "learning-rate schedule: cosine (with warm-up) or constant")
      ->capture_default_str();
  app.add_option("--test-samples", s.test_samples, "fresh samples for test_nll")->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "toy2d: %s\n", e.what());
    return 1;
  }
}
