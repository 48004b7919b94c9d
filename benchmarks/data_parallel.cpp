// benchmarks/data_parallel.cpp — one training step split across threads (train::data_parallel)
// against the same step on the calling thread alone, measured in the same run.
//
// Models (parallel_workloads.hpp, shared with mpi_data_parallel.cpp), float, batch 512: 8
// affine couplings of width 256 on moons, and FFJORD's toy settings on 8gaussians.
// A step is: zero the gradients, the gradient of the batch's mean NLL, clip, Adam. Parameters and
// Adam's moments are restored outside the timing after every step (and one untimed step first
// lets tapes and workspaces grow to their steady size), so every timed step starts
// from the same model (an FFJORD's evaluation count grows as it trains; without the restore the
// figures would depend on how long the benchmark runs). FFJORD is first trained for 30 seeded
// steps, so that the field is not the random initial one.
//
// Variants: serial (model.accumulate_gradient on the calling thread: the reference) and
// threads:2 (data_parallel with 2 workers, each with a copy of the model; with one thread
// data_parallel runs on the model itself, the serial path).
// The summary prints steps per second, the speedup over serial and the parallel efficiency
// (speedup / N). With an adaptive solver each block chooses its own steps: the counters show the
// evaluations of the slowest block.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/eigenflow.hpp"
#include "parallel_workloads.hpp"
#include "support/same_run.hpp"

namespace {

using namespace eigenflow;
using namespace eigenflow_bench;

/// Times steps of `state` on a fixed batch; threads 0 = serial.
template <class Model>
void run_steps(benchmark::State& bench, training_state<Model>& s, const matrix<float>& x, int threads) {
  const train::dataset<float> batch{x};
  std::unique_ptr<train::data_parallel<Model>> workers;
  if (threads > 0) workers = std::make_unique<train::data_parallel<Model>>(s.model, threads);
  tape<float> t;
  random_engine rng(3);
  auto step = [&] {
    const nn::parameter_list<float> params = s.model.parameters();
    params.zero_grad();
    const step_loss r =
        workers ? workers->accumulate_gradient(s.model, batch, rng) : s.model.accumulate_gradient(batch.x, batch.context(), rng, t);
    optim::clip_grad_norm(params, 10.0f);
    s.adam.step(params);
    return r;
  };
  step();  // untimed: tapes and workspaces reach their steady size
  s.restore();
  double forward = 0, backward = 0, steps = 0;
  for (auto _ : bench) {
    const step_loss r = step();
    benchmark::DoNotOptimize(r.loss);
    bench.PauseTiming();
    s.restore();
    bench.ResumeTiming();
    forward += double(r.forward_evaluations);
    backward += double(r.backward_evaluations);
    steps += 1;
  }
  if (forward > 0) {
    bench.counters["nfe_fwd"] = forward / steps;
    bench.counters["nfe_bwd"] = backward / steps;
  }
}

void coupling_step(benchmark::State& bench) {
  static auto state = coupling_state();
  random_engine rng(4);
  run_steps(bench, state, data::sample_toy2d<float>(data::toy2d::moons, batch_rows, rng), static_cast<int>(bench.range(0)));
}

void ffjord_step(benchmark::State& bench) {
  static auto state = ffjord_state();
  random_engine rng(5);
  run_steps(bench, state, data::sample_toy2d<float>(data::toy2d::eight_gaussians, batch_rows, rng),
            static_cast<int>(bench.range(0)));
}

BENCHMARK(coupling_step)->ArgName("threads")->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(ffjord_step)->ArgName("threads")->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The console output, then steps per second, speedup over serial and efficiency per model.
class speedup_reporter : public bench::same_run_reporter {
 public:
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-26s %12s %10s %11s\n", "step, batch 512", "steps/s", "speedup", "efficiency");
    for (const char* model : {"coupling_step", "ffjord_step"}) {
      const auto serial = seconds_.find(std::string(model) + "/threads:0/real_time");
      if (serial == seconds_.end()) continue;
      for (int threads : {0, 2}) {
        const std::string name = std::string(model) + "/threads:" + std::to_string(threads) + "/real_time";
        const auto it = seconds_.find(name);
        if (it == seconds_.end()) continue;
        const double speedup = serial->second / it->second;
        std::printf("%-26s %12.1f %10.3f %10.1f%%\n", (std::string(model) + (threads == 0 ? " serial" : " " + std::to_string(threads) + " thr")).c_str(),
                    1.0 / it->second, speedup, threads == 0 ? 100.0 : 100.0 * speedup / threads);
      }
    }
  }

};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  speedup_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
