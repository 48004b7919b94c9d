// benchmarks/support/ratio_reporter.hpp — Google Benchmark's console output, followed by a table
// of time ratios between benchmarks measured in the same run (machines here are noisy; a ratio
// against a reference measured alongside is the figure that means something).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bench {

class ratio_reporter : public benchmark::ConsoleReporter {
 public:
  /// Each pair: (numerator name, denominator name), as Google Benchmark names runs.
  explicit ratio_reporter(std::vector<std::pair<std::string, std::string>> ratios) : ratios_(std::move(ratios)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration) times_[run.benchmark_name()] = run.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-58s %12s %12s %8s\n", "ratio (same run)", "numerator", "denominator", "ratio");
    for (const auto& [num, den] : ratios_) {
      const auto n = times_.find(num), d = times_.find(den);
      if (n == times_.end() || d == times_.end()) continue;
      std::printf("%-58s %12.1f %12.1f %8.3f\n", (num + " / hand").c_str(), n->second, d->second,
                  n->second / d->second);
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> ratios_;
  std::map<std::string, double> times_;
};

}  // namespace bench
