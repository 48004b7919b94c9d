// tests/nn/modules_test.cpp — every module: plain = tape, gradients with respect to inputs and
// parameters and tangents against finite differences, and each module's own defining property.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/nn.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using eigenflow::test::check_ad;
using eigenflow::test::check_parameter_gradients;
using eigenflow::test::uniform;

TEST_CASE("linear: value, gradients, tangents, errors", "[nn][linear]") {
  random_engine rng(1);
  nn::linear<double> layer("proj", 3, 4, rng);
  layer.bias().value = uniform(1, 4, -1, 1, 2);  // zero-initialized; make it count
  const matrix<double> x = uniform(5, 3, -1, 1, 3);
  CHECK((layer(x) - ((x * layer.weight().value.transpose()).rowwise() + layer.bias().value.row(0))).norm() < 1e-14);
  check_ad([&](const auto& in) { return layer(in[0]); }, {x});
  check_parameter_gradients([&](tape<double>& t) { return layer(t.constant(x)); }, layer.parameters());
  CHECK_THROWS_WITH(layer(matrix<double>(5, 2)), "proj: expected 3 input features, got a 5x2 input");
  CHECK_THROWS_AS(nn::linear<double>("bad", 0, 2, rng), value_error);
}

TEST_CASE("mlp: every hidden activation, gradients and tangents", "[nn][mlp]") {
  const matrix<double> x = uniform(6, 2, -1, 1, 4);
  for (activation a : {activation::tanh, activation::softplus, activation::sigmoid, activation::elu}) {
    random_engine rng(5);
    nn::mlp<double> net("net", {2, 8, 8, 3}, rng, {.hidden_activation = a});
    check_ad([&](const auto& in) { return net(in[0]); }, {x});
    check_parameter_gradients([&](tape<double>& t) { return net(t.constant(x)); }, net.parameters());
  }
}

TEST_CASE("parameters are named, counted and seeded deterministically", "[nn][parameters]") {
  random_engine rng1(7), rng2(7), rng3(8);
  nn::mlp<float> a("net", {2, 16, 2}, rng1), b("net", {2, 16, 2}, rng2), c("net", {2, 16, 2}, rng3);
  const auto pa = a.parameters();
  REQUIRE(pa.size() == 4);
  CHECK(pa[0].name == "net.layers.0.weight");
  CHECK(pa[1].name == "net.layers.0.bias");
  CHECK(pa[3].name == "net.layers.1.bias");
  CHECK(pa.count() == 2 * 16 + 16 + 16 * 2 + 2);
  CHECK(pa.flatten_values() == b.parameters().flatten_values());
  CHECK(pa.flatten_values() != c.parameters().flatten_values());
}

TEST_CASE("initializers have the documented scale", "[nn][init]") {
  random_engine rng(9);
  const matrix<double> lecun = nn::initial_weight<double>(400, 100, nn::init::lecun_normal, rng);
  const double lecun_var = lecun.array().square().mean();
  CHECK(lecun_var == Approx(1.0 / 100).epsilon(0.03));
  CHECK(lecun.cwiseAbs().maxCoeff() <= 2.0 * std::sqrt(1.0 / 100) / 0.8796256610342398 + 1e-12);
  const matrix<double> glorot = nn::initial_weight<double>(300, 100, nn::init::glorot_uniform, rng);
  CHECK(glorot.array().square().mean() == Approx(2.0 / 400).epsilon(0.03));
  CHECK(glorot.cwiseAbs().maxCoeff() <= std::sqrt(6.0 / 400));
  CHECK(nn::initial_weight<double>(3, 3, nn::init::zeros, rng).isZero());
  CHECK_THROWS_WITH(nn::parse_init("he"), Catch::Contains("unknown initializer 'he'"));
}

TEST_CASE("concat_squash: the FFJORD formula, gradients in x, t and parameters", "[nn][concat_squash]") {
  random_engine rng(10);
  nn::concat_squash<double> layer("cs", 3, 4, rng);
  auto params = layer.parameters();
  for (auto* p : params) p->value = uniform(p->value.rows(), p->value.cols(), -1, 1, 11);
  const matrix<double> x = uniform(5, 3, -1, 1, 12);
  const matrix<double> t = matrix<double>::Constant(1, 1, 0.3);
  // h = (W x + b) ⊙ σ(w_g t + b_g) + w_b t, written out.
  const matrix<double> wx = (x * params[0].value.transpose()).rowwise() + params[1].value.row(0);
  const Eigen::RowVectorXd gate = (1 / (1 + (-(0.3 * params[2].value.transpose() + params[3].value).array()).exp())).matrix();
  const Eigen::RowVectorXd shift = 0.3 * params[4].value.transpose();
  const matrix<double> expected = (wx.array().rowwise() * gate.array()).matrix().rowwise() + shift;
  CHECK((layer(x, t) - expected).norm() < 1e-13);
  check_ad([&](const auto& in) { return layer(in[0], in[1]); }, {x, t});
  check_ad([&](const auto& in) { return layer(in[0], in[1]); }, {x, uniform(5, 1, 0, 1, 13)});  // per-sample time
  check_parameter_gradients([&](tape<double>& tp) { return layer(tp.constant(x), tp.constant(t)); }, params);
  CHECK_THROWS_AS(layer(x, matrix<double>(2, 1)), shape_error);
}

TEST_CASE("embedding: lookup, gradient scatter, bad ids", "[nn][embedding]") {
  random_engine rng(14);
  nn::embedding<double> emb("class", 4, 3, rng);
  const std::vector<index_t> ids = {3, 1, 3};
  const matrix<double> like(0, 0);
  const matrix<double> rows = emb(std::span<const index_t>(ids), like);
  CHECK(rows.row(0) == emb.parameters()[0].value.row(3));
  check_parameter_gradients(
      [&](tape<double>& t) { return emb(std::span<const index_t>(ids), t.zeros(1, 1)); }, emb.parameters());
  const std::vector<index_t> bad = {0, 4};
  CHECK_THROWS_WITH(emb(std::span<const index_t>(bad), like), "class: id 4 at position 1 is outside [0, 4)");
}

TEST_CASE("layer_norm: normalized rows, gradients", "[nn][layer_norm]") {
  nn::layer_norm<double> norm("ln", 5);
  const matrix<double> x = uniform(4, 5, -3, 3, 15);
  const matrix<double> y = norm(x);
  for (index_t i = 0; i < 4; ++i) {
    CHECK(y.row(i).mean() == Approx(0).margin(1e-12));
    CHECK(y.row(i).array().square().mean() == Approx(1).epsilon(1e-4));  // ε = 1e-5 in the denominator
  }
  auto params = norm.parameters();
  for (auto* p : params) p->value = uniform(1, 5, 0.5, 1.5, 16);
  check_ad([&](const auto& in) { return norm(in[0]); }, {x});
  check_parameter_gradients([&](tape<double>& t) { return norm(t.constant(x)); }, params);
}

namespace {

// Attention written out with loops, per sequence and head: the reference for the module.
matrix<double> reference_attention(nn::multi_head_attention<double>& attn, const matrix<double>& x, index_t tokens) {
  auto p = attn.parameters();  // query w,b; key w,b; value w,b; output w,b
  const index_t heads = attn.heads(), d = attn.head_dim(), batch = x.rows() / tokens;
  auto project = [&](int k) { return matrix<double>((x * p[2 * k].value.transpose()).rowwise() + p[2 * k + 1].value.row(0)); };
  const matrix<double> q = project(0), k = project(1), v = project(2);
  matrix<double> merged(x.rows(), heads * d);
  for (index_t b = 0; b < batch; ++b) {
    for (index_t h = 0; h < heads; ++h) {
      const matrix<double> qb = q.block(b * tokens, h * d, tokens, d);
      const matrix<double> kb = k.block(b * tokens, h * d, tokens, d);
      const matrix<double> vb = v.block(b * tokens, h * d, tokens, d);
      matrix<double> s = qb * kb.transpose() / std::sqrt(double(d));
      for (index_t i = 0; i < tokens; ++i) {
        s.row(i) = (s.row(i).array() - s.row(i).maxCoeff()).exp().matrix();
        s.row(i) /= s.row(i).sum();
      }
      merged.block(b * tokens, h * d, tokens, d) = s * vb;
    }
  }
  return (merged * p[6].value.transpose()).rowwise() + p[7].value.row(0);
}

}  // namespace

TEST_CASE("multi_head_attention: equals the written-out reference, gradients, tangents", "[nn][attention]") {
  random_engine rng(17);
  nn::multi_head_attention<double> attn("attn", {.query_features = 6, .heads = 2, .head_dim = 3}, rng);
  auto params = attn.parameters();
  for (auto* p : params) p->value = uniform(p->value.rows(), p->value.cols(), -0.8, 0.8, 18 + p->value.size());
  const index_t tokens = 4;
  const matrix<double> x = uniform(3 * tokens, 6, -1, 1, 19);  // three sequences of four tokens
  CHECK((attn(x, tokens) - reference_attention(attn, x, tokens)).cwiseAbs().maxCoeff() < 1e-13);
  check_ad([&](const auto& in) { return attn(in[0], tokens); }, {x});
  check_parameter_gradients([&](tape<double>& t) { return attn(t.constant(x), tokens); }, params);
  const matrix<double> w = attn.attention_weights(x, x, tokens, tokens);
  CHECK(w.rows() == 2 * 3 * tokens);
  CHECK((w.rowwise().sum().array() - 1).abs().maxCoeff() < 1e-14);
}

TEST_CASE("multi_head_attention mixes tokens within a sequence, never across, and obeys masks",
          "[nn][attention]") {
  random_engine rng(20);
  nn::multi_head_attention<double> attn("attn", {.query_features = 4, .heads = 2, .head_dim = 4}, rng);
  const index_t tokens = 3;
  const matrix<double> x = uniform(2 * tokens, 4, -1, 1, 21);
  const matrix<double> y = attn(x, tokens);
  matrix<double> x2 = x;
  x2.row(2) += matrix<double>::Constant(1, 4, 0.5);  // token 2 of sequence 0
  const matrix<double> y2 = attn(x2, tokens);
  CHECK((y2.row(0) - y.row(0)).norm() > 1e-6);                     // token 0 sees token 2
  CHECK((y2.bottomRows(tokens) - y.bottomRows(tokens)).norm() == 0);  // sequence 1 does not
  // Causal mask: token 0 sees only itself, so changing token 2 leaves it unchanged.
  nn::attention_mask causal(tokens, tokens);
  for (index_t i = 0; i < tokens; ++i)
    for (index_t j = 0; j < tokens; ++j) causal(i, j) = j <= i;
  CHECK((attn(x2, tokens, &causal).row(0) - attn(x, tokens, &causal).row(0)).norm() < 1e-12);
  CHECK((attn(x2, tokens, &causal).row(2) - attn(x, tokens, &causal).row(2)).norm() > 1e-6);
  check_ad([&](const auto& in) { return attn(in[0], tokens, &causal); }, {x});
  nn::attention_mask blind = nn::attention_mask::Constant(tokens, tokens, false);
  CHECK_THROWS_WITH(attn(x, tokens, &blind), Catch::Contains("hides every key"));
  CHECK_THROWS_AS(attn(x, 4), shape_error);  // 6 rows are not sequences of 4
}

TEST_CASE("self-attention without positions is equivariant to permuting tokens", "[nn][attention]") {
  random_engine rng(22);
  nn::multi_head_attention<double> attn("attn", {.query_features = 5, .heads = 1, .head_dim = 5}, rng);
  const index_t tokens = 4;
  const matrix<double> x = uniform(tokens, 5, -1, 1, 23);
  Eigen::PermutationMatrix<Eigen::Dynamic> perm(tokens);
  perm.indices() << 2, 0, 3, 1;
  const matrix<double> permuted = perm * x;
  CHECK((attn(permuted, tokens) - perm * attn(x, tokens)).cwiseAbs().maxCoeff() < 1e-13);
}

TEST_CASE("cross-attention: queries attend to a context of another length", "[nn][attention]") {
  random_engine rng(24);
  nn::multi_head_attention<double> attn(
      "cross", {.query_features = 3, .key_features = 5, .heads = 2, .head_dim = 2, .out_features = 4}, rng);
  const matrix<double> q = uniform(2 * 3, 3, -1, 1, 25);    // 2 sequences of 3 queries
  const matrix<double> ctx = uniform(2 * 5, 5, -1, 1, 26);  // 2 contexts of 5 tokens
  CHECK(attn(q, ctx, 3, 5).rows() == 6);
  CHECK(attn(q, ctx, 3, 5).cols() == 4);
  check_ad([&](const auto& in) { return attn(in[0], in[1], 3, 5); }, {q, ctx});
}
