// tests/optim/finite_guard_test.cpp — the guard refuses non-finite losses and gradients, under
// both policies, and names what was wrong.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/optim/finite_guard.hpp"
#include "optim/helpers.hpp"

using Catch::Matchers::Contains;
using eigenflow::optim::finite_guard;

TEMPLATE_TEST_CASE("finite_guard with the skip policy counts refused steps", "[optim][guard]",
                   float, double) {
  using S = TestType;
  const S nan = std::numeric_limits<S>::quiet_NaN();
  const S inf = std::numeric_limits<S>::infinity();
  optim_test::toy_model<S> model;
  const auto params = model.params();
  optim_test::set_gradients(params, 0);
  finite_guard guard;  // skip is the default
  CHECK(guard.on_nonfinite() == finite_guard::policy::skip);

  CHECK(guard.check(S(1.5), params));
  CHECK(guard.last_reason().empty());

  CHECK_FALSE(guard.check(nan, params));
  CHECK_THAT(guard.last_reason(), Contains("loss") && Contains("nan"));

  model.bias.grad(0, 2) = -inf;
  CHECK_FALSE(guard.check(S(1.5), params));
  CHECK_THAT(guard.last_reason(), Contains("'bias'") && Contains("-inf") && Contains("(0, 2)"));

  model.bias.grad(0, 2) = 0;
  CHECK(guard.check(S(1.5), params));
  CHECK(guard.skipped_steps() == 2);
  CHECK(guard.checked_steps() == 4);

  guard.reset();
  CHECK(guard.skipped_steps() == 0);
  CHECK(guard.checked_steps() == 0);
  CHECK(guard.last_reason().empty());
}

TEMPLATE_TEST_CASE("finite_guard with the throw policy names the loss or the parameter",
                   "[optim][guard]", float, double) {
  using S = TestType;
  optim_test::toy_model<S> model;
  const auto params = model.params();
  finite_guard guard(finite_guard::policy::throw_error);

  CHECK_NOTHROW(guard.check(S(0), params));
  CHECK_THROWS_AS(guard.check(std::numeric_limits<S>::quiet_NaN(), params), eigenflow::value_error);
  CHECK_THROWS_WITH(guard.check(std::numeric_limits<S>::infinity(), params),
                    Contains("loss is inf"));

  // Both parameters are bad: the message names the first in list order, with its value.
  model.weight.grad(1, 2) = std::numeric_limits<S>::infinity();
  model.bias.grad(0, 0) = std::numeric_limits<S>::quiet_NaN();
  CHECK_THROWS_WITH(guard.check(S(1), params),
                    Contains("'weight' (#0)") && Contains("inf at (1, 2)"));
  model.weight.grad.setZero();
  CHECK_THROWS_WITH(guard.check(S(1), params), Contains("'bias' (#1)") && Contains("nan"));
  CHECK(guard.skipped_steps() == 0);
}

TEST_CASE("finite_guard takes a double loss for a float model", "[optim][guard]") {
  optim_test::toy_model<float> model;
  finite_guard guard;
  CHECK(guard.check(0.25, model.params()));
  CHECK(guard.check(1e300, model.params()));  // finite in the type it was computed in
  CHECK_FALSE(guard.check(std::numeric_limits<double>::quiet_NaN(), model.params()));
}
