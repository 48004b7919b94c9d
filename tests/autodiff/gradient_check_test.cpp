// tests/autodiff/gradient_check_test.cpp — the checker itself: it passes correct derivatives and
// reports a wrong backward rule or a wrong tangent, with where it went wrong.
#include <catch2/catch.hpp>

#include "eigenflow/autodiff.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::uniform;

namespace {

// y = x³ elementwise with a deliberately wrong backward rule (2x² instead of 3x²).
void wrong_cube_backward(const tape_node<double>& n, tape<double>& t) {
  const tape_node<double>& x = t.node_at(n.inputs[0]);
  if (x.needs_grad()) x.adjoint().array() += n.adjoint().array() * 2 * x.value().array().square();
}

var<double> wrong_cube(const var<double>& x) {
  var<double> y = x.owner().record("wrong_cube", x.rows(), x.cols(), {x}, &wrong_cube_backward);
  y.output().array() = x.value().array().cube();
  return y;
}

}  // namespace

TEST_CASE("the gradient checker reports a wrong backward rule and where", "[autodiff][gradient_check]") {
  const auto result = check_gradients([](const auto& in) { return wrong_cube(in[0]); }, {uniform(2, 2, 1, 2, 1)});
  CHECK_FALSE(result.passed);
  CHECK(result.max_error > 0.1);
  CHECK(result.worst.find("input 0 (2x2) entry") == 0);
}

TEST_CASE("the tangent checker reports a wrong tangent", "[autodiff][gradient_check]") {
  // The tangent of exp scaled by 1.01: a 1% error must fail the 1e-6 tolerance.
  const auto result = check_tangents(
      [](const auto& in) {
        const dual<double> y = exp(in[0]);
        if (!y.has_tangent()) return y;  // the finite-difference evaluations carry no tangent
        return dual<double>(y.primal, scale(y.tangent, 1.01));
      },
      {uniform(2, 3, -1, 1, 2)});
  CHECK_FALSE(result.passed);
  CHECK(result.worst.find("tangent entry") == 0);
}

TEST_CASE("the checker passes a correct gradient with error near rounding", "[autodiff][gradient_check]") {
  const auto result = check_gradients([](const auto& in) { return exp(mul(in[0], in[1])); },
                                      {uniform(3, 2, -1, 1, 3), uniform(3, 2, -1, 1, 4)});
  CHECK(result.passed);
  CHECK(result.max_error < 1e-8);
}

TEST_CASE("check_gradients perturbs caller-owned targets such as parameters", "[autodiff][gradient_check]") {
  matrix<double> w = uniform(3, 2, -1, 1, 5);
  matrix<double> grad;
  const matrix<double> x = uniform(4, 2, -1, 1, 6);
  const auto result = check_gradients(
      [&](tape<double>& t) { return tanh(linear(t.constant(x), t.leaf(w, grad))); },
      {gradient_target{&w, &grad, "weight"}});
  CHECK(result.passed);
  CHECK(w == uniform(3, 2, -1, 1, 5));  // restored after perturbation
}
