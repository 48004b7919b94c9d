// tests/autodiff/ops_test.cpp — every primitive op: plain = tape, gradients and tangents against
// finite differences (double), including each broadcasting form and both transposes.
#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "support/check_ad.hpp"

// The ops are called unqualified, as library code calls them, on every value type.
using namespace eigenflow;
using eigenflow::test::check_ad;
using eigenflow::test::uniform;

TEST_CASE("elementwise binary ops, same shape and every broadcast", "[autodiff][ops]") {
  const matrix<double> a = uniform(4, 3, 0.5, 2.0, 1);
  const std::vector<std::pair<const char*, matrix<double>>> operands = {
      {"same shape", uniform(4, 3, 0.5, 2.0, 2)},
      {"row 1x3", uniform(1, 3, 0.5, 2.0, 3)},
      {"column 4x1", uniform(4, 1, 0.5, 2.0, 4)},
      {"scalar 1x1", uniform(1, 1, 0.5, 2.0, 5)}};
  for (const auto& [name, b] : operands) {
    SECTION(name) {
      check_ad([](const auto& in) { return add(in[0], in[1]); }, {a, b});
      check_ad([](const auto& in) { return sub(in[0], in[1]); }, {a, b});
      check_ad([](const auto& in) { return mul(in[0], in[1]); }, {a, b});
      check_ad([](const auto& in) { return div(in[0], in[1]); }, {a, b});
      // The broadcast operand on the left.
      check_ad([](const auto& in) { return sub(in[1], in[0]); }, {a, b});
      check_ad([](const auto& in) { return div(in[1], in[0]); }, {a, b});
    }
  }
  SECTION("outer broadcast: row against column") {
    check_ad([](const auto& in) { return mul(in[0], in[1]); }, {uniform(1, 3, 0.5, 2, 6), uniform(4, 1, 0.5, 2, 7)});
  }
}

TEST_CASE("broadcast values equal explicit loops", "[autodiff][ops]") {
  const matrix<double> a = uniform(3, 2, -1, 1, 8);
  const matrix<double> row = uniform(1, 2, -1, 1, 9);
  const matrix<double> col = uniform(3, 1, -1, 1, 10);
  const matrix<double> r = eigenflow::sub(a, row);
  const matrix<double> c = eigenflow::div(col, a);
  for (index_t i = 0; i < 3; ++i) {
    for (index_t j = 0; j < 2; ++j) {
      CHECK(r(i, j) == a(i, j) - row(0, j));
      CHECK(c(i, j) == col(i, 0) / a(i, j));
    }
  }
}

TEST_CASE("affine, neg, scale, shift, broadcast_to", "[autodiff][ops]") {
  const matrix<double> a = uniform(3, 4, -2, 2, 11);
  check_ad([](const auto& in) { return affine(in[0], -1.5, 0.25); }, {a});
  check_ad([](const auto& in) { return neg(in[0]); }, {a});
  check_ad([](const auto& in) { return scale(in[0], 3.0); }, {a});
  check_ad([](const auto& in) { return shift(in[0], -0.5); }, {a});
  check_ad([](const auto& in) { return broadcast_to(in[0], 5, 4); }, {uniform(1, 4, -1, 1, 12)});
  check_ad([](const auto& in) { return broadcast_to(in[0], 3, 6); }, {uniform(3, 1, -1, 1, 13)});
  check_ad([](const auto& in) { return broadcast_to(in[0], 2, 2); }, {uniform(1, 1, -1, 1, 14)});
}

TEST_CASE("unary elementwise functions", "[autodiff][ops]") {
  const matrix<double> positive = uniform(3, 4, 0.3, 3.0, 15);
  const matrix<double> any = uniform(3, 4, -2.5, 2.5, 16);
  check_ad([](const auto& in) { return exp(in[0]); }, {any});
  check_ad([](const auto& in) { return log(in[0]); }, {positive});
  check_ad([](const auto& in) { return log1p(in[0]); }, {positive});
  check_ad([](const auto& in) { return square(in[0]); }, {any});
  check_ad([](const auto& in) { return sqrt(in[0]); }, {positive});
  check_ad([](const auto& in) { return reciprocal(in[0]); }, {positive});
}

TEST_CASE("activations and their first and second derivatives as ops", "[autodiff][ops][activation]") {
  // Away from 0, where relu and elu have kinks.
  matrix<double> x = uniform(4, 5, 0.2, 2.5, 17);
  x.topRows(2) *= -1;
  for (activation a : {activation::identity, activation::tanh, activation::sigmoid, activation::softplus,
                       activation::relu, activation::elu}) {
    SECTION(std::string(eigenflow::to_string(a))) {
      check_ad([a](const auto& in) { return activate(in[0], a); }, {x});
      check_ad([a](const auto& in) { return activation_derivative(in[0], a, 1); }, {x});
      // Order 2 has no tangent (it would need f'''' as an op): check its gradient and value.
      auto second = [a](const auto& in) { return activation_derivative(in[0], a, 2); };
      CHECK(eigenflow::plain_tape_difference(second, {x}) <= 1e-14);
      const auto g = eigenflow::check_gradients(second, {x});
      INFO(g.worst);
      CHECK(g.passed);
    }
  }
}

TEST_CASE("fast activation paths equal the scalar reference formulas", "[autodiff][ops][activation]") {
  const matrix<double> x = uniform(6, 7, -6, 6, 18);
  for (activation a : {activation::tanh, activation::sigmoid, activation::softplus, activation::relu, activation::elu}) {
    for (int k = 0; k <= 2; ++k) {
      const matrix<double> fast = k == 0 ? eigenflow::activate(x, a) : eigenflow::activation_derivative(x, a, k);
      for (index_t i = 0; i < x.size(); ++i) {
        const double expected = eigenflow::activation_derivative_at(a, k, x.data()[i]);
        CHECK(fast.data()[i] == Approx(expected).epsilon(1e-12).margin(1e-15));
      }
    }
  }
  // The named functions are the order-0 ops.
  CHECK(eigenflow::tanh(x) == eigenflow::activate(x, activation::tanh));
  CHECK(eigenflow::softplus(x) == eigenflow::activate(x, activation::softplus));
}

TEST_CASE("softplus and sigmoid are finite for large arguments", "[autodiff][ops][activation]") {
  matrix<double> x(1, 4);
  x << -800, -40, 40, 800;
  const matrix<double> sp = eigenflow::softplus(x);
  const matrix<double> sg = eigenflow::sigmoid(x);
  CHECK(sp.allFinite());
  CHECK(sg.allFinite());
  CHECK(sp(0, 3) == 800);
  CHECK(sp(0, 0) == Approx(0).margin(1e-300));
}

TEST_CASE("products in every form, linear, transpose, block products", "[autodiff][ops][matmul]") {
  check_ad([](const auto& in) { return matmul(in[0], in[1]); }, {uniform(3, 4, -1, 1, 19), uniform(4, 2, -1, 1, 20)});
  check_ad([](const auto& in) { return matmul_nt(in[0], in[1]); }, {uniform(3, 4, -1, 1, 21), uniform(5, 4, -1, 1, 22)});
  check_ad([](const auto& in) { return matmul_tn(in[0], in[1]); }, {uniform(4, 3, -1, 1, 23), uniform(4, 2, -1, 1, 24)});
  check_ad([](const auto& in) { return linear(in[0], in[1], in[2]); },
           {uniform(5, 3, -1, 1, 25), uniform(4, 3, -1, 1, 26), uniform(1, 4, -1, 1, 27)});
  check_ad([](const auto& in) { return linear(in[0], in[1]); }, {uniform(5, 3, -1, 1, 28), uniform(4, 3, -1, 1, 29)});
  check_ad([](const auto& in) { return transpose(in[0]); }, {uniform(3, 5, -1, 1, 30)});
  for (product_form form : {product_form::nn, product_form::nt, product_form::tn}) {
    // Three blocks; shapes chosen so that each form is defined.
    const matrix<double> a = uniform(6, 2, -1, 1, 31);
    const matrix<double> b = form == product_form::nt ? uniform(9, 2, -1, 1, 33) : uniform(6, 4, -1, 1, 32);
    check_ad([form](const auto& in) { return block_matmul(in[0], in[1], 3, form); }, {a, b});
  }
}

TEST_CASE("block products equal the products of the blocks", "[autodiff][ops][matmul]") {
  const matrix<double> a = uniform(6, 2, -1, 1, 34);
  const matrix<double> b = uniform(9, 2, -1, 1, 35);
  const matrix<double> c = eigenflow::block_matmul(a, b, 3, product_form::nt);
  REQUIRE(c.rows() == 6);
  REQUIRE(c.cols() == 3);
  for (index_t g = 0; g < 3; ++g) {
    const matrix<double> expected = a.middleRows(2 * g, 2) * b.middleRows(3 * g, 3).transpose();
    CHECK((c.middleRows(2 * g, 2) - expected).norm() < 1e-14);
  }
}

TEST_CASE("reductions", "[autodiff][ops][reduce]") {
  const matrix<double> x = uniform(4, 3, -1, 1, 36);
  check_ad([](const auto& in) { return sum(in[0]); }, {x});
  check_ad([](const auto& in) { return sum_rows(in[0]); }, {x});
  check_ad([](const auto& in) { return sum_cols(in[0]); }, {x});
  check_ad([](const auto& in) { return mean(in[0]); }, {x});
  check_ad([](const auto& in) { return mean_rows(in[0]); }, {x});
  check_ad([](const auto& in) { return mean_cols(in[0]); }, {x});
  CHECK(eigenflow::mean(x)(0, 0) == Approx(x.mean()));
  CHECK((eigenflow::sum_rows(x) - x.rowwise().sum()).norm() < 1e-15);
}

TEST_CASE("concat, slice, gather, reshape, block moves", "[autodiff][ops][structure]") {
  const matrix<double> a = uniform(4, 3, -1, 1, 37);
  const matrix<double> b = uniform(4, 2, -1, 1, 38);
  check_ad([](const auto& in) { return concat(in[0], in[1]); }, {a, b});
  check_ad([](const auto& in) { return concat(in[0], in[1], eigenflow::axis::rows); }, {a, uniform(2, 3, -1, 1, 39)});
  check_ad([](const auto& in) { return concat(std::span(in.data(), 3)); }, {a, b, uniform(4, 1, -1, 1, 40)});
  check_ad([](const auto& in) { return slice(in[0], 1, 2); }, {a});
  check_ad([](const auto& in) { return slice(in[0], 1, 3, eigenflow::axis::rows); }, {a});
  const std::array<index_t, 5> rows = {2, 0, 2, 3, 1};  // repeated rows accumulate in backward
  check_ad([&rows](const auto& in) { return gather_rows(in[0], std::span<const index_t>(rows)); }, {a});
  const std::array<index_t, 4> cols = {2, 0, 0, 1};
  check_ad([&cols](const auto& in) { return gather_cols(in[0], std::span<const index_t>(cols)); }, {a});
  CHECK(gather_cols(a, std::span<const index_t>(cols)).col(0) == a.col(2));
  check_ad([](const auto& in) { return reshape(in[0], 2, 6); }, {a});
  check_ad([](const auto& in) { return stack_col_blocks(in[0], 3); }, {uniform(2, 6, -1, 1, 41)});
  check_ad([](const auto& in) { return unstack_row_blocks(in[0], 2); }, {uniform(6, 2, -1, 1, 42)});
  const matrix<double> m = uniform(2, 6, -1, 1, 43);
  CHECK(eigenflow::unstack_row_blocks(eigenflow::stack_col_blocks(m, 3), 3) == m);
  CHECK(eigenflow::stack_col_blocks(m, 3).middleRows(2, 2) == m.middleCols(2, 2));
}

TEST_CASE("softmax along rows", "[autodiff][ops][softmax]") {
  const matrix<double> x = uniform(3, 5, -3, 3, 44);
  check_ad([](const auto& in) { return softmax_rows(in[0]); }, {x});
  const matrix<double> y = eigenflow::softmax_rows(x);
  CHECK((y.rowwise().sum().array() - 1).abs().maxCoeff() < 1e-15);
  // Shift invariance and stability for large scores.
  const matrix<double> shifted = eigenflow::softmax_rows(matrix<double>((x.array() + 1000).matrix()));
  CHECK((shifted - y).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("compositions: an MLP layer stack and attention-shaped products", "[autodiff][ops]") {
  check_ad(
      [](const auto& in) {
        auto h = tanh(linear(in[0], in[1], in[2]));
        return softplus(linear(h, in[3]));
      },
      {uniform(5, 3, -1, 1, 45), uniform(4, 3, -1, 1, 46), uniform(1, 4, -1, 1, 47), uniform(2, 4, -1, 1, 48)});
  check_ad(
      [](const auto& in) {
        // Two samples of three tokens; scores per sample, softmax over keys, weighted values.
        auto scores = block_matmul(in[0], in[1], 2, product_form::nt);
        return block_matmul(softmax_rows(scores), in[1], 2);
      },
      {uniform(6, 4, -1, 1, 49), uniform(6, 4, -1, 1, 50)});
}

TEST_CASE("matrix inverse", "[autodiff][ops][inverse]") {
  matrix<double> a = uniform(4, 4, -1, 1, 51);
  a.diagonal().array() += 3;  // well conditioned
  CHECK((inverse(a) * a - matrix<double>::Identity(4, 4)).norm() < 1e-14);
  // Gradients only: a tangent rule for inverse is not provided (no dual overload).
  CHECK(plain_tape_difference([](const auto& in) { return inverse(in[0]); }, {a}) <= 1e-14);
  const auto g = check_gradients([](const auto& in) { return inverse(in[0]); }, {a});
  INFO(g.worst);
  CHECK(g.passed);
  CHECK_THROWS_AS(inverse(matrix<double>(matrix<double>::Zero(3, 3))), value_error);
  CHECK_THROWS_AS(inverse(matrix<double>(matrix<double>::Zero(3, 2))), shape_error);
}
