// benchmarks/glow_step.cpp — convolutions and a Glow training step at issue 17's comparison
// architecture, against the large float product measured in the same run.
//
// Architecture: 1×28×28 images, batch 64, float; 2 levels of 8 steps (ActNorm, LU 1×1
// convolution, affine coupling whose conditioner is conv3×3 → ReLU → conv1×1 → ReLU → conv3×3 of
// width 128), the first level's factored-out half under a learned conditional prior (one more
// coupling). A step is: zero the gradients, the batch's mean NLL and its gradient, Adam; on the
// calling thread (serial) and split over 2 threads (train::data_parallel). Reference: the same
// model in PyTorch (benchmarks/glow_step_pytorch.py); pass its medians from the same machine as
// --pytorch_ms=MS (2 threads) and --pytorch_serial_ms=MS (1 thread) to print same-run ratios.
// Without them, the figure for 2 threads: PyTorch 1.13 on a 2-core machine, about 330 ms
// per step, and no serial ratio.
//
// FLOPs counted: the conditioners' convolutions only (2·rows·k·n of each lowered product), three
// times the forward count for a training step (forward, and the two products of each backward).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include "eigenflow/eigenflow.hpp"
#include "support/heap_counter.hpp"
#include "support/same_run.hpp"
#include "support/training_step.hpp"

namespace {

using namespace eigenflow;

constexpr index_t batch = 64, width = 128;
constexpr int levels = 2, steps = 8;
const image_shape images{1, 28, 28};

flows::glow_options glow() { return {.image = images, .levels = levels, .steps = steps, .width = width}; }

/// Forward FLOPs of every conditioner's convolutions, for one image.
double forward_flops_per_image() {
  double flops = 0;
  image_shape s = images;
  for (int level = 0; level < levels; ++level) {
    const image_shape q = squeezed(s);
    const double pixels = double(q.pixels()), half = double(q.channels / 2);
    // conv3×3 half → width, conv1×1 width → width, conv3×3 width → 2·half.
    const double coupling = 2 * pixels * (9 * half * width + double(width) * width + 9.0 * width * 2 * half);
    flops += coupling * (steps + (level + 1 < levels ? 1 : 0));  // the prior's coupling
    s = {q.channels / 2, q.height, q.width};
  }
  return flops;
}

// One convolution's forward (plain) at a Glow conditioner's sizes, batch 64 of 14×14.
void conv_forward(benchmark::State& state) {
  const index_t c_in = state.range(0), c_out = state.range(1), k = state.range(2);
  const image_shape in{c_in, 14, 14};
  random_engine rng(3);
  const matrix<float> x = normal_matrix<float>(batch, in.size(), rng);
  const matrix<float> w = normal_matrix<float>(c_out, c_in * k * k, rng), b = normal_matrix<float>(1, c_out, rng);
  for (auto _ : state) benchmark::DoNotOptimize(conv2d(x, w, b, in).data());
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * batch * in.pixels() * c_in * k * k * c_out * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void training_step(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  random_engine rng(1);
  flows::flow<float> model = flows::make_glow<float>(glow(), rng);
  // Data in [0, 1) like dequantized pixels; initialization fits the ActNorms to it.
  const train::dataset<float> data{(normal_matrix<float>(batch, images.size(), rng).array().abs() * 0.3f).min(0.99f).matrix()};
  model.initialize(data.x);
  for (auto* p : model.parameters()) p->value += 0.01f * normal_matrix<float>(p->value.rows(), p->value.cols(), rng);
  bench::training_step<flows::flow<float>> step(model, data, threads);
  step();
  step();  // warm-up: the second step's clear() merges the tape's arena blocks into one
  const std::size_t allocations = bench::count_heap_allocations([&] {
    for (int i = 0; i < 2; ++i) step();
  });
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.counters["GFLOP/s"] = benchmark::Counter(3 * forward_flops_per_image() * batch * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["allocs/step"] = double(allocations) / 2;
  state.SetLabel(threads > 1 ? "2 threads" : "serial");
}

class summary_reporter : public bench::same_run_reporter {
 public:
  /// The PyTorch step's times the ratios are taken against, on 2 threads and on 1 (0: unknown).
  summary_reporter(double pytorch_ms, double pytorch_serial_ms)
      : pytorch_ms_(pytorch_ms), pytorch_serial_ms_(pytorch_serial_ms) {}

  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto product = seconds_.find("bench::large_product");
    if (product == seconds_.end()) return;
    const double peak = bench::large_product_gflops(product->second);
    std::printf("\nlarge float product 1024^3 (same run): %.1f GFLOP/s\n", peak);
    for (const auto& [name, s] : seconds_) {
      if (name.rfind("conv_forward/", 0) != 0) continue;
      index_t c_in = 0, c_out = 0, k = 0;
      if (std::sscanf(name.c_str(), "conv_forward/%td/%td/%td", &c_in, &c_out, &k) != 3) continue;
      const double gflops = 2.0 * batch * 196 * c_in * k * k * c_out / s * 1e-9;
      std::printf("conv %td->%td %tdx%td on 64x14x14: %6.2f ms, %5.1f GFLOP/s = %3.0f%% of the large product\n", c_in,
                  c_out, k, k, s * 1e3, gflops, 100 * gflops / peak);
    }
    for (const auto& [name, s] : seconds_) {
      int threads = 0;
      if (std::sscanf(name.c_str(), "training_step/%d", &threads) != 1) continue;
      const double gflops = 3 * forward_flops_per_image() * batch / s * 1e-9;
      std::printf("glow step, %s: %7.1f ms, %5.1f GFLOP/s = %3.0f%% of the large product",
                  threads > 1 ? "2 threads" : "serial   ", s * 1e3, gflops, 100 * gflops / peak);
      const double reference = threads > 1 ? pytorch_ms_ : pytorch_serial_ms_;
      if (reference > 0) std::printf("; PyTorch %.0f ms: %.2fx", reference, reference * 1e-3 / s);
      std::printf("\n");
    }
  }

 private:
  double pytorch_ms_, pytorch_serial_ms_;
};

/// Takes `name`=MS out of the arguments (Google Benchmark refuses flags it does not know).
double take_milliseconds(const std::string& name, int& argc, char** argv, double fallback) {
  const std::string flag = name + "=";
  double ms = fallback;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(flag, 0) != 0) {
      argv[kept++] = argv[i];
      continue;
    }
    try {
      ms = std::stod(arg.substr(flag.size()));
    } catch (const std::exception&) {
      ms = 0;
    }
    if (!(ms > 0)) {
      std::fprintf(stderr, "glow_step: %s needs a positive number of milliseconds, got '%s'\n", name.c_str(),
                   arg.c_str() + flag.size());
      std::exit(2);
    }
  }
  argc = kept;
  argv[argc] = nullptr;  // as main received them
  return ms;
}

}  // namespace

BENCHMARK(bench::large_product)->Unit(benchmark::kMillisecond);
BENCHMARK(conv_forward)->Args({2, 128, 3})->Args({128, 128, 1})->Args({128, 4, 3})->Args({128, 128, 3})->Unit(benchmark::kMillisecond);
BENCHMARK(training_step)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(5.0);

int main(int argc, char** argv) {
  const double pytorch_ms = take_milliseconds("--pytorch_ms", argc, argv, 330);
  summary_reporter reporter(pytorch_ms, take_milliseconds("--pytorch_serial_ms", argc, argv, 0));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
