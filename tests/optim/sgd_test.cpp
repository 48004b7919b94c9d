// tests/optim/sgd_test.cpp — SGD, momentum and Nesterov against hand-written formulas, weight
// decay, options and shape checks.
#include <catch2/catch.hpp>

#include <cstddef>
#include <limits>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/optim/sgd.hpp"
#include "optim/helpers.hpp"

namespace {

using eigenflow::optim::sgd;
using eigenflow::optim::sgd_options;
using optim_test::set_gradients;
using optim_test::to_doubles;
using optim_test::toy_model;

/// PyTorch's SGD written out per element: g += wd p; buf = mu buf + g;
/// p -= lr * (nesterov ? g + mu buf : buf), or p -= lr g without momentum.
struct reference_sgd {
  double lr, momentum, weight_decay;
  bool nesterov;
  std::vector<double> buf{};

  void step(std::vector<double>& p, const std::vector<double>& grad) {
    if (buf.empty()) buf.assign(p.size(), 0.0);
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double g = grad[i] + weight_decay * p[i];
      if (momentum == 0) {
        p[i] -= lr * g;
        continue;
      }
      buf[i] = momentum * buf[i] + g;
      p[i] -= lr * (nesterov ? g + momentum * buf[i] : buf[i]);
    }
  }
};

template <class Scalar>
void check_sgd_against_reference(const sgd_options<Scalar>& o, int steps) {
  toy_model<Scalar> model;
  const auto params = model.params();
  sgd<Scalar> opt(o);
  reference_sgd ref{.lr = static_cast<double>(o.learning_rate),
                    .momentum = static_cast<double>(o.momentum),
                    .weight_decay = static_cast<double>(o.weight_decay),
                    .nesterov = o.nesterov};
  std::vector<double> p = to_doubles<Scalar>(params.flatten_values());
  const double tol = 10 * optim_test::tolerance<Scalar>();  // p reaches ~10 here
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
}

}  // namespace

TEMPLATE_TEST_CASE("sgd matches the hand formulas", "[optim][sgd]", float, double) {
  using S = TestType;
  SECTION("plain") { check_sgd_against_reference<S>({.learning_rate = S(0.01)}, 5); }
  SECTION("momentum") {
    check_sgd_against_reference<S>({.learning_rate = S(0.01), .momentum = S(0.9)}, 5);
  }
  SECTION("nesterov") {
    check_sgd_against_reference<S>({.learning_rate = S(0.01), .momentum = S(0.9), .nesterov = true}, 5);
  }
  SECTION("weight decay, with and without momentum") {
    check_sgd_against_reference<S>({.learning_rate = S(0.01), .weight_decay = S(0.3)}, 5);
    check_sgd_against_reference<S>(
        {.learning_rate = S(0.01), .momentum = S(0.5), .weight_decay = S(0.3), .nesterov = true},
        5);
  }
}

TEMPLATE_TEST_CASE("sgd momentum steps worked by hand", "[optim][sgd]", float, double) {
  using S = TestType;
  eigenflow::nn::parameter<S> w("w", eigenflow::matrix<S>::Zero(1, 1));
  const eigenflow::nn::parameter_list<S> params({&w});
  w.grad(0, 0) = 1;  // a constant gradient

  SECTION("heavy ball: buf = 1, 1.5, 1.75; p = -0.1, -0.25, -0.425") {
    sgd<S> opt({.learning_rate = S(0.1), .momentum = S(0.5)});
    for (double expected : {-0.1, -0.25, -0.425}) {
      opt.step(params);
      CHECK(static_cast<double>(w.value(0, 0)) == Approx(expected).epsilon(1e-6));
    }
  }
  SECTION("nesterov: steps g + mu buf = 1.5, 1.75, 1.875") {
    sgd<S> opt({.learning_rate = S(0.1), .momentum = S(0.5), .nesterov = true});
    for (double expected : {-0.15, -0.325, -0.5125}) {
      opt.step(params);
      CHECK(static_cast<double>(w.value(0, 0)) == Approx(expected).epsilon(1e-6));
    }
  }
  SECTION("weight decay alone pulls towards zero: p -= lr wd p") {
    w.value(0, 0) = 2;
    w.grad(0, 0) = 0;
    sgd<S> opt({.learning_rate = S(0.1), .weight_decay = S(0.5)});
    opt.step(params);
    CHECK(static_cast<double>(w.value(0, 0)) == Approx(1.9).epsilon(1e-6));
  }
  SECTION("set_learning_rate takes effect at the next step") {
    sgd<S> opt({.learning_rate = S(0.1)});
    opt.set_learning_rate(S(0.5));
    opt.step(params);
    CHECK(static_cast<double>(w.value(0, 0)) == Approx(-0.5).epsilon(1e-6));
    opt.set_learning_rate(0);
    opt.step(params);
    CHECK(static_cast<double>(w.value(0, 0)) == Approx(-0.5).epsilon(1e-6));
    CHECK_THROWS_AS(opt.set_learning_rate(S(-1)), eigenflow::value_error);
    CHECK(opt.step_count() == 2);
  }
}

TEMPLATE_TEST_CASE("every bad sgd option throws value_error naming it", "[optim][sgd]", float,
                   double) {
  using S = TestType;
  using Catch::Matchers::Contains;
  const S inf = std::numeric_limits<S>::infinity();
  const S nan = std::numeric_limits<S>::quiet_NaN();
  const auto rejects = [](const sgd_options<S>& o, const char* name) {
    CHECK_THROWS_AS(sgd<S>(o), eigenflow::value_error);
    CHECK_THROWS_WITH(sgd<S>(o), Contains(name));
  };
  for (S bad : {S(0), S(-0.1), inf, nan}) rejects({.learning_rate = bad}, "learning_rate");
  for (S bad : {S(-0.1), S(1), nan}) rejects({.momentum = bad}, "momentum");
  for (S bad : {S(-1e-3), inf, nan}) rejects({.weight_decay = bad}, "weight_decay");
  rejects({.nesterov = true}, "nesterov");
}

TEMPLATE_TEST_CASE("sgd rejects a parameter list that does not fit its state", "[optim][sgd]",
                   float, double) {
  using matrix = eigenflow::matrix<TestType>;
  using list = eigenflow::nn::parameter_list<TestType>;
  eigenflow::nn::parameter<TestType> a("a", matrix::Ones(2, 3));
  eigenflow::nn::parameter<TestType> b("b", matrix::Ones(3, 2));
  sgd<TestType> with_momentum({.momentum = TestType(0.9)});
  with_momentum.step(list({&a}));
  CHECK_THROWS_AS(with_momentum.step(list({&b})), eigenflow::shape_error);
  CHECK_THROWS_AS(with_momentum.step(list({&a, &b})), eigenflow::shape_error);

  sgd<TestType> plain;
  a.grad.resize(3, 2);
  CHECK_THROWS_AS(plain.step(list({&a})), eigenflow::shape_error);
}
