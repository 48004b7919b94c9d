// tests/flows/flow_test.cpp — the flow model: log_prob against the base density and log-det,
// sample / log_prob consistency, gradients against finite differences, a trained 2-D density
// that integrates to one, class-conditional training, input errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "eigenflow/distributions.hpp"
#include "eigenflow/flows.hpp"
#include "eigenflow/optim.hpp"
#include "flows/bijection_check.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::randomize;
using eigenflow::test::uniform;

namespace {

/// A RealNVP-style stack: couplings on alternating halves with a reverse permutation between.
template <class S>
flows::flow<S> small_flow(index_t dim, int couplings, random_engine& rng, condition_spec condition = {},
                          index_t hidden = 16) {
  auto stack = std::make_unique<flows::composite<S>>(dim);
  for (int k = 0; k < couplings; ++k) {
    const auto b = flows::half_split(dim, false);
    const index_t nb = static_cast<index_t>(b.size());
    flows::conditioner_options opts{.hidden = {hidden, hidden}, .condition = condition, .embedding_dim = 4};
    auto net = std::make_unique<flows::mlp_conditioner<S>>("coupling" + std::to_string(k), dim - nb, 2 * nb, opts, rng);
    stack->add(flows::affine_coupling<S>(dim, b, std::move(net)));
    stack->add(flows::permutation<S>::reverse(dim));
  }
  return flows::flow<S>(std::make_unique<distributions::standard_normal<S>>(dim), std::move(stack));
}

/// Two Gaussian blobs, class 0 around (−2, 0) and class 1 around (2, 1).
matrix<double> blobs(const std::vector<index_t>& labels, random_engine& rng) {
  matrix<double> x = 0.3 * normal_matrix<double>(static_cast<index_t>(labels.size()), 2, rng);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    x(static_cast<index_t>(i), 0) += labels[i] == 0 ? -2.0 : 2.0;
    x(static_cast<index_t>(i), 1) += labels[i] == 0 ? 0.0 : 1.0;
  }
  return x;
}

/// 300 Adam steps on the two blobs (conditioned on the class or not); the first and last loss.
std::pair<double, double> train_on_blobs(flows::flow<double>& model, bool conditional, random_engine& rng) {
  auto params = model.parameters();
  optim::adam<double> adam({.learning_rate = 5e-3});
  tape<double> t;
  double first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    std::vector<index_t> labels(128);
    for (auto& l : labels) l = uniform01(rng) < 0.5 ? 0 : 1;
    const matrix<double> x = blobs(labels, rng);
    t.clear();
    params.zero_grad();
    const context<var<double>> c{.labels = conditional ? std::span<const index_t>(labels) : std::span<const index_t>()};
    const var<double> loss = neg(mean(model.log_prob(t.constant_view(x), c)));
    t.backward(loss);
    adam.step(params);
    (step == 0 ? first : last) = loss.item();
  }
  return {first, last};
}

}  // namespace

TEST_CASE("standard normal and diagonal Gaussian densities", "[distributions]") {
  const matrix<double> z = uniform(4, 3, -2, 2, 1);
  distributions::standard_normal<double> n(3);
  for (index_t i = 0; i < 4; ++i) {
    CHECK(n.log_prob(z)(i, 0) == Approx(-0.5 * z.row(i).squaredNorm() - 1.5 * std::log(2 * std::numbers::pi)));
  }
  distributions::diagonal_gaussian<double> g("base", 3);
  auto params = g.parameters();
  params[0].value << 0.5, -1, 2;
  params[1].value << 0.1, -0.3, 0.4;
  for (index_t i = 0; i < 4; ++i) {
    double expected = -1.5 * std::log(2 * std::numbers::pi);
    for (index_t j = 0; j < 3; ++j) {
      const double sd = std::exp(params[1].value(0, j));
      const double u = (z(i, j) - params[0].value(0, j)) / sd;
      expected += -0.5 * u * u - std::log(sd);
    }
    CHECK(g.log_prob(z)(i, 0) == Approx(expected));
  }
  check_parameter_gradients([&](tape<double>& t) { return g.log_prob(t.constant(z)); }, params);
  random_engine rng(2);
  const matrix<double> s = g.sample(20000, rng);
  CHECK(s.col(2).mean() == Approx(2).margin(0.05));
  CHECK(std::sqrt((s.col(1).array() + 1).square().mean()) == Approx(std::exp(-0.3)).epsilon(0.03));
}

TEST_CASE("a tempered base is its base's draws scaled by T, with the density of that scaling", "[distributions]") {
  const matrix<double> z = uniform(5, 3, -2, 2, 21);
  // The standard normal at T is N(0, T² I): the diagonal Gaussian with log σ = log T.
  const double temperature = 0.6;
  distributions::tempered<double> cold(std::make_unique<distributions::standard_normal<double>>(3), temperature);
  distributions::diagonal_gaussian<double> same("g", 3);
  same.parameters()[1].value.setConstant(std::log(temperature));
  CHECK((cold.log_prob(z) - same.log_prob(z)).cwiseAbs().maxCoeff() < 1e-12);
  random_engine a(22), b(22);
  CHECK((cold.sample(7, a) - temperature * distributions::standard_normal<double>(3).sample(7, b)).norm() == 0);
  // Around a learned base: its parameters are the tempered density's, with their gradients.
  auto inner = std::make_unique<distributions::diagonal_gaussian<double>>("base", 3);
  inner->parameters()[0].value << 0.5, -1, 2;
  inner->parameters()[1].value << 0.1, -0.3, 0.4;
  const matrix<double> expected = inner->log_prob(z / 1.7).array() - 3 * std::log(1.7);
  distributions::tempered<double> warm(std::move(inner), 1.7);
  CHECK((warm.log_prob(z) - expected).cwiseAbs().maxCoeff() < 1e-12);
  REQUIRE(warm.parameters().size() == 2);
  check_parameter_gradients([&](tape<double>& t) { return warm.log_prob(t.constant(z)); }, warm.parameters());
  for (const double bad : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    CHECK_THROWS_AS(distributions::tempered<double>(std::make_unique<distributions::standard_normal<double>>(3), bad),
                    value_error);
  }
}

TEST_CASE("a flow at temperature T: the same transform over the tempered base", "[flows][flow]") {
  random_engine rng(23);
  auto model = small_flow<double>(3, 2, rng);
  randomize(model.parameters(), 24);
  const matrix<double> x = uniform(6, 3, -2, 2, 25);
  const double temperature = 0.7;
  const flows::flow<double> cold = model.tempered(temperature);
  const auto z = model.bijection().forward(x, {});
  const matrix<double> expected =
      model.base().log_prob(z.value / temperature).array() - 3 * std::log(temperature) + z.log_det.array();
  CHECK((cold.log_prob(x) - expected).cwiseAbs().maxCoeff() < 1e-12);
  const auto [samples, log_p] = cold.sample_and_log_prob(40, rng);
  CHECK((cold.log_prob(samples) - log_p).cwiseAbs().maxCoeff() < 1e-10);
  // Its draws are the flow's inverse at T times the base draws of the same engine.
  random_engine a(26), b(26);
  const matrix<double> base_draws = temperature * model.base().sample(9, b);
  CHECK((cold.sample(9, a) - model.bijection().inverse(base_draws, {}).value).cwiseAbs().maxCoeff() < 1e-12);
  random_engine c(27), d(27);
  CHECK((model.tempered(1.0).sample(9, c) - model.sample(9, d)).norm() == 0);
  CHECK_THROWS_AS(model.tempered(0.0), value_error);
}

TEST_CASE("log_prob is the base density at T(x) plus the log-det; samples agree", "[flows][flow]") {
  random_engine rng(3);
  auto model = small_flow<double>(3, 3, rng);
  randomize(model.parameters(), 4);
  const matrix<double> x = uniform(6, 3, -2, 2, 5);
  const auto z = model.bijection().forward(x, {});
  CHECK((model.log_prob(x) - (model.base().log_prob(z.value) + z.log_det)).norm() < 1e-12);
  const auto [samples, log_p] = model.sample_and_log_prob(50, rng);
  CHECK((model.log_prob(samples) - log_p).cwiseAbs().maxCoeff() < 1e-10);
}

TEST_CASE("large plain batches are evaluated in chunks with the same results", "[flows][flow]") {
  random_engine rng(12);
  auto model = small_flow<float>(2, 2, rng, {.classes = 2});
  const index_t n = flows::flow<float>::chunk_rows + 100;
  const matrix<float> x = normal_matrix<float>(n, 2, rng);
  std::vector<index_t> labels(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<index_t>(i % 2);
  const matrix<float> whole = model.log_prob(x, {.labels = labels});
  const matrix<float> tail = x.bottomRows(100);
  const matrix<float> tail_lp = model.log_prob(tail, {.labels = std::span(labels).last(100)});
  CHECK((whole.bottomRows(100) - tail_lp).cwiseAbs().maxCoeff() == 0);
  const auto [samples, log_p] = model.sample_and_log_prob(n, rng, {.labels = labels});
  CHECK((model.log_prob(samples, {.labels = labels}) - log_p).cwiseAbs().maxCoeff() < 1e-3);
}

TEST_CASE("gradients of log_prob with respect to every parameter", "[flows][flow][gradients]") {
  random_engine rng(6);
  auto model = small_flow<double>(3, 2, rng, {.classes = 2});
  randomize(model.parameters(), 7);
  const matrix<double> x = uniform(5, 3, -1.5, 1.5, 8);
  const std::vector<index_t> labels = {0, 1, 1, 0, 1};
  check_parameter_gradients([&](tape<double>& t) { return model.log_prob(t.constant(x), {.labels = labels}); },
                            model.parameters());
}

TEST_CASE("a trained 2-D flow's density integrates to one", "[flows][flow][training]") {
  random_engine rng(9);
  auto model = small_flow<double>(2, 4, rng, {}, 32);
  const auto [first, last] = train_on_blobs(model, false, rng);
  CHECK(last < first - 1.0);
  // Riemann sum of p over [−8, 8]² on a 400×400 grid.
  const index_t n = 400;
  const double lo = -8, h = 16.0 / n;
  matrix<double> grid(n * n, 2);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < n; ++j) grid.row(i * n + j) << lo + (i + 0.5) * h, lo + (j + 0.5) * h;
  const double mass = model.log_prob(grid).array().exp().sum() * h * h;
  CHECK(mass == Approx(1).margin(1e-3));
}

TEST_CASE("class-conditional flow: log p(x | c) separates the classes, sampling given c gives c's data",
          "[flows][flow][conditional][training]") {
  random_engine rng(10);
  auto model = small_flow<double>(2, 4, rng, {.classes = 2}, 32);
  train_on_blobs(model, true, rng);
  const std::vector<index_t> zeros(200, 0), ones(200, 1);
  const matrix<double> x0 = blobs(zeros, rng);
  // Class-0 data is far likelier under class 0.
  CHECK((model.log_prob(x0, {.labels = zeros}) - model.log_prob(x0, {.labels = ones})).minCoeff() > 2.0);
  const matrix<double> s1 = model.sample(200, rng, {.labels = ones});
  CHECK(s1.col(0).mean() == Approx(2.0).margin(0.3));
  CHECK(s1.col(1).mean() == Approx(1.0).margin(0.3));
  const matrix<double> s0 = model.sample(200, rng, {.labels = zeros});
  CHECK(s0.col(0).mean() == Approx(-2.0).margin(0.3));
}

TEST_CASE("bad input: width, NaN/Inf, class ids, context rows", "[flows][flow][errors]") {
  random_engine rng(11);
  auto model = small_flow<double>(2, 1, rng, {.classes = 3});
  const std::vector<index_t> labels = {0, 1};
  CHECK_THROWS_WITH(model.log_prob(matrix<double>(matrix<double>::Zero(2, 3)), {.labels = labels}),
                    "flow::log_prob: expected 2 features, got a 2x3 input");
  matrix<double> x = matrix<double>::Zero(2, 2);
  x(1, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(model.log_prob(x, {.labels = labels}), Catch::Contains("not finite at row 1, column 0"));
  x(1, 0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(model.log_prob(x, {.labels = labels}), value_error);
  x.setZero();
  const std::vector<index_t> bad = {0, 5};
  CHECK_THROWS_WITH(model.log_prob(x, {.labels = bad}), Catch::Contains("class id 5 at row 1"));
  CHECK_THROWS_WITH(model.sample(3, rng, {.labels = labels}), Catch::Contains("2 labels for a batch of 3"));
  CHECK_THROWS_AS(model.sample(0, rng, {}), value_error);
  auto unconditional = small_flow<double>(2, 1, rng);
  CHECK_THROWS_WITH(unconditional.log_prob(x, {.labels = labels}), Catch::Contains("not class-conditional"));
}

TEST_CASE("flow: a density_model whose const view lists the same parameters through copies and moves", "[flows]") {
  static_assert(density_model<flows::flow<float>> && density_model<flows::flow<double>>);
  random_engine rng(71);
  flows::flow<double> model = small_flow<double>(3, 2, rng);
  const flows::flow<double>& fixed = model;
  REQUIRE(fixed.parameters().size() == model.parameters().size());
  CHECK(&fixed.parameters()[1] == &model.parameters()[1]);
  const matrix<double> x = normal_matrix<double>(6, 3, rng);
  const matrix<double> before = model.log_prob(x);

  flows::flow<double> moved = std::move(model);  // the layers stay where they are
  CHECK(moved.log_prob(x) == before);
  randomize(moved.parameters(), 72);  // the output layers start at zero: give them values
  CHECK(moved.log_prob(x) != before);
  flows::flow<double> copy = moved;  // a copy's list points into the copy
  copy.parameters().assign_values(copy.parameters().flatten_values() * 0.0);
  CHECK(copy.log_prob(x) != moved.log_prob(x));
  CHECK(moved.parameters().flatten_values() != copy.parameters().flatten_values());
  copy = moved;  // assignment too
  CHECK(copy.log_prob(x) == moved.log_prob(x));
  copy.parameters()[0].value.setConstant(3);
  CHECK(moved.parameters()[0].value != copy.parameters()[0].value);
}
