// tests/optim/schedule_test.cpp — learning-rate schedules at their key steps, argument checks,
// and a schedule driving an optimizer.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

#include "eigenflow/error.hpp"
#include "eigenflow/optim/adam.hpp"
#include "eigenflow/optim/schedule.hpp"
#include "eigenflow/optim/sgd.hpp"

using eigenflow::optim::constant_schedule;
using eigenflow::optim::step_decay_schedule;
using eigenflow::optim::warmup_cosine_schedule;

TEMPLATE_TEST_CASE("constant and step-decay schedules", "[optim][schedule]", float, double) {
  using S = TestType;
  const constant_schedule<S> constant(S(0.01));
  CHECK(constant(0) == S(0.01));
  CHECK(constant(1'000'000) == S(0.01));

  const step_decay_schedule<S> decay(S(0.1), 10, S(0.5));
  CHECK(decay(0) == S(0.1));
  CHECK(decay(9) == S(0.1));
  CHECK(static_cast<double>(decay(10)) == Approx(0.05));
  CHECK(static_cast<double>(decay(19)) == Approx(0.05));
  CHECK(static_cast<double>(decay(20)) == Approx(0.025));
  CHECK(static_cast<double>(decay(51)) == Approx(0.1 / 32));
  CHECK(step_decay_schedule<S>(S(0.1), 1, S(1))(12345) == S(0.1));
}

TEMPLATE_TEST_CASE("warm-up then cosine schedule at its key steps", "[optim][schedule]", float,
                   double) {
  using S = TestType;
  const double base = 1e-3, floor = 1e-5;
  const std::int64_t warmup = 100, total = 1100;

  SECTION("warm-up from zero") {
    const warmup_cosine_schedule<S> s(S(base), warmup, total, S(floor));
    CHECK(s(0) == 0);
    CHECK(static_cast<double>(s(50)) == Approx(base / 2));
    CHECK(static_cast<double>(s(99)) == Approx(base * 0.99));
    CHECK(static_cast<double>(s(warmup)) == Approx(base));             // end of warm-up: peak
    CHECK(static_cast<double>(s(600)) == Approx((base + floor) / 2));  // half-way down
    const double quarter = floor + (base - floor) * 0.5 * (1 + std::cos(std::numbers::pi / 4));
    CHECK(static_cast<double>(s(350)) == Approx(quarter));
    CHECK(static_cast<double>(s(total)) == Approx(floor));      // end: the floor
    CHECK(static_cast<double>(s(total + 1)) == Approx(floor));  // and it stays there
    CHECK(static_cast<double>(s(100 * total)) == Approx(floor));
    for (std::int64_t t = warmup; t < total; ++t) CHECK(s(t + 1) <= s(t));  // monotone decay
  }
  SECTION("warm-up from a start factor") {
    const warmup_cosine_schedule<S> s(S(base), warmup, total, S(0), S(0.1));
    CHECK(static_cast<double>(s(0)) == Approx(0.1 * base));
    CHECK(static_cast<double>(s(50)) == Approx(0.55 * base));
    CHECK(static_cast<double>(s(warmup)) == Approx(base));
    CHECK(s(total) == 0);
  }
  SECTION("no warm-up") {
    const warmup_cosine_schedule<S> s(S(base), 0, 10);
    CHECK(static_cast<double>(s(0)) == Approx(base));
    CHECK(static_cast<double>(s(5)) == Approx(base / 2));
    CHECK(s(10) == 0);
  }
}

TEMPLATE_TEST_CASE("schedules reject bad arguments and negative steps", "[optim][schedule]", float,
                   double) {
  using S = TestType;
  using eigenflow::value_error;
  const S nan = std::numeric_limits<S>::quiet_NaN();
  const S inf = std::numeric_limits<S>::infinity();
  for (S bad : {S(0), S(-1), nan, inf}) {
    CHECK_THROWS_AS(constant_schedule<S>(bad), value_error);
    CHECK_THROWS_AS(step_decay_schedule<S>(bad, 10, S(0.5)), value_error);
    CHECK_THROWS_AS(warmup_cosine_schedule<S>(bad, 10, 100), value_error);
  }
  CHECK_THROWS_AS(step_decay_schedule<S>(S(0.1), 0, S(0.5)), value_error);
  for (S bad : {S(0), S(-0.5), S(1.5), nan}) {
    CHECK_THROWS_AS(step_decay_schedule<S>(S(0.1), 10, bad), value_error);
  }
  CHECK_THROWS_AS(warmup_cosine_schedule<S>(S(0.1), -1, 100), value_error);
  CHECK_THROWS_AS(warmup_cosine_schedule<S>(S(0.1), 100, 100), value_error);
  CHECK_THROWS_AS(warmup_cosine_schedule<S>(S(0.1), 10, 100, S(-1e-3)), value_error);
  CHECK_THROWS_AS(warmup_cosine_schedule<S>(S(0.1), 10, 100, S(0.2)), value_error);
  CHECK_THROWS_AS(warmup_cosine_schedule<S>(S(0.1), 10, 100, S(0), S(1.5)), value_error);
  CHECK_THROWS_AS(warmup_cosine_schedule<S>(S(0.1), 10, 100, S(0), nan), value_error);
  CHECK_THROWS_WITH(warmup_cosine_schedule<S>(S(0.1), 10, 5),
                    Catch::Matchers::Contains("total_steps = 5"));

  CHECK_THROWS_AS(constant_schedule<S>(S(0.1))(-1), value_error);
  CHECK_THROWS_AS(step_decay_schedule<S>(S(0.1), 10, S(0.5))(-1), value_error);
  CHECK_THROWS_AS(warmup_cosine_schedule<S>(S(0.1), 10, 100)(-1), value_error);
}

TEST_CASE("a schedule drives an optimizer, through a zero learning rate", "[optim][schedule]") {
  eigenflow::nn::parameter<double> w("w", eigenflow::matrix<double>::Zero(1, 1));
  const eigenflow::nn::parameter_list<double> params({&w});
  const warmup_cosine_schedule<double> schedule(0.1, 2, 4);
  eigenflow::optim::sgd<double> opt({.learning_rate = 0.1});
  w.grad(0, 0) = 1;
  double expected = 0;
  for (std::int64_t t = 0; t < 6; ++t) {
    opt.set_learning_rate(schedule(t));  // 0, 0.05, 0.1, 0.05, 0, 0
    opt.step(params);
    expected -= schedule(t);
  }
  CHECK(w.value(0, 0) == Approx(expected));
  CHECK(expected == Approx(-0.2));
}
