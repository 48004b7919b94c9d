// include/eigenflow/parallel/process_group.hpp — the processes that train one model together
// (data parallel across processes, possibly on several machines), as train::fit sees them: a rank,
// a size and three collective operations. The library itself knows no transport; the MPI one is
// eigenflow/distributed/mpi.hpp (an optional component), and a test may plug in its own.
//
// Every collective must be called by every process of the group, in the same order; train::fit
// does so: one sum per step (gradients, loss and row count in one buffer), one broadcast at the
// start, one all_equal every check_every steps, one sum per evaluation.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/parallel/split_rows.hpp"

namespace eigenflow::parallel {

/// Thrown when the processes of a group disagree (drifted parameters, different optimizer
/// steps) or their transport fails.
class distributed_error : public error {
 public:
  using error::error;
};

/// The processes training one model, as train::fit sees them: a rank, a size and the collectives.
/// Implement it to plug in a transport; every process must call the collectives in the same order.
class process_group {
 public:
  virtual ~process_group() = default;
  /// This process's index, 0..size()-1; rank 0 prints and writes.
  virtual int rank() const = 0;
  /// Number of processes in the group (at least 1).
  virtual int size() const = 0;
  /// Element-wise sum over the processes, in place: every process gets the same result.
  virtual void sum(std::span<double> values) = 0;
  /// As sum(std::span<double>), for float buffers.
  virtual void sum(std::span<float> values) = 0;
  /// values := rank 0's values, on every process.
  virtual void broadcast(std::span<double> values) = 0;
  /// As broadcast(std::span<double>), for float buffers.
  virtual void broadcast(std::span<float> values) = 0;
  /// bytes := rank 0's bytes (any length), on every process: e.g. a checkpoint only rank 0 can read.
  virtual void broadcast(std::string& bytes) = 0;
  /// Whether every process passed the same value (the same answer on every process).
  virtual bool all_equal(std::uint64_t value) = 0;
};

/// One process alone: the collectives are identities.
class single_process final : public process_group {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void sum(std::span<double>) override {}
  void sum(std::span<float>) override {}
  void broadcast(std::span<double>) override {}
  void broadcast(std::span<float>) override {}
  void broadcast(std::string&) override {}
  bool all_equal(std::uint64_t) override { return true; }
};

/// The mean over every process's rows, from each process's sum over its own `rows`: the same
/// value on every process (one sum of two numbers).
inline double mean_over_processes(process_group& group, double local_sum, index_t rows) {
  double totals[2] = {local_sum, double(rows)};
  group.sum(std::span<double>(totals));
  return totals[0] / totals[1];
}

/// FNV-1a over the bytes of `values`: equal on two processes exactly when their parameters are
/// bit-for-bit equal (up to a 2^-64 chance), which data-parallel training keeps them.
template <class Scalar>
std::uint64_t checksum(const vector<Scalar>& values) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
  for (std::size_t i = 0; i < static_cast<std::size_t>(values.size()) * sizeof(Scalar); ++i) {
    h = (h ^ bytes[i]) * 0x100000001b3ull;
  }
  return h;
}

}  // namespace eigenflow::parallel
