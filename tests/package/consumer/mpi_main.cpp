// A downstream program of the MPI component: joins an MPI group (one process when run without
// mpirun), checks a sum and a broadcast across it, prints the group's size. (Training through
// train::fit in a group is tested by tests/distributed/; this checks that the component is found,
// links MPI and runs.)
#include <eigenflow/distributed/mpi.hpp>

#include <iostream>
#include <span>
#include <vector>

int main(int argc, char** argv) {
  using namespace eigenflow;
  distributed::mpi_session mpi(argc, argv);
  distributed::mpi_group world;
  std::vector<double> ones(3, 1.0);
  world.sum(std::span<double>(ones));
  std::vector<float> from_root{world.rank() == 0 ? 2.5f : 0.0f};
  world.broadcast(std::span<float>(from_root));
  if (ones[0] != world.size() || from_root[0] != 2.5f || !world.all_equal(42)) return 1;
  if (world.rank() == 0) std::cout << "mpi ranks " << world.size() << "\n";
  return 0;
}
