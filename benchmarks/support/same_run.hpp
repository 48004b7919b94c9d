// benchmarks/support/same_run.hpp — what the benchmarks share to report figures against a
// reference measured in the same run: a console reporter that keeps each benchmark's seconds
// per iteration for a summary, and the large float product that gives the machine's practical
// GFLOP/s.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include "eigenflow/matrix.hpp"
#include "eigenflow/random.hpp"

namespace bench {

/// Google Benchmark's console output; Finalize() of a derived class prints its summary from
/// seconds(), the real time per iteration of each benchmark run so far, by name.
class same_run_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration) seconds_[run.benchmark_name()] = run.GetAdjustedRealTime() * 1e-3;
    }
    ConsoleReporter::ReportRuns(runs);
  }

 protected:
  /// Seconds per iteration (the runs use kMillisecond, hence the 1e-3 above), by benchmark name.
  std::map<std::string, double> seconds_;
};

/// Side of the large product.
inline constexpr eigenflow::index_t large_product_side = 1024;

/// A 1024³ float matrix product in plain Eigen: register as BENCHMARK(bench::large_product).
inline void large_product(benchmark::State& state) {
  const eigenflow::index_t n = large_product_side;
  eigenflow::random_engine rng(4);
  const eigenflow::matrix<float> a = eigenflow::normal_matrix<float>(n, n, rng), b = eigenflow::normal_matrix<float>(n, n, rng);
  eigenflow::matrix<float> c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

/// GFLOP/s of the large product that took `seconds` per iteration.
inline double large_product_gflops(double seconds) {
  const auto n = static_cast<double>(large_product_side);
  return 2.0 * n * n * n / seconds * 1e-9;
}

}  // namespace bench
