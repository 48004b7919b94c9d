// include/eigenflow/flows/composite.hpp — a stack of transforms: T_k ∘ … ∘ T_1.
//
// Log-dets add up; the inverse runs the layers in reverse order, each inverted (permutations
// included), so inverse(forward(x)) = x for any stack (docs/conventions.md, "Composition").
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/transform.hpp"

namespace eigenflow::flows {

/// A stack of transforms on R^D, T_k ∘ … ∘ T_1: forward runs the layers in order and adds up their
/// log-dets; inverse runs them in reverse, each inverted.
///
/// @tparam Scalar float or double.
template <class Scalar>
class composite : public transform_base<composite<Scalar>, Scalar> {
 public:
  /// An empty stack (the identity map) of width `dim`.
  explicit composite(index_t dim) : dim_(dim) {
    if (dim < 1) throw value_error("composite: dimension must be positive");
  }
  /// A deep copy: each layer is cloned.
  composite(const composite& other) : transform_base<composite<Scalar>, Scalar>(other), dim_(other.dim_), condition_(other.condition_) {
    for (const auto& layer : other.layers_) layers_.push_back(layer->clone());
  }
  composite& operator=(const composite&) = delete;
  /// Moves the layers.
  composite(composite&&) noexcept = default;

  /// Appends a layer (applied after those already there). Its width must be D; a conditional
  /// layer's context must match the other conditional layers'.
  void push_back(std::unique_ptr<transform<Scalar>> layer) {
    if (!layer) throw value_error("composite: null layer");
    if (layer->dim() != dim_) {
      throw shape_error("composite: layer " + layer->describe() + " has width " + std::to_string(layer->dim()) +
                        ", the stack " + std::to_string(dim_));
    }
    const condition_spec spec = layer->condition();
    if (!spec.unconditional()) {
      if (!condition_.unconditional() && !(spec == condition_)) {
        throw value_error("composite: layer " + layer->describe() + " takes a different context from earlier layers");
      }
      condition_ = spec;
    }
    layers_.push_back(std::move(layer));
  }
  /// Appends a concrete layer by value (see push_back()).
  template <class Layer>
  void add(Layer layer) {
    push_back(std::make_unique<Layer>(std::move(layer)));
  }

  /// Runs the layers first to last; the log-det is the sum of theirs (zeros for an empty stack).
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>& c) const {
    detail::check_width("composite", x, dim_);
    if (layers_.empty()) return {x, zeros_like(x, x.rows(), 1)};
    transformed<Value> out = layers_.front()->forward(x, c);
    for (std::size_t k = 1; k < layers_.size(); ++k) {
      transformed<Value> next = layers_[k]->forward(out.value, c);
      out = {next.value, eigenflow::add(out.log_det, next.log_det)};  // qualified: add() is also a member
    }
    return out;
  }

  /// Inverts the layers last to first; the log-det is the sum of theirs (zeros for an empty stack).
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>& c) const {
    detail::check_width("composite", y, dim_);
    if (layers_.empty()) return {y, zeros_like(y, y.rows(), 1)};
    transformed<Value> out = layers_.back()->inverse(y, c);
    for (std::size_t k = layers_.size() - 1; k-- > 0;) {
      transformed<Value> next = layers_[k]->inverse(out.value, c);
      out = {next.value, eigenflow::add(out.log_det, next.log_det)};  // qualified: add() is also a member
    }
    return out;
  }

  /// Initializes each layer on the batch as that layer sees it.
  matrix<Scalar> initialize(const matrix<Scalar>& x, const context<matrix<Scalar>>& c) override {
    matrix<Scalar> h = x;
    for (auto& layer : layers_) h = layer->initialize(h, c);
    return h;
  }

  index_t dim() const override { return dim_; }
  condition_spec condition() const override { return condition_; }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    for (auto& layer : layers_) layer->collect_parameters(list);
  }
  std::string describe() const override {
    std::string s = "composite(D=" + std::to_string(dim_) + ")[";
    for (std::size_t k = 0; k < layers_.size(); ++k) s += (k ? "; " : "") + layers_[k]->describe();
    return s + "]";
  }

  /// The number of layers.
  std::size_t size() const { return layers_.size(); }
  /// Layer k (0 is applied first); throws std::out_of_range past the end.
  const transform<Scalar>& layer(std::size_t k) const { return *layers_.at(k); }

 private:
  index_t dim_;
  condition_spec condition_;
  std::vector<std::unique_ptr<transform<Scalar>>> layers_;
};

}  // namespace eigenflow::flows
