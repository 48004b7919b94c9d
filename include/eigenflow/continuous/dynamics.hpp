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
#include "eigenflow/autodiff/shape_check.hpp"
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
  using plain = matrix<Scalar>;  ///< Plain values: z (rows are samples) and t (1x1).
  using taped = var<Scalar>;     ///< Values recorded on the autodiff tape.
  using tangent = dual<Scalar>;  ///< (primal, tangent) pairs on the tape, for Jacobian-vector products.

  virtual ~dynamics() = default;

  /// z: batch × D; t: 1x1. Returns batch × D.
  virtual plain operator()(const plain& z, const plain& t, const context<plain>& c) const = 0;
  /// The same on the tape, so that gradients flow to the parameters, z and t.
  virtual taped operator()(const taped& z, const taped& t, const context<taped>& c) const = 0;
  /// The same on (primal, tangent) pairs: the tangent of the result is ∂f/∂z·ż + ∂f/∂t·ṫ.
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

  /// The trainable parameters, in the order collect_parameters() appends them.
  nn::parameter_list<Scalar> parameters() { return nn::parameters_of<Scalar>(*this); }
};

/// Implements dynamics<Scalar> from Derived's `template <class Value> Value apply(z, t, c) const`.
template <class Derived, class Scalar>
class dynamics_base : public dynamics<Scalar> {
 public:
  using typename dynamics<Scalar>::plain;
  using typename dynamics<Scalar>::taped;
  using typename dynamics<Scalar>::tangent;

  /// dz/dt (batch × D) from Derived::apply.
  plain operator()(const plain& z, const plain& t, const context<plain>& c) const override { return self().apply(z, t, c); }
  /// dz/dt on the tape, from Derived::apply.
  taped operator()(const taped& z, const taped& t, const context<taped>& c) const override { return self().apply(z, t, c); }
  /// dz/dt with its tangent, from Derived::apply.
  tangent operator()(const tangent& z, const tangent& t, const context<tangent>& c) const override {
    return self().apply(z, t, c);
  }
  /// A deep copy, made with Derived's copy constructor.
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
  eigenflow::detail::check_width(who, z, dim, "columns of z");
  if (t.rows() != 1 || t.cols() != 1) {
    throw shape_error(who + ": t must be 1x1, got " + eigenflow::detail::format_shape(t));
  }
  check_context(who, condition, c, z.rows());
}

}  // namespace eigenflow::continuous
