// include/eigenflow/autodiff/ops/select.hpp — element-wise choice between two values by a
// condition (where), and the condition a spline needs (within: inside an interval), for all value
// types. A bijection with identity tails computes its inside branch on clamped values and keeps
// it only where the input was inside, so neither branch's gradient leaks into the other.
#pragma once

#include <string>
#include <type_traits>

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/ops/indexing.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

namespace detail {

template <class Condition>
void check_where(const Condition& condition, shape a, shape b) {
  const shape c{condition.rows(), condition.cols()};
  if (a != c || b != c) {
    throw shape_error("where: the condition " + detail::to_string(c) + " and the values " + detail::to_string(a) +
                      " and " + detail::to_string(b) + " differ in shape");
  }
}

template <class Out, class Condition, class A, class B>
void where_into(Out&& out, const Condition& condition, const A& a, const B& b) {
  for (index_t j = 0; j < out.cols(); ++j) {
    for (index_t i = 0; i < out.rows(); ++i) out(i, j) = condition(i, j) != 0 ? a(i, j) : b(i, j);
  }
}

template <class Scalar>
void where_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const index_map condition = stored_indices(n);
  const auto g = n.adjoint();
  for (int k = 0; k < 2; ++k) {
    const tape_node<Scalar>& operand = t.node_at(n.inputs[k]);
    if (!operand.needs_grad()) continue;
    auto go = operand.adjoint();
    const bool picked_when = k == 0;  // a where the condition holds, b elsewhere
    for (index_t j = 0; j < n.cols; ++j) {
      for (index_t i = 0; i < n.rows; ++i) {
        if ((condition(i, j) != 0) == picked_when) go(i, j) += g(i, j);
      }
    }
  }
}

template <class Out, class X, class Scalar>
void within_into(Out&& out, const X& x, Scalar lo, Scalar hi) {
  for (index_t j = 0; j < x.cols(); ++j) {
    for (index_t i = 0; i < x.rows(); ++i) out(i, j) = lo <= x(i, j) && x(i, j) <= hi ? 1 : 0;
  }
}

}  // namespace detail

// ---- where ----------------------------------------------------------------------------------

/// y_ij = a_ij where condition_ij ≠ 0, else b_ij (NumPy's where). The gradient of y flows into a
/// where the condition holds and into b elsewhere. All three have the same shape.
/// @throws shape_error if the shapes differ.
template <class Scalar>
matrix<Scalar> where(const Eigen::Ref<const index_matrix>& condition, const matrix<Scalar>& a, const matrix<Scalar>& b) {
  detail::check_where(condition, detail::shape_of(a), detail::shape_of(b));
  matrix<Scalar> out(a.rows(), a.cols());
  detail::where_into(out, condition, a, b);
  return out;
}
/// where on a tape (the condition is copied into the tape's index storage).
template <class Scalar>
var<Scalar> where(const Eigen::Ref<const index_matrix>& condition, const var<Scalar>& a, const var<Scalar>& b) {
  tape<Scalar>& t = a.owner();
  t.check_operand("where", a);
  t.check_operand("where", b);
  detail::check_where(condition, a.shape(), b.shape());
  var<Scalar> y = t.record("where", a.rows(), a.cols(), {a, b}, &detail::where_backward<Scalar>);
  tape_node<Scalar>& n = t.node_at(y.id());
  n.index_args = detail::store_indices(t, condition);
  n.index_count = condition.size();
  detail::where_into(y.output(), condition, a.value(), b.value());
  return y;
}
/// where for duals: the tangent is chosen as the value is (a zero tangent stays zero).
template <class Scalar>
dual<Scalar> where(const Eigen::Ref<const index_matrix>& condition, const dual<Scalar>& a, const dual<Scalar>& b) {
  const var<Scalar> y = where(condition, a.primal, b.primal);
  if (!a.has_tangent() && !b.has_tangent()) return dual<Scalar>(y);
  tape<Scalar>& t = y.owner();
  const var<Scalar> ta = a.has_tangent() ? a.tangent : t.zeros(a.rows(), a.cols());
  const var<Scalar> tb = b.has_tangent() ? b.tangent : t.zeros(b.rows(), b.cols());
  return {y, where(condition, ta, tb)};
}

// ---- within ---------------------------------------------------------------------------------

/// 1 where lo ≤ x_ij ≤ hi, else 0 (NaN is outside): a condition for where. No gradient.
template <class Scalar>
index_matrix within(const matrix<Scalar>& x, std::type_identity_t<Scalar> lo, std::type_identity_t<Scalar> hi) {
  index_matrix out(x.rows(), x.cols());
  detail::within_into(out, x, lo, hi);
  return out;
}
/// within of a value on a tape, kept in the tape's index storage (valid until it is cleared).
template <class Scalar>
index_map within(const var<Scalar>& x, std::type_identity_t<Scalar> lo, std::type_identity_t<Scalar> hi) {
  tape<Scalar>& t = x.owner();
  t.check_operand("within", x);
  index_t* stored = t.allocate_indices(x.rows() * x.cols());
  detail::within_into(Eigen::Map<index_matrix>(stored, x.rows(), x.cols()), x.value(), lo, hi);
  return index_map(stored, x.rows(), x.cols());
}
/// within of a dual: of its primal value.
template <class Scalar>
index_map within(const dual<Scalar>& x, std::type_identity_t<Scalar> lo, std::type_identity_t<Scalar> hi) {
  return within(x.primal, lo, hi);
}

}  // namespace eigenflow
