// tests/autodiff/tape_test.cpp — the tape's mechanics: leaves and constants, seeds, gradient
// accumulation into caller buffers, reuse of storage, errors that name the op and shapes.
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>
#include <utility>

#include "eigenflow/autodiff.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::uniform;

TEST_CASE("backward from a scalar gives the gradient of a known function", "[autodiff][tape]") {
  // L = Σ (A x)² for x a 3x1 column: ∂L/∂x = 2 Aᵀ A x, ∂L/∂A = 2 (A x) xᵀ.
  const matrix<double> a = uniform(2, 3, -1, 1, 1);
  const matrix<double> x0 = uniform(3, 1, -1, 1, 2);
  tape<double> t;
  matrix<double> grad_a;
  const var<double> av = t.leaf(a, grad_a);
  const var<double> x = t.variable(x0);
  const var<double> loss = sum(square(matmul(av, x)));
  t.backward(loss);
  CHECK((matrix<double>(x.adjoint()) - 2 * a.transpose() * a * x0).norm() < 1e-14);
  CHECK((grad_a - 2 * (a * x0) * x0.transpose()).norm() < 1e-14);
  CHECK(loss.item() == Approx((a * x0).squaredNorm()));
}

TEST_CASE("constants take no gradient and cost no adjoint", "[autodiff][tape]") {
  tape<double> t;
  const var<double> c = t.constant(uniform(2, 2, -1, 1, 3));
  const var<double> x = t.variable(uniform(2, 2, -1, 1, 4));
  const var<double> only_constants = exp(c);
  CHECK_FALSE(c.needs_grad());
  CHECK_FALSE(only_constants.needs_grad());
  CHECK_THROWS_AS(c.adjoint(), value_error);
  const var<double> y = sum(mul(c, x));
  CHECK(y.needs_grad());
  t.backward(y);
  CHECK(matrix<double>(x.adjoint()) == matrix<double>(c.value()));
}

TEST_CASE("leaf gradients accumulate across uses and across steps", "[autodiff][tape]") {
  matrix<double> w = uniform(3, 3, -1, 1, 5);
  matrix<double> g = matrix<double>::Zero(3, 3);
  tape<double> t;
  for (int step = 0; step < 2; ++step) {
    const var<double> a = t.leaf(w, g);
    const var<double> b = t.leaf(w, g);  // the same parameter used twice
    t.backward(sum(add(a, scale(b, 2.0))));
    t.clear();
  }
  CHECK(g == matrix<double>::Constant(3, 3, 6.0));  // (1 + 2) per step, two steps
}

TEST_CASE("seeding several outputs before one propagate is a vector-Jacobian product", "[autodiff][tape]") {
  tape<double> t;
  const matrix<double> x0 = uniform(4, 2, -1, 1, 6);
  const var<double> x = t.variable(x0);
  const var<double> y1 = tanh(x);
  const var<double> y2 = sum_rows(square(x));
  const matrix<double> s1 = uniform(4, 2, -1, 1, 7);
  const matrix<double> s2 = uniform(4, 1, -1, 1, 8);
  t.seed(y1, s1);
  t.seed(y2, s2);
  t.propagate();
  const matrix<double> expected =
      (s1.array() * (1 - x0.array().tanh().square())).matrix() + 2 * (x0.array().colwise() * s2.col(0).array()).matrix();
  CHECK((matrix<double>(x.adjoint()) - expected).norm() < 1e-14);
  // zero_adjoints allows a second pass over the same recording.
  t.zero_adjoints();
  t.seed(y2, s2);
  t.propagate();
  CHECK((matrix<double>(x.adjoint()) - 2 * (x0.array().colwise() * s2.col(0).array()).matrix()).norm() < 1e-14);
}

TEST_CASE("clear keeps storage: a repeated step allocates no new arena block", "[autodiff][tape]") {
  tape<float> t;
  matrix<float> w = matrix<float>::Random(64, 64);
  matrix<float> gw;
  const matrix<float> x0 = matrix<float>::Random(512, 64);
  auto step = [&] {
    t.clear();
    const var<float> x = t.constant(x0);
    var<float> h = x;
    for (int layer = 0; layer < 6; ++layer) h = tanh(linear(h, t.leaf(w, gw)));
    t.backward(mean(square(h)));
  };
  step();
  step();  // the first clear merges blocks
  const std::size_t bytes = t.arena_bytes();
  for (int i = 0; i < 5; ++i) step();
  CHECK(t.arena_bytes() == bytes);
}

TEST_CASE("shape errors name the op and both shapes, in release builds too", "[autodiff][tape][errors]") {
  tape<double> t;
  const var<double> a = t.variable(matrix<double>::Zero(3, 4));
  const var<double> b = t.variable(matrix<double>::Zero(5, 2));
  auto message_of = [](auto&& f) {
    try {
      f();
    } catch (const shape_error& e) {
      return std::string(e.what());
    }
    return std::string("no shape_error");
  };
  CHECK(message_of([&] { matmul(a, b); }) == "matmul: lhs 3x4, rhs 5x2: inner sizes differ");
  CHECK(message_of([&] { add(a, b); }).find("add: lhs 3x4, rhs 5x2") == 0);
  CHECK(message_of([&] { linear(a, b); }).find("linear: lhs 3x4, rhs 5x2") == 0);
  CHECK(message_of([&] { slice(a, 3, 2); }).find("slice:") == 0);
  CHECK(message_of([&] { reshape(a, 5, 2); }) == "reshape: cannot reshape 3x4 to 5x2");
  CHECK(message_of([&] { t.backward(a); }).find("backward: expected a 1x1 value, got 3x4") == 0);
  CHECK(message_of([&] { concat(a, b); }).find("concat:") == 0);
  CHECK(message_of([&] { block_matmul(a, b, 2); }).find("block_matmul:") == 0);
  // Plain mode checks the same way.
  CHECK(message_of([] { matmul(matrix<double>(3, 4), matrix<double>(5, 2)); }) ==
        "matmul: lhs 3x4, rhs 5x2: inner sizes differ");
  const index_t bad[] = {0, 7};
  CHECK_THROWS_AS(gather_rows(a, std::span<const index_t>(bad)), value_error);
  CHECK_THROWS_WITH(gather_rows(a, std::span<const index_t>(bad)), Catch::Contains("index 7 at position 1"));
}

TEST_CASE("operands from another tape or null vars are rejected", "[autodiff][tape][errors]") {
  tape<double> t1, t2;
  const var<double> a = t1.variable(matrix<double>::Ones(2, 2));
  const var<double> b = t2.variable(matrix<double>::Ones(2, 2));
  CHECK_THROWS_WITH(add(a, b), Catch::Contains("another tape"));
  CHECK_THROWS_WITH(exp(var<double>()), Catch::Contains("null var"));
}

TEST_CASE("float and double tapes compute the same gradients to float precision", "[autodiff][tape][float]") {
  const matrix<double> x0 = uniform(8, 3, -1, 1, 9);
  const matrix<double> w0 = uniform(4, 3, -1, 1, 10);
  auto gradient = [&](auto zero) {
    using S = decltype(zero);
    tape<S> t;
    const matrix<S> w = w0.cast<S>();
    matrix<S> gw;
    const var<S> x = t.variable(x0.cast<S>());
    const var<S> y = softplus(linear(tanh(x), t.leaf(w, gw)));
    t.backward(mean(softmax_rows(y)));  // rows sum to 1: a constant, so use the values too
    t.backward(sum(square(y)));
    return std::pair<matrix<double>, matrix<double>>(gw.template cast<double>(),
                                                     matrix<S>(x.adjoint()).template cast<double>());
  };
  const auto [gw_f, gx_f] = gradient(0.0f);
  const auto [gw_d, gx_d] = gradient(0.0);
  CHECK((gw_f - gw_d).cwiseAbs().maxCoeff() <= 1e-5 * std::max(1.0, gw_d.cwiseAbs().maxCoeff()));
  CHECK((gx_f - gx_d).cwiseAbs().maxCoeff() <= 1e-5 * std::max(1.0, gx_d.cwiseAbs().maxCoeff()));
}

TEST_CASE("tape: a view of the caller's data is read only, through the value and for op implementers", "[autodiff]") {
  // var::value() is a read-only map: writing through it does not compile.
  static_assert(!std::is_assignable_v<decltype(std::declval<const var<double>&>().value()(0, 0)), double>);
  static_assert(std::is_assignable_v<decltype(std::declval<const var<double>&>().output()(0, 0)), double>);
  const matrix<double> data = matrix<double>::Constant(2, 2, 1.5);
  matrix<double> grad = matrix<double>::Zero(2, 2);
  tape<double> t;
  const var<double> view = t.constant_view(data);
  const var<double> leaf = t.leaf(data, grad);
  CHECK(view.value() == data);
  CHECK(view.value().data() == data.data());  // a view, not a copy
  CHECK_THROWS_WITH(view.output(), Catch::Contains("read only"));
  CHECK_THROWS_WITH(leaf.output(), Catch::Contains("read only"));
  const var<double> copy = t.constant(data);  // a copy the tape owns can be filled
  copy.output().setZero();
  CHECK(data == matrix<double>::Constant(2, 2, 1.5));
  CHECK(copy.value().isZero());
}
