// tests/flows/image_layers_test.cpp — ActNorm per channel and the invertible 1×1 convolution over
// images: bijections whose log-det is that of the full (C·H·W)² Jacobian, the same map as the
// vector layer applied to every pixel, per-channel initialization, parameter gradients; and the
// class-conditional ActNorm (a shift and scale per class and channel: Glow's class prior).
#include <catch2/catch.hpp>

#include <cmath>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/distributions.hpp"
#include "eigenflow/flows/actnorm.hpp"
#include "eigenflow/flows/class_actnorm.hpp"
#include "eigenflow/flows/lu_linear.hpp"
#include "flows/bijection_check.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using Catch::Matchers::Contains;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::expect_bijection;
using eigenflow::test::randomize;
using eigenflow::test::uniform;

namespace {

// The batch with one row per (sample, pixel) and a column per channel.
matrix<double> pixels_as_rows(const matrix<double>& x, const image_shape& s) {
  return Eigen::Map<const matrix<double>>(x.data(), x.rows() * s.pixels(), s.channels);
}

}  // namespace

TEST_CASE("invertible 1x1 convolution: a bijection over images, the vector layer at every pixel", "[flows][images]") {
  for (const image_shape s : {image_shape{3, 2, 3}, image_shape{2, 4, 4}, image_shape{1, 3, 2}}) {
    INFO("images of " << s.to_string());
    random_engine rng(51);
    flows::lu_linear<double> conv("mix", s, rng);
    randomize(conv.parameters(), 52, 0.5);
    CHECK(conv.dim() == s.size());
    expect_bijection(conv, uniform(3, s.size(), -2, 2, 53));
    // y per pixel = x_pixel Wᵀ + b, and log-det = H·W·log|det W|.
    const matrix<double> x = uniform(4, s.size(), -2, 2, 54);
    const auto out = conv.forward(x, {});
    const matrix<double> w = conv.weight();
    const matrix<double> expected = (pixels_as_rows(x, s) * w.transpose()).rowwise() + conv.parameters()[3].value.row(0);
    CHECK((pixels_as_rows(out.value, s) - expected).cwiseAbs().maxCoeff() <= 1e-13);
    const double log_abs_det = std::log(std::abs(w.determinant()));
    CHECK((out.log_det.array() - static_cast<double>(s.pixels()) * log_abs_det).abs().maxCoeff() <= 1e-12);
    if (s.channels > 1) CHECK(std::abs(log_abs_det) > 0.05);  // not vacuous
  }
  random_engine rng(1);
  CHECK_THAT(flows::lu_linear<double>("mix", image_shape{3, 2, 3}, rng).describe(),
             Catch::Matches("invertible_1x1_conv\\(3x2x3, fixed P and signs fnv1a [0-9a-f]{8}\\)"));
  CHECK_THROWS_WITH(flows::lu_linear<double>("mix", image_shape{3, 0, 3}, rng),
                    Contains("mix: lu_linear needs a positive dimension, got images of 3x0x3"));
}

TEST_CASE("invertible 1x1 convolution: parameter gradients, both directions", "[flows][images][gradients]") {
  const image_shape s{3, 2, 2};
  random_engine rng(55);
  flows::lu_linear<double> conv("mix", s, rng);
  auto params = conv.parameters();
  randomize(params, 56, 0.5);
  const matrix<double> x = uniform(3, s.size(), -1.5, 1.5, 57);
  distributions::standard_normal<double> base(s.size());
  check_parameter_gradients(
      [&](tape<double>& t) {
        const auto z = conv.forward(t.constant(x), {});
        return add(base.log_prob(z.value), z.log_det);
      },
      params);
  check_parameter_gradients(
      [&](tape<double>& t) {
        const auto back = conv.inverse(t.constant(x), {});
        return concat(back.value, back.log_det);
      },
      params);
  tape<double> t;
  const auto on_tape = conv.inverse(t.constant(x), {});
  CHECK((matrix<double>(on_tape.value.value()) - conv.inverse(x, {}).value).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("actnorm per channel: a bijection, initialized over every pixel of a channel", "[flows][images][actnorm]") {
  const image_shape s{3, 2, 3};
  flows::actnorm<double> norm("an", s);
  CHECK(norm.dim() == 18);
  CHECK(norm.parameters()[0].value.cols() == 3);
  CHECK(norm.describe() == "actnorm(3x2x3, per channel)");
  // Channels of different means and scales.
  matrix<double> x = uniform(5, s.size(), -1, 1, 58);
  for (index_t c = 0; c < 3; ++c) {
    x.middleCols(c * s.pixels(), s.pixels()) = (x.middleCols(c * s.pixels(), s.pixels()).array() * (c + 1) * 2.0 + c - 1.0).matrix();
  }
  const matrix<double> normalized = norm.initialize(x, {});
  const matrix<double> entries = pixels_as_rows(normalized, s);
  const row_vector<double> mean = entries.colwise().mean();
  CHECK(mean.cwiseAbs().maxCoeff() <= 1e-12);
  const row_vector<double> second = entries.array().square().colwise().mean();
  CHECK((second.array() - 1).abs().maxCoeff() <= 1e-12);
  // log-det −H·W·Σ ρ, with ρ the channels' log standard deviations.
  const auto out = norm.forward(x, {});
  const double rho_sum = norm.parameters()[1].value.sum();
  CHECK((out.log_det.array() + 6.0 * rho_sum).abs().maxCoeff() <= 1e-12);
  CHECK(std::abs(rho_sum) > 0.5);
  randomize(norm.parameters(), 59, 0.5);
  expect_bijection(norm, x);
  distributions::standard_normal<double> base(s.size());
  check_parameter_gradients(
      [&](tape<double>& t) {
        const auto z = norm.forward(t.constant(x), {});
        return add(base.log_prob(z.value), z.log_det);
      },
      norm.parameters());
  CHECK_THROWS_WITH(flows::actnorm<double>("an", image_shape{0, 2, 2}),
                    Contains("an: actnorm needs a positive dimension, got images of 0x2x2"));
}

TEST_CASE("class_actnorm: a shift and scale per class and channel, initialized per class", "[flows][images][actnorm]") {
  const image_shape s{2, 2, 2};
  flows::class_actnorm<double> norm("prior", s, 3);
  CHECK(norm.condition() == condition_spec{.classes = 3});
  CHECK(norm.describe() == "class_actnorm(2x2x2, 3 classes)");
  // Class k's pixels are k + (k + 1)·u: each class has its own mean and spread.
  const std::vector<index_t> labels = {0, 1, 2, 1, 0, 2, 2, 1, 0, 0};
  matrix<double> x = uniform(10, s.size(), -1, 1, 60);
  for (index_t i = 0; i < 10; ++i) x.row(i) = (x.row(i).array() * double(labels[i] + 1) + double(labels[i])).matrix();
  const context<matrix<double>> c{.labels = labels};
  CHECK(norm.forward(x, c).value == x);  // the identity before initialization
  const matrix<double> normalized = norm.initialize(x, c);
  for (index_t k = 0; k < 3; ++k) {
    std::vector<index_t> rows;
    for (index_t i = 0; i < 10; ++i) {
      if (labels[i] == k) rows.push_back(i);
    }
    const matrix<double> entries = pixels_as_rows(normalized(rows, Eigen::all), s);
    CHECK(entries.colwise().mean().cwiseAbs().maxCoeff() <= 1e-12);
    CHECK((entries.array().square().colwise().mean() - 1).abs().maxCoeff() <= 1e-12);
  }
  // Each row's log-det is −H·W·Σ_c ρ of its own class.
  const auto out = norm.forward(x, c);
  const matrix<double>& rho = norm.parameters()[1].value;
  for (index_t i = 0; i < 10; ++i) CHECK(out.log_det(i, 0) == Approx(-4.0 * rho.row(labels[i]).sum()).margin(1e-12));
  randomize(norm.parameters(), 61, 0.5);
  expect_bijection(norm, x, c);
  distributions::standard_normal<double> base(s.size());
  check_parameter_gradients(
      [&](tape<double>& t) {
        const auto z = norm.forward(t.constant(x), {.labels = labels});
        return add(base.log_prob(z.value), z.log_det);
      },
      norm.parameters());
  CHECK_THROWS_WITH(norm.forward(x, {}), Contains("prior: class labels are required (3 classes)"));
  CHECK_THROWS_WITH(flows::class_actnorm<double>("p", s, 0), Contains("p: class_actnorm needs positive sizes and classes"));
}
