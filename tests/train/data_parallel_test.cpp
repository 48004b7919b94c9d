// tests/train/data_parallel_test.cpp — a batch split across threads gives the gradient, the loss
// and the log-densities of the whole batch on one thread (up to rounding), the same bits on every
// run, and the same parameters after several optimizer steps.
#include <catch2/catch.hpp>

#include <type_traits>
#include <vector>

#include "eigenflow/continuous/builders.hpp"
#include "eigenflow/flows/builders.hpp"
#include "eigenflow/optim/adam.hpp"
#include "eigenflow/train/data_parallel.hpp"
#include "support/conditional_models.hpp"

using namespace eigenflow;
using eigenflow::test::conditional_flow;
using eigenflow::test::fixed_step_cnf;
using eigenflow::test::labelled_batch;

namespace {

/// The one-thread gradient and loss of the whole batch.
template <class Model, class Scalar>
std::pair<vector<Scalar>, double> serial_gradient(Model& model, const train::dataset<Scalar>& batch) {
  tape<Scalar> t;
  random_engine rng(5);
  model.parameters().zero_grad();
  const double loss = model.accumulate_gradient(batch.x, batch.context(), rng, t).loss;
  return {model.parameters().flatten_grads(), loss};
}

template <class Model, class Scalar>
std::pair<vector<Scalar>, double> parallel_gradient(Model& model, const train::dataset<Scalar>& batch, int threads) {
  train::data_parallel<Model> dp(model, threads);
  random_engine rng(5);
  model.parameters().zero_grad();
  const double loss = dp.accumulate_gradient(model, batch, rng).loss;
  return {model.parameters().flatten_grads(), loss};
}

}  // namespace

TEST_CASE("data_parallel: a conditional coupling flow's gradient and loss match one thread", "[parallel]") {
  const auto batch = labelled_batch<double>(37, 1);  // blocks of unequal size
  auto model = conditional_flow<double>(2);
  const auto [serial, serial_loss] = serial_gradient(model, batch);
  for (int threads : {1, 2, 3}) {
    INFO(threads << " threads");
    const auto [split, loss] = parallel_gradient(model, batch, threads);
    CHECK(loss == Approx(serial_loss).epsilon(1e-13));
    CHECK((split - serial).norm() <= 1e-13 * serial.norm());
  }
}

TEST_CASE("data_parallel: a conditional CNF's gradient matches one thread (fixed-step solver)", "[parallel]") {
  const auto batch = labelled_batch<double>(9, 3);
  auto model = fixed_step_cnf(4);
  const auto [serial, serial_loss] = serial_gradient(model, batch);
  const auto [split, loss] = parallel_gradient(model, batch, 2);
  CHECK(loss == Approx(serial_loss).epsilon(1e-12));
  CHECK((split - serial).norm() <= 1e-12 * serial.norm());
}

TEST_CASE("data_parallel: log_prob over split rows is the model's", "[parallel]") {
  const auto batch = labelled_batch<double>(11, 6);
  auto flow = conditional_flow<double>(7);
  train::data_parallel<flows::flow<double>> flow_dp(flow, 2);
  CHECK((flow_dp.log_prob(flow, batch.x, batch.context()) - flow.log_prob(batch.x, batch.context())).norm() <= 1e-12);
  auto ode_flow = fixed_step_cnf(8);
  train::data_parallel<continuous::cnf<double>> cnf_dp(ode_flow, 3);
  CHECK((cnf_dp.log_prob(ode_flow, batch.x, batch.context()) - ode_flow.log_prob(batch.x, batch.context())).norm() <=
        1e-12);
}

TEST_CASE("data_parallel: sample over split rows draws each block from its own seeded engine", "[parallel]") {
  const auto batch = labelled_batch<double>(11, 14);  // the labels to sample for: blocks of 4, 4, 3
  auto check = [&](auto& model) {
    using Model = std::remove_cvref_t<decltype(model)>;
    train::data_parallel<Model> dp(model, 3);
    random_engine rng(15);
    const matrix<double> draws = dp.sample(model, batch.rows(), rng, batch.context());
    REQUIRE(draws.rows() == 11);
    REQUIRE(draws.cols() == 3);
    random_engine seeds(15);
    for (const parallel::row_block b : parallel::split_rows(11, 3)) {
      random_engine block_rng(seeds());
      const train::dataset<double> part = batch.rows_range(b.begin, b.rows);
      CHECK((draws.middleRows(b.begin, b.rows) - model.sample(b.rows, block_rng, part.context())).norm() <= 1e-12);
    }
    random_engine again(15);
    CHECK(dp.sample(model, batch.rows(), again, batch.context()) == draws);  // reproducible
    std::vector<index_t> too_few(5, 0);
    context<matrix<double>> short_context;
    short_context.labels = too_few;
    CHECK_THROWS_AS(dp.sample(model, 11, rng, short_context), shape_error);
  };
  auto flow = conditional_flow<double>(16);
  check(flow);
  auto ode_flow = fixed_step_cnf(17);
  check(ode_flow);
}

TEST_CASE("data_parallel: Adam steps on two threads reach the one-thread parameters, reproducibly", "[parallel]") {
  auto train_steps = [](int threads) {
    auto model = conditional_flow<float>(9);
    optim::adam<float> adam({.learning_rate = 1e-2f});
    train::data_parallel<flows::flow<float>> dp(model, threads);
    tape<float> t;
    random_engine rng(10);
    for (unsigned step = 0; step < 5; ++step) {
      const auto batch = labelled_batch<float>(64, 20 + step);
      model.parameters().zero_grad();
      if (threads == 1) {
        model.accumulate_gradient(batch.x, batch.context(), rng, t);
      } else {
        dp.accumulate_gradient(model, batch, rng);
      }
      adam.step(model.parameters());
    }
    return model.parameters().flatten_values();
  };
  const vector<float> one = train_steps(1), two = train_steps(2);
  CHECK((two - one).norm() <= 1e-5f * one.norm());
  CHECK(train_steps(2) == two);  // the same bits whatever the thread timing
}

TEST_CASE("data_parallel: Hutchinson draws are reproducible from the caller's seed", "[parallel]") {
  auto gradient = [] {
    random_engine init(11);
    continuous::continuous_flow_spec spec;
    spec.network.hidden = {8};
    auto model = continuous::make_ffjord<double>(3, init, spec);
    train::data_parallel<continuous::cnf<double>> dp(model, 2);
    random_engine rng(12);
    model.parameters().zero_grad();
    dp.accumulate_gradient(model, train::dataset<double>{labelled_batch<double>(8, 13).x}, rng);
    return model.parameters().flatten_grads();
  };
  CHECK(gradient() == gradient());
}
