// tests/flows/glow_test.cpp — the multi-scale Glow flow and its parts: on_columns, the squeeze
// as a permutation, the whole as a bijection with the full Jacobian's log-det, the factored-out
// half's learned prior, parameter gradients, class conditioning, and settings that do not fit.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/distributions.hpp"
#include "eigenflow/flows.hpp"
#include "eigenflow/flows/glow_builders.hpp"
#include "eigenflow/flows/on_columns.hpp"
#include "flows/bijection_check.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using Catch::Matchers::Contains;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::expect_bijection;
using eigenflow::test::randomize;
using eigenflow::test::uniform;

TEST_CASE("on_columns: the inner transform on its columns, the rest untouched", "[flows][images]") {
  random_engine rng(81);
  // An LU layer on columns {4, 1, 2} of 6 (in that order).
  flows::on_columns<double> layer(6, {4, 1, 2}, std::make_unique<flows::lu_linear<double>>("lu", 3, rng));
  randomize(layer.parameters(), 82, 0.5);
  const matrix<double> x = uniform(4, 6, -2, 2, 83);
  const auto out = layer.forward(x, {});
  matrix<double> inner_in(4, 3);
  inner_in << x.col(4), x.col(1), x.col(2);
  const auto inner = layer.inner().forward(inner_in, {});
  for (const index_t j : {0, 3, 5}) CHECK(out.value.col(j) == x.col(j));
  CHECK(out.value.col(4) == inner.value.col(0));
  CHECK(out.value.col(1) == inner.value.col(1));
  CHECK(out.value.col(2) == inner.value.col(2));
  CHECK(out.log_det == inner.log_det);
  expect_bijection(layer, x);
  CHECK_THROWS_WITH(flows::on_columns<double>(6, {4, 4, 2}, std::make_unique<flows::lu_linear<double>>("lu", 3, rng)),
                    Contains("on_columns: column 4 is out of [0, 6) or repeated"));
  CHECK_THROWS_WITH(flows::on_columns<double>(6, {4, 2}, std::make_unique<flows::lu_linear<double>>("lu", 3, rng)),
                    Contains("on_columns: 2 columns for lu_linear(D=3"));
}

TEST_CASE("glow: a multi-scale bijection with the full Jacobian's log-det", "[flows][images][glow]") {
  random_engine rng(84);
  // 2 levels over 1×4×4 images: 4×2×2 after the first squeeze, 2 channels kept, 8×1×1 at the top.
  const flows::glow_options o{.image = {1, 4, 4}, .levels = 2, .steps = 2, .width = 4};
  flows::flow<double> model = flows::make_glow<double>(o, rng);
  const matrix<double> x = uniform(6, 16, -1, 1, 85);
  model.initialize(x);
  randomize(model.parameters(), 86, 0.3);
  expect_bijection(model.bijection(), x);
  // The density is normalized where it can be checked cheaply: log p = log N(f(x)) + log-det.
  const auto z = model.bijection().forward(x, {});
  distributions::standard_normal<double> base(16);
  CHECK((model.log_prob(x) - (base.log_prob(z.value) + z.log_det)).cwiseAbs().maxCoeff() <= 1e-12);
  // Sampling runs the inverse: the log p it reports is log_prob's at the samples.
  random_engine sampler(87);
  const auto [samples, sample_log_p] = model.sample_and_log_prob(5, sampler);
  CHECK((model.log_prob(samples) - sample_log_p).cwiseAbs().maxCoeff() <= 1e-9);
  check_parameter_gradients(
      [&](tape<double>& t) { return model.log_prob(t.constant(x)); }, model.parameters(), 1e-5);
}

TEST_CASE("glow: starts orthogonal (every coupling, the prior's included, is the identity)", "[flows][images][glow]") {
  random_engine rng(88);
  const flows::glow_options o{.image = {1, 4, 4}, .levels = 2, .steps = 1, .width = 3};
  flows::flow<double> model = flows::make_glow<double>(o, rng);
  // Before initialization every coupling (the prior included) is the identity and every ActNorm
  // too, so f is the two squeezes plus 1×1 convolutions: orthogonal, log-det 0.
  const matrix<double> x = uniform(4, 16, -1, 1, 89);
  CHECK(model.bijection().forward(x, {}).log_det.cwiseAbs().maxCoeff() <= 1e-12);
  const std::string description = model.bijection().describe();
  CHECK_THAT(description, Contains("on_columns(8 of 16"));
  CHECK_THAT(description, Contains("squeeze"));
  flows::glow_options no_prior = o;
  no_prior.learned_prior = false;
  random_engine rng2(88);
  CHECK(flows::make_glow<double>(no_prior, rng2).parameters().size() < model.parameters().size());
}

TEST_CASE("glow: with logit_alpha, the logit layer first: log p(x) = log p_glow(logit(x)) + its log-det",
          "[flows][images][glow]") {
  const double alpha = 1e-3;
  flows::glow_options o{.image = {1, 4, 4}, .levels = 2, .steps = 1, .width = 3};
  random_engine rng(93), same(93);
  flows::flow<double> plain = flows::make_glow<double>(o, rng);
  o.logit_alpha = alpha;
  flows::flow<double> with_logit = flows::make_glow<double>(o, same);  // the same parameters: logit has none
  randomize(plain.parameters(), 94, 0.3);
  randomize(with_logit.parameters(), 94, 0.3);
  const matrix<double> x = uniform(5, 16, 0.01, 0.99, 95);
  const flows::logit<double> logit(16, alpha);
  const auto y = logit.forward(x, {});
  CHECK((with_logit.log_prob(x) - (plain.log_prob(y.value) + y.log_det)).cwiseAbs().maxCoeff() <= 1e-10);
  expect_bijection(with_logit.bijection(), x, {});
  CHECK_THAT(with_logit.bijection().describe(), Contains("logit(D=16"));
  random_engine sampler(96);
  // x = (sigmoid(y) − α)/(1 − 2α): the draws lie in the logit layer's range, a little wider than
  // (0, 1) by α/(1 − 2α) on either side (where sigmoid(y) < α or > 1 − α).
  const matrix<double> draws = with_logit.sample(50, sampler);
  const double margin = alpha / (1 - 2 * alpha);
  CHECK((draws.array() > -margin).all());
  CHECK((draws.array() < 1 + margin).all());
  CHECK(((draws.array() > 0) && (draws.array() < 1)).count() > draws.size() / 2);
}

TEST_CASE("glow: conditioned on a class", "[flows][images][glow][conditional]") {
  random_engine rng(90);
  const flows::glow_options o{.image = {1, 4, 4}, .levels = 2, .steps = 1, .width = 3, .condition = {.classes = 3}};
  flows::flow<double> model = flows::make_glow<double>(o, rng);
  CHECK(model.condition().classes == 3);
  // The top prior has a mean and scale per class (Glow's class-conditional prior).
  bool has_class_prior = false;
  for (const auto& p : model.parameters()) has_class_prior = has_class_prior || p->name == "levels.1.class_prior.loc";
  CHECK(has_class_prior);
  randomize(model.parameters(), 91, 0.3);
  const matrix<double> x = uniform(4, 16, -1, 1, 92);
  const std::vector<index_t> labels = {0, 1, 2, 1}, other = {2, 2, 0, 0};
  expect_bijection(model.bijection(), x, {.labels = labels});
  CHECK((model.log_prob(x, {.labels = labels}) - model.log_prob(x, {.labels = other})).norm() > 1e-3);
  CHECK_THROWS_WITH(model.log_prob(x), Contains("class labels are required"));
}

TEST_CASE("glow: conditioned on a low-resolution image (super-resolution)", "[flows][images][glow][conditional]") {
  random_engine rng(94);
  const image_shape low{1, 2, 2};
  const flows::glow_options o{.image = {1, 4, 4}, .levels = 2, .steps = 1, .width = 3,
                              .condition = {.features = low.size()}, .context_image = low};
  flows::flow<double> model = flows::make_glow<double>(o, rng);
  CHECK(model.condition().features == 4);
  randomize(model.parameters(), 95, 0.3);
  const matrix<double> x = uniform(4, 16, -1, 1, 96), image = uniform(4, 4, -1, 1, 97),
                       other = uniform(4, 4, -1, 1, 98);
  expect_bijection(model.bijection(), x, {.features = &image});
  CHECK((model.log_prob(x, {.features = &image}) - model.log_prob(x, {.features = &other})).norm() > 1e-3);
  CHECK_THROWS_WITH(model.log_prob(x), Contains("a context matrix with 4 columns is required"));
}

TEST_CASE("glow: settings that do not fit the images are named", "[flows][images][glow]") {
  random_engine rng(93);
  CHECK_THROWS_WITH(flows::make_glow<double>({.image = {1, 6, 6}, .levels = 2}, rng),
                    Contains("make_glow: 2 levels need height and width divisible by 4, got images of 1x6x6"));
  CHECK_THROWS_WITH(flows::make_glow<double>({.image = {1, 4, 4}, .levels = 0}, rng),
                    Contains("make_glow: levels, steps and width must be positive"));
  CHECK_THROWS_WITH(flows::make_glow<double>({.image = {0, 4, 4}}, rng), Contains("image shape 0x4x4"));
}
