// benchmarks/autoregressive_flow.cpp — MAF and autoregressive NSF training steps at nflows'
// benchmark architecture, and sampling with MAF (D passes per layer) beside IAF (one pass).
//
// Architecture (issue 16's comparison): D = 16, batch 256, 5 transforms with random
// permutations, residual MADEs of 2 blocks × 128 (ReLU), float; NSF: 8 bins on [−4, 4].
// A step is: zero the gradients, the batch's mean NLL and its gradient, Adam. Measured on the
// calling thread (serial) and split over 2 threads (train::data_parallel), as nflows ran on 2.
// Reference measured on a 2-core AMD EPYC (nflows 5d22344, torch 1.13, 2 threads): MAF 18.7 ms
// per step, NSF 50.2 ms. A large float product measured in the same run gives the machine's
// practical GFLOP/s, against which the steps' GFLOP/s are reported.
//
// FLOPs counted: the MADEs' matrix products only (2·m·k·n each), three times the forward count
// for a training step (forward, and the two products of each backward rule).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "eigenflow/eigenflow.hpp"
#include "support/heap_counter.hpp"
#include "support/same_run.hpp"
#include "support/training_step.hpp"

namespace {

using namespace eigenflow;

constexpr index_t dim = 16, batch = 256, hidden = 128, blocks = 2;
constexpr int transforms = 5;
constexpr index_t bins = 8;

enum model_id { maf = 0, nsf = 1, iaf = 2 };
const char* const model_names[] = {"maf", "nsf", "iaf"};

flows::flow<float> make_model(int id, random_engine& rng) {
  const flows::autoregressive_stack_options o{.dim = dim,
                                              .transforms = transforms,
                                              .hidden_width = hidden,
                                              .hidden_layers = blocks,
                                              .residual = true,
                                              .hidden_activation = activation::relu,
                                              .permutation = flows::permutation_kind::random,
                                              .spline = {.bins = bins, .bound = 4.0}};
  if (id == nsf) return flows::make_nsf<float>(o, rng);
  return id == iaf ? flows::make_iaf<float>(o, rng) : flows::make_maf<float>(o, rng);
}

/// Forward FLOPs of the MADEs' products for one sample.
double forward_flops_per_sample(int id) {
  const double outputs = double(dim) * (id == nsf ? double(3 * bins - 1) : 2.0);
  return 2.0 * transforms * (double(dim) * hidden + 2.0 * blocks * hidden * hidden + hidden * outputs);
}

std::map<std::string, double> step_flops;  // benchmark name → FLOPs per step

void training_step(benchmark::State& state) {
  const int id = static_cast<int>(state.range(0)), threads = static_cast<int>(state.range(1));
  random_engine rng(1);
  flows::flow<float> model = make_model(id, rng);
  // Trained parameters, not the identity the flow starts as: the splines' bins then differ.
  for (auto* p : model.parameters()) p->value = 0.05f * normal_matrix<float>(p->value.rows(), p->value.cols(), rng);
  const train::dataset<float> data{normal_matrix<float>(batch, dim, rng)};
  bench::training_step<flows::flow<float>> step(model, data, threads);
  for (int i = 0; i < 3; ++i) step();
  const std::size_t allocations = bench::count_heap_allocations([&] {
    for (int i = 0; i < 5; ++i) step();
  });
  for (auto _ : state) benchmark::DoNotOptimize(step());
  const double flops = 3 * forward_flops_per_sample(id) * batch;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["allocs/step"] = double(allocations) / 5;
  state.SetLabel(std::string(model_names[id]) + (threads > 1 ? ", 2 threads" : ", serial"));
  step_flops["training_step/" + std::to_string(id) + "/" + std::to_string(threads)] = flops;
}

// Samples of MAF (each layer inverted in D passes) and IAF (one pass per layer), 10,000 at a time.
void sample_throughput(benchmark::State& state) {
  const int id = static_cast<int>(state.range(0));
  const index_t n = 10000;
  random_engine rng(2);
  flows::flow<float> model = make_model(id, rng);
  for (auto* p : model.parameters()) p->value = 0.05f * normal_matrix<float>(p->value.rows(), p->value.cols(), rng);
  for (auto _ : state) benchmark::DoNotOptimize(model.sample(n, rng).data());
  state.counters["samples/s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(model_names[id]);
}

class summary_reporter : public bench::same_run_reporter {
 public:  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto product = seconds_.find("bench::large_product");
    if (product == seconds_.end()) return;
    const double peak = bench::large_product_gflops(product->second);
    std::printf("\nlarge float product 1024^3 (same run): %.1f GFLOP/s\n", peak);
    const double nflows_ms[] = {18.7, 50.2};
    for (int id : {maf, nsf}) {
      for (int threads : {1, 2}) {
        const std::string name = "training_step/" + std::to_string(id) + "/" + std::to_string(threads);
        if (!seconds_.count(name)) continue;
        const double s = seconds_[name], gflops = step_flops[name] / s * 1e-9;
        std::printf("%s step, %s: %6.2f ms, %5.1f GFLOP/s = %3.0f%% of the large product; nflows %.1f ms: %.2fx\n",
                    model_names[id], threads > 1 ? "2 threads" : "serial   ", s * 1e3, gflops, 100 * gflops / peak,
                    nflows_ms[id], nflows_ms[id] * 1e-3 / s);
      }
    }
    const auto maf_sampling = seconds_.find("sample_throughput/0"), iaf_sampling = seconds_.find("sample_throughput/2");
    if (maf_sampling != seconds_.end() && iaf_sampling != seconds_.end()) {
      std::printf("sampling 10,000: MAF %.0f samples/s, IAF %.0f samples/s (IAF %.1fx faster: one pass, not %d)\n",
                  1e4 / maf_sampling->second, 1e4 / iaf_sampling->second, maf_sampling->second / iaf_sampling->second,
                  int(dim));
    }
  }

};

}  // namespace

BENCHMARK(bench::large_product)->Unit(benchmark::kMillisecond);
BENCHMARK(training_step)->Args({maf, 1})->Args({maf, 2})->Args({nsf, 1})->Args({nsf, 2})->Unit(benchmark::kMillisecond);
BENCHMARK(sample_throughput)->Arg(maf)->Arg(iaf)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  summary_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
