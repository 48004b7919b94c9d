// tests/nn/conv2d_test.cpp — the convolution layer: the op with its own parameters, their
// gradients against finite differences, fan-in initialization, float, and bad sizes named.
#include <catch2/catch.hpp>

#include <cmath>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/nn/conv2d.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using Catch::Matchers::Contains;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::uniform;

TEST_CASE("nn::conv2d: the conv2d op with the layer's weight and bias, and its gradients", "[nn][conv]") {
  random_engine rng(61);
  const image_shape in{2, 3, 4};
  nn::conv2d<double> layer("c", in, 3, 3, rng);
  layer.bias().value = uniform(1, 3, -1, 1, 62);
  CHECK(layer.output_shape() == image_shape{3, 3, 4});
  CHECK(layer.weight().value.rows() == 3);
  CHECK(layer.weight().value.cols() == 18);
  const matrix<double> x = uniform(2, in.size(), -1, 1, 63);
  CHECK(layer(x) == conv2d(x, layer.weight().value, layer.bias().value, in));
  check_parameter_gradients([&](tape<double>& t) { return tanh(layer(t.constant(x))); }, layer.parameters());
  // Fan-in C·k·k: LeCun's variance 1/18.
  random_engine big_rng(64);
  nn::conv2d<double> wide("w", {8, 2, 2}, 64, 3, big_rng);
  const double variance = wide.weight().value.array().square().mean();
  CHECK(variance == Approx(1.0 / 72).epsilon(0.15));
  nn::conv2d<double> zero("z", in, 4, 1, rng, {.bias = false, .weight_init = nn::init::zeros});
  CHECK(zero.parameters().size() == 1);
  CHECK(zero(x).isZero());
}

TEST_CASE("nn::conv2d: an output activation, with and without a bias, and its gradients", "[nn][conv]") {
  random_engine rng(67);
  const image_shape in{2, 3, 4};
  const matrix<double> x = uniform(2, in.size(), -1, 1, 68);
  for (const bool bias : {true, false}) {
    INFO("bias " << bias);
    nn::conv2d<double> layer("c", in, 3, 3, rng, {.bias = bias, .output_activation = activation::softplus});
    nn::conv2d<double> plain("c", in, 3, 3, rng, {.bias = bias});
    plain.weight().value = layer.weight().value;
    if (bias) {
      layer.bias().value = uniform(1, 3, -1, 1, 69);
      plain.bias().value = layer.bias().value;
    }
    CHECK((layer(x) - softplus(plain(x))).cwiseAbs().maxCoeff() <= 1e-15);
    const matrix<double> weights = uniform(2, 3 * in.pixels(), 0.5, 2, 70);
    check_parameter_gradients([&](tape<double>& t) { return mul(layer(t.constant(x)), t.constant(weights)); },
                              layer.parameters());
  }
}

TEST_CASE("nn::conv2d: float values, and sizes that do not fit are named", "[nn][conv]") {
  random_engine rng(65);
  nn::conv2d<float> f("f", {1, 4, 4}, 2, 3, rng);
  const matrix<float> xf = uniform(3, 16, -1, 1, 66).cast<float>();
  const matrix<double> reference =
      conv2d(matrix<double>(xf.cast<double>()), matrix<double>(f.weight().value.cast<double>()),
             matrix<double>(f.bias().value.cast<double>()), image_shape{1, 4, 4});
  CHECK((f(xf).cast<double>() - reference).cwiseAbs().maxCoeff() <= 1e-5);
  CHECK_THROWS_WITH(nn::conv2d<double>("c", {1, 4, 4}, 2, 2, rng), Contains("c: conv2d needs positive image sizes"));
  CHECK_THROWS_WITH(nn::conv2d<double>("c", {1, 4, 4}, 2, 2, rng), Contains("kernel 2"));
  CHECK_THROWS_WITH(nn::conv2d<double>("c", {1, 0, 4}, 2, 3, rng), Contains("images of 1x0x4"));
  CHECK_THROWS_WITH(f(matrix<float>(3, 15)), Contains("f: expected 16 input columns, got a 3x15 input"));
}
