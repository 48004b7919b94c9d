// include/eigenflow/flows/conditioner.hpp — the network a coupling layer asks for its scale and
// shift: conditioning features (and the context, if any) in, 2·|transformed features| out.
//
// Pluggable: conditioner<Scalar> erases the concrete network, conditioner_base<Derived, Scalar>
// implements it from one template `apply(x_a, c)`; the networks encode their context with
// eigenflow::context_encoder (density/context_encoder.hpp).
#pragma once

#include <memory>

#include "eigenflow/density/context.hpp"
#include "eigenflow/density/context_encoder.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::flows {

/// The network of a coupling layer: maps the conditioning features x_A (and the context) to the
/// raw scale and shift of the transformed features.
///
/// @tparam Scalar float or double.
template <class Scalar>
class conditioner {
 public:
  using plain = matrix<Scalar>;  ///< A batch as a plain matrix: rows are samples.
  using taped = var<Scalar>;     ///< A batch recorded on the autodiff tape: rows are samples.

  virtual ~conditioner() = default;
  /// The network's output for a batch x_a (batch×in_features()): batch×out_features(), scale
  /// columns first, then shift.
  virtual plain operator()(const plain& x_a, const context<plain>& c) const = 0;
  /// The same on the tape, so that gradients flow to the parameters and to x_a.
  virtual taped operator()(const taped& x_a, const context<taped>& c) const = 0;
  /// Width of x_a: the number of conditioning features.
  virtual index_t in_features() const = 0;
  /// Width of the output: 2·|transformed features| for an affine coupling.
  virtual index_t out_features() const = 0;
  /// The context this network needs.
  virtual condition_spec condition() const = 0;
  /// Appends the trainable parameters, in a fixed order.
  virtual void collect_parameters(nn::parameter_list<Scalar>& list) = 0;
  /// A deep copy (used when the owning coupling is copied).
  virtual std::unique_ptr<conditioner> clone() const = 0;
  /// One line naming the network and its settings (architecture records, messages).
  virtual std::string describe() const = 0;
};

/// Implements conditioner<Scalar> from Derived's `apply(x_a, c)` template.
template <class Derived, class Scalar>
class conditioner_base : public conditioner<Scalar> {
 public:
  using typename conditioner<Scalar>::plain;
  using typename conditioner<Scalar>::taped;

  /// The network's output (batch×out_features(), scale then shift), from Derived::apply.
  plain operator()(const plain& x_a, const context<plain>& c) const override { return self().apply(x_a, c); }
  /// The same on the tape, from Derived::apply.
  taped operator()(const taped& x_a, const context<taped>& c) const override { return self().apply(x_a, c); }
  /// A deep copy, made with Derived's copy constructor.
  std::unique_ptr<conditioner<Scalar>> clone() const override { return std::make_unique<Derived>(self()); }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace eigenflow::flows
