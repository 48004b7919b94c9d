// include/eigenflow/density/transformed.hpp — the result of running a bijection (a discrete
// transform or a continuous flow's solve): the output and the log-determinant of its Jacobian.
#pragma once

namespace eigenflow {

/// An output of a bijection and the log-determinant of its Jacobian, per sample (batch×1).
template <class Value>
struct transformed {
  /// The output, batch × features.
  Value value;
  /// log |det ∂output/∂input| per sample, batch × 1.
  Value log_det;
};

}  // namespace eigenflow
