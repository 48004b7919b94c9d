// include/eigenflow/continuous/dynamics.hpp — the right-hand side of a continuous flow,
// dz/dt = f(z, t [, c]; θ), run on plain matrices, on the tape, or as tangent pairs.
//
// A dynamics provides one template, apply(z, t, c) → dz/dt (batch × D), over the three value
// types (docs/conventions.md: t is a 1x1 value of the same type, so a learnable end time can flow through
// it). dynamics<Scalar> erases the concrete type so that models can be chosen at run time;
// dynamics_base<Derived, Scalar> turns the template into its virtual functions (one virtual call
// per evaluation, never per op). Any functor with a generic call operator becomes a dynamics
// through make_dynamics (functor_dynamics.hpp).
//
// f must treat the rows of z independently (no batch statistics, no attention across samples):
// the trace of ∂f/∂z is taken per sample from one batched tangent pass, which is only the
// per-sample trace when each output row depends on its own input row alone.
#pragma once

#include <memory>
#include <string>

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::continuous {

/// dz/dt = f(z, t [, c]) on R^D.
///
/// @tparam Scalar float or double.
template <class Scalar>
class dynamics {
 public:
  using plain = matrix<Scalar>;
  using taped = var<Scalar>;
  using tangent = dual<Scalar>;

  virtual ~dynamics() = default;

  /// z: batch × D; t: 1x1. Returns batch × D.
  virtual plain operator()(const plain& z, const plain& t, const context<plain>& c) const = 0;
  virtual taped operator()(const taped& z, const taped& t, const context<taped>& c) const = 0;
  virtual tangent operator()(const tangent& z, const tangent& t, const context<tangent>& c) const = 0;

  /// D: the width of z.
  virtual index_t dim() const = 0;
  /// The context f needs (unconditional by default).
  virtual condition_spec condition() const { return {}; }
  /// Appends the trainable parameters, in a fixed order.
  virtual void collect_parameters(nn::parameter_list<Scalar>& list) = 0;
  /// A deep copy.
  virtual std::unique_ptr<dynamics> clone() const = 0;
  /// One line naming the network and its settings.
  virtual std::string describe() const = 0;

  nn::parameter_list<Scalar> parameters() { return nn::parameters_of<Scalar>(*this); }
};

/// Implements dynamics<Scalar> from Derived's `template <class Value> Value apply(z, t, c) const`.
template <class Derived, class Scalar>
class dynamics_base : public dynamics<Scalar> {
 public:
  using typename dynamics<Scalar>::plain;
  using typename dynamics<Scalar>::taped;
  using typename dynamics<Scalar>::tangent;

  plain operator()(const plain& z, const plain& t, const context<plain>& c) const override { return self().apply(z, t, c); }
  taped operator()(const taped& z, const taped& t, const context<taped>& c) const override { return self().apply(z, t, c); }
  tangent operator()(const tangent& z, const tangent& t, const context<tangent>& c) const override {
    return self().apply(z, t, c);
  }
  std::unique_ptr<dynamics<Scalar>> clone() const override { return std::make_unique<Derived>(self()); }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

/// Throws unless z is batch × dim, t is 1x1 and c is what `condition` asks for; `who` names the
/// network in the message. Every dynamics checks its input with this, so all say it the same way
/// (and a context passed to an unconditional network is an error, not silently ignored).
template <class Value>
void check_dynamics_input(const std::string& who, index_t dim, const condition_spec& condition, const Value& z,
                          const Value& t, const context<Value>& c) {
  if (z.cols() != dim) {
    throw shape_error(who + ": z must have " + std::to_string(dim) + " columns, got a " + std::to_string(z.rows()) +
                      "x" + std::to_string(z.cols()) + " value");
  }
  if (t.rows() != 1 || t.cols() != 1) {
    throw shape_error(who + ": t must be 1x1, got " + std::to_string(t.rows()) + "x" + std::to_string(t.cols()));
  }
  check_context(who, condition, c, z.rows());
}

}  // namespace eigenflow::continuous
