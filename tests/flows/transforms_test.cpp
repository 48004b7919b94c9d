// tests/flows/transforms_test.cpp — every transform and random stacks of them: invertible, exact
// log-determinants, plain = tape; errors for bad widths and contexts.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "eigenflow/flows.hpp"
#include "flows/bijection_check.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::expect_bijection;
using eigenflow::test::randomize;
using eigenflow::test::uniform;

namespace {

flows::conditioner_options small_net(condition_spec condition = {}) {
  return {.hidden = {16, 16}, .hidden_activation = activation::tanh, .condition = condition, .embedding_dim = 3};
}

flows::affine_coupling<double> mlp_coupling(index_t dim, std::vector<index_t> b, random_engine& rng,
                                            condition_spec condition = {}, double bound = 2.0) {
  const index_t nb = static_cast<index_t>(b.size());
  auto net = std::make_unique<flows::mlp_conditioner<double>>("c", dim - nb, 2 * nb, small_net(condition), rng);
  return flows::affine_coupling<double>(dim, std::move(b), std::move(net), bound);
}

}  // namespace

TEST_CASE("affine coupling: halves, odd D, masks, both bounds", "[flows][coupling]") {
  random_engine rng(1);
  for (index_t dim : {2, 3, 5}) {
    for (bool first : {false, true}) {
      auto layer = mlp_coupling(dim, flows::half_split(dim, first), rng);
      randomize(layer.parameters(), 10 + dim);
      expect_bijection(layer, uniform(6, dim, -2, 2, 2));
    }
  }
  auto masked = mlp_coupling(5, {0, 2, 3}, rng, {}, 1.0);  // plain tanh bound, a non-contiguous mask
  randomize(masked.parameters(), 3, 1.0);
  expect_bijection(masked, uniform(4, 5, -2, 2, 4));
}

TEST_CASE("affine coupling: the log-scale stays within its bound", "[flows][coupling]") {
  random_engine rng(5);
  auto layer = mlp_coupling(2, {1}, rng, {}, 1.5);
  randomize(layer.parameters(), 6, 5.0);  // huge raw scales
  const matrix<double> x = uniform(200, 2, -3, 3, 7);
  const auto out = layer.forward(x, {});
  CHECK(out.log_det.cwiseAbs().maxCoeff() <= 1.5);  // tanh saturates to exactly 1 in double
  CHECK(out.log_det.cwiseAbs().maxCoeff() > 1.0);  // and the bound is actually reached for
}

TEST_CASE("affine coupling starts as the identity (zero last layer)", "[flows][coupling]") {
  random_engine rng(8);
  auto layer = mlp_coupling(4, flows::half_split(4, false), rng);
  const matrix<double> x = uniform(5, 4, -1, 1, 9);
  const auto out = layer.forward(x, {});
  CHECK(out.value == x);
  CHECK(out.log_det.isZero());
}

TEST_CASE("residual coupling", "[flows][coupling][residual]") {
  random_engine rng(10);
  flows::conditioner_options opts = small_net();
  opts.hidden = {2, 16};
  auto net = std::make_unique<flows::residual_conditioner<double>>("r", 2, 4, opts, rng);
  flows::affine_coupling<double> layer(4, {2, 3}, std::move(net));
  randomize(layer.parameters(), 11);
  expect_bijection(layer, uniform(5, 4, -2, 2, 12));
}

TEST_CASE("conditional couplings: class labels and context matrices", "[flows][coupling][conditional]") {
  random_engine rng(13);
  const std::vector<index_t> labels = {0, 2, 1, 2, 0};
  const matrix<double> x = uniform(5, 3, -2, 2, 14);
  {
    auto layer = mlp_coupling(3, {1, 2}, rng, {.classes = 3});
    randomize(layer.parameters(), 15);
    expect_bijection(layer, x, {.labels = labels});
    // The class matters.
    const std::vector<index_t> other = {1, 0, 0, 1, 1};
    CHECK((layer.forward(x, {.labels = labels}).value - layer.forward(x, {.labels = other}).value).norm() > 1e-3);
  }
  {
    const matrix<double> ctx = uniform(5, 4, -1, 1, 16);
    auto layer = mlp_coupling(3, {0}, rng, {.features = 4});
    randomize(layer.parameters(), 17);
    expect_bijection(layer, x, {.features = &ctx});
  }
}

TEST_CASE("missing or mis-sized context is an error, never silently zero", "[flows][conditional][errors]") {
  random_engine rng(18);
  auto by_class = mlp_coupling(2, {1}, rng, {.classes = 3});
  const matrix<double> x = uniform(4, 2, -1, 1, 19);
  CHECK_THROWS_WITH(by_class.forward(x, {}), Catch::Contains("class labels are required"));
  const std::vector<index_t> short_labels = {0, 1};
  CHECK_THROWS_AS(by_class.forward(x, {.labels = short_labels}), shape_error);
  const std::vector<index_t> bad = {0, 1, 3, 0};
  CHECK_THROWS_WITH(by_class.forward(x, {.labels = bad}), Catch::Contains("class id 3 at row 2"));
  auto by_features = mlp_coupling(2, {1}, rng, {.features = 2});
  const matrix<double> ctx(3, 2);  // 3 rows for a batch of 4
  CHECK_THROWS_WITH(by_features.forward(x, {.features = &ctx}), Catch::Contains("context is 3x2, expected 4x2"));
  CHECK_THROWS_WITH(by_features.forward(x, {}), Catch::Contains("context matrix with 2 columns is required"));
  // A layer that needs no context ignores one (a conditional stack may mix such layers in); the
  // flow model rejects a context its transform does not take (flow_test.cpp).
}

TEST_CASE("permutations: reverse, roll, random; inverses are computed, not assumed", "[flows][permutation]") {
  random_engine rng(20);
  const matrix<double> x = uniform(3, 5, -1, 1, 21);
  for (const auto& p : {flows::permutation<double>::reverse(5), flows::permutation<double>::roll(5, 2),
                        flows::permutation<double>::random(5, rng)}) {
    expect_bijection(p, x);
  }
  const auto roll = flows::permutation<double>::roll(5, 2);
  CHECK(roll.forward(x, {}).value.col(0) == x.col(2));
  CHECK(roll.inverse(x, {}).value.col(2) == x.col(0));
  CHECK_THROWS_AS(flows::permutation<double>({0, 0, 1}), value_error);
}

TEST_CASE("actnorm: data-dependent init normalizes the batch, guarded against zero variance", "[flows][actnorm]") {
  flows::actnorm<double> norm("an", 3);
  matrix<double> x = uniform(50, 3, -2, 6, 22);
  x.col(2).setConstant(4.0);  // zero variance
  const matrix<double> y = norm.initialize(x, {});
  CHECK(y.col(0).mean() == Approx(0).margin(1e-12));
  CHECK(std::sqrt(y.col(1).array().square().mean()) == Approx(1).epsilon(1e-10));
  CHECK(y.allFinite());
  CHECK(y.col(2).isZero());
  expect_bijection(norm, uniform(4, 3, -1, 1, 23));
}

TEST_CASE("composite stacks, conditional ones included: inverse runs in reverse", "[flows][composite]") {
  random_engine rng(24);
  for (int trial = 0; trial < 3; ++trial) {
    const index_t dim = 3 + trial;
    flows::composite<double> stack(dim);
    stack.add(flows::actnorm<double>("an", dim));
    for (int k = 0; k < 4; ++k) {
      stack.add(mlp_coupling(dim, flows::half_split(dim, k % 2 == 1), rng, {.classes = 2}));
      stack.add(flows::permutation<double>::random(dim, rng));
    }
    randomize(stack.parameters(), 25 + trial);
    const std::vector<index_t> labels = {1, 0, 1, 1};
    expect_bijection(stack, uniform(4, dim, -2, 2, 26), {.labels = labels});
    CHECK(stack.condition().classes == 2);
    // A copy is deep: changing it leaves the original alone.
    flows::composite<double> copy(stack);
    randomize(copy.parameters(), 99);
    CHECK((copy.forward(uniform(2, dim, -1, 1, 27), {.labels = std::span(labels).first(2)}).value -
           stack.forward(uniform(2, dim, -1, 1, 27), {.labels = std::span(labels).first(2)}).value)
              .norm() > 1e-6);
  }
  flows::composite<double> stack(3);
  CHECK_THROWS_AS(stack.add(flows::permutation<double>::reverse(4)), shape_error);
}

namespace {

/// y = a·x + b per column with a > 0: log|det| = Σ log a. `log_det_sign` −1 plants a wrong sign,
/// `inverse_shift` a wrong inverse: what flows::check_bijection must catch.
class scale_shift_for_check : public flows::transform_base<scale_shift_for_check, double> {
 public:
  scale_shift_for_check(double log_det_sign, double inverse_shift)
      : log_det_sign_(log_det_sign), inverse_shift_(inverse_shift) {}
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>&) const {
    const Value y = shift(scale(x, 2.0), 0.5);
    return {y, lift_constant(matrix<double>(matrix<double>::Constant(x.rows(), 1, log_det_sign_ * 3 * std::log(2.0))), x)};
  }
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>&) const {
    const Value x = shift(scale(y, 0.5), -0.25 + inverse_shift_);
    return {x, lift_constant(matrix<double>(matrix<double>::Constant(y.rows(), 1, -log_det_sign_ * 3 * std::log(2.0))), y)};
  }
  index_t dim() const override { return 3; }
  void collect_parameters(nn::parameter_list<double>&) override {}
  std::string describe() const override { return "scale_shift_for_check"; }

 private:
  double log_det_sign_, inverse_shift_;
};

}  // namespace

TEST_CASE("flows::check_bijection passes a right transform and names what is wrong with a wrong one", "[flows]") {
  const matrix<double> x = uniform(4, 3, -2, 2, 81);
  const flows::bijection_check_result right = flows::check_bijection(scale_shift_for_check(1, 0), x);
  INFO(right.message);
  CHECK(right.passed);
  CHECK(right.round_trip_error < 1e-14);
  CHECK(right.log_det_error < 1e-12);

  const flows::bijection_check_result wrong_sign = flows::check_bijection(scale_shift_for_check(-1, 0), x);
  CHECK(!wrong_sign.passed);
  CHECK(wrong_sign.round_trip_error < 1e-14);  // the log-dets still cancel: only the Jacobian check sees it
  CHECK(wrong_sign.log_det_error == Approx(6 * std::log(2.0)));
  CHECK_THAT(wrong_sign.message, Catch::Contains("scale_shift_for_check") && Catch::Contains("log-det off"));

  const flows::bijection_check_result wrong_inverse = flows::check_bijection(scale_shift_for_check(1, 1e-6), x);
  CHECK(!wrong_inverse.passed);
  CHECK_THAT(wrong_inverse.message, Catch::Contains("round trip off"));
}
