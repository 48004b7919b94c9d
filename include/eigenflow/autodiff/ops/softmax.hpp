// include/eigenflow/autodiff/ops/softmax.hpp — softmax along each row, for all value types.
//
// Computed stably (each row shifted by its maximum). Masked attention adds a large negative
// constant to the masked scores before the softmax; a row masked everywhere has no defined
// softmax and yields NaN, so masks must leave every query at least one key.
#pragma once

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

namespace detail {

/// out = softmax(x) along rows; `row_scratch` has x.rows() entries.
template <class Out, class X, class Scratch>
void softmax_into(Out&& out, const X& x, Scratch&& row_scratch) {
  row_scratch = x.rowwise().maxCoeff();
  out = (x.colwise() - row_scratch).array().exp().matrix();
  row_scratch = out.rowwise().sum();
  out.array().colwise() /= row_scratch.array();
}

template <class Scalar>
void softmax_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  // x̄ += y ⊙ (ȳ − rowsum(ȳ ⊙ y))
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  if (!x.needs_grad()) return;
  Eigen::Map<vector<Scalar>> dots(t.allocate_scalars(n.rows), n.rows);
  const auto y = n.value();
  const auto g = n.adjoint();
  dots = (g.array() * y.array()).rowwise().sum();
  x.adjoint().array() += y.array() * (g.colwise() - dots).array();
}

}  // namespace detail

/// Softmax along each row: y_ij = exp(x_ij) / Σ_k exp(x_ik).
template <class Scalar>
matrix<Scalar> softmax_rows(const matrix<Scalar>& x) {
  matrix<Scalar> out(x.rows(), x.cols());
  vector<Scalar> scratch(x.rows());
  detail::softmax_into(out, x, scratch);
  return out;
}
/// softmax_rows on a tape.
template <class Scalar>
var<Scalar> softmax_rows(const var<Scalar>& x) {
  tape<Scalar>& t = x.owner();
  t.check_operand("softmax_rows", x);
  var<Scalar> y = t.record("softmax_rows", x.rows(), x.cols(), {x}, &detail::softmax_backward<Scalar>);
  Eigen::Map<vector<Scalar>> scratch(t.allocate_scalars(x.rows()), x.rows());
  auto out = y.output();
  detail::softmax_into(out, x.value(), scratch);
  return y;
}
/// softmax_rows for duals, with tangent y ⊙ (ẋ − rowsum(y ⊙ ẋ)).
template <class Scalar>
dual<Scalar> softmax_rows(const dual<Scalar>& x) {
  // ẏ = y ⊙ (ẋ − rowsum(y ⊙ ẋ))
  const var<Scalar> y = softmax_rows(x.primal);
  if (!x.has_tangent()) return dual<Scalar>(y);
  const var<Scalar> weighted = mul(y, x.tangent);
  return {y, sub(weighted, mul(y, sum_rows(weighted)))};
}

}  // namespace eigenflow
