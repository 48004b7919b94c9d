// include/eigenflow/flows/attention_conditioner.hpp — a transformer conditioner for coupling
// layers: self-attention across tokens made from the conditioning features, so that attention
// really mixes information (attention over a single token is only a linear map).
//
// Tokens. Conditioning feature i gives k = tokens_per_feature tokens; token (i, j) is
//   φ(x_a[:, i]·v_{i,j} + u_{i,j}) + p_{i,j}        (width d_model each)
// with a learned value embedding v (a frequency), offset u (a phase) and position embedding p,
// and φ the chosen activation (tanh by default). The nonlinearity is deliberate: with one
// conditioning feature (2-D data) several affine copies of one value would span a line, and
// attention would have nothing to mix; φ makes them different random-feature-like functions of
// the value (with φ = identity a token is the affine x·v + (u + p)). A context (class embedding
// and/or context matrix) is one more token, projected to d_model. T = |A|·k (+1) tokens.
//
// Block (pre-LayerNorm transformer): h ← h + MHA(LN(h)); h ← h + W₂ φ(W₁ LN(h)). Then each
// sample's T tokens are flattened, h_flat = LN(h) as B×(T·d_model), and projected by a final
// linear layer that starts at zero (the coupling starts as the identity) to out_features.
//
// Layout: tokens are built "wide" (B×(T·d), token t in columns t·d..t·d+d−1), turned "tall"
// ((B·T)×d, row b·T + t, as nn::multi_head_attention wants) by transpose∘reshape∘transpose and
// back the same way, so no per-batch index array is built; the only gather (each feature copied
// to its tokens' columns) uses indices fixed at construction.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/matmul.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/autodiff/value_traits.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/conditioner.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/embedding.hpp"
#include "eigenflow/nn/layer_norm.hpp"
#include "eigenflow/nn/linear.hpp"
#include "eigenflow/nn/multi_head_attention.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::flows {

/// Hyperparameters of attention_conditioner.
struct attention_conditioner_options {
  index_t d_model = 16;            ///< token width
  index_t heads = 2;               ///< attention heads
  index_t head_dim = 8;            ///< width of each head's queries, keys and values
  index_t tokens_per_feature = 0;  ///< 0: enough for at least 4 data tokens, ⌈4 / |A|⌉
  index_t mlp_hidden = 32;         ///< the block's MLP width
  activation hidden_activation = activation::tanh;  ///< token nonlinearity φ and the block's MLP
  condition_spec condition{};      ///< what the coupling is conditioned on
  index_t embedding_dim = 8;       ///< class-embedding width, for condition.classes > 0
};

/// Transformer conditioner: one self-attention block over tokens of the conditioning features
/// (and the context), flattened and projected to out_features.
///
/// @tparam Scalar float or double.
///
/// @code
///   flows::attention_conditioner_options opts{.d_model = 16, .heads = 2, .head_dim = 8};
///   auto net = std::make_unique<flows::attention_conditioner<float>>("c0.net", 1, 2, opts, rng);
///   flows::affine_coupling<float> layer(2, flows::half_split(2, false), std::move(net));
/// @endcode
template <class Scalar>
class attention_conditioner : public conditioner_base<attention_conditioner<Scalar>, Scalar> {
 public:
  /// `in` conditioning features to `out` outputs; `name` prefixes the parameter names. The output
  /// layer starts at zero, so the coupling starts as the identity map.
  attention_conditioner(const std::string& name, index_t in, index_t out, const attention_conditioner_options& opts,
                        random_engine& rng)
      : spec_(opts.condition), activation_(opts.hidden_activation), in_(in), d_model_(opts.d_model) {
    if (in < 1 || out < 1) {
      throw value_error(name + ": attention conditioner needs positive sizes, got in=" + std::to_string(in) +
                        " out=" + std::to_string(out));
    }
    if (opts.d_model < 1 || opts.heads < 1 || opts.head_dim < 1 || opts.mlp_hidden < 1 || opts.tokens_per_feature < 0) {
      throw value_error(name + ": attention conditioner needs positive d_model, heads, head_dim, mlp_hidden and a "
                               "non-negative tokens_per_feature");
    }
    per_feature_ = opts.tokens_per_feature > 0 ? opts.tokens_per_feature : (4 + in - 1) / in;
    data_tokens_ = in * per_feature_;
    if (data_tokens_ < 2) {
      throw value_error(name + ": attention over a single token is only a linear map; use tokens_per_feature >= 2 "
                               "with one conditioning feature");
    }
    tokens_ = data_tokens_ + (spec_.unconditional() ? 0 : 1);

    const index_t wide = data_tokens_ * d_model_;
    expand_.resize(static_cast<std::size_t>(wide));
    for (index_t col = 0; col < wide; ++col) expand_[static_cast<std::size_t>(col)] = col / (per_feature_ * d_model_);
    // v ~ N(0, 1) and u ~ N(0, 1): φ(x v + u) are varied functions of x over the data's range.
    value_embedding_ = nn::parameter<Scalar>(name + ".value_embedding", normal_matrix<Scalar>(1, wide, rng));
    value_offset_ = nn::parameter<Scalar>(name + ".value_offset", normal_matrix<Scalar>(1, wide, rng));
    position_embedding_ = nn::parameter<Scalar>(name + ".position_embedding", normal_matrix<Scalar>(1, wide, rng));

    if (spec_.classes > 0) class_embedding_.emplace(name + ".class_embedding", spec_.classes, opts.embedding_dim, rng);
    if (!spec_.unconditional()) {
      const index_t context_width = (spec_.classes > 0 ? opts.embedding_dim : 0) + spec_.features;
      context_projection_ = nn::linear<Scalar>(name + ".context_projection", context_width, d_model_, rng);
    }

    attention_norm_ = nn::layer_norm<Scalar>(name + ".attention_norm", d_model_);
    attention_ = nn::multi_head_attention<Scalar>(
        name + ".attention", {.query_features = d_model_, .heads = opts.heads, .head_dim = opts.head_dim}, rng);
    mlp_norm_ = nn::layer_norm<Scalar>(name + ".mlp_norm", d_model_);
    mlp_in_ = nn::linear<Scalar>(name + ".mlp_in", d_model_, opts.mlp_hidden, rng);
    mlp_out_ = nn::linear<Scalar>(name + ".mlp_out", opts.mlp_hidden, d_model_, rng);
    final_norm_ = nn::layer_norm<Scalar>(name + ".final_norm", d_model_);
    output_ = nn::linear<Scalar>(name + ".output", tokens_ * d_model_, out, rng, {.weight_init = nn::init::zeros});
  }

  /// The output for a batch: batch×out_features().
  template <class Value>
  Value apply(const Value& x_a, const context<Value>& c) const {
    return output_(flatten(final_norm_(encode(x_a, c))));
  }

  /// The tokens after the transformer block, (B·T)×d_model with row b·T + t (data tokens in
  /// feature-major order, token (i, j) at t = i·tokens_per_feature + j; the context token last).
  template <class Value>
  Value encode(const Value& x_a, const context<Value>& c) const {
    Value h = embed(x_a, c);
    h = add(h, attention_(attention_norm_(h), tokens_));
    return add(h, mlp_out_(activate(mlp_in_(mlp_norm_(h)), activation_)));
  }

  /// The block's attention weights for a plain batch, (H·B·T)×T: row block h·B + b holds head h
  /// of sample b, each row a query token's distribution over the T key tokens.
  matrix<Scalar> attention_weights(const matrix<Scalar>& x_a, const context<matrix<Scalar>>& c = {}) const {
    const matrix<Scalar> normed = attention_norm_(embed(x_a, c));
    return attention_.attention_weights(normed, normed, tokens_, tokens_);
  }

  /// T: tokens per sample (data tokens, plus one for a context).
  index_t tokens() const { return tokens_; }
  /// k: tokens made from each conditioning feature.
  index_t tokens_per_feature() const { return per_feature_; }
  /// Token width.
  index_t d_model() const { return d_model_; }
  /// The block's attention layer.
  nn::multi_head_attention<Scalar>& attention() { return attention_; }
  /// The block's attention layer, read only.
  const nn::multi_head_attention<Scalar>& attention() const { return attention_; }

  index_t in_features() const override { return in_; }
  index_t out_features() const override { return output_.out_features(); }
  condition_spec condition() const override { return spec_; }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    if (class_embedding_) class_embedding_->collect_parameters(list);
    if (!spec_.unconditional()) context_projection_.collect_parameters(list);
    list.push_back(value_embedding_);
    list.push_back(value_offset_);
    list.push_back(position_embedding_);
    attention_norm_.collect_parameters(list);
    attention_.collect_parameters(list);
    mlp_norm_.collect_parameters(list);
    mlp_in_.collect_parameters(list);
    mlp_out_.collect_parameters(list);
    final_norm_.collect_parameters(list);
    output_.collect_parameters(list);
  }
  std::string describe() const override {
    return "attention(tokens=" + std::to_string(tokens_) + " (" + std::to_string(per_feature_) +
           " per feature), d_model=" + std::to_string(d_model_) + ", heads=" + std::to_string(attention_.heads()) +
           "x" + std::to_string(attention_.head_dim()) + ", mlp=" + std::to_string(mlp_in_.out_features()) + ", " +
           std::string(to_string(activation_)) + ")";
  }

 private:
  /// The tokens before the block, (B·T)×d_model.
  template <class Value>
  Value embed(const Value& x_a, const context<Value>& c) const {
    detail::check_width("attention_conditioner", x_a, in_, "conditioning features");
    if (!spec_.unconditional()) check_context("attention_conditioner", spec_, c, x_a.rows());
    // B×(T_x·d): each feature repeated over its tokens' columns, then φ(x v + u) + p.
    const Value repeated = gather_cols(x_a, std::span<const index_t>(expand_));
    Value wide = add(activate(add(mul(repeated, nn::lift(value_embedding_, x_a)), nn::lift(value_offset_, x_a)),
                              activation_),
                     nn::lift(position_embedding_, x_a));
    if (!spec_.unconditional()) wide = concat(wide, context_projection_(context_input(x_a, c)));
    return unflatten(wide);
  }

  template <class Value>
  Value context_input(const Value& x_a, const context<Value>& c) const {
    if (class_embedding_ && spec_.features > 0) return concat((*class_embedding_)(c.labels, x_a), *c.features);
    if (class_embedding_) return (*class_embedding_)(c.labels, x_a);
    return *c.features;
  }

  /// B×(T·d) → (B·T)×d: column t·d + j of row b becomes entry (b·T + t, j).
  template <class Value>
  Value unflatten(const Value& wide) const {
    return transpose(reshape(transpose(wide), d_model_, wide.rows() * tokens_));
  }
  /// (B·T)×d → B×(T·d), the inverse.
  template <class Value>
  Value flatten(const Value& tall) const {
    return transpose(reshape(transpose(tall), tokens_ * d_model_, tall.rows() / tokens_));
  }

  condition_spec spec_;
  activation activation_ = activation::tanh;
  index_t in_ = 0;
  index_t d_model_ = 0;
  index_t per_feature_ = 1;
  index_t data_tokens_ = 0;
  index_t tokens_ = 0;
  std::vector<index_t> expand_;  // column → conditioning feature, fixed
  nn::parameter<Scalar> value_embedding_;
  nn::parameter<Scalar> value_offset_;
  nn::parameter<Scalar> position_embedding_;
  std::optional<nn::embedding<Scalar>> class_embedding_;
  nn::linear<Scalar> context_projection_;
  nn::layer_norm<Scalar> attention_norm_;
  nn::multi_head_attention<Scalar> attention_;
  nn::layer_norm<Scalar> mlp_norm_;
  nn::linear<Scalar> mlp_in_;
  nn::linear<Scalar> mlp_out_;
  nn::layer_norm<Scalar> final_norm_;
  nn::linear<Scalar> output_;
};

}  // namespace eigenflow::flows
