// include/eigenflow/nn/module.hpp — what every module offers on top of its own
// collect_parameters(list): the list itself and the parameter count.
#pragma once

#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::nn {

/// CRTP base of modules. Derived provides `void collect_parameters(parameter_list<Scalar>&)`,
/// appending its parameters (and its children's) in a fixed order.
///
/// The list points into the module: it is valid while the module is neither moved nor destroyed.
template <class Derived, class Scalar>
class module_base {
 public:
  /// The module's parameters in collect_parameters order (valid while the module stays in place).
  parameter_list<Scalar> parameters() { return parameters_of<Scalar>(static_cast<Derived&>(*this)); }

  /// Number of trainable scalars.
  index_t parameter_count() { return parameters().count(); }
};

}  // namespace eigenflow::nn
