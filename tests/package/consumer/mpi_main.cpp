// A downstream program of the MPI component: trains a small coupling flow with train::fit in an
// MPI group (one process when run without mpirun), prints the group's size.
#include <eigenflow/distributed/mpi.hpp>
#include <eigenflow/eigenflow.hpp>

#include <iostream>

int main(int argc, char** argv) {
  using namespace eigenflow;
  distributed::mpi_session mpi(argc, argv);
  distributed::mpi_group world;
  random_engine rng(1);
  auto flow = flows::make_coupling_flow<float>({.dim = 2, .couplings = 2, .hidden_width = 8}, rng);
  const train::dataset<float> data{normal_matrix<float>(64, 2, rng)};
  train::trainer_options options{.iterations = 5, .batch = 32, .progress = train::progress_mode::quiet};
  options.processes = &world;
  auto adam = train::make_optimizer<float>(options);
  const auto summary = train::fit<float>(flow, adam, parallel::shard(data, world), nullptr, options);
  if (summary.iterations != 5) return 1;
  if (world.rank() == 0) std::cout << "mpi ranks " << world.size() << "\n";
  return 0;
}
