// tests/distributed/mpi_training_test.cpp — run under `mpirun -np 2`: data-parallel training over
// MPI reaches the parameters of one process training on the combined batch, starts from rank 0's
// parameters whatever the others were initialized to, and stops every rank with a clear error
// when the processes disagree. Every rank runs every test case (the collectives pair up in order).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <memory>
#include <span>
#include <string>

#include "eigenflow/distributed/mpi.hpp"
#include "eigenflow/train/trainer.hpp"
#include "support/conditional_models.hpp"

using namespace eigenflow;

namespace {

distributed::mpi_group* world = nullptr;  // set by main

train::dataset<double> labelled_data(index_t n, unsigned seed) { return test::labelled_batch<double>(n, seed); }
flows::flow<double> coupling_flow(unsigned seed) { return test::conditional_flow<double>(seed); }
continuous::cnf<double> fixed_step_cnf(unsigned seed) { return test::fixed_step_cnf(seed, 4); }

train::trainer_options full_batch_options(index_t rows) {
  train::trainer_options o;
  o.iterations = 12;
  o.batch = rows;  // every step sees every row: batches do not depend on the random stream
  o.learning_rate = 1e-2;
  o.schedule = train::schedule_kind::cosine;
  o.evaluate_every = 4;
  o.check_every = 3;
  o.progress = train::progress_mode::quiet;
  return o;
}

/// Trains `make(seed)` on 2 ranks (rank r initialized with seed + r: rank 0's parameters must win)
/// and in this process alone on all the data; the parameters and validation NLL must agree.
template <class MakeModel>
void check_matches_one_process(MakeModel make, int threads) {
  const auto data = labelled_data(45, 1);  // 23 + 22 rows: unequal shards
  const auto validation = labelled_data(20, 2);
  train::trainer_options o = full_batch_options(data.rows());
  o.threads = threads;

  auto reference = make(7u);
  auto ref_adam = train::make_optimizer<double>(o);
  const auto ref_summary = train::fit(reference, ref_adam, data, &validation, o);

  auto model = make(7u + static_cast<unsigned>(world->rank()));
  auto adam = train::make_optimizer<double>(o);
  o.processes = world;
  const auto shard = train::shard(data, *world);
  const auto validation_shard = train::shard(validation, *world);
  CHECK(shard.rows() == (world->rank() == 0 ? 23 : 22));
  const auto summary = train::fit(model, adam, shard, &validation_shard, o);

  const vector<double> expected = reference.parameters().flatten_values();
  const vector<double> got = model.parameters().flatten_values();
  CHECK((got - expected).cwiseAbs().maxCoeff() < 1e-9 * (1 + expected.cwiseAbs().maxCoeff()));
  CHECK(summary.best_validation_nll == Approx(ref_summary.best_validation_nll).epsilon(1e-9));
  CHECK(summary.last_loss == Approx(ref_summary.last_loss).epsilon(1e-9));
  CHECK(summary.best_iteration == ref_summary.best_iteration);
}

/// Passes everything through to MPI, except that rank 1's sums come back slightly off: its
/// parameters drift away from rank 0's.
class drifting_group final : public parallel::process_group {
 public:
  explicit drifting_group(parallel::process_group& inner) : inner_(inner) {}
  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  void sum(std::span<double> v) override {
    inner_.sum(v);
    if (rank() == 1 && v.size() > 2) v[0] *= 1.001;
  }
  void sum(std::span<float> v) override { inner_.sum(v); }
  void broadcast(std::span<double> v) override { inner_.broadcast(v); }
  void broadcast(std::span<float> v) override { inner_.broadcast(v); }
  void broadcast(std::string& bytes) override { inner_.broadcast(bytes); }
  bool all_equal(std::uint64_t value) override { return inner_.all_equal(value); }

 private:
  parallel::process_group& inner_;
};

}  // namespace

TEST_CASE("mpi: the test runs on two ranks", "[distributed]") {
  REQUIRE(world->size() == 2);
  CHECK(world->all_equal(42));
  CHECK_FALSE(world->all_equal(static_cast<std::uint64_t>(world->rank())));
  double v[2] = {1.0 + world->rank(), 10.0};
  world->sum(std::span<double>(v));
  CHECK(v[0] == 3.0);
  CHECK(v[1] == 20.0);
  float b[1] = {world->rank() == 0 ? 5.0f : -1.0f};
  world->broadcast(std::span<float>(b));
  CHECK(b[0] == 5.0f);
  std::string bytes = world->rank() == 0 ? std::string("checkpoint\0bytes", 16) : std::string("other");
  world->broadcast(bytes);
  CHECK(bytes == std::string("checkpoint\0bytes", 16));
}

TEST_CASE("mpi: two ranks train a conditional coupling flow to one process's parameters", "[distributed]") {
  check_matches_one_process(coupling_flow, 1);
}

TEST_CASE("mpi: two ranks of two threads each match one process of one thread", "[distributed]") {
  check_matches_one_process(coupling_flow, 2);
}

TEST_CASE("mpi: two ranks train a CNF to one process's parameters (fixed-step solver)", "[distributed]") {
  check_matches_one_process(fixed_step_cnf, 1);
}

TEST_CASE("mpi: drifting parameters stop every rank with a clear error", "[distributed]") {
  const auto data = labelled_data(40, 3);
  train::trainer_options o = full_batch_options(data.rows());
  drifting_group group(*world);
  o.processes = &group;
  auto model = coupling_flow(7);
  auto adam = train::make_optimizer<double>(o);
  CHECK_THROWS_WITH(train::fit(model, adam, train::shard(data, group), nullptr, o),
                    Catch::Contains("parameters of the 2 processes differ after iteration 3"));
}

TEST_CASE("mpi: ranks started with different settings stop with a clear error", "[distributed]") {
  const auto data = labelled_data(40, 3);
  train::trainer_options o = full_batch_options(data.rows());
  o.iterations = world->rank() == 0 ? 12 : 13;
  o.processes = world;
  auto model = coupling_flow(7);
  auto adam = train::make_optimizer<double>(o);
  CHECK_THROWS_AS(train::fit(model, adam, train::shard(data, *world), nullptr, o), parallel::distributed_error);
}

int main(int argc, char** argv) {
  distributed::mpi_session mpi(argc, argv);
  distributed::mpi_group group;
  world = &group;
  // Rank 1's report would interleave with rank 0's; it speaks only when something failed.
  Catch::Session session;
  if (const int code = session.applyCommandLine(argc, argv); code != 0) return code;
  if (group.rank() != 0) session.configData().reporterName = "compact";
  const int failures = session.run();
  // Every rank must agree on the outcome, or mpirun would report success for a failing rank.
  double failed[1] = {failures > 0 ? 1.0 : 0.0};
  group.sum(std::span<double>(failed));
  return failed[0] > 0 ? 1 : 0;
}
