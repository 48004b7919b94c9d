// tests/train/custom_model_test.cpp — a density model written outside the library (a learnable
// mixture of diagonal Gaussians, as a user would write one) plugs into everything that takes a
// density_model: train::fit on two threads, checkpoints, any_model. No library file knows it.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/any_model.hpp"
#include "eigenflow/autodiff/gradient_check.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/softmax.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/distributions/standard_normal.hpp"
#include "eigenflow/flows/actnorm.hpp"
#include "eigenflow/flows/flow.hpp"
#include "eigenflow/io/checkpoint.hpp"
#include "eigenflow/model.hpp"
#include "eigenflow/optim/sgd.hpp"
#include "eigenflow/train/trainer.hpp"
#include "support/scratch_dir.hpp"

namespace user_code {

using namespace eigenflow;

/// p(x) = Σ_k π_k N(x; μ_k, diag σ_k²), π = softmax(logits), σ = exp(log_scale).
template <class Scalar>
class gaussian_mixture {
 public:
  using scalar_type = Scalar;

  gaussian_mixture(index_t dim, index_t components, random_engine& rng)
      : logits_("mixture.logits", matrix<Scalar>::Zero(1, components)),
        means_("mixture.means", normal_matrix<Scalar>(components, dim, rng)),
        log_scales_("mixture.log_scales", matrix<Scalar>::Zero(components, dim)) {}
  gaussian_mixture(const gaussian_mixture& o) : logits_(o.logits_), means_(o.means_), log_scales_(o.log_scales_) {}
  gaussian_mixture& operator=(const gaussian_mixture&) = delete;

  index_t dim() const { return means_.value.cols(); }
  condition_spec condition() const { return {}; }

  /// The same code on plain matrices and on the tape.
  template <class Value>
  Value log_prob(const Value& x, const context<Value>& = {}) const {
    detail::check_width("gaussian_mixture", x, dim());
    const index_t k_count = means_.value.rows();
    const Value log_weights = log(softmax_rows(nn::lift(logits_, x)));
    const Value means = nn::lift(means_, x), log_scales = nn::lift(log_scales_, x);
    std::vector<Value> columns;
    for (index_t k = 0; k < k_count; ++k) {
      const Value log_scale = slice(log_scales, k, 1, axis::rows);
      const Value z = div(sub(x, slice(means, k, 1, axis::rows)), exp(log_scale));
      const Value log_normal = scale(sum_rows(square(z)), Scalar(-0.5));
      columns.push_back(add(log_normal, sub(slice(log_weights, k, 1), sum_rows(log_scale))));
    }
    const Value joint = concat(std::span<const Value>(columns), axis::cols);
    // log Σ_k exp(joint) around each row's maximum (a constant shift: exact value and gradient).
    const matrix<Scalar> top = value_of(joint).rowwise().maxCoeff();
    const Value shifted = exp(sub(joint, lift_constant(top, x)));
    const Value log_sum = add(log(sum_rows(shifted)), lift_constant(top, x));
    return add(log_sum, lift_constant(matrix<Scalar>(matrix<Scalar>::Constant(1, 1, log_normalizer())), x));
  }

  std::pair<matrix<Scalar>, matrix<Scalar>> sample_and_log_prob(index_t n, random_engine& rng,
                                                                const context<matrix<Scalar>>& = {}) const {
    const vector<Scalar> weights = softmax_rows(logits_.value).transpose();
    matrix<Scalar> x(n, dim());
    for (index_t i = 0; i < n; ++i) {
      double u = uniform01(rng);
      index_t k = 0;
      while (k + 1 < weights.size() && (u -= double(weights(k))) > 0) ++k;
      x.row(i) = means_.value.row(k) + (log_scales_.value.row(k).array().exp() *
                                        normal_matrix<Scalar>(1, dim(), rng).array()).matrix();
    }
    return {x, log_prob(x)};
  }
  matrix<Scalar> sample(index_t n, random_engine& rng, const context<matrix<Scalar>>& c = {}) const {
    return sample_and_log_prob(n, rng, c).first;
  }

  nn::parameter_list<Scalar> parameters() { return nn::parameter_list<Scalar>({&logits_, &means_, &log_scales_}); }
  nn::const_parameter_list<Scalar> parameters() const {
    nn::const_parameter_list<Scalar> list;
    for (const nn::parameter<Scalar>* p : {&logits_, &means_, &log_scales_}) list.push_back(*p);
    return list;
  }
  std::string describe() const {
    return "gaussian_mixture(" + std::to_string(means_.value.rows()) + " x " + std::to_string(dim()) + ")";
  }
  step_loss accumulate_gradient(const matrix<Scalar>& x, const context<matrix<Scalar>>& c, random_engine&, tape<Scalar>& t) {
    return record_nll_gradient(*this, x, c, t);
  }

 private:
  Scalar log_normalizer() const { return static_cast<Scalar>(-0.5 * double(dim()) * std::log(2 * std::numbers::pi)); }

  nn::parameter<Scalar> logits_, means_, log_scales_;
};

}  // namespace user_code

using namespace eigenflow;
using user_code::gaussian_mixture;

namespace {

static_assert(density_model<gaussian_mixture<double>>);
static_assert(density_model<any_model<double>>);

/// Two well separated clusters in 2-D.
train::dataset<double> two_clusters(index_t n, std::uint64_t seed) {
  random_engine rng(seed);
  matrix<double> x = normal_matrix<double>(n, 2, rng) * 0.3;
  for (index_t i = 0; i < n; ++i) x.row(i).array() += (i % 2 == 0 ? 2.0 : -2.0);
  return {.x = x};
}

}  // namespace

TEST_CASE("a user's own model: log_prob matches the mixture formula, integrates to one, and its tape gradient is right",
          "[model]") {
  random_engine rng(1);
  gaussian_mixture<double> model(2, 3, rng);
  model.parameters()[0].value << 0.3, -0.2, 0.1;
  model.parameters()[2].value.setConstant(-0.4);
  const matrix<double> x = normal_matrix<double>(5, 2, rng);
  // Direct formula.
  const vector<double> w = softmax_rows(model.parameters()[0].value).transpose();
  for (index_t i = 0; i < x.rows(); ++i) {
    double p = 0;
    for (index_t k = 0; k < 3; ++k) {
      const double s = std::exp(-0.4);
      const auto d = ((x.row(i) - model.parameters()[1].value.row(k)) / s).squaredNorm();
      p += w(k) * std::exp(-0.5 * d) / (2 * std::numbers::pi * s * s);
    }
    CHECK(model.log_prob(x)(i, 0) == Approx(std::log(p)).epsilon(1e-12));
  }
  // Riemann sum over a box holding the mass.
  const int n = 300;
  const double lo = -8, h = 16.0 / n;
  matrix<double> grid(n * n, 2);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) grid.row(i * n + j) << lo + (i + 0.5) * h, lo + (j + 0.5) * h;
  CHECK(model.log_prob(grid).array().exp().sum() * h * h == Approx(1.0).epsilon(1e-6));
  // The gradient the trainer uses, against central differences.
  std::vector<gradient_target> targets;
  for (nn::parameter<double>* p : model.parameters()) targets.push_back({&p->value, &p->grad, p->name});
  const gradient_check_result r =
      check_gradients([&](tape<double>& t) { return model.log_prob(t.constant_view(x), context<var<double>>{}); }, targets);
  INFO(r.worst);
  CHECK(r.passed);
}

TEST_CASE("a user's own model trains with fit on two threads like on one, checkpoints and restores", "[model]") {
  const train::dataset<double> data = two_clusters(200, 2), validation = two_clusters(100, 3);
  auto run = [&](int threads) {
    random_engine init(4);
    gaussian_mixture<double> model(2, 2, init);
    train::trainer_options o;
    o.iterations = 150;
    o.batch = 50;
    o.learning_rate = 0.05;
    o.evaluate_every = 50;
    o.threads = threads;
    o.progress = train::progress_mode::quiet;
    auto adam = train::make_optimizer<double>(o);
    const train::training_summary s = train::fit(model, adam, data, &validation, o);
    return std::pair(model, s);
  };
  const auto [one, one_summary] = run(1);
  const auto [two, two_summary] = run(2);
  const double before = [&] {
    random_engine init(4);
    return train::validation_nll(gaussian_mixture<double>(2, 2, init), validation);
  }();
  INFO("validation nll: before " << before << ", after " << one_summary.best_validation_nll);
  CHECK(one_summary.best_validation_nll < before - 1.0);
  CHECK(one_summary.best_validation_nll < 1.2);  // two clusters of σ 0.3: entropy ≈ 0.1 + log 2
  const vector<double> a = one.parameters().flatten_values(), b = two.parameters().flatten_values();
  CHECK((a - b).norm() <= 1e-9 * a.norm());
  CHECK(two_summary.best_validation_nll == Approx(one_summary.best_validation_nll).epsilon(1e-9));

  const eigenflow::test::scratch_dir dir;
  io::save_checkpoint(dir.path / "mixture.ckpt", io::make_checkpoint(one, {{"kind", "mixture"}}));
  random_engine other_seed(99);
  gaussian_mixture<double> restored(2, 2, other_seed);
  CHECK(restored.parameters().flatten_values() != a);
  io::restore_parameters(io::load_checkpoint<double>(dir.path / "mixture.ckpt"), restored);
  CHECK(restored.parameters().flatten_values() == a);
  gaussian_mixture<double> wider(3, 2, other_seed);  // another architecture is refused, untouched
  CHECK_THROWS_WITH(io::restore_parameters(io::load_checkpoint<double>(dir.path / "mixture.ckpt"), wider),
                    Catch::Contains("gaussian_mixture(2 x 2)") && Catch::Contains("gaussian_mixture(2 x 3)"));
}

TEST_CASE("any_model holds a user's model: the same densities, samples and training as the model itself", "[model]") {
  random_engine init(5);
  const gaussian_mixture<double> plain_model(2, 2, init);
  any_model<double> erased = plain_model;
  const matrix<double> x = two_clusters(10, 6).x;
  CHECK(erased.log_prob(x) == plain_model.log_prob(x));
  random_engine r1(7), r2(7);
  CHECK(erased.sample(20, r1) == plain_model.sample(20, r2));
  CHECK(erased.describe() == plain_model.describe());
  CHECK(erased.dim() == 2);
  REQUIRE(erased.get_if<gaussian_mixture<double>>() != nullptr);
  CHECK(erased.get_if<flows::flow<double>>() == nullptr);

  any_model<double> copy = erased;  // deep: training the copy leaves the original alone
  optim::sgd<double> sgd({.learning_rate = 0.1});
  train::trainer_options o;
  o.iterations = 20;
  o.batch = 10;
  o.learning_rate = 0.1;
  o.progress = train::progress_mode::quiet;
  train::fit(copy, sgd, two_clusters(40, 8), nullptr, o);
  CHECK(copy.parameters().flatten_values() != erased.parameters().flatten_values());
  CHECK(erased.log_prob(x) == plain_model.log_prob(x));

  any_model<double> moved = std::move(copy);
  CHECK_THROWS_WITH(copy.dim(), Catch::Contains("moved from"));  // NOLINT(bugprone-use-after-move): the point
  CHECK(moved.dim() == 2);
}

TEST_CASE("any_model::initialize reaches a flow's ActNorm and leaves a model without one alone", "[model]") {
  using namespace eigenflow;
  random_engine rng(41);
  any_model<double> flow = flows::flow<double>(std::make_unique<distributions::standard_normal<double>>(3),
                                               std::make_unique<flows::actnorm<double>>("norm", 3));
  const matrix<double> x = (normal_matrix<double>(400, 3, rng) * 2.0).array() + 5.0;
  flow.initialize(x);
  // ActNorm's data-dependent start maps the batch to zero mean and unit variance per column.
  const matrix<double> z = flow.get_if<flows::flow<double>>()->bijection().forward(x, {}).value;
  CHECK(z.colwise().mean().cwiseAbs().maxCoeff() <= 1e-9);
  CHECK((z.array().square().colwise().mean() - 1.0).abs().maxCoeff() <= 1e-2);
  // A model without a data-dependent start (the user's mixture) is left as it was.
  any_model<double> mixture = user_code::gaussian_mixture<double>(3, 2, rng);
  const matrix<double> before = mixture.log_prob(x);
  mixture.initialize(x);
  CHECK(mixture.log_prob(x) == before);
}
