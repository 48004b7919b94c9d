// include/eigenflow/autodiff/ops/scan.hpp — cumulative sums along each row (a spline's knots from
// its bin widths), for all value types.
#pragma once

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

namespace detail {

template <class Out, class X>
void cumsum_rows_into(Out&& out, const X& x) {
  if (x.cols() == 0) return;
  out.col(0) = x.col(0);
  for (index_t j = 1; j < x.cols(); ++j) out.col(j) = out.col(j - 1) + x.col(j);
}

// x̄_ij += Σ_{k ≥ j} ȳ_ik: the cumulative sum from the right. A running sum per row keeps the
// backward pass free of scratch storage (the tape allocates nothing after the first step).
template <class Scalar>
void cumsum_rows_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  if (!x.needs_grad()) return;
  auto gx = x.adjoint();
  const auto g = n.adjoint();
  for (index_t i = 0; i < n.rows; ++i) {
    Scalar running = 0;
    for (index_t j = n.cols - 1; j >= 0; --j) {
      running += g(i, j);
      gx(i, j) += running;
    }
  }
}

}  // namespace detail

/// Cumulative sums along each row: y_ij = Σ_{k ≤ j} x_ik.
template <class Scalar>
matrix<Scalar> cumsum_rows(const matrix<Scalar>& x) {
  matrix<Scalar> out(x.rows(), x.cols());
  detail::cumsum_rows_into(out, x);
  return out;
}
/// cumsum_rows on a tape.
template <class Scalar>
var<Scalar> cumsum_rows(const var<Scalar>& x) {
  tape<Scalar>& t = x.owner();
  t.check_operand("cumsum_rows", x);
  var<Scalar> y = t.record("cumsum_rows", x.rows(), x.cols(), {x}, &detail::cumsum_rows_backward<Scalar>);
  detail::cumsum_rows_into(y.output(), x.value());
  return y;
}
/// cumsum_rows for duals: the op is linear, so the tangent is the cumulative sum of the tangent.
template <class Scalar>
dual<Scalar> cumsum_rows(const dual<Scalar>& x) {
  return {cumsum_rows(x.primal), x.has_tangent() ? cumsum_rows(x.tangent) : var<Scalar>()};
}

}  // namespace eigenflow
