// tests/train/trainer_test.cpp — the training loop: it learns, keeps the best model, stops early,
// reports progress as a bar or as lines, calls a per-batch hook, and refuses bad data.
#include <catch2/catch.hpp>

#include <cstdio>
#include <set>
#include <string>

#include "eigenflow/continuous/builders.hpp"
#include "eigenflow/flows/builders.hpp"
#include "eigenflow/train/trainer.hpp"

using namespace eigenflow;

namespace {

train::dataset<double> gaussian(index_t n, double mean, double scale, unsigned seed) {
  random_engine rng(seed);
  return {(normal_matrix<double>(n, 2, rng) * scale).array() + mean};
}

flows::flow<double> small_flow(unsigned seed) {
  random_engine rng(seed);
  return flows::make_coupling_flow<double>({.dim = 2, .couplings = 2, .hidden_width = 8}, rng);
}

/// Everything a run printed, through a temporary file (not a terminal: plain lines).
struct captured_output {
  std::FILE* file = std::tmpfile();
  ~captured_output() { std::fclose(file); }
  std::string text() const {
    std::rewind(file);
    std::string s;
    for (int c; (c = std::fgetc(file)) != EOF;) s += static_cast<char>(c);
    return s;
  }
};

}  // namespace

TEST_CASE("train::fit lowers the held-out NLL of a coupling flow", "[train]") {
  flows::flow<double> model = small_flow(1);
  const auto train_set = gaussian(2000, 1.0, 0.3, 2), validation = gaussian(500, 1.0, 0.3, 3);
  const double before = train::validation_nll(model, validation);
  captured_output out;
  train::trainer_options o{.iterations = 300, .batch = 128, .learning_rate = 5e-3, .clip = 10, .evaluate_every = 100,
                           .progress = train::progress_mode::lines, .out = out.file};
  auto adam = train::make_optimizer<double>(o);
  const train::training_summary s = train::fit(model, adam, train_set, &validation, o);
  const double after = train::validation_nll(model, validation);
  INFO("nll " << before << " -> " << after);
  CHECK(after < before - 1.0);
  CHECK(s.iterations == 300);
  CHECK(s.best_validation_nll == Approx(after));
  CHECK(std::isfinite(s.last_loss));
  const std::string text = out.text();
  CHECK(text.find("iter 300/300") != std::string::npos);
  CHECK(text.find("validation nll") != std::string::npos);
  CHECK(text.find("eta") != std::string::npos);
  CHECK(text.find('\r') == std::string::npos);  // not a terminal: plain lines
}

TEST_CASE("train::fit keeps the best model and stops early", "[train]") {
  // Training narrows the density around 0; the validation rows sit at 3, so every evaluation
  // after the first is worse.
  flows::flow<double> model = small_flow(4);
  const auto train_set = gaussian(1000, 0.0, 0.05, 5), validation = gaussian(200, 3.0, 0.05, 6);
  train::trainer_options o{.iterations = 1000, .batch = 64, .learning_rate = 1e-2, .evaluate_every = 10, .patience = 3,
                           .progress = train::progress_mode::quiet};
  auto adam = train::make_optimizer<double>(o);
  const train::training_summary s = train::fit(model, adam, train_set, &validation, o);
  CHECK(s.stopped_early);
  CHECK(s.iterations == 40);
  CHECK(s.best_iteration == 10);
  CHECK(train::validation_nll(model, validation) == Approx(s.best_validation_nll));
}

TEST_CASE("train::fit trains a class-conditional flow and an FFJORD model", "[train]") {
  random_engine rng(7);
  train::dataset<double> labeled = gaussian(400, 0.0, 1.0, 8);
  for (index_t i = 0; i < labeled.rows(); ++i) labeled.labels.push_back(i % 2);
  flows::flow<double> conditional = flows::make_class_conditional_flow<double>(2, 2, 2, 8, rng);
  train::trainer_options o{.iterations = 20, .batch = 32, .progress = train::progress_mode::quiet};
  auto adam = train::make_optimizer<double>(o);
  const train::training_summary discrete = train::fit(conditional, adam, labeled, &labeled, o);
  CHECK(discrete.iterations == 20);
  CHECK(discrete.mean_forward_evaluations == 0);

  continuous::cnf<double> ffjord = continuous::make_ffjord<double>(2, rng, {.network = {.hidden = {8}}});
  captured_output out;
  o.progress = train::progress_mode::lines;
  o.out = out.file;
  o.iterations = 3;
  auto adam2 = train::make_optimizer<double>(o);
  const train::training_summary continuous_summary = train::fit(ffjord, adam2, gaussian(100, 0.0, 1.0, 9), nullptr, o);
  CHECK(out.text().find("nfe ") != std::string::npos);
  // Every adaptive solve (forward, then the adjoint's backward) takes at least one dopri5 step of 6 evaluations.
  CHECK(continuous_summary.mean_forward_evaluations >= 6);
  CHECK(continuous_summary.mean_backward_evaluations >= 6);
}

TEST_CASE("train::fit calls the batch hook on every batch, with the batch's rows", "[train][hook]") {
  // Column 0 holds each row's index and the label is index % 2, so the hook can tell which rows
  // it got; 4 iterations of 25 rows are one shuffled epoch of the 100 rows.
  train::dataset<double> data = gaussian(100, 0.0, 1.0, 10);
  for (index_t i = 0; i < data.rows(); ++i) {
    data.x(i, 0) = double(i);
    data.labels.push_back(i % 2);
  }
  random_engine rng(11);
  flows::flow<double> model = flows::make_class_conditional_flow<double>(2, 2, 2, 8, rng);
  train::trainer_options o{.iterations = 4, .batch = 25, .progress = train::progress_mode::quiet};
  auto adam = train::make_optimizer<double>(o);
  long calls = 0;
  std::multiset<index_t> seen;
  bool rows_match = true;
  const train::batch_hook<double> hook = [&](train::dataset<double>& batch, random_engine&) {
    ++calls;
    rows_match = rows_match && batch.rows() == 25 && static_cast<index_t>(batch.labels.size()) == 25;
    for (index_t i = 0; i < batch.rows(); ++i) {
      const auto row = static_cast<index_t>(batch.x(i, 0));
      seen.insert(row);
      rows_match = rows_match && batch.x.row(i) == data.x.row(row) && batch.labels[std::size_t(i)] == row % 2;
    }
    batch.x.col(0).setZero();  // a rewrite of the copy, not of the data set
  };
  CHECK(train::fit(model, adam, data, nullptr, o, hook).iterations == 4);
  CHECK(calls == 4);
  CHECK(rows_match);
  CHECK(seen.size() == 100);
  CHECK(std::set<index_t>(seen.begin(), seen.end()).size() == 100);  // each row once: one epoch
  CHECK(data.x(99, 0) == 99.0);
}

TEST_CASE("train::fit still evaluates, checkpoints and finishes after a skipped step", "[train][hook]") {
  // A row at 1e300 overflows the log-density (finite input, non-finite loss): the step is skipped.
  flows::flow<double> model = small_flow(14);
  const auto data = gaussian(256, 0.0, 1.0, 15), validation = gaussian(64, 0.0, 1.0, 16);
  std::vector<long> checkpoints;
  train::trainer_options o{.iterations = 4, .batch = 16, .skip_nonfinite = true, .progress = train::progress_mode::quiet,
                           .checkpoint_every = 2, .on_checkpoint = [&](long it) { checkpoints.push_back(it); }};
  auto adam = train::make_optimizer<double>(o);
  long calls = 0;
  const train::training_summary s = train::fit(model, adam, data, &validation, o,
                                               [&](train::dataset<double>& b, random_engine&) {
                                                 if (++calls % 2 == 0) b.x(0, 0) = 1e300;  // steps 2 and 4
                                               });
  CHECK(s.skipped_steps == 2);
  CHECK(s.iterations == 4);
  CHECK(checkpoints == std::vector<long>{2});
  // The one evaluation (at the end, after a skipped step) happened and its model was kept.
  CHECK(std::isfinite(s.best_validation_nll));
  CHECK(s.best_iteration == 4);
  CHECK(train::validation_nll(model, validation) == Approx(s.best_validation_nll));
}

TEST_CASE("train::fit trains on what the batch hook returns", "[train][hook]") {
  flows::flow<double> model = small_flow(12);
  train::trainer_options o{.iterations = 3, .batch = 8, .progress = train::progress_mode::quiet};
  auto adam = train::make_optimizer<double>(o);
  const auto data = gaussian(32, 0.0, 1.0, 13);
  // The hook's noise comes from the trainer's engine: runs with the same seed see the same batches.
  std::vector<double> first, second;
  auto noise = [](std::vector<double>& log) {
    return [&log](train::dataset<double>& batch, random_engine& r) {
      batch.x += normal_matrix<double>(batch.rows(), batch.x.cols(), r);
      log.push_back(batch.x(0, 0));
    };
  };
  train::fit(model, adam, data, nullptr, o, noise(first));
  flows::flow<double> again = small_flow(12);
  auto adam2 = train::make_optimizer<double>(o);
  train::fit(again, adam2, data, nullptr, o, noise(second));
  CHECK(first.size() == 3);
  CHECK(first == second);
  // A rewritten batch is checked like the data: NaN and a changed width are refused.
  CHECK_THROWS_WITH(train::fit(model, adam, data, nullptr, o,
                               [](train::dataset<double>& b, random_engine&) { b.x(0, 1) = std::nan(""); }),
                    Catch::Contains("after the hook") && Catch::Contains("x is not finite at row 0, column 1"));
  const train::batch_hook<double> widen = [](train::dataset<double>& b, random_engine&) {
    b.x.conservativeResize(Eigen::NoChange, 3);
  };
  CHECK_THROWS_AS(train::fit(model, adam, data, nullptr, o, widen), shape_error);
}

TEST_CASE("train::progress draws a bar in place on a terminal", "[train]") {
  captured_output out;
  train::progress bar(train::progress_mode::bar, out.file);
  bar.update({10, 10, 1.5, "nfe 3+4"});
  const std::string text = out.text();
  CHECK(text.find("\r[########################] iter 10/10") != std::string::npos);
  CHECK(text.find("nfe 3+4") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(train::progress::format_duration(3725) == "1:02:05");
  CHECK(train::progress::format_duration(65) == "1:05");
}

TEST_CASE("train::fit scores validation rows in blocks exactly as all at once", "[train]") {
  // 7 rows a block over 200: the last block is partial. Each row's score is its own, so the blocks
  // change nothing: the same best step, NLL and final parameters.
  const auto train_set = gaussian(500, 0.5, 0.4, 11), validation = gaussian(200, 0.5, 0.4, 12);
  train::trainer_options o{.iterations = 60, .batch = 50, .learning_rate = 1e-2, .evaluate_every = 10,
                           .progress = train::progress_mode::quiet};
  auto run = [&](index_t block) {
    flows::flow<double> model = small_flow(13);
    o.evaluation_rows = block;
    auto adam = train::make_optimizer<double>(o);
    const train::training_summary s = train::fit(model, adam, train_set, &validation, o);
    return std::pair{s, train::validation_nll(model, validation)};
  };
  const auto [whole, whole_nll] = run(0);
  const auto [blocks, blocks_nll] = run(7);
  CHECK(blocks.best_iteration == whole.best_iteration);
  CHECK(blocks.best_validation_nll == Approx(whole.best_validation_nll).epsilon(1e-12));
  CHECK(blocks_nll == Approx(whole_nll).epsilon(1e-12));
  CHECK(whole.best_validation_nll == Approx(whole_nll).epsilon(1e-12));
  o.evaluation_rows = -1;
  flows::flow<double> model = small_flow(13);
  auto adam = train::make_optimizer<double>(o);
  CHECK_THROWS_WITH(train::fit(model, adam, train_set, &validation, o), Catch::Contains("evaluation_rows"));
}

TEST_CASE("train::fit refuses bad data and options", "[train]") {
  flows::flow<double> model = small_flow(1);
  train::trainer_options o{.iterations = 5, .progress = train::progress_mode::quiet};
  auto adam = train::make_optimizer<double>(o);
  auto bad = gaussian(10, 0, 1, 1);
  bad.x(3, 1) = std::nan("");
  CHECK_THROWS_WITH(train::fit(model, adam, bad, nullptr, o), Catch::Contains("x is not finite at row 3, column 1"));
  auto mislabeled = gaussian(10, 0, 1, 1);
  mislabeled.labels = {0, 1};
  CHECK_THROWS_AS(train::fit(model, adam, mislabeled, nullptr, o), shape_error);
  o.iterations = 0;
  CHECK_THROWS_AS(train::fit(model, adam, gaussian(10, 0, 1, 1), nullptr, o), value_error);
}

TEST_CASE("train::fit resumed from a checkpoint's parameters and optimizer state ends where one run ends",
          "[train][resume]") {
  // Full batches: every step sees every row, so the steps do not depend on the random stream.
  const auto data = gaussian(40, 1.0, 2.0, 4);
  train::trainer_options o;
  o.iterations = 20;
  o.batch = data.rows();
  o.learning_rate = 1e-2;
  o.schedule = train::schedule_kind::cosine;  // the schedule must continue, not restart
  o.warmup = 3;
  o.progress = train::progress_mode::quiet;

  auto straight = small_flow(5);
  auto straight_adam = train::make_optimizer<double>(o);
  std::vector<long> checkpoints;
  vector<double> at_8;
  optim::optimizer_state<double> adam_at_8;
  o.checkpoint_every = 8;
  o.on_checkpoint = [&](long it) {
    checkpoints.push_back(it);
    if (it == 8) at_8 = straight.parameters().flatten_values(), adam_at_8 = straight_adam.export_state();
  };
  const auto summary = train::fit(straight, straight_adam, data, nullptr, o);
  CHECK(checkpoints == std::vector<long>{8, 16});  // not after the last step
  CHECK(summary.iterations == 20);

  auto resumed = small_flow(99);  // another initialization: the checkpoint's values replace it
  resumed.parameters().assign_values(at_8);
  auto resumed_adam = train::make_optimizer<double>(o);
  resumed_adam.import_state(adam_at_8, resumed.parameters());
  o.on_checkpoint = {};
  o.completed_iterations = 8;
  const auto resumed_summary = train::fit(resumed, resumed_adam, data, nullptr, o);
  CHECK(resumed_summary.iterations == 20);
  CHECK(resumed_adam.step_count() == 20);
  const vector<double> expected = straight.parameters().flatten_values();
  CHECK((resumed.parameters().flatten_values() - expected).cwiseAbs().maxCoeff() < 1e-10);

  o.completed_iterations = 20;  // nothing left: no step, parameters untouched
  const auto none = train::fit(resumed, resumed_adam, data, nullptr, o);
  CHECK(none.iterations == 20);
  CHECK(resumed_adam.step_count() == 20);
  o.completed_iterations = 21;
  CHECK_THROWS_WITH(train::fit(resumed, resumed_adam, data, nullptr, o), Catch::Contains("completed_iterations 21"));
}

namespace {

/// Trains `fresh()` for 30 mini-batch steps with validation every 5 (from the start), patience and
/// keep-best, a noisy batch hook, once straight and once resumed from the checkpoint at step 10
/// (parameters, Adam's state, model selection's state), and checks that both end identically.
template <class MakeModel>
void check_exact_resume(MakeModel fresh, const train::dataset<double>& data, const train::dataset<double>& validation) {
  train::trainer_options o{.iterations = 30, .batch = 16, .learning_rate = 1e-2, .evaluate_every = 5, .patience = 4,
                           .progress = train::progress_mode::quiet};
  o.evaluate_at_start = true;
  const train::batch_hook<double> jitter = [](train::dataset<double>& b, random_engine& r) {
    b.x += 0.01 * normal_matrix<double>(b.rows(), b.x.cols(), r);
  };
  auto straight = fresh();
  auto adam = train::make_optimizer<double>(o);
  train::selection_state selection;
  vector<double> params_at_10;
  optim::optimizer_state<double> adam_at_10;
  train::selection_state selection_at_10;
  o.selection = &selection;
  o.checkpoint_every = 10;
  o.on_checkpoint = [&](long it) {
    if (it != 10) return;
    params_at_10 = straight.parameters().flatten_values();
    adam_at_10 = adam.export_state();
    selection_at_10 = selection;
  };
  const train::training_summary whole = train::fit(straight, adam, data, &validation, o, jitter);
  REQUIRE(params_at_10.size() > 0);

  auto resumed = fresh();
  resumed.parameters().assign_values(params_at_10);
  auto resumed_adam = train::make_optimizer<double>(o);
  resumed_adam.import_state(adam_at_10, resumed.parameters());
  train::selection_state resumed_selection = selection_at_10;
  o.selection = &resumed_selection;
  o.on_checkpoint = {};
  o.completed_iterations = 10;
  const train::training_summary rest = train::fit(resumed, resumed_adam, data, &validation, o, jitter);
  CHECK(rest.iterations == whole.iterations);
  CHECK(rest.best_iteration == whole.best_iteration);
  CHECK(rest.best_validation_nll == whole.best_validation_nll);
  CHECK(rest.stopped_early == whole.stopped_early);
  CHECK(resumed.parameters().flatten_values() == straight.parameters().flatten_values());
  CHECK(resumed_selection.best_values == selection.best_values);
}

}  // namespace

TEST_CASE("train::fit resumed mid-run with mini-batches, validation and keep-best ends exactly as one run",
          "[train][resume]") {
  const auto data = gaussian(200, 1.0, 2.0, 21), validation = gaussian(50, 1.0, 2.0, 22);
  SECTION("a coupling flow") { check_exact_resume([] { return small_flow(23); }, data, validation); }
  SECTION("an FFJORD (the model's own random numbers too)") {
    auto ffjord = [] {
      random_engine rng(24);
      continuous::continuous_flow_spec spec;
      spec.network.hidden = {8};
      spec.model.training_trace = continuous::trace_estimator::hutchinson;
      spec.model.training_solver = {.solver = ode::method::rk4, .steps = 3};
      spec.model.evaluation_solver = spec.model.training_solver;
      return continuous::make_continuous_flow<double>(2, rng, spec);
    };
    check_exact_resume(ffjord, data, validation);
  }
  // With evaluate_at_start the starting parameters are a candidate: when training only makes the
  // validation rows less likely (they sit at 3, training narrows around 0), fit ends at the start.
  const auto narrow = gaussian(500, 0.0, 0.05, 26), far = gaussian(100, 3.0, 0.05, 27);
  for (const bool at_start : {true, false}) {
    flows::flow<double> model = small_flow(25);
    const vector<double> start = model.parameters().flatten_values();
    train::trainer_options o{.iterations = 20, .batch = 32, .learning_rate = 1e-2, .evaluate_every = 10,
                             .progress = train::progress_mode::quiet};
    o.evaluate_at_start = at_start;
    auto adam = train::make_optimizer<double>(o);
    const auto s = train::fit(model, adam, narrow, &far, o);
    CHECK(s.best_iteration == (at_start ? 0 : 10));
    CHECK((model.parameters().flatten_values() == start) == at_start);
  }
}

TEST_CASE("train::fit on two threads ends with the parameters of one thread, evaluations included",
          "[train][threads]") {
  // Each worker takes a block of every batch and of the validation rows; the gradients and the
  // validation sums are added in worker order, so two threads differ from one only by rounding.
  const auto data = gaussian(300, 0.5, 1.5, 11), validation = gaussian(90, 0.5, 1.5, 12);
  auto run = [&](int threads) {
    flows::flow<double> model = small_flow(13);
    train::trainer_options o{.iterations = 30, .batch = 64, .learning_rate = 1e-2, .evaluate_every = 10,
                             .progress = train::progress_mode::quiet, .threads = threads};
    auto adam = train::make_optimizer<double>(o);
    const train::training_summary s = train::fit(model, adam, data, &validation, o);
    return std::pair{model.parameters().flatten_values(), s};
  };
  const auto [one, one_summary] = run(1);
  const auto [two, two_summary] = run(2);
  CHECK(two_summary.iterations == 30);
  CHECK(two_summary.best_iteration == one_summary.best_iteration);
  CHECK(two_summary.best_validation_nll == Approx(one_summary.best_validation_nll).epsilon(1e-9));
  CHECK((two - one).cwiseAbs().maxCoeff() < 1e-9);
  CHECK((one - small_flow(13).parameters().flatten_values()).cwiseAbs().maxCoeff() > 1e-3);  // it trained
}
