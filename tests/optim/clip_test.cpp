// tests/optim/clip_test.cpp — global-norm gradient clipping: the norm it returns, the norm it
// leaves, the gradients it leaves alone.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "eigenflow/error.hpp"
#include "eigenflow/optim/clip.hpp"
#include "optim/helpers.hpp"

using eigenflow::optim::clip_grad_norm;

TEMPLATE_TEST_CASE("clip_grad_norm bounds the global norm and keeps the direction", "[optim][clip]",
                   float, double) {
  using S = TestType;
  using matrix = eigenflow::matrix<S>;
  eigenflow::nn::parameter<S> a("a", matrix::Zero(1, 2));
  eigenflow::nn::parameter<S> b("b", matrix::Zero(2, 1));
  const eigenflow::nn::parameter_list<S> params({&a, &b});
  a.grad << S(3), S(0);
  b.grad << S(0), S(-4);  // global norm 5, though each parameter's own norm is below 5

  SECTION("above the bound: returns the old norm, leaves exactly max_norm") {
    CHECK(clip_grad_norm(params, S(2)) == Approx(5.0));
    CHECK(static_cast<double>(params.grad_norm()) == Approx(2.0).epsilon(1e-6));
    CHECK(static_cast<double>(a.grad(0, 0)) == Approx(3.0 * 2 / 5));
    CHECK(static_cast<double>(b.grad(1, 0)) == Approx(-4.0 * 2 / 5));
    CHECK(a.grad(0, 1) == 0);
  }
  SECTION("at or below the bound: gradients untouched, bit for bit") {
    const auto before = params.flatten_grads();
    CHECK(clip_grad_norm(params, S(5)) == Approx(5.0));
    CHECK(clip_grad_norm(params, S(100)) == Approx(5.0));
    CHECK(clip_grad_norm(params, std::numeric_limits<S>::infinity()) == Approx(5.0));
    CHECK(params.flatten_grads() == before);
  }
  SECTION("a non-finite gradient: the norm says so and nothing is scaled") {
    for (S bad : {std::numeric_limits<S>::quiet_NaN(), std::numeric_limits<S>::infinity()}) {
      b.grad(0, 0) = bad;
      const S norm = clip_grad_norm(params, S(1));
      CHECK_FALSE(std::isfinite(norm));
      CHECK(a.grad(0, 0) == S(3));
      CHECK(b.grad(1, 0) == S(-4));
    }
    CHECK(std::isinf(clip_grad_norm(params, S(1))));
  }
  SECTION("max_norm must be > 0") {
    for (S bad : {S(0), S(-1), std::numeric_limits<S>::quiet_NaN()}) {
      CHECK_THROWS_AS(clip_grad_norm(params, bad), eigenflow::value_error);
    }
    CHECK_THROWS_WITH(clip_grad_norm(params, S(-1)), Catch::Matchers::Contains("max_norm = -1"));
  }
  SECTION("an empty list has norm 0") {
    CHECK(clip_grad_norm(eigenflow::nn::parameter_list<S>(), S(1)) == 0);
  }
}

TEST_CASE("clip_grad_norm handles float gradients whose squares overflow", "[optim][clip]") {
  // 1e30^2 is beyond float's range, but the gradients and their norm are finite: a plain sum of
  // squares would report infinity and the step would be lost.
  eigenflow::nn::parameter<float> w("w", eigenflow::matrix<float>::Zero(2, 2));
  w.grad.setConstant(1e30f);
  const eigenflow::nn::parameter_list<float> params({&w});
  const float norm = clip_grad_norm(params, 1.0f);
  CHECK(std::isfinite(norm));
  CHECK(static_cast<double>(norm) == Approx(2e30).epsilon(1e-6));
  CHECK(static_cast<double>(params.grad_norm()) == Approx(1.0).epsilon(1e-6));
  CHECK(static_cast<double>(w.grad(1, 1)) == Approx(0.5).epsilon(1e-6));
}
