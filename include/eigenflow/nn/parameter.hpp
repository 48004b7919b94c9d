// include/eigenflow/nn/parameter.hpp — a named trainable matrix and its gradient, and the list of
// a model's parameters that optimizers, checkpoints and gradient checks work on.
//
// Parameters live in modules, outside any tape. A training step puts them on a tape as leaves
// that read `value` in place and accumulate into `grad` in place (no copies either way), so the
// caller zeroes the gradients before a step and an optimizer reads them after it.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/value_traits.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::nn {

/// A trainable matrix with its accumulated gradient (same shape).
///
/// @tparam Scalar float or double.
///
/// `grad` is mutable: accumulating a gradient is not a change of the model, so a const model
/// can be evaluated on a tape.
template <class Scalar>
struct parameter {
  /// The element type, float or double.
  using scalar_type = Scalar;

  /// Dotted path such as "net.layers.0.weight"; checkpoints store it with the value.
  std::string name;
  /// The trainable values.
  matrix<Scalar> value;
  /// Accumulated gradient of the loss with respect to value, same shape.
  mutable matrix<Scalar> grad;

  parameter() = default;
  /// A parameter with the given name and initial value, and a zero gradient.
  parameter(std::string parameter_name, matrix<Scalar> initial)
      : name(std::move(parameter_name)),
        value(std::move(initial)),
        grad(matrix<Scalar>::Zero(value.rows(), value.cols())) {}

  /// Number of scalars in value.
  index_t size() const { return value.size(); }
  /// Sets the gradient to zeros of value's shape.
  void zero_grad() const { grad.setZero(value.rows(), value.cols()); }
};

/// The parameter as a Value like `like`: itself in plain mode, a leaf on like's tape (gradient
/// into p.grad) for var, with a zero tangent for dual.
template <class Scalar, class Value>
decltype(auto) lift(const parameter<Scalar>& p, const Value& like) {
  return lift_leaf(p.value, p.grad, like);
}

/// Non-owning list of a model's parameters, in a fixed order (the order modules enumerate them),
/// with the whole-model operations that act on all of them at once. Two flavours:
/// parameter_list<Scalar> (what a model's parameters() gives: values can be assigned) and
/// const_parameter_list<Scalar> (what a const model gives: values are read only). Gradients are
/// scratch space, not part of the model, so both can zero, read and assign them.
template <class Parameter>
class basic_parameter_list {
 public:
  /// parameter<Scalar>, or const parameter<Scalar> for a read-only list.
  using parameter_type = Parameter;
  /// The element type, float or double.
  using Scalar = typename std::remove_const_t<Parameter>::scalar_type;

  basic_parameter_list() = default;
  /// A list of the given parameters, in that order.
  explicit basic_parameter_list(std::vector<parameter_type*> items) : items_(std::move(items)) {}
  /// A read-only view of a mutable list.
  template <class Other>
    requires(std::is_const_v<Parameter> && std::is_same_v<const Other, Parameter>)
  basic_parameter_list(const basic_parameter_list<Other>& other)  // NOLINT(google-explicit-constructor)
      : items_(other.begin(), other.end()) {}

  /// Appends p (by address: p must outlive the list).
  void push_back(parameter_type& p) { items_.push_back(&p); }
  /// Appends all of other's entries, in order.
  void append(const basic_parameter_list& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  }

  /// Points the entries that refer to `from` at `to`: for a model that holds a parameter as a
  /// member and moves its list along with it (no allocation, so moves can stay noexcept).
  void retarget(const parameter_type& from, parameter_type& to) noexcept {
    for (parameter_type*& p : items_) {
      if (p == &from) p = &to;
    }
  }

  /// Number of parameters (not scalars: see count()).
  std::size_t size() const { return items_.size(); }
  /// True when the list holds no parameter.
  bool empty() const { return items_.empty(); }
  /// The i-th parameter.
  parameter_type& operator[](std::size_t i) const { return *items_[i]; }
  /// Iterator over the entries (pointers to parameters).
  auto begin() const { return items_.begin(); }
  /// End of the entries.
  auto end() const { return items_.end(); }

  /// Total number of scalars over all parameters.
  index_t count() const {
    index_t n = 0;
    for (const parameter_type* p : items_) n += p->size();
    return n;
  }

  /// Zeroes every parameter's gradient.
  void zero_grad() const {
    for (parameter_type* p : items_) p->zero_grad();
  }

  /// Euclidean norm of all gradients taken together (what global-norm clipping bounds).
  Scalar grad_norm() const {
    Scalar sum = 0;
    for (const parameter_type* p : items_) sum += p->grad.squaredNorm();
    return std::sqrt(sum);
  }

  /// All parameter values (or gradients), concatenated in list order, each column-major.
  vector<Scalar> flatten_values() const { return flatten(&parameter_type::value); }
  /// All gradients, concatenated like flatten_values.
  vector<Scalar> flatten_grads() const { return flatten(&parameter_type::grad); }

  /// flatten_grads into a caller's buffer of count() entries (no allocation: ODE adjoints call
  /// it once per evaluation).
  void copy_grads_to(Eigen::Ref<vector<Scalar>> flat) const {
    if (flat.size() != count()) {
      throw shape_error("parameter_list::copy_grads_to: buffer of " + std::to_string(flat.size()) + " for " +
                        std::to_string(count()) + " parameters");
    }
    index_t offset = 0;
    for (const parameter_type* p : items_) {
      flat.segment(offset, p->grad.size()) = p->grad.reshaped();
      offset += p->grad.size();
    }
  }

  /// Inverse of flatten_values / flatten_grads; the length must equal count().
  void assign_values(const Eigen::Ref<const vector<Scalar>>& flat) const
    requires(!std::is_const_v<Parameter>)
  {
    assign([](parameter_type& p) -> matrix<Scalar>& { return p.value; }, flat, "assign_values");
  }
  /// Inverse of flatten_grads; the length must equal count().
  void assign_grads(const Eigen::Ref<const vector<Scalar>>& flat) const {
    assign([](parameter_type& p) -> matrix<Scalar>& { return p.grad; }, flat, "assign_grads");
  }

 private:
  template <class Member>
  vector<Scalar> flatten(Member member) const {
    vector<Scalar> flat(count());
    index_t offset = 0;
    for (const parameter_type* p : items_) {
      const matrix<Scalar>& m = p->*member;
      flat.segment(offset, m.size()) = m.reshaped();
      offset += m.size();
    }
    return flat;
  }

  /// Writes flat into target(p) for every p (the value or the gradient), reshaped to p's value.
  template <class Target>
  void assign(Target target, const Eigen::Ref<const vector<Scalar>>& flat, const char* what) const {
    if (flat.size() != count()) {
      throw shape_error(std::string("parameter_list::") + what + ": got " +
                        std::to_string(flat.size()) + " values for " + std::to_string(count()) +
                        " parameters");
    }
    index_t offset = 0;
    for (parameter_type* p : items_) {
      matrix<Scalar>& m = target(*p);
      m.resize(p->value.rows(), p->value.cols());
      m.reshaped() = flat.segment(offset, m.size());
      offset += m.size();
    }
  }

  template <class>
  friend class basic_parameter_list;
  std::vector<parameter_type*> items_;
};

/// What a model's parameters() gives: values can be assigned.
template <class Scalar>
using parameter_list = basic_parameter_list<parameter<Scalar>>;

/// What a const model's parameters() gives: values read only.
template <class Scalar>
using const_parameter_list = basic_parameter_list<const parameter<Scalar>>;

/// The parameters of anything that appends them with collect_parameters(list), in its order.
template <class Scalar, class Owner>
parameter_list<Scalar> parameters_of(Owner& owner) {
  parameter_list<Scalar> list;
  owner.collect_parameters(list);
  return list;
}

}  // namespace eigenflow::nn
