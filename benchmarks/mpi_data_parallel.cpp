// benchmarks/mpi_data_parallel.cpp — one training step data parallel across MPI ranks against the
// same step in one process, both measured in the same run:
//
//   mpirun -np 2 build/release/benchmarks/mpi_data_parallel [steps]
//
// The workloads are data_parallel.cpp's (parallel_workloads.hpp): 8 couplings of width 256 and
// FFJORD's toy settings, float, batch 512. Reference: rank 0 alone takes the whole batch's steps
// (model.accumulate_gradient, clip, Adam) while the other ranks wait. Then every rank takes
// its block of the batch (parallel::split_rows), gradients and loss are averaged with the one
// MPI_Allreduce per step that train::fit makes, and every rank clips and steps. One thread per
// rank. Every step starts from the same model (parameters and moments restored, untimed), after
// one untimed step. Prints steps per second, the speedup over one process and the efficiency
// (speedup / ranks); a step's time is the slowest rank's. "averaging" is the time per step in
// the averaging (the allreduce, its copies, and the wait for the slowest rank); "allreduce" the
// bare MPI_Allreduce of a buffer of that size, with the ranks already in step.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "eigenflow/distributed/mpi.hpp"
#include "parallel_workloads.hpp"

namespace {

using namespace eigenflow;
using namespace eigenflow_bench;
using clock_type = std::chrono::steady_clock;

/// Seconds per step of `steps` steps on `batch` (the whole batch when group is null).
struct step_timing {
  double seconds = 0;    // per step
  double averaging = 0;  // of which, per step: averaging the gradients (the allreduce and its copies)
};

template <class Model>
step_timing time_steps(training_state<Model>& s, const train::dataset<float>& batch, parallel::process_group* group,
                       int steps) {
  tape<float> t;
  random_engine rng(3);
  vector<float> buffer;
  double averaging = 0;
  auto step = [&] {
    const nn::parameter_list<float> params = s.model.parameters();
    params.zero_grad();
    step_loss r = s.model.accumulate_gradient(batch.x, batch.context(), rng, t);
    if (group) {
      const auto start = clock_type::now();
      r = train::average_over_processes(*group, params, r, batch.rows(), buffer);
      averaging += std::chrono::duration<double>(clock_type::now() - start).count();
    }
    optim::clip_grad_norm(params, 10.0f);
    s.adam.step(params);
    return r;
  };
  step();  // untimed: tapes and workspaces reach their steady size
  s.restore();
  averaging = 0;
  double total = 0;
  for (int i = 0; i < steps; ++i) {
    if (group) MPI_Barrier(MPI_COMM_WORLD);
    const auto start = clock_type::now();
    step();
    double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    if (group) MPI_Allreduce(MPI_IN_PLACE, &elapsed, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);  // the slowest rank
    total += elapsed;
    s.restore();
  }
  return {total / steps, averaging / steps};
}

/// Seconds per MPI_Allreduce (sum, in place) of `count` floats, the ranks synchronized first.
double allreduce_seconds(distributed::mpi_group& world, index_t count, int repeats) {
  std::vector<float> buffer(static_cast<std::size_t>(count), 1.0f);
  double total = 0;
  for (int i = 0; i < repeats; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = clock_type::now();
    world.sum(std::span<float>(buffer));
    total += std::chrono::duration<double>(clock_type::now() - start).count();
  }
  return total / repeats;
}

template <class Model>
void compare(const char* name, training_state<Model> s, data::toy2d shape, distributed::mpi_group& world, int steps) {
  random_engine rng(4);
  const train::dataset<float> batch{data::sample_toy2d<float>(shape, batch_rows, rng)};
  double serial = 0;
  if (world.rank() == 0) serial = time_steps(s, batch, nullptr, steps).seconds;
  MPI_Barrier(MPI_COMM_WORLD);
  const parallel::row_block mine = parallel::split_rows(batch_rows, world.size())[static_cast<std::size_t>(world.rank())];
  const step_timing spread = time_steps(s, batch.rows_range(mine.begin, mine.rows), &world, steps);
  const index_t buffer_size = s.model.parameters().count() + 2;  // what train::fit sums per step
  const double bare = allreduce_seconds(world, buffer_size, steps);
  if (world.rank() != 0) return;
  std::printf("%-24s %12.1f %10.3f %10.1f%%\n", (std::string(name) + " 1 process").c_str(), 1 / serial, 1.0, 100.0);
  const double speedup = serial / spread.seconds;
  std::printf("%-24s %12.1f %10.3f %10.1f%%   %.2f ms/step, averaging %.2f ms, allreduce %.3f ms (%ld floats)\n",
              (std::string(name) + " " + std::to_string(world.size()) + " ranks").c_str(), 1 / spread.seconds, speedup,
              100 * speedup / world.size(), 1e3 * spread.seconds, 1e3 * spread.averaging, 1e3 * bare,
              static_cast<long>(buffer_size));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  distributed::mpi_session mpi(argc, argv);
  distributed::mpi_group world;
  const int steps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 100;
  if (world.rank() == 0) {
    std::printf("%d MPI ranks, 1 thread each, %d timed steps per variant\n", world.size(), steps);
    std::printf("%-24s %12s %10s %11s\n", "step, batch 512", "steps/s", "speedup", "efficiency");
  }
  compare("coupling_step", coupling_state(), data::toy2d::moons, world, steps);
  compare("ffjord_step", ffjord_state(), data::toy2d::eight_gaussians, world, steps);
  return 0;
}
