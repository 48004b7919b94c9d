// include/eigenflow/autodiff/ops/inverse.hpp — the inverse of a square matrix, for plain
// matrices and vars (an invertible linear layer's inverse on the tape).
//
// Y = A⁻¹, Ā += −Yᵀ Ȳ Yᵀ. Computed by partial-pivoting LU; a singular or non-finite result is a
// value_error rather than silent infinities.
#pragma once

#include <Eigen/LU>

#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

namespace detail {

template <class Out, class A>
void inverse_into(Out&& out, const A& a) {
  if (a.rows() != a.cols()) throw_shape("inverse", "expected a square matrix, got " + to_string(shape_of(a)));
  const Eigen::PartialPivLU<matrix<typename A::Scalar>> lu(a);
  out = lu.inverse();
  if (!out.allFinite()) throw value_error("inverse: the matrix is singular (" + to_string(shape_of(a)) + ")");
}

template <class Scalar>
void inverse_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& a = t.node_at(n.inputs[0]);
  if (a.needs_grad()) a.adjoint().noalias() -= n.value().transpose() * n.adjoint() * n.value().transpose();
}

}  // namespace detail

/// A⁻¹ of a square matrix.
template <class Scalar>
matrix<Scalar> inverse(const matrix<Scalar>& a) {
  matrix<Scalar> out(a.rows(), a.cols());
  detail::inverse_into(out, a);
  return out;
}
/// inverse on a tape; throws shape_error unless a is square.
template <class Scalar>
var<Scalar> inverse(const var<Scalar>& a) {
  tape<Scalar>& t = a.owner();
  t.check_operand("inverse", a);
  if (a.rows() != a.cols()) detail::throw_shape("inverse", "expected a square matrix, got " + detail::to_string(a.shape()));
  var<Scalar> y = t.record("inverse", a.rows(), a.cols(), {a}, &detail::inverse_backward<Scalar>);
  detail::inverse_into(y.output(), a.value());
  return y;
}

}  // namespace eigenflow
