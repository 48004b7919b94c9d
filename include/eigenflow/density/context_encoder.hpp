// include/eigenflow/density/context_encoder.hpp — how a network sees a context: its input with a
// learned embedding of the class ids and the context features appended. Every conditional
// conditioner and dynamics function encodes its context this way.
#pragma once

#include <optional>
#include <string>

#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/nn/embedding.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow {

/// Appends the context to a network's input: [x_a, embedding(labels), features].
template <class Scalar>
class context_encoder {
 public:
  context_encoder() = default;
  /// `embedding_dim` columns for class ids when spec.classes > 0; spec.features columns as given.
  context_encoder(const std::string& name, const condition_spec& spec, index_t embedding_dim, random_engine& rng)
      : name_(name), spec_(spec) {
    if (spec.classes > 0) embedding_.emplace(name + ".class_embedding", spec.classes, embedding_dim, rng);
  }

  /// Columns the encoding adds to the input.
  index_t extra_features() const { return (embedding_ ? embedding_->dim() : 0) + spec_.features; }
  /// The context this encoder expects.
  const condition_spec& spec() const { return spec_; }

  /// x_a with the class embedding of c.labels and then c's features appended as columns (each when the
  /// spec asks for it): batch × (x_a.cols() + extra_features()). Returns x_a unchanged when the spec is
  /// unconditional; otherwise throws as check_context does when c does not match the spec.
  template <class Value>
  Value encode(const Value& x_a, const context<Value>& c) const {
    if (spec_.unconditional()) return x_a;
    check_context(name_, spec_, c, x_a.rows());  // names the network whose input is wrong
    Value out = x_a;
    if (embedding_) out = concat(out, (*embedding_)(c.labels, x_a));
    if (spec_.features > 0) out = concat(out, *c.features);
    return out;
  }

  /// Appends the class embedding's table, if there is one.
  void collect_parameters(nn::parameter_list<Scalar>& list) {
    if (embedding_) embedding_->collect_parameters(list);
  }

 private:
  std::string name_ = "context encoder";
  condition_spec spec_;
  std::optional<nn::embedding<Scalar>> embedding_;
};

}  // namespace eigenflow
