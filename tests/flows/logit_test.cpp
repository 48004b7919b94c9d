// tests/flows/logit_test.cpp — the logit map of dequantized images: a bijection with the full
// Jacobian's log-det, the closed form, finite at the ends of [0, 1] for α > 0, and the density
// of a flow behind it integrating to one on the unit interval.
#include <catch2/catch.hpp>

#include <cmath>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/distributions.hpp"
#include "eigenflow/flows.hpp"
#include "eigenflow/flows/logit.hpp"
#include "flows/bijection_check.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using Catch::Matchers::Contains;
using eigenflow::test::expect_bijection;
using eigenflow::test::uniform;

TEST_CASE("logit: a bijection of the unit cube with the full Jacobian's log-det", "[flows][images][logit]") {
  for (const double alpha : {0.0, 1e-6, 0.05}) {
    INFO("alpha = " << alpha);
    const flows::logit<double> layer(3, alpha);
    const matrix<double> x = uniform(5, 3, 0.01, 0.99, 101);
    expect_bijection(layer, x);
    const auto out = layer.forward(x, {});
    for (index_t i = 0; i < 5; ++i) {
      double log_det = 0;
      for (index_t j = 0; j < 3; ++j) {
        const double s = alpha + (1 - 2 * alpha) * x(i, j);
        CHECK(out.value(i, j) == Approx(std::log(s / (1 - s))).epsilon(1e-13));
        log_det += std::log((1 - 2 * alpha) / (s * (1 - s)));
      }
      CHECK(out.log_det(i, 0) == Approx(log_det).epsilon(1e-13));
    }
  }
  // α > 0: the ends of [0, 1] map to finite values, and far-out y come back inside [0, 1].
  const flows::logit<double> layer(2, 0.05);
  matrix<double> ends(1, 2);
  ends << 0.0, 1.0;
  CHECK(layer.forward(ends, {}).value.allFinite());
  matrix<double> far(1, 2);
  far << -800.0, 800.0;
  const auto back = layer.inverse(far, {});
  CHECK(back.value.allFinite());
  CHECK(back.log_det.allFinite());
  CHECK_THROWS_WITH(flows::logit<double>(2, 0.5), Contains("logit: alpha must be in [0, 0.5)"));
}

TEST_CASE("logit: the density behind it integrates to one on the unit interval", "[flows][images][logit]") {
  // p(x) = N(logit(s(x))) · |dy/dx| on [0, 1], by the midpoint rule.
  auto layers = std::make_unique<flows::composite<double>>(1);
  layers->add(flows::logit<double>(1, 0.05));
  const flows::flow<double> model(std::make_unique<distributions::standard_normal<double>>(1), std::move(layers));
  const index_t n = 200000;
  matrix<double> x(n, 1);
  for (index_t i = 0; i < n; ++i) x(i, 0) = (static_cast<double>(i) + 0.5) / static_cast<double>(n);
  // The mass of y outside logit([α, 1 − α]) is the base's tails beyond ±logit(1 − α).
  const double tail = std::erfc(std::log(0.95 / 0.05) / std::sqrt(2.0));
  CHECK(model.log_prob(x).array().exp().mean() == Approx(1 - tail).epsilon(1e-6));
}
