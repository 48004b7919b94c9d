// include/eigenflow/flows/transform.hpp — the transform concept: a bijection x ↦ y with the
// log-determinant of its Jacobian, run on plain matrices or on the tape.
//
// A transform provides two templates and nothing else (everything derives from them, as in
// distrax and nflows):
//   forward_impl(x, c) → {y, log|det ∂y/∂x|}    inverse_impl(y, c) → {x, log|det ∂x/∂y|}
// with log-dets of shape batch×1. transform<Scalar> erases the concrete type so that stacks can
// be built at run time; transform_base<Derived, Scalar> turns the two templates into its virtual
// functions (one virtual call per layer, never per op).
#pragma once

#include <memory>
#include <string>

#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/density/transformed.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::flows {

/// A bijection on R^D, possibly conditioned on a context.
///
/// @tparam Scalar float or double.
template <class Scalar>
class transform {
 public:
  using plain = matrix<Scalar>;  ///< A batch as a plain matrix: rows are samples.
  using taped = var<Scalar>;     ///< A batch recorded on the autodiff tape: rows are samples.

  virtual ~transform() = default;

  /// y = f(x) for a batch (rows are samples) and log|det ∂y/∂x|, one per row (batch×1).
  virtual transformed<plain> forward(const plain& x, const context<plain>& c) const = 0;
  /// x = f⁻¹(y) for a batch (rows are samples) and log|det ∂x/∂y|, one per row (batch×1).
  virtual transformed<plain> inverse(const plain& y, const context<plain>& c) const = 0;
  /// forward() on the tape, so that gradients flow to the parameters and to x.
  virtual transformed<taped> forward(const taped& x, const context<taped>& c) const = 0;
  /// inverse() on the tape, so that gradients flow to the parameters and to y.
  virtual transformed<taped> inverse(const taped& y, const context<taped>& c) const = 0;

  /// D: the width of x and y.
  virtual index_t dim() const = 0;
  /// The context this transform needs (unconditional by default).
  virtual condition_spec condition() const { return {}; }
  /// Appends the trainable parameters, in a fixed order.
  virtual void collect_parameters(nn::parameter_list<Scalar>& list) = 0;
  /// Data-dependent initialization from a batch (ActNorm); returns the batch transformed, so a
  /// stack can initialize each layer on what that layer will see. The default does nothing.
  virtual plain initialize(const plain& x, const context<plain>& c) { return forward(x, c).value; }
  /// A deep copy (the best model kept during training, a model per thread).
  virtual std::unique_ptr<transform> clone() const = 0;
  /// One line naming the transform and its settings (architecture records, messages).
  virtual std::string describe() const = 0;

  /// The trainable parameters, in the order collect_parameters() appends them.
  nn::parameter_list<Scalar> parameters() { return nn::parameters_of<Scalar>(*this); }
};

/// Implements transform<Scalar> from Derived's forward_impl / inverse_impl templates.
template <class Derived, class Scalar>
class transform_base : public transform<Scalar> {
 public:
  using typename transform<Scalar>::plain;
  using typename transform<Scalar>::taped;

  /// y = f(x) and log|det ∂y/∂x| (batch×1), from Derived::forward_impl.
  transformed<plain> forward(const plain& x, const context<plain>& c) const override { return self().forward_impl(x, c); }
  /// x = f⁻¹(y) and log|det ∂x/∂y| (batch×1), from Derived::inverse_impl.
  transformed<plain> inverse(const plain& y, const context<plain>& c) const override { return self().inverse_impl(y, c); }
  /// forward() on the tape, from Derived::forward_impl.
  transformed<taped> forward(const taped& x, const context<taped>& c) const override { return self().forward_impl(x, c); }
  /// inverse() on the tape, from Derived::inverse_impl.
  transformed<taped> inverse(const taped& y, const context<taped>& c) const override { return self().inverse_impl(y, c); }
  /// A deep copy, made with Derived's copy constructor.
  std::unique_ptr<transform<Scalar>> clone() const override { return std::make_unique<Derived>(self()); }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace eigenflow::flows
