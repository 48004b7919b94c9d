// benchmarks/coupling_flow.cpp — training step and plain-mode throughput of an 8-coupling affine
// flow (MLP conditioners 2×256, tanh-bounded log-scale, reverse permutations, Adam), float,
// batch 512, D = 2 and D = 64; and, in the same run, a large plain Eigen product: the machine's
// practical GFLOP/s, against which the training step's GFLOP/s is reported.
//
// FLOPs counted: the conditioners' matrix products only (2·m·k·n each), three times the forward
// count for a training step (forward, and the two products of each backward rule).
// Reference measured on this kind of machine (PyTorch 1.13, 2 threads, the same 2-D flow):
// 23 ms per training step, 95 ms for log_prob of 10,000 samples.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>

#include "eigenflow/eigenflow.hpp"
#include "support/heap_counter.hpp"
#include "support/same_run.hpp"

namespace {

using namespace eigenflow;

constexpr index_t batch = 512;
constexpr index_t hidden = 256;
constexpr int couplings = 8;

std::map<std::string, double> figures;  // name → value, for the summary

flows::flow<float> make_model(index_t dim, random_engine& rng) {
  return flows::make_coupling_flow<float>({.dim = dim,
                                           .couplings = couplings,
                                           .kind = flows::coupling_kind::mlp,
                                           .hidden_width = hidden,
                                           .hidden_layers = 2,
                                           .hidden_activation = activation::tanh,
                                           .scale_bound = 1.0},
                                          rng);
}

/// Forward FLOPs of the conditioners' products for n samples.
double forward_flops(index_t dim, index_t n) {
  const index_t nb = dim - dim / 2, na = dim / 2;
  const double per_sample = 2.0 * (double(na) * hidden + double(hidden) * hidden + double(hidden) * 2 * nb);
  return per_sample * double(n) * couplings;
}

void training_step(benchmark::State& state) {
  const index_t dim = state.range(0);
  random_engine rng(1);
  flows::flow<float> model = make_model(dim, rng);
  auto params = model.parameters();
  optim::adam<float> adam({.learning_rate = 1e-3f});
  const matrix<float> x = normal_matrix<float>(batch, dim, rng);
  tape<float> t;
  auto step = [&] {
    t.clear();
    params.zero_grad();
    const var<float> loss = neg(mean(model.log_prob(t.constant_view(x))));
    t.backward(loss);
    adam.step(params);
    return loss.item();
  };
  for (int i = 0; i < 3; ++i) step();
  const std::size_t allocations = bench::count_heap_allocations([&] {
    for (int i = 0; i < 5; ++i) step();
  });
  for (auto _ : state) benchmark::DoNotOptimize(step());
  const double flops = 3 * forward_flops(dim, batch);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["allocs/step"] = double(allocations) / 5;
  figures["train" + std::to_string(dim)] = flops;  // per step; the rate is computed in the summary
}

void log_prob_throughput(benchmark::State& state) {
  const index_t dim = state.range(0), n = 100000;
  random_engine rng(2);
  const flows::flow<float> model = make_model(dim, rng);
  const matrix<float> x = normal_matrix<float>(n, dim, rng);
  for (auto _ : state) benchmark::DoNotOptimize(model.log_prob(x).data());
  state.counters["samples/s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
}

void sample_throughput(benchmark::State& state) {
  const index_t dim = state.range(0), n = 100000;
  random_engine rng(3);
  const flows::flow<float> model = make_model(dim, rng);
  for (auto _ : state) benchmark::DoNotOptimize(model.sample(n, rng).data());
  state.counters["samples/s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
}

class summary_reporter : public bench::same_run_reporter {
 public:  void Finalize() override {
    ConsoleReporter::Finalize();
    const double peak = bench::large_product_gflops(seconds_["bench::large_product"]);
    std::printf("\nlarge float product 1024^3 (same run): %.1f GFLOP/s\n", peak);
    for (int dim : {2, 64}) {
      const std::string name = "training_step/" + std::to_string(dim);
      if (!seconds_.count(name)) continue;
      const double gflops = figures["train" + std::to_string(dim)] / seconds_[name] * 1e-9;
      std::printf("training step D=%-2d: %7.2f ms, %6.1f GFLOP/s = %4.0f%% of the large product", dim,
                  seconds_[name] * 1e3, gflops, 100 * gflops / peak);
      if (dim == 2) std::printf("; PyTorch reference 23 ms: %.2fx", 23e-3 / seconds_[name]);
      std::printf("\n");
    }
    const auto lp = seconds_.find("log_prob_throughput/2");
    if (lp != seconds_.end()) {
      std::printf("log_prob D=2: %.0f samples/s; PyTorch reference 10,000 in 95 ms = 105,263/s: %.2fx\n",
                  1e5 / lp->second, (1e5 / lp->second) / (1e4 / 95e-3));
    }
  }

};

}  // namespace

BENCHMARK(bench::large_product)->Unit(benchmark::kMillisecond);
BENCHMARK(training_step)->Arg(2)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(log_prob_throughput)->Arg(2)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(sample_throughput)->Arg(2)->Arg(64)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  summary_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
