// tests/flows/conv_coupling_test.cpp — affine couplings over images with the convolutional
// conditioner: channel splits, bijections with the full Jacobian's log-det, the identity at
// start, parameter gradients, and conditioning on a class, on context features and on a
// context image (super-resolution).
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/distributions.hpp"
#include "eigenflow/flows.hpp"
#include "eigenflow/flows/conv_conditioner.hpp"
#include "flows/bijection_check.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using Catch::Matchers::Contains;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::expect_bijection;
using eigenflow::test::randomize;
using eigenflow::test::uniform;

namespace {

flows::affine_coupling<double> conv_coupling(const image_shape& s, bool first, random_engine& rng,
                                             condition_spec condition = {},
                                             std::optional<image_shape> context_image = std::nullopt) {
  std::vector<index_t> b = flows::channel_split(s, first);
  const index_t transformed_channels = static_cast<index_t>(b.size()) / s.pixels();
  const image_shape conditioning{s.channels - transformed_channels, s.height, s.width};
  auto net = std::make_unique<flows::conv_conditioner<double>>(
      "c", conditioning, 2 * transformed_channels,
      flows::conv_conditioner_options{.width = 5, .hidden_activation = activation::tanh, .condition = condition,
                                      .embedding_dim = 3, .context_image = context_image},
      rng);
  return flows::affine_coupling<double>(s.size(), std::move(b), std::move(net));
}

}  // namespace

TEST_CASE("channel_split: whole channels, every pixel", "[flows][images][coupling]") {
  const image_shape s{3, 2, 2};
  CHECK(flows::channel_split(s, false) == std::vector<index_t>{4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(flows::channel_split(s, true) == std::vector<index_t>{0, 1, 2, 3});
}

TEST_CASE("conv coupling: a bijection over images with the full Jacobian's log-det", "[flows][images][coupling]") {
  random_engine rng(71);
  for (const image_shape s : {image_shape{2, 3, 3}, image_shape{4, 2, 3}, image_shape{3, 4, 2}}) {
    for (const bool first : {false, true}) {
      INFO("images of " << s.to_string() << (first ? ", first half" : ", second half"));
      auto layer = conv_coupling(s, first, rng);
      const matrix<double> x = uniform(3, s.size(), -2, 2, 72);
      // Starts as the identity: the last convolution is zero.
      const auto start = layer.forward(x, {});
      CHECK(start.value == x);
      CHECK(start.log_det.isZero());
      randomize(layer.parameters(), 73, 0.4);
      const auto moved = layer.forward(x, {});
      CHECK(moved.log_det.cwiseAbs().maxCoeff() > 0.05);  // the checks below are not vacuous
      expect_bijection(layer, x);
    }
  }
}

TEST_CASE("conv coupling: parameter gradients of a log-likelihood", "[flows][images][coupling][gradients]") {
  random_engine rng(74);
  const image_shape s{2, 3, 2};
  auto layer = conv_coupling(s, false, rng);
  randomize(layer.parameters(), 75, 0.4);
  const matrix<double> x = uniform(3, s.size(), -2, 2, 76);
  distributions::standard_normal<double> base(s.size());
  check_parameter_gradients(
      [&](tape<double>& t) {
        const auto z = layer.forward(t.constant(x), {});
        return add(base.log_prob(z.value), z.log_det);
      },
      layer.parameters());
}

TEST_CASE("conv coupling: conditioned on a class and on context features", "[flows][images][coupling][conditional]") {
  random_engine rng(77);
  const image_shape s{2, 2, 3};
  auto layer = conv_coupling(s, true, rng, {.classes = 3, .features = 2});
  randomize(layer.parameters(), 78, 0.4);
  const std::vector<index_t> labels = {0, 2, 1, 2};
  const matrix<double> features = uniform(4, 2, -1, 1, 79);
  const matrix<double> x = uniform(4, s.size(), -2, 2, 80);
  const context<matrix<double>> c{.labels = labels, .features = &features};
  expect_bijection(layer, x, c);
  // The class and the features change the map.
  const std::vector<index_t> other_labels = {1, 0, 0, 1};
  const matrix<double> other_features = uniform(4, 2, -1, 1, 81);
  const auto base = layer.forward(x, c);
  CHECK((layer.forward(x, {.labels = other_labels, .features = &features}).value - base.value).norm() > 1e-3);
  CHECK((layer.forward(x, {.labels = labels, .features = &other_features}).value - base.value).norm() > 1e-3);
  distributions::standard_normal<double> normal(s.size());
  check_parameter_gradients(
      [&](tape<double>& t) {
        const matrix<double>& f = features;
        const var<double> fv = t.constant(f);
        const auto z = layer.forward(t.constant(x), {.labels = labels, .features = &fv});
        return add(normal.log_prob(z.value), z.log_det);
      },
      layer.parameters());
  CHECK_THROWS_WITH(layer.forward(x, {}), Contains("class labels are required"));
}

TEST_CASE("conv coupling: conditioned on a context image, pixel by pixel", "[flows][images][coupling][conditional]") {
  random_engine rng(82);
  const image_shape s{2, 6, 6};
  // A coarser context image (repeated to 6×6) and a finer one (squeezed to 4 channels of 6×6),
  // each with a class as well.
  for (const image_shape low : {image_shape{1, 3, 3}, image_shape{1, 12, 12}}) {
    INFO("context image " << low.to_string());
    auto layer = conv_coupling(s, false, rng, {.classes = 2, .features = low.size()}, low);
    randomize(layer.parameters(), 83, 0.4);
    const std::vector<index_t> labels = {0, 1, 1};
    const matrix<double> image = uniform(3, low.size(), -1, 1, 84);
    const matrix<double> x = uniform(3, s.size(), -2, 2, 85);
    expect_bijection(layer, x, {.labels = labels, .features = &image});
    // Changing one context pixel changes the output only near where that pixel lands.
    matrix<double> nudged = image;
    nudged(0, 0) += 0.5;
    const matrix<double> moved = layer.forward(x, {.labels = labels, .features = &nudged}).value -
                                 layer.forward(x, {.labels = labels, .features = &image}).value;
    CHECK(moved.row(0).norm() > 1e-4);
    CHECK(moved.bottomRows(2).isZero());
    // It lands in pixels (0..1, 0..1) at most, and two 3×3 convolutions reach 2 pixels further,
    // never the far corner.
    CHECK(moved(0, s.column(1, 4, 1)) == 0.0);
    CHECK(moved(0, s.column(1, 5, 5)) == 0.0);
    distributions::standard_normal<double> normal(s.size());
    check_parameter_gradients(
        [&](tape<double>& t) {
          const var<double> f = t.constant(image);
          const auto z = layer.forward(t.constant(x), {.labels = labels, .features = &f});
          return add(normal.log_prob(z.value), z.log_det);
        },
        layer.parameters());
  }
  CHECK_THROWS_WITH(conv_coupling(s, false, rng, {.features = 3}, image_shape{1, 2, 2}),
                    Contains("c: a context image of 1x2x2 needs 4 context features, the condition has 3"));
  CHECK_THROWS_WITH(conv_coupling(s, false, rng, {.features = 16}, image_shape{1, 4, 4}),
                    Contains("images of 1x4x4 cannot be brought to 6x6"));
}
