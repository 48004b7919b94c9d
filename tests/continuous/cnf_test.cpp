// tests/continuous/cnf_test.cpp — the CNF / FFJORD model against closed forms, its gradients (adjoint,
// backprop through the solver, finite differences) against each other, and its errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <unsupported/Eigen/MatrixFunctions>

#include "eigenflow/autodiff/gradient_check.hpp"
#include "eigenflow/autodiff/ops/matmul.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/continuous.hpp"
#include "eigenflow/data/toy2d.hpp"
#include "eigenflow/distributions/standard_normal.hpp"
#include "eigenflow/optim/adam.hpp"
#include "support/conditional_models.hpp"

namespace {

using namespace eigenflow;
using namespace eigenflow::continuous;

/// f(z, t) = z Aᵀ + b with A, b trainable: the closed form of docs/conventions.md.
struct linear_field {
  nn::parameter<double> a{"A", (matrix<double>(2, 2) << 0.3, -0.5, 0.8, -0.2).finished()};
  nn::parameter<double> b{"b", (matrix<double>(1, 2) << 0.1, -0.4).finished()};

  template <class V>
  V operator()(const V& z, const V&) const {
    return add(matmul_nt(z, nn::lift(a, z)), nn::lift(b, z));
  }
  void collect_parameters(nn::parameter_list<double>& list) {
    list.push_back(a);
    list.push_back(b);
  }
};

/// A field that is NaN away from the origin: log of a negative number for |z| > 0.7.
struct poisoned_field {
  template <class V>
  V operator()(const V& z, const V&) const {
    return log(shift(neg(square(z)), 0.5));
  }
};

/// dz/dt = 50 z²: blows up in finite time.
struct exploding_field {
  template <class V>
  V operator()(const V& z, const V&) const {
    return scale(square(z), 50.0);
  }
};

cnf<double> linear_model(const cnf_options& options) {
  return cnf<double>(std::make_unique<distributions::standard_normal<double>>(2),
                     make_dynamics<double>(2, linear_field{}, "linear"), options);
}

/// z(0) for the linear field, rows of x at time T (docs/conventions.md, in row form).
matrix<double> linear_base_point(const matrix<double>& x, double time) {
  const linear_field f;
  const matrix<double> decay = (-f.a.value * time).exp();
  matrix<double> augmented = matrix<double>::Zero(4, 4);  // ∫_0^T e^{−As} ds from one exponential
  augmented.topLeftCorner(2, 2) = -f.a.value * time;
  augmented.topRightCorner(2, 2) = matrix<double>::Identity(2, 2) * time;
  const matrix<double> integral = augmented.exp().topRightCorner(2, 2);
  matrix<double> z = x * decay.transpose();
  z.rowwise() -= (integral * f.b.value.transpose()).transpose().row(0);
  return z;
}

cnf_options tight(double tolerance) {
  cnf_options o;
  o.learn_end_time = false;
  o.end_time = 0.7;
  for (ode::solver_options* s : {&o.training_solver, &o.evaluation_solver}) s->atol = s->rtol = tolerance;
  return o;
}

}  // namespace

TEST_CASE("cnf: linear dynamics match the closed form for every solver", "[continuous]") {
  random_engine rng(3);
  const matrix<double> x = normal_matrix<double>(6, 2, rng);
  const double tolerance = 1e-7;
  for (const ode::method m : {ode::method::dopri5, ode::method::cash_karp54, ode::method::rk4}) {
    cnf_options o = tight(tolerance);
    o.evaluation_solver.solver = m;
    o.evaluation_solver.steps = 200;
    const cnf<double> model = linear_model(o);
    const matrix<double> z = linear_base_point(x, 0.7);
    const double trace = linear_field{}.a.value.trace();
    const matrix<double> expected_log_p =
        (-0.5 * z.rowwise().squaredNorm()).array() - std::log(2 * M_PI) - 0.7 * trace;
    INFO(ode::to_string(m));
    const transformed<matrix<double>> forward = model.forward(x);
    CHECK((forward.value - z).cwiseAbs().maxCoeff() < 10 * tolerance * (1 + z.cwiseAbs().maxCoeff()));
    CHECK((forward.log_det.array() + 0.7 * trace).abs().maxCoeff() < 10 * tolerance);
    CHECK((model.log_prob(x) - expected_log_p).cwiseAbs().maxCoeff() < 10 * tolerance * 10);
    // The other direction: log|det ∂x/∂z| = +T·tr A.
    const transformed<matrix<double>> inverse = model.inverse(z);
    CHECK((inverse.value - x).cwiseAbs().maxCoeff() < 10 * tolerance * (1 + x.cwiseAbs().maxCoeff()));
    CHECK((inverse.log_det.array() - 0.7 * trace).abs().maxCoeff() < 10 * tolerance);
    CHECK(model.last_solve().evaluations > 0);
  }
}

TEST_CASE("cnf: Hutchinson's estimate is unbiased for the exact trace", "[continuous]") {
  random_engine rng(11);
  const concat_squash_dynamics<double> f(2, rng, {.hidden = {16, 16}});
  const index_t draws = 4000;
  // One point repeated: each row gets its own probe, so one evaluation gives `draws` estimates.
  const matrix<double> z = (matrix<double>(1, 2) << 0.4, -1.1).finished().replicate(draws, 1);
  vector<double> s = vector<double>::Zero(draws * 3);
  s.head(draws * 2) = z.reshaped();
  vector<double> ds(s.size());
  const augmented_layout layout{2, false, false};

  const probe_set<double> unit = probe_set<double>::unit(draws, 2);
  augmented_dynamics<double>(f, unit, {}, layout).rhs(s, ds, 0.3);
  const double exact = ds(draws * 2);
  CHECK((ds.tail(draws).array() - exact).abs().maxCoeff() < 1e-12);  // exact: the same for every row

  for (const noise_kind noise : {noise_kind::gaussian, noise_kind::rademacher}) {
    const probe_set<double> probes = probe_set<double>::random(draws, 2, noise, rng);
    augmented_dynamics<double>(f, probes, {}, layout).rhs(s, ds, 0.3);
    const vector<double> estimates = ds.tail(draws);
    const double mean = estimates.mean();
    const double standard_error = std::sqrt((estimates.array() - mean).square().sum() / (draws - 1) / draws);
    INFO(to_string(noise) << ": mean " << mean << ", exact " << exact << ", standard error " << standard_error);
    CHECK(standard_error > 0);
    CHECK(std::abs(mean - exact) < 4 * standard_error);
  }
}

namespace {

/// Central differences of the training loss over every k-th parameter entry (same noise each time).
void check_training_gradient(cnf<double>& model, const matrix<double>& x, const context<matrix<double>>& c,
                             double tolerance, index_t stride) {
  const nn::parameter_list<double> params = model.parameters();
  params.zero_grad();
  random_engine noise(99);
  const step_loss loss = model.accumulate_gradient(x, noise, c);
  CHECK(loss.forward_evaluations > 0);
  const vector<double> gradient = params.flatten_grads();
  const vector<double> theta = params.flatten_values();
  auto loss_at = [&](const vector<double>& values) {
    params.assign_values(values);
    random_engine same(99);
    return model.accumulate_gradient(x, same, c).loss;
  };
  double worst = 0;
  for (index_t i = 0; i < theta.size(); ++i) {
    if (i % stride != 0 && i + 1 != theta.size()) continue;  // always the last (the end time)
    const double h = 1e-5 * std::max(1.0, std::abs(theta(i)));
    vector<double> plus = theta, minus = theta;
    plus(i) += h;
    minus(i) -= h;
    const double numeric = (loss_at(plus) - loss_at(minus)) / (2 * h);
    worst = std::max(worst, std::abs(numeric - gradient(i)) / std::max(1.0, std::abs(numeric)));
  }
  params.assign_values(theta);
  INFO("worst relative error " << worst);
  CHECK(worst < tolerance);
}

vector<double> gradient_of(cnf<double>& model, const matrix<double>& x, const context<matrix<double>>& c) {
  const nn::parameter_list<double> params = model.parameters();
  params.zero_grad();
  random_engine noise(99);
  model.accumulate_gradient(x, noise, c);
  return params.flatten_grads();
}

}  // namespace

TEST_CASE("cnf: adjoint, backprop and finite-difference gradients agree", "[continuous]") {
  random_engine rng(5);
  const matrix<double> x = normal_matrix<double>(4, 2, rng);
  struct variant {
    const char* name;
    trace_estimator trace;
    condition_spec condition;
    bool regularized;
  };
  for (const variant v : {variant{"cnf (exact trace)", trace_estimator::exact, {}, false},
                          variant{"ffjord (hutchinson), regularized", trace_estimator::hutchinson, {}, true},
                          variant{"ffjord, class- and context-conditional", trace_estimator::hutchinson, {3, 2}, false}}) {
    INFO(v.name);
    continuous_flow_spec spec;
    spec.network = {.hidden = {8, 8}, .condition = v.condition, .embedding_dim = 2};
    spec.model.training_trace = v.trace;
    spec.model.learn_end_time = true;
    spec.model.training_solver.atol = spec.model.training_solver.rtol = 1e-10;
    if (v.regularized) {
      spec.model.kinetic_weight = 0.1;
      spec.model.jacobian_weight = 0.2;
    }
    random_engine build(21);
    cnf<double> adjoint = make_continuous_flow<double>(2, build, spec);
    spec.model.gradient = gradient_method::backprop;
    cnf<double> backprop = adjoint;
    backprop.set_options(spec.model);

    const std::vector<index_t> labels{0, 2, 1, 2};
    const matrix<double> features = normal_matrix<double>(4, 2, rng);
    context<matrix<double>> c;
    if (v.condition.classes > 0) c = {labels, &features};

    const vector<double> by_adjoint = gradient_of(adjoint, x, c);
    const vector<double> by_backprop = gradient_of(backprop, x, c);
    CHECK(by_adjoint.size() == backprop.parameters().count());
    const double difference = (by_adjoint - by_backprop).cwiseAbs().maxCoeff() / std::max(1.0, by_backprop.cwiseAbs().maxCoeff());
    INFO("adjoint vs backprop: " << difference);
    CHECK(difference < 1e-7);
    check_training_gradient(adjoint, x, c, 1e-5, 5);
    check_training_gradient(backprop, x, c, 1e-5, 5);
  }
}

TEST_CASE("cnf: backprop through fixed-step solvers is the exact gradient of the discretization", "[continuous]") {
  random_engine rng(8);
  const matrix<double> x = normal_matrix<double>(3, 2, rng);
  continuous_flow_spec spec;
  spec.network = {.hidden = {6}};
  spec.model.gradient = gradient_method::backprop;
  spec.model.training_trace = trace_estimator::hutchinson;
  for (const ode::method m : {ode::method::rk4, ode::method::euler}) {
    spec.model.training_solver = {.solver = m, .steps = 4};
    random_engine build(2);
    cnf<double> model = make_continuous_flow<double>(2, build, spec);
    check_training_gradient(model, x, {}, 1e-7, 3);  // no solver error: agreement to FD accuracy
  }
}

TEST_CASE("cnf: sampling, log_prob and the inverse are consistent", "[continuous]") {
  random_engine rng(13);
  continuous_flow_spec spec;
  spec.network = {.hidden = {16, 16}};
  spec.model.evaluation_solver.atol = spec.model.evaluation_solver.rtol = 1e-9;
  cnf<double> model = make_ffjord<double>(2, rng, spec);

  random_engine draw_a(1), draw_b(1);
  const auto [x, log_p] = model.sample_and_log_prob(50, draw_a);
  CHECK((model.sample(50, draw_b) - x).cwiseAbs().maxCoeff() < 1e-7);
  CHECK((model.log_prob(x) - log_p).cwiseAbs().maxCoeff() < 1e-6);
  const transformed<matrix<double>> back = model.forward(x);
  random_engine draw_c(1);
  const matrix<double> z = model.base().sample(50, draw_c);
  CHECK((back.value - z).cwiseAbs().maxCoeff() < 1e-6);

  const std::vector<double> times{0.0, 0.1, 0.25, double(model.end_time())};
  const std::vector<matrix<double>> path = model.trajectory(z, times);
  REQUIRE(path.size() == times.size());
  CHECK(path.front() == z);
  CHECK((path.back() - x).cwiseAbs().maxCoeff() < 1e-6);
}

TEST_CASE("cnf: a trained model integrates to one over the plane", "[continuous]") {
  random_engine rng(4);
  continuous_flow_spec spec;
  spec.network = {.hidden = {16, 16}};
  spec.model.learn_end_time = true;
  cnf<float> model = make_ffjord<float>(2, rng, spec);
  optim::adam<float> adam({.learning_rate = 1e-2f});
  for (int step = 0; step < 30; ++step) {
    model.parameters().zero_grad();
    model.accumulate_gradient(data::sample_toy2d<float>(data::toy2d::eight_gaussians, 64, rng), rng);
    adam.step(model.parameters());
  }
  // Riemann sum of p on a 120² grid over [−6, 6]².
  const index_t n = 120;
  const double lo = -6, width = 12.0 / n;
  matrix<float> grid(n * n, 2);
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < n; ++j) grid.row(i * n + j) << float(lo + (i + 0.5) * width), float(lo + (j + 0.5) * width);
  }
  const double mass = model.log_prob(grid).cast<double>().array().exp().sum() * width * width;
  CHECK(mass == Approx(1.0).epsilon(0.02));
}

TEST_CASE("cnf: kinetic and Jacobian regularization lower the evaluation count", "[continuous]") {
  // RNODE's setting: a fixed end time. (With T learned, the kinetic penalty, ∝ 1/T for a given
  // transport, drives T up instead, and the savings vanish.)
  struct outcome {
    index_t training = 0, evaluation = 0;
  };
  auto train = [](double weight) {
    random_engine rng(17);
    continuous_flow_spec spec;
    spec.network = {.hidden = {16, 16}};
    spec.model.learn_end_time = false;
    spec.model.kinetic_weight = weight;
    spec.model.jacobian_weight = weight;
    spec.model.evaluation_solver.atol = spec.model.evaluation_solver.rtol = 1e-7;
    cnf<float> model = make_ffjord<float>(2, rng, spec);
    optim::adam<float> adam({.learning_rate = 1e-2f});
    outcome out;
    for (int step = 0; step < 100; ++step) {
      model.parameters().zero_grad();
      const step_loss l = model.accumulate_gradient(data::sample_toy2d<float>(data::toy2d::eight_gaussians, 64, rng), rng);
      adam.step(model.parameters());
      if (step >= 80) out.training += l.forward_evaluations + l.backward_evaluations;
    }
    model.log_prob(data::sample_toy2d<float>(data::toy2d::eight_gaussians, 256, rng));
    out.evaluation = model.last_solve().evaluations;
    return out;
  };
  const outcome plain = train(0), regularized = train(1.0);
  INFO("training evaluations (last 20 steps): unregularized " << plain.training << ", regularized " << regularized.training);
  INFO("evaluation at 1e-7: unregularized " << plain.evaluation << ", regularized " << regularized.evaluation);
  CHECK(regularized.training < 0.8 * plain.training);
  CHECK(regularized.evaluation < 0.8 * plain.evaluation);
}

TEST_CASE("cnf: bad input and failing solves throw clear errors", "[continuous]") {
  random_engine rng(1);
  cnf<double> model = make_ffjord<double>(2, rng, {.network = {.hidden = {4}}});
  matrix<double> x = normal_matrix<double>(3, 2, rng);

  CHECK_THROWS_AS(model.log_prob(matrix<double>(3, 3)), shape_error);
  x(1, 0) = std::nan("");
  CHECK_THROWS_WITH(model.log_prob(x), Catch::Contains("not finite") && Catch::Contains("row 1"));
  CHECK_THROWS_AS(model.accumulate_gradient(x, rng), value_error);
  x(1, 0) = 0;

  // A field that is NaN away from the origin: the solver names the time.
  const cnf<double> broken(std::make_unique<distributions::standard_normal<double>>(2),
                           make_dynamics<double>(2, poisoned_field{}, "poisoned"));
  CHECK_THROWS_WITH(broken.log_prob(matrix<double>::Constant(2, 2, 3.0)), Catch::Contains("non-finite") && Catch::Contains("t = "));

  // An exploding field under a step limit.
  cnf_options limited;
  limited.evaluation_solver.max_steps = 20;
  const cnf<double> blowup(std::make_unique<distributions::standard_normal<double>>(2),
                           make_dynamics<double>(2, exploding_field{}, "exploding"), limited);
  CHECK_THROWS_AS(blowup.inverse(matrix<double>::Constant(2, 2, 1.0)), solver_error);

  // Context: required, and refused when the model takes none.
  random_engine build(2);
  cnf<double> conditional = make_ffjord<double>(2, build, {.network = {.hidden = {4}, .condition = {.classes = 3}}});
  CHECK_THROWS_WITH(conditional.log_prob(x), Catch::Contains("labels are required"));
  const std::vector<index_t> bad{0, 1, 5};
  CHECK_THROWS_WITH(conditional.log_prob(x, {bad}), Catch::Contains("outside"));
  const std::vector<index_t> good{0, 1, 2};
  CHECK(conditional.log_prob(x, {good}).allFinite());
  CHECK_THROWS_AS(model.log_prob(x, {good}), value_error);

  // Options.
  cnf_options bad_options;
  bad_options.end_time = -1;
  CHECK_THROWS_AS(model.set_options(bad_options), value_error);
  bad_options = {};
  bad_options.training_solver.atol = 0;
  CHECK_THROWS_WITH(model.set_options(bad_options), Catch::Contains("atol"));
  CHECK_THROWS_AS(parse_trace_estimator("stochastic"), value_error);
  CHECK_THROWS_AS(parse_gradient_method("reverse"), value_error);
  CHECK_THROWS_AS(model.sample(0, rng), value_error);
}

TEST_CASE("cnf: log_prob on the tape equals the plain one, with exact gradients in x and the parameters", "[continuous]") {
  random_engine rng(31);
  const matrix<double> x = normal_matrix<double>(4, 3, rng);
  const std::vector<index_t> labels{0, 2, 1, 2};
  context<matrix<double>> c;
  c.labels = labels;
  context<var<double>> c_on_tape;
  c_on_tape.labels = labels;

  // Adaptive solver, learned T: the replayed steps reproduce the plain solve's value.
  continuous_flow_spec spec;
  spec.network.hidden = {8};
  spec.network.condition = {.classes = 3};
  spec.model.evaluation_solver.atol = spec.model.evaluation_solver.rtol = 1e-8;
  const cnf<double> adaptive = make_ffjord<double>(3, rng, spec);
  tape<double> t;
  const var<double> on_tape = adaptive.log_prob(t.constant_view(x), c_on_tape);
  CHECK((on_tape.value() - adaptive.log_prob(x, c)).cwiseAbs().maxCoeff() < 1e-12);

  // Fixed steps: the discretized log-density is a smooth function of x and θ (T included), so
  // its tape gradient must match central differences.
  cnf<double> model = eigenflow::test::fixed_step_cnf(32, 5);
  matrix<double> x_value = x, x_grad = matrix<double>::Zero(4, 3);
  std::vector<gradient_target> targets{{&x_value, &x_grad, "x"}};
  for (nn::parameter<double>* p : model.parameters()) targets.push_back({&p->value, &p->grad, p->name});
  const gradient_check_result r = check_gradients(
      [&](tape<double>& tp) { return model.log_prob(tp.leaf(x_value, x_grad), c_on_tape); }, targets);
  INFO(r.worst);
  CHECK(r.passed);
  CHECK(model.parameters().size() > 2);
  CHECK(model.options().learn_end_time);  // the end time's gradient is among those checked
}

TEST_CASE("cnf: the const view of the parameters is the model's list, and follows copies and moves", "[continuous]") {
  cnf<double> model = eigenflow::test::fixed_step_cnf(33);
  const cnf<double>& fixed = model;
  REQUIRE(fixed.parameters().size() == model.parameters().size());
  CHECK(&fixed.parameters()[0] == &model.parameters()[0]);
  CHECK(fixed.parameters().flatten_values() == model.parameters().flatten_values());
  // τ (a member of the object) is listed by a moved cnf as its own.
  cnf<double> moved = std::move(model);
  nn::parameter_list<double> list = moved.parameters();
  const vector<double> values = list.flatten_values();
  list.assign_values(values * 1.5);
  CHECK(moved.end_time() == Approx(1.5 * 1.5 * double(values(values.size() - 1) * values(values.size() - 1))));
  cnf<double> copy = moved;  // a copy's list points into the copy
  copy.parameters().assign_values(values);
  CHECK(copy.parameters().flatten_values() == values);
  CHECK(moved.parameters().flatten_values() == values * 1.5);
  // Move assignment: the target lists its own τ, not the moved-from object's.
  cnf<double> assigned = eigenflow::test::fixed_step_cnf(34);
  assigned = std::move(copy);
  assigned.parameters().assign_values(values * 2.0);
  CHECK(assigned.end_time() == Approx(2.0 * 2.0 * double(values(values.size() - 1) * values(values.size() - 1))));
  // Turning the learned end time off drops τ from the list.
  cnf_options o = moved.options();
  o.learn_end_time = false;
  moved.set_options(o);
  CHECK(moved.parameters().size() == list.size() - 1);
}

TEST_CASE("cnf: with zero_output the flow starts as the identity (its base density) and still learns",
          "[continuous]") {
  random_engine rng(41);
  const matrix<double> x = normal_matrix<double>(5, 3, rng) * 2.0;
  const distributions::standard_normal<double> base(3);
  const matrix<double> base_log_p = base.log_prob(x);
  for (const dynamics_kind kind : {dynamics_kind::concat_squash, dynamics_kind::time_mlp}) {
    INFO("dynamics " << static_cast<int>(kind));
    continuous_flow_spec spec;
    spec.dynamics = kind;
    spec.network = {.hidden = {8, 8}, .zero_output = true};
    random_engine build(42);
    cnf<double> model = make_continuous_flow<double>(3, build, spec);
    // f = 0 exactly, so z(T) = x and the trace is 0: log p is the base's, to the last bit.
    CHECK((model.log_prob(x) - base_log_p).cwiseAbs().maxCoeff() == 0.0);
    // The zero layer is trainable: the training loss has a non-zero gradient in the parameters.
    nn::parameter_list<double> params = model.parameters();
    params.zero_grad();
    tape<double> t;
    model.accumulate_gradient(x, {}, rng, t);
    CHECK(params.grad_norm() > 1e-6);
    // Without the option the same network is not the identity.
    spec.network.zero_output = false;
    random_engine build_again(42);
    CHECK((make_continuous_flow<double>(3, build_again, spec).log_prob(x) - base_log_p).cwiseAbs().maxCoeff() > 1e-3);
  }
}
