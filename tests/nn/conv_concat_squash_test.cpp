// tests/nn/conv_concat_squash_test.cpp — FFJORD's time-gated convolution: the documented formula,
// the dense ConcatSquash layer on 1×1 images, gradients and tangents in x, t and the parameters
// against finite differences, the zero start, and a badly shaped time named.
#include "eigenflow/nn/conv_concat_squash.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/nn/concat_squash.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using Catch::Matchers::Contains;
using eigenflow::test::check_ad;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::uniform;

namespace {

/// Moves every parameter off its initial value (zero biases would hide terms).
template <class Layer>
void perturb(Layer& layer, unsigned seed) {
  random_engine rng(seed);
  for (auto* p : layer.parameters()) p->value += 0.3 * normal_matrix<double>(p->value.rows(), p->value.cols(), rng);
}

}  // namespace

TEST_CASE("conv_concat_squash: conv(x) gated and shifted per channel by the time", "[nn][conv][concat_squash]") {
  random_engine rng(41);
  const image_shape in{2, 3, 3};
  nn::conv_concat_squash<double> layer("cs", in, 3, 3, rng);
  perturb(layer, 42);
  const auto params = layer.parameters();
  REQUIRE(params.size() == 5);  // conv weight and bias, gate weight and bias, shift weight
  const matrix<double> x = uniform(2, in.size(), -1, 1, 43);
  const double t = 0.7;
  const matrix<double> time = matrix<double>::Constant(1, 1, t);
  const matrix<double> conv = conv2d(x, params[0].value, params[1].value, in);
  const matrix<double> got = layer(x, time);
  REQUIRE(got.cols() == 3 * 9);
  for (index_t c = 0; c < 3; ++c) {
    const double gate = 1 / (1 + std::exp(-(t * params[2].value(c, 0) + params[3].value(0, c))));
    const double shift = t * params[4].value(c, 0);
    for (index_t p = 0; p < 9; ++p) {
      for (index_t n = 0; n < 2; ++n)
        CHECK(got(n, c * 9 + p) == Approx(conv(n, c * 9 + p) * gate + shift).margin(1e-14));
    }
  }
  nn::conv_concat_squash<double> zero("z", in, 3, 3, rng, true);
  CHECK(zero(x, time).isZero());
}

TEST_CASE("conv_concat_squash: on 1x1 images it is the dense ConcatSquash layer", "[nn][conv][concat_squash]") {
  random_engine rng(44);
  nn::conv_concat_squash<double> conv_layer("c", {3, 1, 1}, 2, 3, rng);
  nn::concat_squash<double> dense("d", 3, 2, rng);
  perturb(conv_layer, 45);
  perturb(dense, 46);
  const auto c = conv_layer.parameters();
  const auto d = dense.parameters();
  // Only the centre tap of a 3×3 kernel meets a 1×1 image; the others read the zero padding.
  for (index_t o = 0; o < 2; ++o) {
    for (index_t i = 0; i < 3; ++i) d[0].value(o, i) = c[0].value(o, i * 9 + 4);
  }
  for (std::size_t k = 1; k < 5; ++k) d[k].value = c[k].value;
  const matrix<double> x = uniform(4, 3, -1, 1, 47), times = uniform(4, 1, 0, 1, 48);
  CHECK((conv_layer(x, times) - dense(x, times)).cwiseAbs().maxCoeff() < 1e-14);
}

TEST_CASE("conv_concat_squash: gradients and tangents match finite differences", "[nn][conv][concat_squash]") {
  random_engine rng(49);
  const image_shape in{2, 2, 3};
  nn::conv_concat_squash<double> layer("cs", in, 2, 3, rng);
  perturb(layer, 50);
  const matrix<double> x = uniform(3, in.size(), -1, 1, 51);
  for (const matrix<double>& t : {matrix<double>(matrix<double>::Constant(1, 1, 0.4)), uniform(3, 1, 0, 1, 52)}) {
    INFO("time " << t.rows() << "x1");
    check_ad([&](const auto& v) { return layer(v[0], v[1]); }, {x, t});
    check_parameter_gradients([&](tape<double>& tp) { return tanh(layer(tp.constant(x), tp.constant(t))); },
                              layer.parameters());
  }
  CHECK_THROWS_WITH(layer(x, matrix<double>(matrix<double>::Zero(2, 1))),
                    Contains("cs: time must be 1x1 or 3x1, got 2x1"));
}
