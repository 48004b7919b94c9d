// include/eigenflow/flows/bijector.hpp — the element-wise bijector concept shared by the coupling
// layer (coupling.hpp) and the autoregressive layer (autoregressive.hpp): each transformed value
// goes through its own monotone map g(·; θ) whose parameters θ a network computes.
//
// A Bijector provides, for n transformed columns and the network's output h (batch × n·P with
// P = parameters_per_value()):
//   index_t parameters_per_value() const
//   parameter_layout layout() const  how h's columns are grouped (below)
//   transformed<Value> forward(const Value& x, const Value& h) const   (log-det batch × 1)
//   transformed<Value> inverse(const Value& y, const Value& h) const
//   std::string name() const        its coupling's name in messages and describe() ("affine_coupling")
//   std::string family() const      its own name ("affine"), which names autoregressive layers
//   std::string settings() const    its settings in describe() ("bound=2.000000")
// for Value = matrix<Scalar> and var<Scalar>, and is copyable. All-zero h must be the identity,
// so that a network whose last layer starts at zero starts its layer as the identity.
#pragma once

#include "eigenflow/matrix.hpp"

namespace eigenflow::flows {

/// How a bijector reads the network output h for n transformed values with P parameters each.
enum class parameter_layout {
  by_parameter,  ///< column p·n + j: parameter p of value j (the affine bijector: [ŝ | t])
  by_feature     ///< column j·P + p: value j's parameters side by side (the spline bijector)
};

/// The value that column `column` of h belongs to, for n values with P parameters each.
inline index_t value_of_parameter(parameter_layout layout, index_t column, index_t n, index_t per_value) {
  return layout == parameter_layout::by_parameter ? column % n : column / per_value;
}

}  // namespace eigenflow::flows
