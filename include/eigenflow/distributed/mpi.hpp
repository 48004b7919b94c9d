// include/eigenflow/distributed/mpi.hpp — data-parallel training across processes and machines
// over MPI (an optional component: link eigenflow::mpi, which brings MPI::MPI_CXX; the core
// library never includes this header).
//
//   int main(int argc, char** argv) {
//     eigenflow::distributed::mpi_session mpi(argc, argv);
//     eigenflow::distributed::mpi_group group;        // MPI_COMM_WORLD
//     options.processes = &group;                       // train::fit averages gradients over it
//     train::fit(model, adam, train::shard(data, group), nullptr, options);
//     if (group.rank() == 0) /* save */;
//   }
//
// Run with `mpirun -np N program ...` (a hostfile for several machines). Only the thread that
// created the session calls MPI (MPI_THREAD_FUNNELED): eigenflow's worker threads compute, the
// caller communicates. A failed MPI call throws parallel::distributed_error with MPI's message;
// a process that dies makes mpirun end the whole job (Open MPI's default), and an exception that
// leaves the mpi_session's scope aborts it, so a failure on one rank never leaves the others
// waiting. (A program that catches an exception inside the scope and carries on must call
// MPI_Abort itself, as `eigenflow train` does.)
#pragma once

/// @namespace eigenflow::distributed
/// MPI: data-parallel training across processes and machines (the optional eigenflow::mpi component).

#include <mpi.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <type_traits>

#include "eigenflow/parallel/process_group.hpp"

namespace eigenflow::distributed {

namespace detail {

inline void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw parallel::distributed_error(std::string("MPI: ") + what + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

template <class Scalar>
MPI_Datatype mpi_type() {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>, "float or double");
  return std::is_same_v<Scalar, float> ? MPI_FLOAT : MPI_DOUBLE;
}

}  // namespace detail

/// Whether an MPI launcher started this process (Open MPI's mpirun, or a PMI launcher such as
/// Slurm's srun): a program may then train in a group and otherwise skip MPI altogether.
inline bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr ||
         std::getenv("PMI_SIZE") != nullptr;
}

/// MPI_Init_thread (MPI_THREAD_FUNNELED) for the scope's lifetime, then MPI_Finalize; does nothing
/// if MPI is already initialized (and then leaves finalizing to whoever initialized it).
class mpi_session {
 public:
  /// Initializes MPI with main's arguments (MPI may remove its own from them). Throws
  /// parallel::distributed_error if MPI fails or cannot be used beside threads.
  mpi_session(int& argc, char**& argv) {
    int initialized = 0;
    detail::check_mpi(MPI_Initialized(&initialized), "MPI_Initialized");
    if (initialized) return;
    int provided = 0;
    detail::check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owner_ = true;
    if (provided < MPI_THREAD_FUNNELED) {
      MPI_Finalize();
      throw parallel::distributed_error("MPI: this MPI library cannot be used beside threads (MPI_THREAD_FUNNELED)");
    }
  }
  /// Leaving the scope by an exception aborts the job: the other ranks may be waiting in a
  /// collective for this one, and MPI_Finalize would wait for them in turn.
  ~mpi_session() {
    if (!owner_) return;
    if (std::uncaught_exceptions() > 0) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Finalize();
  }
  mpi_session(const mpi_session&) = delete;
  mpi_session& operator=(const mpi_session&) = delete;

 private:
  bool owner_ = false;
};

/// The processes of an MPI communicator as a parallel::process_group (a private duplicate of it,
/// whose errors are returned and thrown rather than aborting the job).
class mpi_group final : public parallel::process_group {
 public:
  /// The processes of `comm` (duplicated, so its traffic stays apart from the caller's).
  explicit mpi_group(MPI_Comm comm = MPI_COMM_WORLD) {
    detail::check_mpi(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
    try {  // the destructor does not run for a constructor that throws: free the duplicate here
      detail::check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
      detail::check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
      detail::check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    } catch (...) {
      MPI_Comm_free(&comm_);
      throw;
    }
  }
  ~mpi_group() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }
  mpi_group(const mpi_group&) = delete;
  mpi_group& operator=(const mpi_group&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void sum(std::span<double> values) override { sum_in_place(values); }
  void sum(std::span<float> values) override { sum_in_place(values); }
  void broadcast(std::span<double> values) override { broadcast_from_root(values); }
  void broadcast(std::span<float> values) override { broadcast_from_root(values); }
  void broadcast(std::string& bytes) override {
    std::uint64_t length = bytes.size();
    detail::check_mpi(MPI_Bcast(&length, 1, MPI_UINT64_T, 0, comm_), "MPI_Bcast (length)");
    check_count(length);
    bytes.resize(length);
    detail::check_mpi(MPI_Bcast(bytes.data(), static_cast<int>(length), MPI_CHAR, 0, comm_), "MPI_Bcast (bytes)");
  }

  /// One MPI_Allreduce(MAX) over {v, ~v}: the maxima are v_max and ~v_min, equal iff all v are.
  bool all_equal(std::uint64_t value) override {
    std::uint64_t both[2] = {value, ~value};
    detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, both, 2, MPI_UINT64_T, MPI_MAX, comm_), "MPI_Allreduce (checksum)");
    return both[0] == ~both[1];
  }

  /// The private duplicate communicator (for MPI calls of the caller's own).
  MPI_Comm communicator() const { return comm_; }

 private:
  template <class Scalar>
  void sum_in_place(std::span<Scalar> values) {
    check_count(values.size());
    detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), detail::mpi_type<Scalar>(),
                                    MPI_SUM, comm_),
                      "MPI_Allreduce (sum)");
  }
  template <class Scalar>
  void broadcast_from_root(std::span<Scalar> values) {
    check_count(values.size());
    detail::check_mpi(MPI_Bcast(values.data(), static_cast<int>(values.size()), detail::mpi_type<Scalar>(), 0, comm_),
                      "MPI_Bcast");
  }
  static void check_count(std::size_t n) {
    if (n > static_cast<std::size_t>(INT32_MAX)) {
      throw parallel::distributed_error("MPI: " + std::to_string(n) + " values exceed one message (2^31 - 1)");
    }
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace eigenflow::distributed
