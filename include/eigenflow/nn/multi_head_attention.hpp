// include/eigenflow/nn/multi_head_attention.hpp — scaled dot-product attention with several heads
// over a real token axis.
//
// Values stay 2-D and batch-major: a batch of B sequences of T tokens with F features each is a
// (B·T)×F matrix whose row b·T + t is token t of sequence b. Heads are moved from column blocks
// to row blocks (stack_col_blocks), so all B·H score matrices are one block_matmul node, the
// softmax runs along each row (over keys), and nothing loops over samples in user code.
#pragma once

#include <cmath>
#include <string>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/matmul.hpp"
#include "eigenflow/autodiff/ops/softmax.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/autodiff/value_traits.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/nn/linear.hpp"
#include "eigenflow/nn/module.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::nn {

/// Which keys each query may attend to: true = visible. Shape Tq×Tk (the same for every
/// sequence) or (B·Tq)×Tk (one block per sequence). Every query must see at least one key.
using attention_mask = Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>;

/// Multi-head attention: softmax(Q Kᵀ / √d) V per head, heads concatenated and projected.
///
/// @tparam Scalar float or double.
///
/// @code
///   nn::multi_head_attention<float> attn("attn", {.query_features = 16, .heads = 4, .head_dim = 8}, rng);
///   auto y = attn(x, tokens);      // self-attention, x: (B·tokens) × 16, y: (B·tokens) × 16
/// @endcode
template <class Scalar>
class multi_head_attention : public module_base<multi_head_attention<Scalar>, Scalar> {
 public:
  /// Construction settings for multi_head_attention.
  struct options {
    index_t query_features = 0;  ///< F of the queries' tokens
    index_t key_features = 0;    ///< F of the keys' / values' tokens (0: same as query_features)
    /// Number of heads H.
    index_t heads = 4;
    /// Width d of each head's queries, keys and values.
    index_t head_dim = 8;
    index_t out_features = 0;  ///< Width of the output; 0: same as query_features
  };

  multi_head_attention() = default;
  /// Projections name.query, name.key, name.value (each to H·d features) and name.output. Throws
  /// value_error unless query_features, heads and head_dim are positive.
  multi_head_attention(const std::string& name, options opts, random_engine& rng) : name_(name) {
    if (opts.key_features == 0) opts.key_features = opts.query_features;
    if (opts.out_features == 0) opts.out_features = opts.query_features;
    if (opts.query_features < 1 || opts.heads < 1 || opts.head_dim < 1) {
      throw value_error(name + ": attention needs positive query_features, heads and head_dim");
    }
    heads_ = opts.heads;
    head_dim_ = opts.head_dim;
    const index_t width = opts.heads * opts.head_dim;
    query_ = linear<Scalar>(name + ".query", opts.query_features, width, rng);
    key_ = linear<Scalar>(name + ".key", opts.key_features, width, rng);
    value_ = linear<Scalar>(name + ".value", opts.key_features, width, rng);
    output_ = linear<Scalar>(name + ".output", width, opts.out_features, rng);
  }

  /// Self-attention over sequences of `tokens` tokens.
  template <class Value>
  Value operator()(const Value& x, index_t tokens, const attention_mask* mask = nullptr) const {
    return (*this)(x, x, tokens, tokens, mask);
  }

  /// Queries attend to a context: q is (B·q_tokens)×Fq, context is (B·kv_tokens)×Fk.
  template <class Value>
  Value operator()(const Value& q, const Value& context, index_t q_tokens, index_t kv_tokens,
                   const attention_mask* mask = nullptr) const {
    const index_t batch = check_batch(q, context, q_tokens, kv_tokens);
    const Value probabilities = attention(q, context, batch, q_tokens, kv_tokens, mask);
    const Value heads_out = block_matmul(probabilities, stack_col_blocks(value_(context), heads_), heads_ * batch);
    return output_(unstack_row_blocks(heads_out, heads_));
  }

  /// The attention weights, (H·B·Tq)×Tk: row block h·B + b holds head h of sequence b, each row
  /// a query's distribution over keys.
  matrix<Scalar> attention_weights(const matrix<Scalar>& q, const matrix<Scalar>& context, index_t q_tokens,
                                   index_t kv_tokens, const attention_mask* mask = nullptr) const {
    const index_t batch = check_batch(q, context, q_tokens, kv_tokens);
    return attention(q, context, batch, q_tokens, kv_tokens, mask);
  }

  /// Number of heads H.
  index_t heads() const { return heads_; }
  /// Width d of each head.
  index_t head_dim() const { return head_dim_; }
  /// Width of the output.
  index_t out_features() const { return output_.out_features(); }

  /// Appends the query, key, value and output projections' parameters, in that order.
  void collect_parameters(parameter_list<Scalar>& list) {
    query_.collect_parameters(list);
    key_.collect_parameters(list);
    value_.collect_parameters(list);
    output_.collect_parameters(list);
  }

 private:
  template <class Value>
  index_t check_batch(const Value& q, const Value& context, index_t q_tokens, index_t kv_tokens) const {
    if (q_tokens < 1 || kv_tokens < 1 || q.rows() % q_tokens != 0 || context.rows() % kv_tokens != 0 ||
        q.rows() / q_tokens != context.rows() / kv_tokens) {
      throw shape_error(name_ + ": queries " + detail::format_shape(q) + " in sequences of " +
                        std::to_string(q_tokens) + " tokens do not match context " + detail::format_shape(context) +
                        " in sequences of " + std::to_string(kv_tokens) + " tokens");
    }
    return q.rows() / q_tokens;
  }

  template <class Value>
  Value attention(const Value& q, const Value& context, index_t batch, index_t q_tokens, index_t kv_tokens,
                  const attention_mask* mask) const {
    const index_t blocks = heads_ * batch;
    Value scores = block_matmul(stack_col_blocks(query_(q), heads_), stack_col_blocks(key_(context), heads_),
                                blocks, product_form::nt);
    scores = scale(scores, Scalar(1) / std::sqrt(static_cast<Scalar>(head_dim_)));
    if (mask != nullptr) {
      const matrix<Scalar> additive = additive_mask(*mask, batch, q_tokens, kv_tokens);
      scores = add(scores, lift_constant(additive, q));
    }
    return softmax_rows(scores);
  }

  /// 0 where visible, a large negative number where masked, tiled to (H·B·Tq)×Tk.
  matrix<Scalar> additive_mask(const attention_mask& mask, index_t batch, index_t q_tokens, index_t kv_tokens) const {
    const bool shared = mask.rows() == q_tokens;
    if (mask.cols() != kv_tokens || (!shared && mask.rows() != batch * q_tokens)) {
      throw shape_error(name_ + ": mask " + detail::format_shape(mask) + " fits neither " +
                        detail::format_shape(q_tokens, kv_tokens) + " nor " +
                        detail::format_shape(batch * q_tokens, kv_tokens));
    }
    if ((mask.rowwise().count().array() == 0).any()) {
      throw value_error(name_ + ": the mask hides every key from some query");
    }
    const Scalar hidden = Scalar(-1e9);
    matrix<Scalar> out(heads_ * batch * q_tokens, kv_tokens);
    for (index_t block = 0; block < heads_ * batch; ++block) {
      const index_t b = block % batch;
      const auto m = shared ? mask.block(0, 0, q_tokens, kv_tokens) : mask.block(b * q_tokens, 0, q_tokens, kv_tokens);
      using scores = Eigen::Array<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
      out.middleRows(block * q_tokens, q_tokens).array() =
          m.select(scores::Zero(q_tokens, kv_tokens), scores::Constant(q_tokens, kv_tokens, hidden));
    }
    return out;
  }

  std::string name_;
  index_t heads_ = 1;
  index_t head_dim_ = 1;
  linear<Scalar> query_;
  linear<Scalar> key_;
  linear<Scalar> value_;
  linear<Scalar> output_;
};

}  // namespace eigenflow::nn
