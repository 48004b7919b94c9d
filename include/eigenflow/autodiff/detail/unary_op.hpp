// include/eigenflow/autodiff/detail/unary_op.hpp — the machinery shared by elementwise functions.
//
// A kernel K supplies, as Eigen array expressions over a value x and the op's output y:
//   K::name                    the op's name in error messages
//   K::forward(x)              y = f(x)
//   K::derivative(x, y)        f'(x) (it may use y to avoid recomputing f)
// and the three modes follow from it: plain (evaluate forward), tape (record y and, in reverse,
// x̄ += ȳ ⊙ f'(x)) and dual (ẏ = f'(x) ⊙ ẋ, recorded with the op `K::derivative_op`).
#pragma once

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::detail {

template <class Kernel, class Scalar>
matrix<Scalar> plain_unary(const matrix<Scalar>& x) {
  matrix<Scalar> y(x.rows(), x.cols());
  y.array() = Kernel::forward(x.array());
  return y;
}

template <class Kernel, class Scalar>
void unary_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  if (x.needs_grad()) {
    x.adjoint().array() += n.adjoint().array() * Kernel::derivative(x.value().array(), n.value().array());
  }
}

template <class Kernel, class Scalar>
var<Scalar> record_unary(const var<Scalar>& x) {
  tape<Scalar>& t = x.owner();
  t.check_operand(Kernel::name, x);
  var<Scalar> y = t.record(Kernel::name, x.rows(), x.cols(), {x}, &unary_backward<Kernel, Scalar>);
  y.output().array() = Kernel::forward(x.value().array());
  return y;
}

/// ẏ = f'(x) ⊙ ẋ, with f'(x) recorded as its own op so that reverse mode through the tangent
/// differentiates it again (second-order terms).
template <class Kernel, class Scalar>
dual<Scalar> dual_unary(const dual<Scalar>& x) {
  const var<Scalar> y = record_unary<Kernel>(x.primal);
  if (!x.has_tangent()) return dual<Scalar>(y);
  return {y, Kernel::tangent(x.primal, y, x.tangent)};
}

}  // namespace eigenflow::detail
