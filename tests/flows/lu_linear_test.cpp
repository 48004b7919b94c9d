// tests/flows/lu_linear_test.cpp — the LU-decomposed linear layer: invertible with exact
// log-dets, log-det = log|det W| by Eigen, orthogonal at start, parameter gradients, bad widths.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include <Eigen/LU>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/distributions.hpp"
#include "eigenflow/flows/lu_linear.hpp"
#include "flows/bijection_check.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::expect_bijection;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::randomize;
using eigenflow::test::uniform;

TEST_CASE("lu_linear: a bijection with exact log-dets for D = 1, 2, 5", "[flows][lu_linear]") {
  random_engine rng(31);
  for (index_t dim : {1, 2, 5}) {
    flows::lu_linear<double> layer("lu", dim, rng);
    randomize(layer.parameters(), 40 + static_cast<std::uint64_t>(dim));
    expect_bijection(layer, uniform(6, dim, -2, 2, 41));
  }
}

TEST_CASE("lu_linear: log-det is log|det W| and y = x Wᵀ + b, computed independently", "[flows][lu_linear]") {
  random_engine rng(32);
  flows::lu_linear<double> layer("lu", 4, rng);
  auto params = layer.parameters();
  randomize(params, 42, 0.5);
  // W rebuilt from the parameters by hand: P·L·(U + diag(σ)).
  const index_t d = 4;
  matrix<double> lower = matrix<double>::Identity(d, d), upper = matrix<double>::Zero(d, d);
  for (index_t i = 0; i < d; ++i) {
    for (index_t j = 0; j < d; ++j) {
      if (j < i) lower(i, j) = params[0].value(i, j);
      if (j > i) upper(i, j) = params[1].value(i, j);
    }
    upper(i, i) = layer.signs()(0, i) * std::exp(params[2].value(0, i));
  }
  const matrix<double> lu_product = lower * upper;
  matrix<double> w(d, d);
  for (index_t i = 0; i < d; ++i) w.row(i) = lu_product.row(layer.permutation()[static_cast<std::size_t>(i)]);
  CHECK((layer.weight() - w).cwiseAbs().maxCoeff() < 1e-14);

  const matrix<double> x = uniform(5, d, -2, 2, 43);
  const auto out = layer.forward(x, {});
  CHECK((out.value - ((x * w.transpose()).rowwise() + params[3].value.row(0))).cwiseAbs().maxCoeff() < 1e-13);
  const double log_abs_det = std::log(std::abs(Eigen::PartialPivLU<matrix<double>>(w).determinant()));
  for (index_t s = 0; s < x.rows(); ++s) CHECK(out.log_det(s, 0) == Approx(log_abs_det).margin(1e-12));
  CHECK(std::abs(log_abs_det) > 0.1);  // the check is not vacuous
}

TEST_CASE("lu_linear starts orthogonal (log-det 0), bias 0, and differs by seed", "[flows][lu_linear]") {
  for (index_t dim : {1, 3, 8}) {
    random_engine rng(33 + static_cast<std::uint64_t>(dim));
    flows::lu_linear<double> layer("lu", dim, rng);
    const matrix<double> w = layer.weight();
    CHECK((w * w.transpose() - matrix<double>::Identity(dim, dim)).cwiseAbs().maxCoeff() < 1e-12);
    const auto out = layer.forward(uniform(3, dim, -1, 1, 44), {});
    CHECK(out.log_det.cwiseAbs().maxCoeff() < 1e-12);
    CHECK(layer.parameters()[3].value.isZero());
    if (dim > 1) CHECK(!w.isDiagonal(1e-3));  // a real mixing of features, not a signed identity
  }
  random_engine a(1), b(2);
  CHECK((flows::lu_linear<double>("lu", 3, a).weight() - flows::lu_linear<double>("lu", 3, b).weight()).norm() > 0.1);
  // float: the same construction, orthogonal to float precision.
  random_engine rf(3);
  const matrix<float> wf = flows::lu_linear<float>("lu", 6, rf).weight();
  CHECK((wf * wf.transpose() - matrix<float>::Identity(6, 6)).cwiseAbs().maxCoeff() < 1e-5f);
}

TEST_CASE("lu_linear: parameter gradients of a flow log-likelihood, both directions", "[flows][lu_linear][gradients]") {
  random_engine rng(34);
  flows::lu_linear<double> layer("lu", 3, rng);
  auto params = layer.parameters();
  randomize(params, 45);
  const matrix<double> x = uniform(5, 3, -1.5, 1.5, 46);
  distributions::standard_normal<double> base(3);
  // log N(T(x)) + log|det|: the loss a flow trains on.
  check_parameter_gradients(
      [&](tape<double>& t) {
        const auto z = layer.forward(t.constant(x), {});
        return add(base.log_prob(z.value), z.log_det);
      },
      params);
  // The inverse on the tape (through inverse(W)), as sampling-based losses use it.
  check_parameter_gradients(
      [&](tape<double>& t) {
        const auto back = layer.inverse(t.constant(x), {});
        return concat(back.value, back.log_det);
      },
      params);
  // Plain and tape inverses agree.
  tape<double> t;
  const auto on_tape = layer.inverse(t.constant(x), {});
  CHECK((matrix<double>(on_tape.value.value()) - layer.inverse(x, {}).value).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("lu_linear: bad width and dimension are errors", "[flows][lu_linear][errors]") {
  random_engine rng(35);
  flows::lu_linear<double> layer("lu", 3, rng);
  CHECK_THROWS_AS(layer.forward(uniform(2, 4, -1, 1, 47), {}), shape_error);
  CHECK_THROWS_AS(layer.inverse(uniform(2, 2, -1, 1, 48), {}), shape_error);
  tape<double> t;
  CHECK_THROWS_AS(layer.forward(t.constant(uniform(2, 2, -1, 1, 49)), {}), shape_error);
  CHECK_THROWS_AS(flows::lu_linear<double>("lu", 0, rng), value_error);
  // The drawn P and signs are not parameters: the description carries their fingerprint, so a
  // checkpoint read into a layer of another draw is refused; the identity P with positive signs has none.
  CHECK_THAT(layer.describe(), Catch::Matches("lu_linear\\(D=3, fixed P and signs fnv1a [0-9a-f]{8}\\)"));
  random_engine same(35), other(36);
  flows::lu_linear<double> twin("lu", 3, same);
  CHECK(twin.describe() == layer.describe());
  CHECK(flows::lu_linear<double>("lu", 3, other).describe() != layer.describe());
  CHECK(flows::lu_linear<double>::lower_triangular("lu", matrix<double>::Identity(3, 3)).describe() == "lu_linear(D=3)");
  CHECK(layer.parameters()[0].name == "lu.lower");
  CHECK(layer.parameters()[2].name == "lu.log_abs_scale");
}

TEST_CASE("lu_linear::lower_triangular starts at the given matrix and stays a bijection", "[flows][lu_linear]") {
  matrix<double> w(3, 3);
  w << 2.0, 0.0, 0.0,  //
      -0.5, 0.7, 0.0,  //
      1.5, 0.25, -3.0;
  auto layer = flows::lu_linear<double>::lower_triangular("whiten", w);
  CHECK((layer.weight() - w).cwiseAbs().maxCoeff() < 1e-15);
  const matrix<double> x = uniform(5, 3, -2, 2, 51);
  const auto [y, log_det] = layer.forward(x, {});
  CHECK((y - x * w.transpose()).cwiseAbs().maxCoeff() < 1e-14);
  CHECK(log_det(0, 0) == Approx(std::log(std::abs(w.determinant()))).epsilon(1e-14));
  // Rebuilt from the identity plus its parameters (as a checkpoint restores it): the same W.
  matrix<double> minus_diagonal = matrix<double>::Identity(3, 3);
  minus_diagonal(2, 2) = -1;  // the signs come from the diagonal, so a restore needs the same signs
  auto rebuilt = flows::lu_linear<double>::lower_triangular("whiten", minus_diagonal);
  rebuilt.parameters().assign_values(layer.parameters().flatten_values());
  CHECK((rebuilt.weight() - w).cwiseAbs().maxCoeff() < 1e-15);
  randomize(layer.parameters(), 52, 0.3);  // free to move from there: still a bijection
  expect_bijection(layer, x);
  CHECK((flows::lu_linear<double>::lower_triangular("id", matrix<double>::Identity(4, 4)).weight() -
         matrix<double>::Identity(4, 4)).isZero(0));
}

TEST_CASE("lu_linear::lower_triangular refuses what is not lower-triangular and invertible", "[flows][lu_linear]") {
  matrix<double> upper = matrix<double>::Identity(2, 2);
  upper(0, 1) = 0.5;
  CHECK_THROWS_AS(flows::lu_linear<double>::lower_triangular("w", upper), value_error);
  CHECK_THROWS_WITH(flows::lu_linear<double>::lower_triangular("w", matrix<double>::Zero(2, 2)),
                    Catch::Contains("nonzero diagonal"));
  CHECK_THROWS_AS(flows::lu_linear<double>::lower_triangular("w", matrix<double>::Identity(2, 3)), shape_error);
}
