// tests/flows/attention_coupling_test.cpp — affine couplings with an attention conditioner:
// bijections (2-D with several tokens from one feature, 6-D, conditional), parameter gradients,
// attention that really mixes conditioning features, and attention weights that sharpen with
// training on data whose transformed feature depends on a product of two conditioning features.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <span>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/distributions.hpp"
#include "eigenflow/flows/affine_coupling.hpp"
#include "eigenflow/flows/attention_conditioner.hpp"
#include "eigenflow/flows/flow.hpp"
#include "eigenflow/optim.hpp"
#include "flows/bijection_check.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::expect_bijection;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::randomize;
using eigenflow::test::uniform;

namespace {

flows::attention_conditioner_options small_attention(condition_spec condition = {}, index_t per_feature = 0) {
  return {.d_model = 8, .heads = 2, .head_dim = 4, .tokens_per_feature = per_feature, .mlp_hidden = 8,
          .hidden_activation = activation::tanh, .condition = condition, .embedding_dim = 3};
}

/// An attention coupling on `b`; `net` (if given) receives a pointer to its conditioner.
template <class S>
flows::affine_coupling<S> attention_coupling(index_t dim, std::vector<index_t> b, random_engine& rng,
                                             const flows::attention_conditioner_options& opts,
                                             flows::attention_conditioner<S>** net = nullptr) {
  const index_t nb = static_cast<index_t>(b.size());
  auto conditioner = std::make_unique<flows::attention_conditioner<S>>("att", dim - nb, 2 * nb, opts, rng);
  if (net != nullptr) *net = conditioner.get();
  return flows::affine_coupling<S>(dim, std::move(b), std::move(conditioner));
}

/// Mean over query rows of the largest attention weight, and mean total-variation distance of
/// the rows from uniform.
template <class S>
std::pair<double, double> sharpness(const matrix<S>& weights) {
  const double t = static_cast<double>(weights.cols());
  const auto w = weights.template cast<double>().array();
  return {w.rowwise().maxCoeff().mean(), 0.5 * (w - 1.0 / t).abs().rowwise().sum().mean()};
}

}  // namespace

TEST_CASE("attention coupling: bijection in 2-D (one feature, several tokens) and 6-D", "[flows][attention]") {
  random_engine rng(51);
  {
    flows::attention_conditioner<double>* net = nullptr;
    auto layer = attention_coupling<double>(2, {1}, rng, small_attention(), &net);
    CHECK(net->tokens() == 4);  // default: four tokens from the single conditioning feature
    // It starts as the identity (zero final layer).
    const matrix<double> x = uniform(5, 2, -2, 2, 52);
    CHECK(layer.forward(x, {}).value == x);
    randomize(layer.parameters(), 53);
    expect_bijection(layer, x);
  }
  {
    flows::attention_conditioner<double>* net = nullptr;
    auto layer = attention_coupling<double>(6, flows::half_split(6, false), rng, small_attention(), &net);
    CHECK(net->tokens() == 6);  // |A| = 3, two tokens each
    randomize(layer.parameters(), 54);
    expect_bijection(layer, uniform(4, 6, -2, 2, 55));
    auto odd = attention_coupling<double>(6, {0, 2, 5}, rng, small_attention({}, 1));
    randomize(odd.parameters(), 56);
    expect_bijection(odd, uniform(4, 6, -2, 2, 57));
  }
}

TEST_CASE("attention coupling: class labels and a context matrix enter as a token", "[flows][attention][conditional]") {
  random_engine rng(58);
  const std::vector<index_t> labels = {0, 2, 1, 2, 0};
  const matrix<double> x = uniform(5, 3, -2, 2, 59);
  {
    flows::attention_conditioner<double>* net = nullptr;
    auto layer = attention_coupling<double>(3, {2}, rng, small_attention({.classes = 3}), &net);
    CHECK(net->tokens() == 2 * 2 + 1);
    randomize(layer.parameters(), 60);
    expect_bijection(layer, x, {.labels = labels});
    const std::vector<index_t> other = {1, 0, 0, 1, 1};
    CHECK((layer.forward(x, {.labels = labels}).value - layer.forward(x, {.labels = other}).value).norm() > 1e-3);
    CHECK_THROWS_WITH(layer.forward(x, {}), Catch::Contains("class labels are required"));
  }
  {
    const matrix<double> ctx = uniform(5, 4, -1, 1, 61);
    auto layer = attention_coupling<double>(3, {0}, rng, small_attention({.classes = 3, .features = 4}));
    randomize(layer.parameters(), 62);
    expect_bijection(layer, x, {.labels = labels, .features = &ctx});
    auto by_features = attention_coupling<double>(3, {1}, rng, small_attention({.features = 4}));
    randomize(by_features.parameters(), 63);
    expect_bijection(by_features, x, {.features = &ctx});
    const matrix<double> ctx2 = uniform(5, 4, -1, 1, 64);
    CHECK((by_features.forward(x, {.features = &ctx}).value - by_features.forward(x, {.features = &ctx2}).value)
              .norm() > 1e-3);
  }
}

TEST_CASE("attention coupling: parameter gradients of log p, conditional", "[flows][attention][gradients]") {
  random_engine rng(65);
  flows::attention_conditioner_options opts = small_attention({.classes = 2, .features = 2}, 1);
  opts.d_model = 4;
  opts.head_dim = 2;
  opts.mlp_hidden = 3;
  auto layer = attention_coupling<double>(4, {1, 3}, rng, opts);
  auto params = layer.parameters();
  randomize(params, 66, 0.5);
  const matrix<double> x = uniform(3, 4, -1.5, 1.5, 67);
  const matrix<double> ctx = uniform(3, 2, -1, 1, 68);
  const std::vector<index_t> labels = {1, 0, 1};
  distributions::standard_normal<double> base(4);
  check_parameter_gradients(
      [&](tape<double>& t) {
        const var<double> c = t.constant(ctx);
        const auto z = layer.forward(t.constant(x), {.labels = labels, .features = &c});
        return add(base.log_prob(z.value), z.log_det);
      },
      params);
}

TEST_CASE("attention mixes conditioning features: each token's state depends on the other features",
          "[flows][attention]") {
  random_engine rng(69);
  flows::attention_conditioner<double> net("att", 3, 6, small_attention({}, 2), rng);
  nn::parameter_list<double> params;
  net.collect_parameters(params);
  randomize(params, 70);
  const index_t per = net.tokens_per_feature(), tokens = net.tokens(), d = net.d_model();
  const matrix<double> x = uniform(4, 3, -1.5, 1.5, 71);
  const matrix<double> h = net.encode(x, {});
  const matrix<double> out = net(x, {});
  // token_change(j)(i): how far the tokens of feature i move when feature j moves.
  auto token_change = [&](const flows::attention_conditioner<double>& n, const matrix<double>& base, index_t j) {
    matrix<double> moved = x;
    moved.col(j).array() += 0.3;
    const matrix<double> dh = n.encode(moved, {}) - base;
    std::vector<double> by_feature(3, 0.0);
    for (index_t r = 0; r < dh.rows(); ++r) by_feature[static_cast<std::size_t>((r % tokens) / per)] += dh.row(r).norm();
    return by_feature;
  };
  for (index_t j = 0; j < 3; ++j) {
    INFO("perturbed feature " << j);
    // The conditioner's scale/shift output changes with every conditioning feature ...
    matrix<double> moved = x;
    moved.col(j).array() += 0.3;
    CHECK((net(moved, {}) - out).norm() > 1e-2);
    // ... and so do the tokens of every *other* feature, which only attention can cause.
    const auto change = token_change(net, h, j);
    for (index_t i = 0; i < 3; ++i) CHECK(change[static_cast<std::size_t>(i)] > 1e-2);
  }
  // Control: with the attention's output projection at zero, a feature's tokens ignore the others.
  flows::attention_conditioner<double> cut(net);
  for (auto* p : cut.attention().parameters()) {
    if (p->name == "att.attention.output.weight") p->value.setZero();
  }
  const matrix<double> hc = cut.encode(x, {});
  for (index_t j = 0; j < 3; ++j) {
    const auto change = token_change(cut, hc, j);
    for (index_t i = 0; i < 3; ++i) {
      if (i == j) {
        CHECK(change[static_cast<std::size_t>(i)] > 1e-2);
      } else {
        CHECK(change[static_cast<std::size_t>(i)] == 0.0);
      }
    }
  }
  CHECK(h.rows() == 4 * tokens);
  CHECK(h.cols() == d);
}

TEST_CASE("attention weights sharpen when training on a product of two conditioning features",
          "[flows][attention][training]") {
  // x0, x1, x2 ~ N(0, 1); x3 = x0·x1 + 0.1ε: the scale and shift of x3 need x0 and x1 together.
  random_engine rng(72);
  auto make_batch = [&](index_t n) {
    matrix<double> x = normal_matrix<double>(n, 4, rng);
    x.col(3) = (x.col(0).array() * x.col(1).array()).matrix() + 0.1 * x.col(3);
    return x;
  };
  flows::attention_conditioner_options opts{.d_model = 16, .heads = 2, .head_dim = 8, .tokens_per_feature = 2,
                                            .mlp_hidden = 16};
  auto conditioner = std::make_unique<flows::attention_conditioner<double>>("att", 3, 2, opts, rng);
  const flows::attention_conditioner<double>* net = conditioner.get();  // owned by the model below
  flows::flow<double> model(std::make_unique<distributions::standard_normal<double>>(4),
                            std::make_unique<flows::affine_coupling<double>>(4, std::vector<index_t>{3},
                                                                             std::move(conditioner)));
  const matrix<double> probe = make_batch(64);
  const matrix<double> probe_a = probe.leftCols(3);
  const auto [max_before, tv_before] = sharpness(net->attention_weights(probe_a));
  const double nll_before = -model.log_prob(probe).mean();

  auto params = model.parameters();
  optim::adam<double> adam({.learning_rate = 1e-2});
  tape<double> t;
  for (int step = 0; step < 200; ++step) {
    const matrix<double> x = make_batch(64);
    t.clear();
    params.zero_grad();
    t.backward(neg(mean(model.log_prob(t.constant_view(x)))));
    adam.step(params);
  }
  const auto [max_after, tv_after] = sharpness(net->attention_weights(probe_a));
  const double nll_after = -model.log_prob(probe).mean();
  const double uniform_weight = 1.0 / static_cast<double>(net->tokens());
  INFO("NLL " << nll_before << " -> " << nll_after << "; mean max weight " << max_before << " -> " << max_after
              << " (1/T = " << uniform_weight << "); distance from uniform " << tv_before << " -> " << tv_after);
  CHECK(nll_after < nll_before - 1.0);
  CHECK(max_after > 1.5 * uniform_weight);
  CHECK(max_after > max_before + 0.1);  // sharper than the random start, not merely non-uniform
  CHECK(tv_after > tv_before);
}

TEST_CASE("attention conditioner: bad settings are errors", "[flows][attention][errors]") {
  random_engine rng(73);
  // One feature as one token would be attention over a length-1 sequence.
  CHECK_THROWS_WITH(flows::attention_conditioner<double>("att", 1, 2, small_attention({}, 1), rng),
                    Catch::Contains("single token"));
  CHECK_THROWS_AS(flows::attention_conditioner<double>("att", 0, 2, small_attention(), rng), value_error);
  flows::attention_conditioner<double> net("att", 2, 4, small_attention(), rng);
  CHECK(net.tokens() == 4);
  CHECK_THROWS_AS(net(uniform(3, 3, -1, 1, 74), {}), shape_error);
  CHECK_THROWS_AS(attention_coupling<double>(4, {3}, rng, small_attention()).forward(uniform(2, 3, 0, 1, 75), {}),
                  shape_error);
}
