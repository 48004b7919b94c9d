// tests/autodiff/second_order_test.cpp — reverse mode through forward-mode tangents: the
// gradient of the Hutchinson term εᵀ(∂f/∂x)ε with respect to the parameters and to x, which
// FFJORD training differentiates, matches finite differences; the exact trace from D tangent
// passes matches a finite-difference Jacobian.
#include <catch2/catch.hpp>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/nn.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::parameter_targets;
using eigenflow::test::uniform;

namespace {

/// Σ over samples of εᵀ J ε for the network f, recorded on the tape: one tangent pass.
template <class Net>
var<double> hutchinson_sum(const Net& f, const var<double>& x, const matrix<double>& eps) {
  tape<double>& t = x.owner();
  const dual<double> y = f(dual<double>(x, t.constant(eps)));
  return sum(mul(y.tangent, t.constant(eps)));
}

}  // namespace

TEST_CASE("the gradient of eps^T J eps matches finite differences, in parameters and in x",
          "[autodiff][dual][second_order]") {
  for (activation a : {activation::tanh, activation::softplus, activation::sigmoid}) {
    random_engine rng(3);
    nn::mlp<double> f("f", {3, 16, 16, 3}, rng, {.hidden_activation = a});
    auto params = f.parameters();
    for (auto* p : params) p->value += 0.1 * normal_matrix<double>(p->value.rows(), p->value.cols(), rng);
    matrix<double> x = uniform(5, 3, -1.5, 1.5, 4);
    const matrix<double> eps = normal_matrix<double>(5, 3, rng);
    matrix<double> x_grad;
    auto targets = parameter_targets(params);
    targets.push_back({&x, &x_grad, "x"});
    const auto result = check_gradients([&](tape<double>& t) { return hutchinson_sum(f, t.leaf(x, x_grad), eps); },
                                        targets);
    INFO(to_string(a) << ": max error " << result.max_error << " at " << result.worst);
    CHECK(result.passed);
  }
}

TEST_CASE("the same for a ConcatSquash stack, with the time as an input", "[autodiff][dual][second_order]") {
  random_engine rng(5);
  nn::concat_squash<double> l1("l1", 2, 8, rng), l2("l2", 8, 2, rng);
  nn::parameter_list<double> params;
  l1.collect_parameters(params);
  l2.collect_parameters(params);
  for (auto* p : params) p->value += 0.2 * normal_matrix<double>(p->value.rows(), p->value.cols(), rng);
  matrix<double> x = uniform(4, 2, -1, 1, 6);
  matrix<double> time = matrix<double>::Constant(1, 1, 0.4);
  const matrix<double> eps = normal_matrix<double>(4, 2, rng);
  matrix<double> x_grad, time_grad;
  auto targets = parameter_targets(params);
  targets.push_back({&x, &x_grad, "x"});
  targets.push_back({&time, &time_grad, "t"});
  const auto result = check_gradients(
      [&](tape<double>& t) {
        const dual<double> tv(t.leaf(time, time_grad));  // the time carries no tangent
        const dual<double> y = l2(tanh(l1(dual<double>(t.leaf(x, x_grad), t.constant(eps)), tv)), tv);
        return sum(mul(y.tangent, t.constant(eps)));
      },
      targets);
  INFO("max error " << result.max_error << " at " << result.worst);
  CHECK(result.passed);
}

TEST_CASE("D tangent passes give the exact Jacobian trace per sample", "[autodiff][dual]") {
  random_engine rng(7);
  nn::mlp<double> f("f", {4, 12, 4}, rng, {.hidden_activation = activation::tanh});
  const matrix<double> x = uniform(3, 4, -1, 1, 8);
  tape<double> t;
  const var<double> xv = t.constant(x);
  matrix<double> trace = matrix<double>::Zero(3, 1);
  for (index_t i = 0; i < 4; ++i) {
    matrix<double> e = matrix<double>::Zero(3, 4);
    e.col(i).setOnes();
    const dual<double> y = f(dual<double>(xv, t.constant(e)));
    trace += matrix<double>(y.tangent.value()).col(i);
  }
  // Reference: central differences of f, one sample and one input coordinate at a time.
  const double h = 1e-5;
  for (index_t s = 0; s < 3; ++s) {
    double expected = 0;
    for (index_t i = 0; i < 4; ++i) {
      matrix<double> up = x.row(s), down = x.row(s);
      up(0, i) += h;
      down(0, i) -= h;
      expected += (f(up)(0, i) - f(down)(0, i)) / (2 * h);
    }
    CHECK(trace(s, 0) == Approx(expected).epsilon(1e-8));
  }
}
