// tests/continuous/dynamics_test.cpp — the dynamics networks of continuous flows: each computes
// its documented network; plain, tape and tangent values agree; gradients and tangents in z, t,
// the context and the parameters match finite differences, and so does the gradient of the
// Hutchinson term εᵀ(∂f/∂z)ε that FFJORD training differentiates; functors become dynamics with
// their parameters detected; bad shapes, contexts and options are rejected with clear errors.
#include <catch2/catch.hpp>

#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/continuous/concat_squash_dynamics.hpp"
#include "eigenflow/continuous/conv_concat_squash_dynamics.hpp"
#include "eigenflow/continuous/dynamics_options.hpp"
#include "eigenflow/continuous/functor_dynamics.hpp"
#include "eigenflow/continuous/time_mlp_dynamics.hpp"
#include "eigenflow/nn.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using continuous::dynamics_options;
using eigenflow::test::check_ad;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::parameter_targets;
using eigenflow::test::uniform;

namespace {

using cs_dynamics = continuous::concat_squash_dynamics<double>;
using mlp_dynamics = continuous::time_mlp_dynamics<double>;

/// The convolutional network on images of one row of `d` pixels, so that the shared template
/// tests build it as they build the dense networks (its 3×3 kernels then mix neighbouring pixels).
struct conv_dynamics : continuous::conv_concat_squash_dynamics<double> {
  conv_dynamics(index_t d, random_engine& rng, dynamics_options o = {}, std::string name = "dynamics")
      : continuous::conv_concat_squash_dynamics<double>({1, 1, d}, rng, std::move(o), std::move(name)) {}
};

constexpr index_t batch = 4;
constexpr index_t dim = 2;
constexpr index_t class_count = 3;
constexpr index_t feature_count = 2;
constexpr index_t embedding_dim = 3;

/// The three kinds of condition the networks take: none, class labels, a context matrix.
const std::vector<condition_spec> conditions = {{}, {.classes = class_count}, {.features = feature_count}};

/// A batch and its possible context, shared by the tests.
struct batch_data {
  matrix<double> z = uniform(batch, dim, -1.5, 1.5, 101);
  matrix<double> time = matrix<double>::Constant(1, 1, 0.35);
  std::vector<index_t> labels = {2, 0, 1, 2};
  matrix<double> features = uniform(batch, feature_count, -1, 1, 102);
  matrix<double> eps = uniform(batch, dim, -1.5, 1.5, 103);  // a fixed probe direction
};

/// The context `spec` asks for, as a context<V>; `feature_value` is the context matrix as a V.
template <class V>
context<V> context_for(const condition_spec& spec, const std::vector<index_t>& labels, const V* feature_value) {
  context<V> c;
  if (spec.classes > 0) c.labels = std::span<const index_t>(labels);
  if (spec.features > 0) c.features = feature_value;
  return c;
}

/// A small network with every parameter moved off its initial value (zero biases would hide
/// terms from the gradient checks).
template <class Net>
Net small_net(activation a, const condition_spec& condition, unsigned seed = 7) {
  random_engine rng(seed);
  Net f(dim, rng, {.hidden = {6, 5}, .hidden_activation = a, .condition = condition, .embedding_dim = embedding_dim});
  for (auto* p : f.parameters()) p->value += 0.3 * normal_matrix<double>(p->value.rows(), p->value.cols(), rng);
  return f;
}

/// Runs body(net, condition) for both smooth activations and every kind of condition.
template <class Net, class Body>
void for_each_configuration(const Body& body) {
  for (activation a : {activation::tanh, activation::softplus}) {
    for (const condition_spec& condition : conditions) {
      Net f = small_net<Net>(a, condition);
      INFO(f.describe());
      body(f, condition);
    }
  }
}

/// x with the columns of `more` appended (plain Eigen, independent of the library's concat).
matrix<double> append(const matrix<double>& x, const matrix<double>& more) {
  matrix<double> out(x.rows(), x.cols() + more.cols());
  out << x, more;
  return out;
}

/// The documented network input after z (and t): [embedding(labels), features], in plain Eigen.
matrix<double> with_context(matrix<double> x, const condition_spec& spec, const matrix<double>* table,
                            const batch_data& d) {
  if (spec.classes > 0) {
    matrix<double> rows(batch, table->cols());
    for (index_t i = 0; i < batch; ++i) rows.row(i) = table->row(d.labels[i]);
    x = append(x, rows);
  }
  if (spec.features > 0) x = append(x, d.features);
  return x;
}

}  // namespace

// ---- the built-in networks --------------------------------------------------------------------

TEST_CASE("concat_squash_dynamics is the documented ConcatSquash stack", "[continuous][dynamics][concat_squash]") {
  const batch_data d;
  for (const condition_spec& cond : {condition_spec{}, condition_spec{.classes = class_count, .features = feature_count}}) {
    for (activation a : {activation::tanh, activation::softplus}) {
      cs_dynamics f = small_net<cs_dynamics>(a, cond);
      // The same network assembled by hand: layers {in, 6, 5, D}, the activation between them,
      // every layer gated by t; given f's parameter values in f's order.
      random_engine other(99);
      std::optional<nn::embedding<double>> table;
      if (cond.classes > 0) table.emplace("table", class_count, embedding_dim, other);
      const index_t in = dim + (cond.classes > 0 ? embedding_dim : 0) + cond.features;
      nn::concat_squash<double> l0("l0", in, 6, other), l1("l1", 6, 5, other), l2("l2", 5, dim, other);
      nn::parameter_list<double> reference;
      if (table) table->collect_parameters(reference);
      l0.collect_parameters(reference);
      l1.collect_parameters(reference);
      l2.collect_parameters(reference);
      reference.assign_values(f.parameters().flatten_values());

      const matrix<double> x = with_context(d.z, cond, table ? &reference[0].value : nullptr, d);
      const matrix<double> expected = l2(activate(l1(activate(l0(x, d.time), a), d.time), a), d.time);
      const matrix<double> got = f(d.z, d.time, context_for(cond, d.labels, &d.features));
      CHECK((got - expected).cwiseAbs().maxCoeff() < 1e-14);
    }
  }
}

TEST_CASE("time_mlp_dynamics is an MLP on [z, t, context]", "[continuous][dynamics][time_mlp]") {
  const batch_data d;
  for (const condition_spec& cond : {condition_spec{}, condition_spec{.classes = class_count, .features = feature_count}}) {
    for (activation a : {activation::tanh, activation::softplus}) {
      mlp_dynamics f = small_net<mlp_dynamics>(a, cond);
      random_engine other(99);
      std::optional<nn::embedding<double>> table;
      if (cond.classes > 0) table.emplace("table", class_count, embedding_dim, other);
      const index_t in = dim + 1 + (cond.classes > 0 ? embedding_dim : 0) + cond.features;
      nn::mlp<double> net("net", {in, 6, 5, dim}, other, {.hidden_activation = a});
      nn::parameter_list<double> reference;
      if (table) table->collect_parameters(reference);
      net.collect_parameters(reference);
      reference.assign_values(f.parameters().flatten_values());

      const matrix<double> t_column = matrix<double>::Constant(batch, 1, d.time(0, 0));
      const matrix<double> x = with_context(append(d.z, t_column), cond, table ? &reference[0].value : nullptr, d);
      const matrix<double> got = f(d.z, d.time, context_for(cond, d.labels, &d.features));
      CHECK((got - net(x)).cwiseAbs().maxCoeff() < 1e-14);
    }
  }
}

TEST_CASE("built-in dynamics describe themselves and expose their settings", "[continuous][dynamics]") {
  random_engine rng(1);
  const cs_dynamics plain_default(2, rng);
  CHECK(plain_default.describe() == "concat_squash_dynamics(dim=2, hidden=64-64-64, tanh)");
  CHECK(plain_default.condition().unconditional());
  const mlp_dynamics conditional(3, rng,
                                 {.hidden = {6, 5}, .hidden_activation = activation::softplus,
                                  .condition = {.classes = 4, .features = 2}});
  CHECK(conditional.describe() == "time_mlp_dynamics(dim=3, hidden=6-5, softplus, classes=4, features=2)");
  CHECK(conditional.dim() == 3);
  CHECK(conditional.condition() == condition_spec{.classes = 4, .features = 2});

  // Parameters: the class embedding first, then the layers, named after the network.
  cs_dynamics named(2, rng, {.hidden = {4}, .condition = {.classes = 2}}, "field");
  const auto params = named.parameters();
  REQUIRE(params.size() == 1 + 2 * 5);  // table; per ConcatSquash layer: W, b, w_g, b_g, w_b
  CHECK(params[0].name == "field.class_embedding.table");
  CHECK(params[0].value.cols() == 8);  // the default embedding width
  CHECK(params[1].name == "field.layers.0.layer.weight");
  CHECK(params[1].value.cols() == 2 + 8);  // z and the embedding
  CHECK(params.count() == 2 * 8 + (4 * 10 + 4 + 3 * 4) + (2 * 4 + 2 + 3 * 2));
}

TEST_CASE("clones are deep copies behind the dynamics interface", "[continuous][dynamics]") {
  const batch_data d;
  random_engine rng(2);
  const std::unique_ptr<continuous::dynamics<double>> f =
      std::make_unique<mlp_dynamics>(dim, rng, dynamics_options{.hidden = {5}});
  const std::unique_ptr<continuous::dynamics<double>> g = f->clone();
  CHECK(g->describe() == f->describe());
  const matrix<double> before = (*f)(d.z, d.time, {});
  CHECK((*g)(d.z, d.time, {}) == before);
  for (auto* p : g->parameters()) p->value.setZero();
  CHECK((*f)(d.z, d.time, {}) == before);
  CHECK((*g)(d.z, d.time, {}).isZero());
}

TEST_CASE("float dynamics match double ones", "[continuous][dynamics]") {
  const batch_data d;
  random_engine rng(3), rng_float(3);
  cs_dynamics f(dim, rng, {.hidden = {6, 5}});
  continuous::concat_squash_dynamics<float> g(dim, rng_float, {.hidden = {6, 5}});
  g.parameters().assign_values(f.parameters().flatten_values().cast<float>());
  const matrix<float> z = d.z.cast<float>(), time = d.time.cast<float>();
  const matrix<float> got = g(z, time, {});
  CHECK((got.cast<double>() - f(d.z, d.time, {})).cwiseAbs().maxCoeff() < 1e-5);
}

TEMPLATE_TEST_CASE("built-in dynamics: plain, tape and tangent evaluations give identical values",
                   "[continuous][dynamics]", cs_dynamics, mlp_dynamics, conv_dynamics) {
  const batch_data d;
  for_each_configuration<TestType>([&](const continuous::dynamics<double>& f, const condition_spec& cond) {
    const matrix<double> plain = f(d.z, d.time, context_for(cond, d.labels, &d.features));
    REQUIRE(plain.rows() == batch);
    REQUIRE(plain.cols() == dim);
    tape<double> t;
    const var<double> fv = t.constant(d.features);
    const var<double> on_tape = f(t.constant(d.z), t.constant(d.time), context_for(cond, d.labels, &fv));
    const dual<double> fd(t.constant(d.features));
    const dual<double> tangent_pair = f(dual<double>(t.constant(d.z), t.constant(d.eps)), dual<double>(t.constant(d.time)),
                                        context_for(cond, d.labels, &fd));
    CHECK(matrix<double>(on_tape.value()) == plain);
    CHECK(matrix<double>(tangent_pair.primal.value()) == plain);
    CHECK(tangent_pair.has_tangent());
  });
}

TEMPLATE_TEST_CASE("built-in dynamics: gradients and tangents in z, t and the context match finite differences",
                   "[continuous][dynamics]", cs_dynamics, mlp_dynamics, conv_dynamics) {
  const batch_data d;
  for_each_configuration<TestType>([&](const continuous::dynamics<double>& f, const condition_spec& cond) {
    std::vector<matrix<double>> inputs = {d.z, d.time};
    if (cond.features > 0) inputs.push_back(d.features);
    check_ad(
        [&](const auto& in) {
          using V = std::decay_t<decltype(in[0])>;
          return f(in[0], in[1], context_for<V>(cond, d.labels, cond.features > 0 ? &in[2] : nullptr));
        },
        inputs);
  });
}

TEMPLATE_TEST_CASE("built-in dynamics: parameter gradients match finite differences", "[continuous][dynamics]",
                   cs_dynamics, mlp_dynamics, conv_dynamics) {
  const batch_data d;
  for_each_configuration<TestType>([&](continuous::dynamics<double>& f, const condition_spec& cond) {
    const auto params = f.parameters();
    // Three layers of 5 (ConcatSquash) or 2 (MLP) parameters, the class embedding, and for the
    // convolutional network the context's projection onto the first hidden channels.
    std::size_t expected = (std::is_same_v<TestType, mlp_dynamics> ? 6u : 15u) + (cond.classes > 0 ? 1u : 0u);
    if (std::is_same_v<TestType, conv_dynamics> && !cond.unconditional()) ++expected;
    CHECK(params.size() == expected);
    check_parameter_gradients(
        [&](tape<double>& t) {
          const var<double> fv = t.constant(d.features);
          return f(t.constant(d.z), t.constant(d.time), context_for(cond, d.labels, &fv));
        },
        params);
  });
}

TEMPLATE_TEST_CASE("built-in dynamics: the gradient of eps^T (df/dz) eps in parameters, z, t and the context "
                   "matches finite differences",
                   "[continuous][dynamics][second_order]", cs_dynamics, mlp_dynamics, conv_dynamics) {
  batch_data d;
  for_each_configuration<TestType>([&](continuous::dynamics<double>& f, const condition_spec& cond) {
    matrix<double> z_grad, time_grad, features_grad;
    auto targets = parameter_targets(f.parameters());
    targets.push_back({&d.z, &z_grad, "z"});
    targets.push_back({&d.time, &time_grad, "t"});
    if (cond.features > 0) targets.push_back({&d.features, &features_grad, "features"});
    // One tangent pass (ε on z, a null tangent on t and the context), then each sample's εᵀ(Jε):
    // the Hutchinson trace estimate whose gradient the adjoint of log_prob training needs.
    const auto result = check_gradients(
        [&](tape<double>& t) {
          const dual<double> z(t.leaf(d.z, z_grad), t.constant(d.eps));
          const dual<double> time(t.leaf(d.time, time_grad));
          const dual<double> fv(cond.features > 0 ? t.leaf(d.features, features_grad) : t.constant(d.features));
          const dual<double> y = f(z, time, context_for(cond, d.labels, &fv));
          return sum(mul(y.tangent, t.constant(d.eps)), reduce_axis::each_row);
        },
        targets);
    INFO("max error " << result.max_error << " at " << result.worst);
    CHECK(result.passed);
  });
}

TEMPLATE_TEST_CASE("built-in dynamics reject bad shapes, contexts and options", "[continuous][dynamics][errors]",
                   cs_dynamics, mlp_dynamics, conv_dynamics) {
  const batch_data d;
  random_engine rng(4);
  const TestType f(dim, rng, {.hidden = {4}, .condition = {.classes = class_count, .features = feature_count}}, "field");
  const context<matrix<double>> full = context_for(f.condition(), d.labels, &d.features);
  CHECK_NOTHROW(f(d.z, d.time, full));

  CHECK_THROWS_WITH(f(uniform(batch, 3, -1, 1, 5), d.time, full), "field: expected 2 columns of z, got a 4x3 input");
  CHECK_THROWS_WITH(f(d.z, matrix<double>::Zero(batch, 1), full), "field: t must be 1x1, got 4x1");
  CHECK_THROWS_WITH(f(d.z, d.time, context_for(condition_spec{.features = feature_count}, d.labels, &d.features)),
                    "field: class labels are required (3 classes)");
  CHECK_THROWS_WITH(f(d.z, d.time, context_for(condition_spec{.classes = class_count}, d.labels, &d.features)),
                    "field: a context matrix with 2 columns is required");
  const std::vector<index_t> short_labels = {0, 1};
  CHECK_THROWS_AS(f(d.z, d.time, context_for(f.condition(), short_labels, &d.features)), shape_error);
  const std::vector<index_t> bad_labels = {0, 1, 3, 2};
  CHECK_THROWS_WITH(f(d.z, d.time, context_for(f.condition(), bad_labels, &d.features)),
                    Catch::Contains("class id 3 at row 2 is outside [0, 3)"));

  // The same checks guard the tape and tangent evaluations.
  tape<double> t;
  const var<double> fv = t.constant(d.features);
  CHECK_THROWS_AS(f(t.constant(uniform(batch, 1, -1, 1, 6)), t.constant(d.time), context_for(f.condition(), d.labels, &fv)),
                  shape_error);
  CHECK_THROWS_WITH(f(dual<double>(t.constant(d.z)), dual<double>(t.constant(d.time)), context<dual<double>>{}),
                    "field: class labels are required (3 classes)");

  // An unconditional network refuses a context instead of ignoring it.
  const TestType unconditional(dim, rng, {.hidden = {4}});
  CHECK_THROWS_WITH(unconditional(d.z, d.time, context_for(condition_spec{.classes = class_count}, d.labels, &d.features)),
                    "dynamics: got class labels, but this model is not class-conditional");

  CHECK_THROWS_WITH(TestType(0, rng), "dynamics: the state dimension must be positive, got 0");
  CHECK_THROWS_WITH(TestType(dim, rng, {.hidden_activation = activation::relu}), Catch::Contains("activation relu"));
  CHECK_THROWS_AS(TestType(dim, rng, {.hidden = {}}), value_error);
}

TEST_CASE("dynamics_options: validation", "[continuous][dynamics][options]") {
  CHECK_NOTHROW(continuous::validate(dynamics_options{}, "f"));
  CHECK_NOTHROW(continuous::validate(dynamics_options{.hidden_activation = activation::softplus}, "f"));
  CHECK_THROWS_WITH(continuous::validate(dynamics_options{.hidden = {}}, "f"),
                    "f: the dynamics network needs at least one hidden layer");
  CHECK_THROWS_WITH(continuous::validate(dynamics_options{.hidden = {8, 0}}, "f"),
                    "f: hidden width 1 is 0, widths must be positive");
  // Non-smooth activations: the trace gradient needs f''.
  CHECK_THROWS_WITH(continuous::validate(dynamics_options{.hidden_activation = activation::relu}, "f"),
                    Catch::StartsWith("f: activation relu is not smooth") && Catch::Contains("needs f''"));
  CHECK_THROWS_AS(continuous::validate(dynamics_options{.hidden_activation = activation::elu}, "f"), value_error);
  CHECK_THROWS_AS(continuous::validate(dynamics_options{.condition = {.classes = -1}}, "f"), value_error);
  CHECK_THROWS_WITH(continuous::validate(dynamics_options{.condition = {.classes = 3}, .embedding_dim = 0}, "f"),
                    "f: embedding_dim must be positive for class labels, got 0");
}

// ---- functors as dynamics ---------------------------------------------------------------------

namespace {

/// f(z, t) = z Aᵀ + b with trainable A and b drawn at random.
struct random_linear_field {
  nn::parameter<double> a{"a", uniform(dim, dim, -1, 1, 201)};
  nn::parameter<double> b{"b", uniform(1, dim, -1, 1, 202)};

  template <class V>
  V operator()(const V& z, const V&) const {
    return eigenflow::linear(z, nn::lift(a, z), nn::lift(b, z));
  }
  void collect_parameters(nn::parameter_list<double>& list) {
    list.push_back(a);
    list.push_back(b);
  }
};

/// f(z, t) = t · tanh(z): no parameters, depends on the time.
struct damped_field {
  template <class V>
  V operator()(const V& z, const V& t) const {
    return mul(tanh(z), t);
  }
};

/// f(z, t, c) = z ⊙ c: takes the context.
struct gated_field {
  template <class V>
  V operator()(const V& z, const V&, const context<V>& c) const {
    return mul(z, *c.features);
  }
};

}  // namespace

TEST_CASE("functor_dynamics: a linear field with detected parameters", "[continuous][dynamics][functor]") {
  batch_data d;
  const auto f = continuous::make_dynamics<double>(dim, random_linear_field{}, "linear");
  CHECK(f->describe() == "linear");
  CHECK(f->dim() == dim);
  CHECK(f->condition().unconditional());
  const auto params = f->parameters();
  REQUIRE(params.size() == 2);
  CHECK(params[0].name == "a");
  const matrix<double>& a = params[0].value;
  const matrix<double>& b = params[1].value;
  const matrix<double> expected = (d.z * a.transpose()).rowwise() + b.row(0);
  CHECK(((*f)(d.z, d.time, {}) - expected).cwiseAbs().maxCoeff() < 1e-14);

  check_ad([&](const auto& in) { return (*f)(in[0], in[1], {}); }, {d.z, d.time});
  check_parameter_gradients([&](tape<double>& t) { return (*f)(t.constant(d.z), t.constant(d.time), {}); }, params);

  // εᵀ(∂f/∂z)ε = εᵀ A ε per sample, and its gradient in A is ε εᵀ summed with the seed.
  tape<double> t;
  const dual<double> y = (*f)(dual<double>(t.constant(d.z), t.constant(d.eps)), dual<double>(t.constant(d.time)), {});
  const matrix<double> hutchinson = (y.tangent.value().array() * d.eps.array()).rowwise().sum().matrix();
  const matrix<double> closed_form = (d.eps * a.transpose()).cwiseProduct(d.eps).rowwise().sum();
  CHECK((hutchinson - closed_form).cwiseAbs().maxCoeff() < 1e-14);
  matrix<double> z_grad;
  auto targets = parameter_targets(params);
  targets.push_back({&d.z, &z_grad, "z"});
  const auto result = check_gradients(
      [&](tape<double>& tp) {
        const dual<double> out = (*f)(dual<double>(tp.leaf(d.z, z_grad), tp.constant(d.eps)),
                                      dual<double>(tp.constant(d.time)), {});
        return sum(mul(out.tangent, tp.constant(d.eps)), reduce_axis::each_row);
      },
      targets);
  INFO("max error " << result.max_error << " at " << result.worst);
  CHECK(result.passed);

  // A clone owns a copy of the functor and its parameters.
  const auto g = f->clone();
  for (auto* p : g->parameters()) p->value.setZero();
  CHECK(((*f)(d.z, d.time, {}) - expected).cwiseAbs().maxCoeff() < 1e-14);
  CHECK((*g)(d.z, d.time, {}).isZero());
}

TEST_CASE("functor_dynamics: a parameterless, time-dependent field", "[continuous][dynamics][functor]") {
  const batch_data d;
  const auto f = continuous::make_dynamics<double>(dim, damped_field{});
  CHECK(f->describe() == "functor");
  CHECK(f->parameters().empty());
  CHECK(((*f)(d.z, d.time, {}) - d.time(0, 0) * d.z.array().tanh().matrix()).cwiseAbs().maxCoeff() < 1e-15);
  check_ad([&](const auto& in) { return (*f)(in[0], in[1], {}); }, {d.z, d.time});
  // A generic lambda works too.
  const auto g = continuous::make_dynamics<double>(dim, [](const auto& z, const auto& t) { return mul(tanh(z), t); });
  CHECK((*g)(d.z, d.time, {}) == (*f)(d.z, d.time, {}));
}

TEST_CASE("functor_dynamics: a conditional functor receives the context", "[continuous][dynamics][functor]") {
  const batch_data d;
  const auto f = continuous::make_dynamics<double>(dim, gated_field{}, "gated", {.features = feature_count});
  CHECK(f->condition() == condition_spec{.features = feature_count});
  CHECK((*f)(d.z, d.time, {.features = &d.features}) == d.z.cwiseProduct(d.features));
  check_ad([&](const auto& in) { return (*f)(in[0], in[1], {.features = &in[2]}); }, {d.z, d.time, d.features});
  CHECK_THROWS_WITH((*f)(d.z, d.time, {}), "gated: a context matrix with 2 columns is required");
}

TEST_CASE("functor_dynamics: errors name the description", "[continuous][dynamics][functor][errors]") {
  const batch_data d;
  const auto first_column = continuous::make_dynamics<double>(
      dim, [](const auto& z, const auto&) { return slice(z, 0, 1); }, "first column");
  CHECK_THROWS_WITH((*first_column)(d.z, d.time, {}),
                    "first column: the functor returned a 4x1 value for a 4x2 state, expected the state's shape");
  tape<double> t;
  CHECK_THROWS_AS((*first_column)(dual<double>(t.constant(d.z), t.constant(d.eps)), dual<double>(t.constant(d.time)), {}),
                  shape_error);

  const auto f = continuous::make_dynamics<double>(dim, damped_field{}, "damped");
  CHECK_THROWS_WITH((*f)(uniform(batch, 3, -1, 1, 7), d.time, {}), "damped: expected 2 columns of z, got a 4x3 input");
  CHECK_THROWS_WITH((*f)(d.z, matrix<double>::Zero(1, 2), {}), "damped: t must be 1x1, got 1x2");
  CHECK_THROWS_WITH((*f)(d.z, d.time, {.features = &d.features}),
                    "damped: got a context matrix, but this model takes none");
  CHECK_THROWS_WITH(continuous::make_dynamics<double>(0, damped_field{}, "damped"),
                    "damped: the state dimension must be positive, got 0");
  CHECK_THROWS_WITH(continuous::make_dynamics<double>(dim, damped_field{}, "damped", {.classes = 2}),
                    "damped: a conditional dynamics needs a functor that takes the context, f(z, t, c)");
}
