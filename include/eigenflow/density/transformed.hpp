// include/eigenflow/density/transformed.hpp — the result of running a bijection (a discrete
// transform or a continuous flow's solve): the output and the log-determinant of its Jacobian.
#pragma once

namespace eigenflow {

/// An output of a bijection and the log-determinant of its Jacobian, per sample (batch×1).
template <class Value>
struct transformed {
  Value value;
  Value log_det;
};

}  // namespace eigenflow
