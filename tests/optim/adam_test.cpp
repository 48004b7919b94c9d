// tests/optim/adam_test.cpp — Adam and AdamW against an element-by-element re-implementation of
// the published formulas, bias correction, convergence, options and shape checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/optim/adam.hpp"
#include "optim/helpers.hpp"

namespace {

using eigenflow::optim::adam;
using eigenflow::optim::adam_options;
using optim_test::set_gradients;
using optim_test::to_doubles;
using optim_test::toy_model;

/// Adam as Kingma & Ba write it (bias-corrected m-hat and v-hat), one scalar at a time, with
/// L2 decay added to the gradient or, if decoupled, AdamW's p -= lr * wd * p before the step.
struct reference_adam {
  double lr, beta1, beta2, epsilon, weight_decay;
  bool decoupled;
  std::vector<double> m{}, v{};
  int t = 0;

  void step(std::vector<double>& p, const std::vector<double>& grad) {
    if (m.empty()) {
      m.assign(p.size(), 0.0);
      v.assign(p.size(), 0.0);
    }
    ++t;
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double g = grad[i] + (decoupled ? 0.0 : weight_decay * p[i]);
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const double m_hat = m[i] / (1 - std::pow(beta1, t));
      const double v_hat = v[i] / (1 - std::pow(beta2, t));
      if (decoupled) p[i] -= lr * weight_decay * p[i];
      p[i] -= lr * m_hat / (std::sqrt(v_hat) + epsilon);
    }
  }
};

template <class Scalar>
reference_adam reference_for(const adam_options<Scalar>& o) {
  return {.lr = static_cast<double>(o.learning_rate),
          .beta1 = static_cast<double>(o.beta1),
          .beta2 = static_cast<double>(o.beta2),
          .epsilon = static_cast<double>(o.epsilon),
          .weight_decay = static_cast<double>(o.weight_decay),
          .decoupled = o.decoupled_weight_decay};
}

/// Runs `steps` steps of the optimizer and of the reference from the same start on the same
/// gradients, checking every value after every step.
template <class Scalar>
void check_adam_against_reference(const adam_options<Scalar>& options, int steps) {
  toy_model<Scalar> model;
  const auto params = model.params();
  adam<Scalar> opt(options);
  reference_adam ref = reference_for(options);
  std::vector<double> p = to_doubles<Scalar>(params.flatten_values());
  const double tol = optim_test::tolerance<Scalar>();
  for (int t = 0; t < steps; ++t) {
    set_gradients(params, t);
    ref.step(p, to_doubles<Scalar>(params.flatten_grads()));
    opt.step(params);
    const auto got = params.flatten_values();
    for (std::size_t i = 0; i < p.size(); ++i) {
      INFO("step " << t + 1 << ", element " << i);
      CHECK(static_cast<double>(got(static_cast<eigenflow::index_t>(i))) ==
            Approx(p[i]).epsilon(tol).margin(tol));
    }
  }
  CHECK(opt.step_count() == steps);
}

}  // namespace

TEMPLATE_TEST_CASE("adam matches the scalar formulas over several steps", "[optim][adam]", float,
                   double) {
  SECTION("defaults, larger learning rate") {
    check_adam_against_reference<TestType>({.learning_rate = TestType(0.05)}, 6);
  }
  SECTION("other betas and epsilon") {
    check_adam_against_reference<TestType>({.learning_rate = TestType(0.01),
                                       .beta1 = TestType(0.5),
                                       .beta2 = TestType(0.9),
                                       .epsilon = TestType(1e-3)},
                                      6);
  }
  SECTION("L2 weight decay added to the gradient") {
    check_adam_against_reference<TestType>(
        {.learning_rate = TestType(0.02), .weight_decay = TestType(0.1)}, 6);
  }
  SECTION("decoupled weight decay (AdamW)") {
    check_adam_against_reference<TestType>({.learning_rate = TestType(0.02),
                                       .weight_decay = TestType(0.1),
                                       .decoupled_weight_decay = true},
                                      6);
  }
}

TEMPLATE_TEST_CASE("adam's first step moves each element by about lr, against its gradient",
                   "[optim][adam]", float, double) {
  // Bias correction makes m-hat = g and v-hat = g^2 at step 1: the step is lr * g / (|g| + eps),
  // whatever the gradient's magnitude. Without it the step would be 10x (1 - b1) smaller.
  eigenflow::nn::parameter<TestType> w("w", eigenflow::matrix<TestType>::Zero(1, 5));
  w.grad << TestType(1e-3), TestType(-0.5), TestType(7), TestType(-300), TestType(0);
  const eigenflow::nn::parameter_list<TestType> params({&w});
  const TestType lr = TestType(0.01);
  adam<TestType> opt({.learning_rate = lr});
  opt.step(params);
  for (int j = 0; j < 4; ++j) {
    const double g = static_cast<double>(w.grad(0, j));
    const double delta = static_cast<double>(w.value(0, j));
    INFO("gradient " << g);
    CHECK(delta * g < 0);
    CHECK(std::abs(delta) == Approx(static_cast<double>(lr)).epsilon(1e-4));
  }
  CHECK(w.value(0, 4) == 0);  // a zero gradient moves nothing
}

TEMPLATE_TEST_CASE("adam converges on an ill-conditioned quadratic", "[optim][adam]", float,
                   double) {
  // f(x) = 1/2 sum a_i (x_i - c_i)^2, curvatures spanning a factor 1000.
  eigenflow::nn::parameter<TestType> x("x", eigenflow::matrix<TestType>::Zero(4, 1));
  eigenflow::matrix<TestType> a(4, 1), c(4, 1);
  a << TestType(0.01), TestType(0.3), TestType(2), TestType(10);
  c << TestType(1), TestType(-2), TestType(0.5), TestType(3);
  const eigenflow::nn::parameter_list<TestType> params({&x});
  adam<TestType> opt({.learning_rate = TestType(0.05)});
  const auto loss = [&] { return (a.array() * (x.value - c).array().square()).sum() / 2; };
  const TestType start = loss();
  for (int t = 0; t < 3000; ++t) {
    x.grad = (a.array() * (x.value - c).array()).matrix();
    opt.step(params);
  }
  CHECK(loss() < start * TestType(1e-6));
  CHECK((x.value - c).cwiseAbs().maxCoeff() < TestType(1e-2));
}

TEMPLATE_TEST_CASE("adamw decays parameters decoupled from the adaptive step", "[optim][adam]",
                   float, double) {
  using matrix = eigenflow::matrix<TestType>;
  const TestType lr = TestType(0.1);
  const TestType wd = TestType(0.5);

  SECTION("the adamw factory sets decoupled decay") {
    const adam<TestType> opt = eigenflow::optim::adamw<TestType>(lr, wd);
    CHECK(opt.options().decoupled_weight_decay);
    CHECK(opt.options().weight_decay == wd);
    CHECK(opt.learning_rate() == lr);
    CHECK(eigenflow::optim::adamw<TestType>(lr).options().weight_decay == TestType(1e-2));
  }

  SECTION("with zero gradients AdamW shrinks by (1 - lr wd) per step; L2 Adam moves by ~lr") {
    // A small decay: AdamW shrinks by 1.5% in 3 steps, where L2 Adam moves by ~15%.
    const TestType small_wd = TestType(0.05);
    eigenflow::nn::parameter<TestType> w("w", matrix::Constant(2, 2, TestType(2)));
    eigenflow::nn::parameter<TestType> u("u", matrix::Constant(2, 2, TestType(2)));
    adam<TestType> decoupled = eigenflow::optim::adamw<TestType>(lr, small_wd);
    adam<TestType> coupled({.learning_rate = lr, .weight_decay = small_wd});
    for (int t = 0; t < 3; ++t) {
      decoupled.step(eigenflow::nn::parameter_list<TestType>({&w}));
      coupled.step(eigenflow::nn::parameter_list<TestType>({&u}));
    }
    const double expected_w = 2.0 * std::pow(1.0 - static_cast<double>(lr * small_wd), 3);
    CHECK(static_cast<double>(w.value(0, 0)) == Approx(expected_w).epsilon(1e-6));
    // The L2 term goes through the normalisation: each step is about lr, whatever wd is.
    CHECK(static_cast<double>(u.value(0, 0)) ==
          Approx(2.0 - 3 * static_cast<double>(lr)).margin(2e-3));
    CHECK(std::abs(static_cast<double>(w.value(0, 0) - u.value(0, 0))) > 0.1);
  }

  SECTION("with gradients, AdamW = Adam step plus the separate decay term") {
    toy_model<TestType> with_decay, without_decay;
    adam<TestType> adamw = eigenflow::optim::adamw<TestType>(lr, wd);
    adam<TestType> plain({.learning_rate = lr});
    set_gradients(with_decay.params(), 0);
    set_gradients(without_decay.params(), 0);
    const auto before = with_decay.params().flatten_values();
    adamw.step(with_decay.params());
    plain.step(without_decay.params());
    // One step from the same point: the difference is exactly lr * wd * p (before the step).
    const eigenflow::vector<TestType> difference =
        without_decay.params().flatten_values() - with_decay.params().flatten_values();
    const eigenflow::vector<TestType> expected = lr * wd * before;
    for (eigenflow::index_t i = 0; i < before.size(); ++i) {
      CHECK(static_cast<double>(difference(i)) ==
            Approx(static_cast<double>(expected(i))).margin(1e-6));
    }
  }
}

TEMPLATE_TEST_CASE("adam's learning rate can be set between steps", "[optim][adam]", float,
                   double) {
  eigenflow::nn::parameter<TestType> w("w", eigenflow::matrix<TestType>::Zero(1, 1));
  const eigenflow::nn::parameter_list<TestType> params({&w});
  adam<TestType> opt({.learning_rate = TestType(0.1)});
  w.grad(0, 0) = 1;
  opt.set_learning_rate(TestType(0.25));
  CHECK(opt.learning_rate() == TestType(0.25));
  opt.step(params);
  CHECK(static_cast<double>(w.value(0, 0)) == Approx(-0.25).epsilon(1e-5));

  opt.set_learning_rate(0);  // a schedule may pass through zero: then nothing moves
  opt.step(params);
  CHECK(static_cast<double>(w.value(0, 0)) == Approx(-0.25).epsilon(1e-5));

  const TestType inf = std::numeric_limits<TestType>::infinity();
  const TestType nan = std::numeric_limits<TestType>::quiet_NaN();
  CHECK_THROWS_AS(opt.set_learning_rate(TestType(-1e-3)), eigenflow::value_error);
  CHECK_THROWS_AS(opt.set_learning_rate(inf), eigenflow::value_error);
  CHECK_THROWS_AS(opt.set_learning_rate(nan), eigenflow::value_error);
  CHECK(opt.learning_rate() == 0);
}

TEMPLATE_TEST_CASE("every bad adam option throws value_error naming it", "[optim][adam]", float,
                   double) {
  using Catch::Matchers::Contains;
  using options = adam_options<TestType>;
  const TestType inf = std::numeric_limits<TestType>::infinity();
  const TestType nan = std::numeric_limits<TestType>::quiet_NaN();
  const auto rejects = [](const options& o, const char* name) {
    CHECK_THROWS_AS(adam<TestType>(o), eigenflow::value_error);
    CHECK_THROWS_WITH(adam<TestType>(o), Contains(name));
  };
  for (TestType bad : {TestType(0), TestType(-1e-3), inf, nan}) {
    rejects({.learning_rate = bad}, "learning_rate");
  }
  for (TestType bad : {TestType(-0.1), TestType(1), TestType(1.5), nan}) {
    rejects({.beta1 = bad}, "beta1");
    rejects({.beta2 = bad}, "beta2");
  }
  for (TestType bad : {TestType(0), TestType(-1e-8), inf, nan})
    rejects({.epsilon = bad}, "epsilon");
  for (TestType bad : {TestType(-1e-4), inf, nan}) rejects({.weight_decay = bad}, "weight_decay");
  CHECK_THROWS_AS(eigenflow::optim::adamw<TestType>(TestType(1e-3), TestType(-1)),
                  eigenflow::value_error);
  // The value is in the message, exactly.
  CHECK_THROWS_WITH(adam<TestType>({.beta2 = TestType(1.5)}), Contains("beta2 = 1.5"));
  // Edge values that are allowed.
  CHECK_NOTHROW(adam<TestType>({.beta1 = 0, .beta2 = 0, .weight_decay = 0}));
}

TEMPLATE_TEST_CASE("adam rejects a parameter list that does not fit its state", "[optim][adam]",
                   float, double) {
  using matrix = eigenflow::matrix<TestType>;
  using list = eigenflow::nn::parameter_list<TestType>;
  eigenflow::nn::parameter<TestType> a("a", matrix::Ones(2, 3));
  eigenflow::nn::parameter<TestType> b("b", matrix::Ones(4, 1));
  eigenflow::nn::parameter<TestType> wide("wide", matrix::Ones(3, 2));
  adam<TestType> opt;
  opt.step(list({&a, &b}));

  CHECK_THROWS_AS(opt.step(list({&a})), eigenflow::shape_error);
  CHECK_THROWS_AS(opt.step(list({&a, &b, &a})), eigenflow::shape_error);
  CHECK_THROWS_AS(opt.step(list({&wide, &b})), eigenflow::shape_error);
  CHECK_THROWS_WITH(opt.step(list({&wide, &b})), Catch::Matchers::Contains("'wide'"));
  CHECK(opt.step_count() == 1);  // refused steps are not counted

  b.grad.resize(1, 4);  // a gradient that does not fit its value
  CHECK_THROWS_AS(opt.step(list({&a, &b})), eigenflow::shape_error);
  b.zero_grad();
  CHECK_NOTHROW(opt.step(list({&a, &b})));
}
