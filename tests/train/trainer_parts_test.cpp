// tests/train/trainer_parts_test.cpp — the parts train::fit is built from, each alone: batches in
// shuffled epochs (the same order on every standard library), model selection with patience,
// the schedule as the only source of the learning rate, and any optimizer.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "eigenflow/flows/builders.hpp"
#include "eigenflow/optim/sgd.hpp"
#include "eigenflow/train/batch_source.hpp"
#include "eigenflow/train/evaluator.hpp"
#include "eigenflow/train/trainer.hpp"

using namespace eigenflow;

namespace {

/// Rows 0..n-1 whose single value is their index, so a batch says which rows it holds.
train::dataset<double> numbered_rows(index_t n) {
  train::dataset<double> d;
  d.x.resize(n, 1);
  for (index_t i = 0; i < n; ++i) d.x(i, 0) = double(i);
  return d;
}

std::vector<int> rows_of(const train::dataset<double>& batch) {
  std::vector<int> rows;
  for (index_t i = 0; i < batch.rows(); ++i) rows.push_back(static_cast<int>(batch.x(i, 0)));
  return rows;
}

}  // namespace

TEST_CASE("shuffle: Fisher–Yates over the engine's raw output, the same on every standard library", "[train]") {
  std::vector<int> items{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  random_engine rng(42);
  shuffle(items, rng);
  // The same walk by hand: position i swaps with j = draw mod (i + 1), i = 9 down to 1 (a draw is
  // rejected only if it falls in the last 2^64 mod (i + 1) values: never, at this seed).
  std::vector<int> expected{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  random_engine raw(42);
  for (std::size_t i = expected.size() - 1; i > 0; --i) std::swap(expected[i], expected[raw() % (i + 1)]);
  CHECK(items == expected);
  CHECK(items == std::vector<int>{1, 7, 9, 0, 3, 8, 4, 2, 5, 6});  // the permutation itself
}

TEST_CASE("batch_source: every row once per epoch, reshuffled each epoch, reproducible", "[train]") {
  const train::dataset<double> data = numbered_rows(10);
  train::batch_source<double> source(data, 4, 3);
  std::vector<int> drawn;
  for (int b = 0; b < 5; ++b) {  // 20 rows: two whole epochs
    const std::vector<int> rows = rows_of(source.next());
    CHECK(rows.size() == 4);
    drawn.insert(drawn.end(), rows.begin(), rows.end());
  }
  CHECK(source.epoch() == 1);  // the second epoch's last row was drawn; the third starts on demand
  std::vector<int> first(drawn.begin(), drawn.begin() + 10), second(drawn.begin() + 10, drawn.end());
  CHECK(first != second);  // another order in the second epoch
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  CHECK(first == rows_of(data));
  CHECK(second == rows_of(data));

  train::batch_source<double> again(data, 4, 3);
  CHECK(rows_of(again.next()) == std::vector<int>(drawn.begin(), drawn.begin() + 4));
  // Starting at any batch gives what the source would have drawn there, across epoch boundaries.
  for (long start : {1L, 2L, 3L, 4L}) {
    train::batch_source<double> resumed(data, 4, 3);
    resumed.skip_to(start);
    const std::vector<int> rows = rows_of(resumed.next());
    CHECK(rows == std::vector<int>(drawn.begin() + 4 * start, drawn.begin() + 4 * start + 4));
  }
  train::batch_source<double> other_seed(data, 4, 4);
  CHECK(rows_of(other_seed.next()) != std::vector<int>(drawn.begin(), drawn.begin() + 4));
  CHECK_THROWS_AS(train::batch_source<double>(data, 0, 3), value_error);
}

TEST_CASE("evaluator: when to evaluate, the best evaluation kept, patience", "[train]") {
  nn::parameter<double> p("p", matrix<double>::Zero(1, 2));
  const nn::parameter_list<double> params({&p});
  train::evaluator<double> e({.every = 10, .patience = 2, .keep_best = true}, 45);
  CHECK(!e.due(5));
  CHECK(e.due(10));
  CHECK(e.due(45));  // the last step always
  CHECK(std::isnan(e.best_nll()));

  p.value.setConstant(1);
  CHECK(!e.record(10, std::nan(""), params));  // NaN never counts as an improvement
  CHECK(e.record(20, 3.0, params));
  p.value.setConstant(2);
  CHECK(e.record(30, 2.5, params));
  p.value.setConstant(3);
  CHECK(!e.record(40, 2.6, params));
  CHECK(!e.should_stop());
  CHECK(!e.record(45, 2.5, params));  // equal is no improvement
  CHECK(e.should_stop());
  CHECK(e.best_nll() == 2.5);
  CHECK(e.best_iteration() == 30);
  e.restore_best(params);
  CHECK(p.value == matrix<double>::Constant(1, 2, 2.0));

  train::evaluator<double> no_keep({.every = 0, .patience = 0, .keep_best = false}, 5);
  CHECK(!no_keep.due(4));
  CHECK(no_keep.due(5));
  CHECK(no_keep.record(5, 1.0, params));
  p.value.setConstant(7);
  no_keep.restore_best(params);
  CHECK(p.value == matrix<double>::Constant(1, 2, 7.0));
  CHECK(!no_keep.should_stop());
}

TEST_CASE("train::fit: the schedule is the only source of the learning rate, for any optimizer", "[train]") {
  random_engine data_rng(1);
  const train::dataset<double> data{normal_matrix<double>(64, 2, data_rng)};
  auto run = [&](auto optimizer, const train::trainer_options& o) {
    random_engine init(2);
    auto model = flows::make_coupling_flow<double>({.dim = 2, .couplings = 2, .hidden_width = 8}, init);
    train::fit(model, optimizer, data, nullptr, o);
    return std::pair(model.parameters().flatten_values(), double(optimizer.learning_rate()));
  };
  train::trainer_options o;
  o.iterations = 6;
  o.batch = 16;
  o.learning_rate = 0.01;
  o.progress = train::progress_mode::quiet;
  // An optimizer built with another rate: the options' rate wins (it used to be ignored).
  const auto [from_options, rate_a] = run(optim::adam<double>({.learning_rate = 0.01}), o);
  const auto [from_other, rate_b] = run(optim::adam<double>({.learning_rate = 0.5}), o);
  CHECK(from_options == from_other);
  CHECK(rate_a == 0.01);
  CHECK(rate_b == 0.01);

  // A custom schedule: step k runs at its rate (the last step's rate is what the optimizer holds).
  train::trainer_options custom = o;
  custom.custom_schedule = [](long step) { return 0.001 * double(step + 1); };
  CHECK(run(optim::adam<double>(), custom).second == Approx(0.006));

  // Cosine: warm-up, then decay to 1% of the peak at the end.
  train::trainer_options cosine = o;
  cosine.schedule = train::schedule_kind::cosine;
  cosine.warmup = 2;
  const train::learning_rate_schedule rate_at = train::make_schedule(cosine);
  CHECK(rate_at(0) == 0.0);
  CHECK(rate_at(1) == Approx(0.005));
  CHECK(rate_at(2) == Approx(0.01));
  CHECK(rate_at(6) == Approx(0.0001));

  // SGD trains too, and differs from Adam.
  const auto [with_sgd, sgd_rate] = run(optim::sgd<double>({.learning_rate = 0.5}), o);
  CHECK(sgd_rate == 0.01);
  CHECK(with_sgd != from_options);
  random_engine init(2);
  const auto untrained = flows::make_coupling_flow<double>({.dim = 2, .couplings = 2, .hidden_width = 8}, init);
  CHECK(with_sgd != untrained.parameters().flatten_values());

  train::trainer_options bad = o;
  bad.learning_rate = -1;
  CHECK_THROWS_WITH(run(optim::adam<double>(), bad), Catch::Contains("learning_rate"));
}

TEST_CASE("score_validation: an evaluation replaces the baseline only when significantly better", "[train]") {
  parallel::single_process alone;
  train::trainer_options o;
  auto score = [&](const vector<double>& row_nll) { return train::detail::score_validation(alone, o, row_nll); };
  const vector<double> noisy{{0.9, 1.1, 0.8, 1.0}};
  CHECK(score(noisy).nll == Approx(0.95).epsilon(1e-15));
  CHECK(score(noisy).selected == score(noisy).nll);  // no baseline: as measured
  o.baseline_rows = {1.0, 1.0, 1.0, 1.0};
  // Differences -0.1, 0.1, -0.2, 0: mean -0.05, standard error 0.0645; two of them is 0.129.
  CHECK(score(noisy).selected == 1.0);  // exactly the baseline's mean
  CHECK(score(noisy).nll == Approx(0.95).epsilon(1e-15));  // the progress still shows the measurement
  const vector<double> noisier{{0.7, 1.35, 0.85, 1.0}};
  CHECK(score(noisier).selected == 1.0);  // the same value: a tie
  o.baseline_z = 0.5;  // a looser test lets the same improvement through
  CHECK(score(noisy).selected == score(noisy).nll);
  o.baseline_z = 2;
  const vector<double> better{{0.5, 0.6, 0.4, 0.55}};
  CHECK(score(better).selected == Approx(0.5125).epsilon(1e-15));
}
