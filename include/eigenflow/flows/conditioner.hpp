// include/eigenflow/flows/conditioner.hpp — the network a coupling layer asks for its scale and
// shift: conditioning features (and the context, if any) in, 2·|transformed features| out.
//
// Pluggable: conditioner<Scalar> erases the concrete network, conditioner_base<Derived, Scalar>
// implements it from one template `apply(x_a, c)`. context_encoder turns a context (class ids
// through an embedding, and/or a context matrix) into extra input columns for such networks.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/flows/context.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/embedding.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::flows {

template <class Scalar>
class conditioner {
 public:
  using plain = matrix<Scalar>;
  using taped = var<Scalar>;

  virtual ~conditioner() = default;
  virtual plain operator()(const plain& x_a, const context<plain>& c) const = 0;
  virtual taped operator()(const taped& x_a, const context<taped>& c) const = 0;
  virtual index_t in_features() const = 0;
  virtual index_t out_features() const = 0;
  virtual condition_spec condition() const = 0;
  virtual void collect_parameters(nn::parameter_list<Scalar>& list) = 0;
  virtual std::unique_ptr<conditioner> clone() const = 0;
  virtual std::string describe() const = 0;
};

template <class Derived, class Scalar>
class conditioner_base : public conditioner<Scalar> {
 public:
  using typename conditioner<Scalar>::plain;
  using typename conditioner<Scalar>::taped;

  plain operator()(const plain& x_a, const context<plain>& c) const override { return self().apply(x_a, c); }
  taped operator()(const taped& x_a, const context<taped>& c) const override { return self().apply(x_a, c); }
  std::unique_ptr<conditioner<Scalar>> clone() const override { return std::make_unique<Derived>(self()); }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

/// Appends the context to a network's input: [x_a, embedding(labels), features].
template <class Scalar>
class context_encoder {
 public:
  context_encoder() = default;
  /// `embedding_dim` columns for class ids when spec.classes > 0; spec.features columns as given.
  context_encoder(const std::string& name, const condition_spec& spec, index_t embedding_dim, random_engine& rng)
      : spec_(spec) {
    if (spec.classes > 0) embedding_.emplace(name + ".class_embedding", spec.classes, embedding_dim, rng);
  }

  /// Columns the encoding adds to the input.
  index_t extra_features() const { return (embedding_ ? embedding_->dim() : 0) + spec_.features; }
  const condition_spec& spec() const { return spec_; }

  template <class Value>
  Value encode(const Value& x_a, const context<Value>& c) const {
    if (spec_.unconditional()) return x_a;
    check_context("conditioner", spec_, c, x_a.rows());
    Value out = x_a;
    if (embedding_) out = concat(out, (*embedding_)(c.labels, x_a));
    if (spec_.features > 0) out = concat(out, *c.features);
    return out;
  }

  void collect_parameters(nn::parameter_list<Scalar>& list) {
    if (embedding_) embedding_->collect_parameters(list);
  }

 private:
  condition_spec spec_;
  std::optional<nn::embedding<Scalar>> embedding_;
};

}  // namespace eigenflow::flows
