// tests/flows/autoregressive_test.cpp — MADE and the autoregressive layers (MAF, IAF, spline):
// the autoregressive property read off the tape's Jacobian, exactly; MADE against finite
// differences; every layer a bijection whose log-det is its full Jacobian's, in both pass
// directions, conditional or not; log p's parameter gradients, through the D-pass solve too.
#include <catch2/catch.hpp>

#include <vector>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/distributions/standard_normal.hpp"
#include "eigenflow/flows.hpp"
#include "flows/bijection_check.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using Catch::Matchers::Contains;
using eigenflow::test::check_ad;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::expect_bijection;
using eigenflow::test::randomize;
using eigenflow::test::uniform;

namespace {

// ∂out(s, j)/∂x(s, i) of MADE for every sample s: a (columns × D) matrix per sample, and the
// same against the context features (columns × F) when there are some.
struct made_jacobians {
  std::vector<matrix<double>> inputs, context;
};

made_jacobians jacobians_of(const flows::made<double>& net, const matrix<double>& x, const context<matrix<double>>& c) {
  tape<double> tp;
  const var<double> xv = tp.variable(x);
  const var<double> features = c.has_features() ? tp.variable(*c.features) : var<double>();
  const var<double> out = net(xv, context<var<double>>{c.labels, c.has_features() ? &features : nullptr});
  made_jacobians j;
  const index_t n = x.rows(), columns = out.cols();
  j.inputs.assign(static_cast<std::size_t>(n), matrix<double>(columns, x.cols()));
  if (c.has_features()) j.context.assign(static_cast<std::size_t>(n), matrix<double>(columns, c.features->cols()));
  for (index_t col = 0; col < columns; ++col) {
    tp.zero_adjoints();
    matrix<double> seed = matrix<double>::Zero(n, columns);
    seed.col(col).setOnes();
    tp.seed(out, seed);
    tp.propagate();
    for (index_t s = 0; s < n; ++s) {
      j.inputs[static_cast<std::size_t>(s)].row(col) = xv.adjoint().row(s);
      if (c.has_features()) j.context[static_cast<std::size_t>(s)].row(col) = features.adjoint().row(s);
    }
  }
  return j;
}

// Checks the property exactly: output column `col` of feature f is blind to every input at or
// after f in the order, and (`dense`: natural order, wide layers) sees every input before it.
void expect_autoregressive(const flows::made<double>& net, flows::parameter_layout layout, bool dense,
                           const context<matrix<double>>& c = {}) {
  const index_t d = net.features(), p = net.outputs_per_feature();
  const matrix<double> x = uniform(4, d, -1.5, 1.5, 7);
  const made_jacobians j = jacobians_of(net, x, c);
  std::vector<index_t> position(static_cast<std::size_t>(d));
  for (index_t k = 0; k < d; ++k) position[static_cast<std::size_t>(net.order()[static_cast<std::size_t>(k)])] = k;
  for (std::size_t s = 0; s < j.inputs.size(); ++s) {
    for (index_t col = 0; col < d * p; ++col) {
      const index_t f = flows::value_of_parameter(layout, col, d, p);
      for (index_t i = 0; i < d; ++i) {
        const double entry = j.inputs[s](col, i);
        INFO(net.describe() << ": sample " << s << ", output " << col << " (feature " << f << "), input " << i);
        if (position[static_cast<std::size_t>(i)] >= position[static_cast<std::size_t>(f)]) {
          CHECK(entry == 0.0);  // exactly: a masked weight contributes nothing, not a rounding error
        } else if (dense) {
          CHECK(entry != 0.0);
        }
      }
      // The context reaches every output, the first feature's included.
      if (!j.context.empty()) {
        INFO(net.describe() << ": output " << col << " (feature " << f << ") against the context");
        CHECK(j.context[s].row(col).cwiseAbs().maxCoeff() > 0.0);
      }
    }
  }
}

}  // namespace

TEST_CASE("MADE: each output depends on exactly the features before its own", "[flows][made]") {
  using flows::made_order;
  for (const index_t d : {1, 2, 5}) {
    for (const made_order order : {made_order::natural, made_order::random}) {
      for (const bool residual : {false, true}) {
        for (const auto layout : {flows::parameter_layout::by_feature, flows::parameter_layout::by_parameter}) {
          random_engine rng(static_cast<std::uint64_t>(10 * d + (residual ? 1 : 0)));
          const flows::made_options o{.hidden = residual ? std::vector<index_t>{2, 12} : std::vector<index_t>{12, 12},
                                      .hidden_activation = activation::tanh,
                                      .order = order,
                                      .residual = residual};
          flows::made<double> net("made", d, 3, o, rng, layout);
          // Every raw weight random, masked entries included: the masks alone must keep the order.
          randomize(net.parameters(), 11);
          expect_autoregressive(net, layout, order == made_order::natural);
        }
      }
    }
  }
  SECTION("a class and context features reach every output") {
    for (const index_t d : {1, 3}) {
      for (const made_order order : {made_order::natural, made_order::random}) {
        random_engine rng(20);
        const flows::made_options o{.hidden = {10, 10}, .hidden_activation = activation::tanh, .order = order,
                                    .condition = {.classes = 3, .features = 2}, .embedding_dim = 2};
        flows::made<double> net("made", d, 2, o, rng);
        randomize(net.parameters(), 21);
        const std::vector<index_t> labels = {0, 2, 1, 2};
        const matrix<double> features = uniform(4, 2, -1, 1, 22);
        expect_autoregressive(net, flows::parameter_layout::by_feature, order == made_order::natural,
                              {.labels = labels, .features = &features});
      }
    }
  }
  SECTION("a random order is a seeded permutation") {
    random_engine a(5), b(5);
    const flows::made_options o{.hidden = {8}, .order = made_order::random};
    const flows::made<double> first("m", 6, 1, o, a), second("m", 6, 1, o, b);
    CHECK(first.order() == second.order());
    std::vector<index_t> sorted = first.order();
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::vector<index_t>{0, 1, 2, 3, 4, 5});
  }
}

namespace {
flows::made_options made_for_tests(bool residual) {
  return {.hidden = residual ? std::vector<index_t>{1, 10} : std::vector<index_t>{10},
          .hidden_activation = activation::tanh, .residual = residual};
}
}  // namespace

TEST_CASE("MADE: values, gradients and tangents against finite differences", "[flows][made]") {
  for (const bool residual : {false, true}) {
    random_engine rng(30);
    flows::made_options o = made_for_tests(residual);
    o.condition = {.features = 2};
    flows::made<double> net("made", 3, 2, o, rng);
    randomize(net.parameters(), 31, 0.5);
    const auto run = [&](const auto& in) {
      using Value = std::decay_t<decltype(in[0])>;
      return net(in[0], context<Value>{{}, &in[1]});
    };
    check_ad(run, {uniform(4, 3, -1, 1, 32), uniform(4, 2, -1, 1, 33)});
    check_parameter_gradients(
        [&](tape<double>& t) {
          const var<double> features = t.constant(uniform(4, 2, -1, 1, 33));
          return net(t.constant(uniform(4, 3, -1, 1, 32)), context<var<double>>{{}, &features});
        },
        net.parameters());
  }
}

TEST_CASE("autoregressive layers: bijections with the full Jacobian's log-det, both passes", "[flows][made]") {
  const flows::rational_quadratic_options spline{.bins = 5, .bound = 2.0};
  for (const index_t d : {1, 2, 4}) {
    for (const auto pass : {flows::autoregressive_pass::density, flows::autoregressive_pass::sampling}) {
      for (const auto order : {flows::made_order::natural, flows::made_order::random}) {
        random_engine rng(40 + static_cast<std::uint64_t>(d));
        flows::made_options o = made_for_tests(d % 2 == 0);
        o.order = order;
        flows::affine_autoregressive<double> affine("a", d, o, rng, {}, pass);
        flows::spline_autoregressive<double> rq("s", d, o, rng, spline, pass);
        randomize(affine.parameters(), 41);
        randomize(rq.parameters(), 42, 0.5);  // larger weights make splines so steep that
        // the D-pass inverse loses digits to conditioning (log-dets near −20), not to a bug
        const matrix<double> x = uniform(6, d, -2.5, 2.5, 43);  // some values in the spline's tails
        expect_bijection(affine, x);
        expect_bijection(rq, x);
      }
    }
  }
  SECTION("conditional on a class and a context matrix") {
    random_engine rng(50);
    flows::made_options o = made_for_tests(false);
    o.condition = {.classes = 3, .features = 2};
    o.embedding_dim = 2;
    const std::vector<index_t> labels = {0, 2, 1, 2, 0, 1};
    const matrix<double> features = uniform(6, 2, -1, 1, 51);
    for (const auto pass : {flows::autoregressive_pass::density, flows::autoregressive_pass::sampling}) {
      flows::affine_autoregressive<double> affine("a", 3, o, rng, {}, pass);
      flows::spline_autoregressive<double> rq("s", 3, o, rng, spline, pass);
      randomize(affine.parameters(), 52);
      randomize(rq.parameters(), 53, 0.5);
      expect_bijection(affine, uniform(6, 3, -2, 2, 54), {.labels = labels, .features = &features});
      expect_bijection(rq, uniform(6, 3, -2, 2, 55), {.labels = labels, .features = &features});
    }
  }
}

TEST_CASE("autoregressive layers: identity at the start, names, log p gradients through the solve", "[flows][made]") {
  random_engine rng(60);
  for (const auto pass : {flows::autoregressive_pass::density, flows::autoregressive_pass::sampling}) {
    flows::affine_autoregressive<double> layer("a", 3, made_for_tests(true), rng, {}, pass);
    const matrix<double> x = uniform(5, 3, -2, 2, 61);
    const auto at_start = layer.forward(x, {});
    CHECK((at_start.value - x).cwiseAbs().maxCoeff() == 0.0);
    CHECK(at_start.log_det.cwiseAbs().maxCoeff() == 0.0);
    const bool density = pass == flows::autoregressive_pass::density;
    CHECK(layer.describe().rfind(density ? "maf(D=3, bound=2.000000, made(D=3, P=2, 1 blocks x 10, tanh, natural, residual))"
                                         : "iaf(D=3, ",
                                 0) == 0);
    randomize(layer.parameters(), 62, 0.5);
    flows::flow<double> model(std::make_unique<distributions::standard_normal<double>>(3), layer.clone());
    // For IAF, log p runs the D-pass solve on the tape: its gradient must be exact as well.
    check_parameter_gradients([&](tape<double>& t) { return model.log_prob(t.constant(x)); }, model.parameters());
    random_engine draw(63);
    const auto [s, log_p] = model.sample_and_log_prob(40, draw);
    CHECK((model.log_prob(s) - log_p).cwiseAbs().maxCoeff() <= 1e-10);
  }
  flows::spline_autoregressive<double> rq("s", 2, made_for_tests(false), rng, {}, flows::autoregressive_pass::sampling);
  CHECK_THAT(rq.describe(), Contains("inverse_spline_autoregressive(D=2, bins=8, bound="));
}

TEST_CASE("MADE and autoregressive layers: clear errors", "[flows][made]") {
  random_engine rng(70);
  CHECK_THROWS_WITH(flows::made<double>("m", 0, 2, {}, rng), Contains("m: MADE needs at least one feature"));
  CHECK_THROWS_WITH(flows::made<double>("m", 3, 2, {.hidden = {}}, rng), Contains("at least one hidden layer"));
  CHECK_THROWS_WITH(flows::made<double>("m", 3, 2, {.hidden = {4, 0}}, rng), Contains("positive width"));
  CHECK_THROWS_WITH(flows::made<double>("m", 3, 2, {.hidden = {4, 4, 4}, .residual = true}, rng),
                    Contains("residual MADE takes hidden = {blocks, width}"));
  flows::affine_autoregressive<double> maf("a", 3, {.hidden = {4}}, rng);
  CHECK_THROWS_WITH(maf.forward(matrix<double>::Zero(2, 4), {}), Contains("maf") && Contains("4"));
  CHECK_THROWS_WITH(maf.inverse(matrix<double>::Zero(2, 2), {}), Contains("maf"));
  flows::affine_autoregressive<double> conditional("c", 3, {.hidden = {4}, .condition = {.features = 2}}, rng);
  CHECK_THROWS_WITH(conditional.forward(matrix<double>::Zero(2, 3), {}), Contains("context matrix with 2 columns is required"));
}

TEST_CASE("make_maf, make_iaf, make_nsf: identity at the start, normalized, sampling inverts", "[flows][made]") {
  const double log_2pi = std::log(2 * 3.14159265358979323846);
  const flows::rational_quadratic_options spline{.bins = 4, .bound = 3.0};
  const flows::autoregressive_stack_options base_options{.dim = 3, .transforms = 3, .hidden_width = 8,
                                                         .hidden_layers = 1, .hidden_activation = activation::tanh,
                                                         .permutation = flows::permutation_kind::random,
                                                         .spline = spline};
  const matrix<double> x = uniform(6, 3, -3.5, 3.5, 80);
  const matrix<double> standard_log_p = (-0.5 * x.rowwise().squaredNorm().array() - 1.5 * log_2pi).matrix();
  for (const int which : {0, 1, 2, 3}) {
    random_engine rng(81);
    flows::autoregressive_stack_options o = base_options;
    o.residual = which % 2 == 0;
    o.form = which == 3 ? flows::spline_form::coupling : flows::spline_form::autoregressive;
    auto model = which == 0 ? flows::make_maf<double>(o, rng)
                 : which == 1 ? flows::make_iaf<double>(o, rng)
                              : flows::make_nsf<double>(o, rng);
    INFO(model.describe());
    CHECK_THAT(model.describe(), Contains(which == 0   ? "maf(D=3"
                                          : which == 1 ? "iaf(D=3"
                                          : which == 2 ? "spline_autoregressive(D=3, bins=4"
                                                       : "spline_coupling(D=3"));
    CHECK((model.log_prob(x) - standard_log_p).cwiseAbs().maxCoeff() <= 1e-12);
    randomize(model.parameters(), 82, 0.4);
    check_parameter_gradients([&](tape<double>& t) { return model.log_prob(t.constant(x)); }, model.parameters());
    random_engine draw(83);
    const auto [s, log_p] = model.sample_and_log_prob(30, draw);
    CHECK((model.log_prob(s) - log_p).cwiseAbs().maxCoeff() <= 1e-9);
  }
}

TEST_CASE("autoregressive stacks: the density integrates to one", "[flows][made]") {
  // A 2-D grid over [−10, 10]²: the base's mass outside is negligible, and the splines' tails are
  // the identity. The grid sum converges to 1 like h² for MAF; the splines' density has kinks at
  // the knots, so its sum converges more slowly (3.9e-4 off at this grid, 1e-3 at h = 0.05),
  // still far inside what a dropped or doubled log-det term would cost.
  const index_t n = 641;
  const double h = 20.0 / (n - 1);
  matrix<double> grid(n * n, 2);
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < n; ++j) grid.row(i * n + j) << -10 + h * i, -10 + h * j;
  }
  for (const bool spline : {false, true}) {
    random_engine rng(90);
    const flows::autoregressive_stack_options o{.dim = 2, .transforms = 2, .hidden_width = 8, .hidden_layers = 1,
                                                .residual = false, .hidden_activation = activation::tanh,
                                                .spline = {.bins = 4, .bound = 3.0}};
    auto model = spline ? flows::make_nsf<double>(o, rng) : flows::make_maf<double>(o, rng);
    randomize(model.parameters(), 91, spline ? 0.5 : 0.25);  // MAF: larger scales push mass off the grid
    const double mass = model.log_prob(grid).array().exp().sum() * h * h;
    INFO(model.describe());
    CHECK(std::abs(mass - 1.0) <= (spline ? 1e-3 : 1e-5));
  }
}

TEST_CASE("autoregressive stacks: the output linear layer starts as the data's whitening", "[flows][made]") {
  random_engine rng(100);
  matrix<double> factor(3, 3);
  factor << 2.0, 0, 0, 0.5, 1.5, 0, -0.3, 0.2, 0.8;
  const flows::autoregressive_stack_options o{.dim = 3, .transforms = 4, .hidden_width = 8, .hidden_layers = 1,
                                              .permutation = flows::permutation_kind::random,
                                              .output_linear = factor};
  const auto model = flows::make_maf<double>(o, rng);
  const matrix<double> x = uniform(5, 3, -2, 2, 101);
  const matrix<double> z = x * factor.transpose();
  const matrix<double> expected =
      (-0.5 * z.rowwise().squaredNorm().array() - 1.5 * std::log(2 * 3.14159265358979323846) +
       std::log(factor.diagonal().prod()))
          .matrix();
  CHECK((model.log_prob(x) - expected).cwiseAbs().maxCoeff() <= 1e-12);
  CHECK_THROWS_WITH(flows::make_maf<double>({.dim = 2, .output_linear = factor}, rng),
                    Contains("make_maf: output_linear is 3x3 for D = 2"));
  CHECK_THROWS_WITH(flows::make_nsf<double>({.dim = 0}, rng), Contains("make_nsf: D must be at least 1"));
  CHECK_THROWS_WITH(flows::make_iaf<double>({.transforms = 0}, rng), Contains("make_iaf: at least one transform"));
}
