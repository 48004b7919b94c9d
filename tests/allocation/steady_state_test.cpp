// tests/allocation/steady_state_test.cpp — after warm-up, a training step allocates nothing: the
// tape reuses its nodes and arena, duals add no allocation, and optimizer steps work in place.
#include <catch2/catch.hpp>

#include "allocation/counting_new.hpp"
#include "eigenflow/autodiff.hpp"
#include "eigenflow/flows/glow_builders.hpp"
#include "eigenflow/flows/rational_quadratic.hpp"
#include "eigenflow/nn.hpp"
#include "eigenflow/optim.hpp"

using namespace eigenflow;
using eigenflow::test::count_allocations;
using eigenflow::test::steady_state_allocations;

TEST_CASE("the counter sees both std and Eigen allocations", "[allocation]") {
  CHECK(count_allocations([] { std::vector<int> v(10); }) == 1);
  CHECK(count_allocations([] { matrix<float> m(8, 8); m.setZero(); }) == 1);
  CHECK(count_allocations([] {}) == 0);
}

TEMPLATE_TEST_CASE("a tape training step of an MLP allocates nothing after warm-up", "[allocation][tape]", float,
                   double) {
  using S = TestType;
  random_engine rng(1);
  nn::mlp<S> net("net", {2, 64, 64, 2}, rng, {.hidden_activation = activation::tanh});
  const auto params = net.parameters();
  const matrix<S> x = normal_matrix<S>(64, 2, rng);  // products small enough for Eigen's stack buffers
  optim::adam<S> adam(optim::adam_options<S>{});
  tape<S> t;
  auto step = [&] {
    t.clear();
    params.zero_grad();
    const var<S> out = net(t.constant_view(x));
    t.backward(mean(sum_rows(square(out))));
    optim::clip_grad_norm(params, S(1));
    adam.step(params);
  };
  CHECK(steady_state_allocations(step, 5) == 0);
}

TEST_CASE("a wide MLP step allocates nothing after warm-up, though its products outgrow Eigen's stack buffers",
          "[allocation][tape][gemm]") {
  // 256×256×256 products: Eigen packs 256 KiB blocks, above its 128 KiB stack limit, which it
  // would malloc on every product; detail::gemm_into hands it per-thread buffers instead.
  random_engine rng(4);
  nn::mlp<float> net("wide", {8, 256, 256, 8}, rng, {.hidden_activation = activation::relu});
  const auto params = net.parameters();
  const matrix<float> x = normal_matrix<float>(256, 8, rng);
  tape<float> t;
  auto step = [&] {
    t.clear();
    params.zero_grad();
    t.backward(mean(sum_rows(square(net(t.constant_view(x))))));
  };
  CHECK(steady_state_allocations(step, 3) == 0);
}

TEST_CASE("a Glow training step (convolutions on the tape) allocates nothing after warm-up", "[allocation][conv]") {
  // Width 128 on 32 images of 4×4 pixels after the squeeze: the 1×1 convolution is a 512×128×128
  // product whose packed left block (256 KiB) is past Eigen's stack limit.
  random_engine rng(5);
  const image_shape images{1, 8, 8};
  flows::flow<float> model = flows::make_glow<float>({.image = images, .levels = 2, .steps = 2, .width = 128}, rng);
  const matrix<float> x = (normal_matrix<float>(32, images.size(), rng).array().abs() * 0.3f).min(0.99f).matrix();
  model.initialize(x);
  const auto params = model.parameters();
  tape<float> t;
  random_engine noise(6);
  auto step = [&] {
    params.zero_grad();
    model.accumulate_gradient(x, {}, noise, t);
  };
  CHECK(steady_state_allocations(step, 2) == 0);
}

TEST_CASE("a Hutchinson trace step (duals through an MLP) allocates nothing after warm-up", "[allocation][dual]") {
  random_engine rng(2);
  nn::mlp<double> net("f", {3, 32, 32, 3}, rng, {.hidden_activation = activation::softplus});
  const auto params = net.parameters();
  const matrix<double> x = normal_matrix<double>(50, 3, rng);
  const matrix<double> eps = normal_matrix<double>(50, 3, rng);
  tape<double> t;
  auto step = [&] {
    t.clear();
    params.zero_grad();
    const dual<double> y = net(dual<double>(t.constant_view(x), t.constant_view(eps)));
    t.backward(sum(mul(y.tangent, t.constant_view(eps))));  // Σ εᵀ J ε
  };
  CHECK(steady_state_allocations(step, 5) == 0);
}

TEST_CASE("a rational-quadratic spline step allocates nothing after warm-up", "[allocation][spline]") {
  // The spline's bins, gathers and conditions keep their indices in the tape's index arena.
  random_engine rng(3);
  const flows::rational_quadratic_options o{.bins = 8, .bound = 3.0};
  const matrix<double> x = 2 * normal_matrix<double>(64, 1, rng);  // some rows in the tails
  const matrix<double> widths = normal_matrix<double>(64, 8, rng), heights = normal_matrix<double>(64, 8, rng);
  const matrix<double> derivatives = normal_matrix<double>(64, 7, rng);
  matrix<double> gw, gh, gd;
  tape<double> t;
  auto step = [&] {
    t.clear();
    const var<double> w = t.leaf(widths, gw), h = t.leaf(heights, gh), d = t.leaf(derivatives, gd);
    const transformed<var<double>> y = flows::rational_quadratic_forward(t.constant_view(x), w, h, d, o);
    const transformed<var<double>> back = flows::rational_quadratic_inverse(y.value, w, h, d, o);
    t.backward(add(sum(back.value), sum(y.log_det)));
  };
  CHECK(steady_state_allocations(step, 5) == 0);
}

TEST_CASE("optimizer steps allocate nothing after the first", "[allocation][optim]") {
  nn::parameter<float> w("w", matrix<float>::Ones(16, 8));
  nn::parameter<float> b("b", matrix<float>::Ones(1, 16));
  const nn::parameter_list<float> params({&w, &b});
  w.grad.setConstant(0.5f);
  b.grad.setConstant(-0.25f);
  optim::adam<float> adam(optim::adam_options<float>{});
  optim::sgd<float> sgd(optim::sgd_options<float>{.learning_rate = 0.1f, .momentum = 0.9f, .nesterov = true});
  auto adamw = optim::adamw<float>(1e-3f);
  adam.step(params);
  sgd.step(params);
  adamw.step(params);
  CHECK(count_allocations([&] {
          for (int i = 0; i < 3; ++i) {
            adam.step(params);
            sgd.step(params);
            adamw.step(params);
            optim::clip_grad_norm(params, 1e-3f);
          }
        }) == 0);
}
