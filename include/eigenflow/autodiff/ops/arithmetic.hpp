// include/eigenflow/autodiff/ops/arithmetic.hpp — elementwise add, sub, mul, div with broadcasting,
// affine maps by scalars, negation and broadcast_to; for plain matrices, vars and duals.
//
// Broadcasting follows NumPy for 2-D values: each dimension of the two operands must be equal or
// 1, and a dimension of 1 is repeated (a 1xN bias over a batch, an Mx1 per-sample factor over
// features, a 1x1 value over everything). Anything else is a shape_error naming the op.
#pragma once

#include <type_traits>

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/autodiff/value_traits.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

namespace detail {

/// out = op(a, b) with a and b broadcast to out's shape, column by column (vectorized: a column
/// is either a contiguous column of the operand or a constant).
template <class Op, class Out, class A, class B>
void broadcast_apply(const Op& op, Out&& out, const A& a, const B& b) {
  using scalar = typename std::decay_t<Out>::Scalar;
  using column = Eigen::Array<scalar, Eigen::Dynamic, 1>;
  const index_t r = out.rows();
  const bool a_full = a.rows() == r;
  const bool b_full = b.rows() == r;
  for (index_t j = 0; j < out.cols(); ++j) {
    const index_t ja = a.cols() == 1 ? 0 : j;
    const index_t jb = b.cols() == 1 ? 0 : j;
    auto o = out.col(j).array();
    if (a_full && b_full) {
      o = op(a.col(ja).array(), b.col(jb).array());
    } else if (a_full) {
      o = op(a.col(ja).array(), column::Constant(r, b(0, jb)));
    } else if (b_full) {
      o = op(column::Constant(r, a(0, ja)), b.col(jb).array());
    } else {
      o = op(column::Constant(r, a(0, ja)), column::Constant(r, b(0, jb)));
    }
  }
}

/// target += g summed over the dimensions in which target was broadcast to g's shape.
template <class Target, class G>
void accumulate_reduced(Target&& target, const G& g) {
  const bool rows_reduced = target.rows() != g.rows();
  const bool cols_reduced = target.cols() != g.cols();
  if (!rows_reduced && !cols_reduced) {
    target += g;
  } else if (rows_reduced && cols_reduced) {
    target(0, 0) += g.sum();
  } else if (rows_reduced) {
    target += g.colwise().sum();
  } else {
    target += g.rowwise().sum();
  }
}

struct add_fn {
  template <class A, class B>
  auto operator()(const A& a, const B& b) const { return a + b; }
};
struct sub_fn {
  template <class A, class B>
  auto operator()(const A& a, const B& b) const { return a - b; }
};
struct mul_fn {
  template <class A, class B>
  auto operator()(const A& a, const B& b) const { return a * b; }
};
struct div_fn {
  template <class A, class B>
  auto operator()(const A& a, const B& b) const { return a / b; }
};
struct first_fn {  // broadcast of the second operand alone, by broadcast_apply(first_fn{}, out, b, b)
  template <class A, class B>
  auto operator()(const A& a, const B&) const { return a; }
};

template <class Op, class Scalar>
matrix<Scalar> plain_binary(const char* name, const matrix<Scalar>& a, const matrix<Scalar>& b) {
  const shape s = broadcast_shape(name, shape_of(a), shape_of(b));
  matrix<Scalar> out(s.rows, s.cols);
  if (shape_of(a) == shape_of(b)) {
    out.array() = Op{}(a.array(), b.array());
  } else {
    broadcast_apply(Op{}, out, a, b);
  }
  return out;
}

/// The gradient contribution of a broadcast binary op to one operand: target += reduce(g).
/// `g` is formed in arena scratch when the operands had different shapes.
template <class Scalar, class Fill>
void add_broadcast_gradient(tape<Scalar>& t, const tape_node<Scalar>& out,
                            const tape_node<Scalar>& target, const Fill& fill) {
  if (target.shape() == out.shape()) {
    fill(target.adjoint());
    return;
  }
  Eigen::Map<matrix<Scalar>> g(t.allocate_scalars(out.rows * out.cols), out.rows, out.cols);
  g.setZero();
  fill(g);
  accumulate_reduced(target.adjoint(), g);
}

template <class Op, class Scalar>
var<Scalar> record_binary(const char* name, const var<Scalar>& a, const var<Scalar>& b,
                          typename tape_node<Scalar>::backward_fn backward) {
  tape<Scalar>& t = a.owner();
  t.check_operand(name, a);
  t.check_operand(name, b);
  const shape s = broadcast_shape(name, a.shape(), b.shape());
  var<Scalar> y = t.record(name, s.rows, s.cols, {a, b}, backward);
  if (a.shape() == b.shape()) {
    y.output().array() = Op{}(a.value().array(), b.value().array());
  } else {
    broadcast_apply(Op{}, y.output(), a.value(), b.value());
  }
  return y;
}

/// Broadcast of `src` to `out`'s shape, materialized in scratch when shapes differ.
template <class Scalar>
Eigen::Map<const matrix<Scalar>> expanded(tape<Scalar>& t, const tape_node<Scalar>& out,
                                          const tape_node<Scalar>& src) {
  if (src.shape() == out.shape()) return src.value();
  Scalar* scratch = t.allocate_scalars(out.rows * out.cols);
  Eigen::Map<matrix<Scalar>> e(scratch, out.rows, out.cols);
  broadcast_apply(first_fn{}, e, src.value(), src.value());
  return Eigen::Map<const matrix<Scalar>>(scratch, out.rows, out.cols);
}

template <class Scalar>
void add_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  for (int k = 0; k < 2; ++k) {
    const tape_node<Scalar>& in = t.node_at(n.inputs[k]);
    if (in.needs_grad()) accumulate_reduced(in.adjoint(), n.adjoint());
  }
}

template <class Scalar>
void sub_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& a = t.node_at(n.inputs[0]);
  const tape_node<Scalar>& b = t.node_at(n.inputs[1]);
  if (a.needs_grad()) accumulate_reduced(a.adjoint(), n.adjoint());
  if (b.needs_grad()) accumulate_reduced(b.adjoint(), -n.adjoint());
}

template <class Scalar>
void mul_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& a = t.node_at(n.inputs[0]);
  const tape_node<Scalar>& b = t.node_at(n.inputs[1]);
  if (a.shape() == b.shape()) {  // the common case: no scratch, no reduction
    if (a.needs_grad()) a.adjoint().array() += n.adjoint().array() * b.value().array();
    if (b.needs_grad()) b.adjoint().array() += n.adjoint().array() * a.value().array();
    return;
  }
  if (a.needs_grad()) {
    const auto be = expanded(t, n, b);
    add_broadcast_gradient(t, n, a, [&](auto&& g) { g.array() += n.adjoint().array() * be.array(); });
  }
  if (b.needs_grad()) {
    const auto ae = expanded(t, n, a);
    add_broadcast_gradient(t, n, b, [&](auto&& g) { g.array() += n.adjoint().array() * ae.array(); });
  }
}

template <class Scalar>
void div_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  // y = a / b:  ∂y/∂a = 1 / b,  ∂y/∂b = −y / b.
  const tape_node<Scalar>& a = t.node_at(n.inputs[0]);
  const tape_node<Scalar>& b = t.node_at(n.inputs[1]);
  const auto be = expanded(t, n, b);
  if (a.needs_grad()) {
    add_broadcast_gradient(t, n, a, [&](auto&& g) { g.array() += n.adjoint().array() / be.array(); });
  }
  if (b.needs_grad()) {
    add_broadcast_gradient(t, n, b, [&](auto&& g) {
      g.array() -= n.adjoint().array() * n.value().array() / be.array();
    });
  }
}

template <class Scalar>
void affine_scalar_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& a = t.node_at(n.inputs[0]);
  if (a.needs_grad()) a.adjoint() += n.scalar_arg * n.adjoint();
}

template <class Scalar>
void broadcast_to_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& a = t.node_at(n.inputs[0]);
  if (a.needs_grad()) accumulate_reduced(a.adjoint(), n.adjoint());
}

}  // namespace detail

// ---- plain matrices --------------------------------------------------------------------------

/// a + b, elementwise, broadcasting: each dimension must match or be 1 in one operand.
template <class Scalar>
matrix<Scalar> add(const matrix<Scalar>& a, const matrix<Scalar>& b) {
  return detail::plain_binary<detail::add_fn>("add", a, b);
}
/// a − b, elementwise, broadcasting as add does.
template <class Scalar>
matrix<Scalar> sub(const matrix<Scalar>& a, const matrix<Scalar>& b) {
  return detail::plain_binary<detail::sub_fn>("sub", a, b);
}
/// a ⊙ b (elementwise product), broadcasting as add does.
template <class Scalar>
matrix<Scalar> mul(const matrix<Scalar>& a, const matrix<Scalar>& b) {
  return detail::plain_binary<detail::mul_fn>("mul", a, b);
}
/// a / b, elementwise, broadcasting as add does.
template <class Scalar>
matrix<Scalar> div(const matrix<Scalar>& a, const matrix<Scalar>& b) {
  return detail::plain_binary<detail::div_fn>("div", a, b);
}
/// alpha·a + beta, elementwise.
template <class Scalar>
matrix<Scalar> affine(const matrix<Scalar>& a, std::type_identity_t<Scalar> alpha,
                      std::type_identity_t<Scalar> beta) {
  return ((alpha * a.array()) + beta).matrix();
}
/// a repeated to rows×cols; throws shape_error unless a broadcasts to that shape.
template <class Scalar>
matrix<Scalar> broadcast_to(const matrix<Scalar>& a, index_t rows, index_t cols) {
  const detail::shape s = detail::broadcast_shape("broadcast_to", detail::shape_of(a), {rows, cols});
  if (!(s == detail::shape{rows, cols})) {
    detail::throw_shapes("broadcast_to", detail::shape_of(a), {rows, cols}, "cannot broadcast");
  }
  matrix<Scalar> out(rows, cols);
  detail::broadcast_apply(detail::first_fn{}, out, a, a);
  return out;
}

// ---- vars ------------------------------------------------------------------------------------

/// add on a tape.
template <class Scalar>
var<Scalar> add(const var<Scalar>& a, const var<Scalar>& b) {
  return detail::record_binary<detail::add_fn>("add", a, b, &detail::add_backward<Scalar>);
}
/// sub on a tape.
template <class Scalar>
var<Scalar> sub(const var<Scalar>& a, const var<Scalar>& b) {
  return detail::record_binary<detail::sub_fn>("sub", a, b, &detail::sub_backward<Scalar>);
}
/// mul on a tape.
template <class Scalar>
var<Scalar> mul(const var<Scalar>& a, const var<Scalar>& b) {
  return detail::record_binary<detail::mul_fn>("mul", a, b, &detail::mul_backward<Scalar>);
}
/// div on a tape.
template <class Scalar>
var<Scalar> div(const var<Scalar>& a, const var<Scalar>& b) {
  return detail::record_binary<detail::div_fn>("div", a, b, &detail::div_backward<Scalar>);
}
/// affine on a tape.
template <class Scalar>
var<Scalar> affine(const var<Scalar>& a, std::type_identity_t<Scalar> alpha,
                   std::type_identity_t<Scalar> beta) {
  tape<Scalar>& t = a.owner();
  t.check_operand("affine", a);
  var<Scalar> y = t.record("affine", a.rows(), a.cols(), {a}, &detail::affine_scalar_backward<Scalar>);
  t.node_at(y.id()).scalar_arg = alpha;
  y.output().array() = alpha * a.value().array() + beta;
  return y;
}
/// broadcast_to on a tape; the gradient is summed back over the repeated entries.
template <class Scalar>
var<Scalar> broadcast_to(const var<Scalar>& a, index_t rows, index_t cols) {
  tape<Scalar>& t = a.owner();
  t.check_operand("broadcast_to", a);
  const detail::shape s = detail::broadcast_shape("broadcast_to", a.shape(), {rows, cols});
  if (!(s == detail::shape{rows, cols})) {
    detail::throw_shapes("broadcast_to", a.shape(), {rows, cols}, "cannot broadcast");
  }
  var<Scalar> y = t.record("broadcast_to", rows, cols, {a}, &detail::broadcast_to_backward<Scalar>);
  detail::broadcast_apply(detail::first_fn{}, y.output(), a.value(), a.value());
  return y;
}

// ---- conveniences for every value type ---------------------------------------------------------

/// −a.
template <class Value>
  requires value_type<Value>
Value neg(const Value& a) {
  return affine(a, scalar_of<Value>(-1), scalar_of<Value>(0));
}
/// a·s.
template <class Value>
  requires value_type<Value>
Value scale(const Value& a, std::type_identity_t<scalar_of<Value>> s) {
  return affine(a, s, scalar_of<Value>(0));
}
/// a + s.
template <class Value>
  requires value_type<Value>
Value shift(const Value& a, std::type_identity_t<scalar_of<Value>> s) {
  return affine(a, scalar_of<Value>(1), s);
}

// ---- duals -----------------------------------------------------------------------------------

namespace detail {

/// Tangent of a result of shape s from an optional tangent: null stays null, else broadcast.
template <class Scalar>
var<Scalar> fit_tangent(const var<Scalar>& t, shape s) {
  if (t.is_null() || t.shape() == s) return t;
  return broadcast_to(t, s.rows, s.cols);
}

/// a + b where either may be a null (zero) tangent; the result has shape s.
template <class Scalar>
var<Scalar> tangent_add(const var<Scalar>& a, const var<Scalar>& b, shape s) {
  if (a.is_null()) return fit_tangent(b, s);
  if (b.is_null()) return fit_tangent(a, s);
  return fit_tangent(add(a, b), s);
}

}  // namespace detail

/// add for duals: the tangents add.
template <class Scalar>
dual<Scalar> add(const dual<Scalar>& a, const dual<Scalar>& b) {
  const var<Scalar> p = add(a.primal, b.primal);
  return {p, detail::tangent_add(a.tangent, b.tangent, p.shape())};
}
/// sub for duals: the tangents subtract.
template <class Scalar>
dual<Scalar> sub(const dual<Scalar>& a, const dual<Scalar>& b) {
  const var<Scalar> p = sub(a.primal, b.primal);
  const var<Scalar> neg_b = b.has_tangent() ? neg(b.tangent) : var<Scalar>();
  return {p, detail::tangent_add(a.tangent, neg_b, p.shape())};
}
/// mul for duals, with tangent ȧ ⊙ b + a ⊙ ḃ.
template <class Scalar>
dual<Scalar> mul(const dual<Scalar>& a, const dual<Scalar>& b) {
  // (a b)' = a' b + a b'
  const var<Scalar> p = mul(a.primal, b.primal);
  const var<Scalar> ta = a.has_tangent() ? mul(a.tangent, b.primal) : var<Scalar>();
  const var<Scalar> tb = b.has_tangent() ? mul(a.primal, b.tangent) : var<Scalar>();
  return {p, detail::tangent_add(ta, tb, p.shape())};
}
/// div for duals, with tangent ȧ / b − (a / b) ⊙ ḃ / b.
template <class Scalar>
dual<Scalar> div(const dual<Scalar>& a, const dual<Scalar>& b) {
  // (a / b)' = a' / b − (a / b) b' / b
  const var<Scalar> p = div(a.primal, b.primal);
  const var<Scalar> ta = a.has_tangent() ? div(a.tangent, b.primal) : var<Scalar>();
  const var<Scalar> tb =
      b.has_tangent() ? neg(div(mul(p, b.tangent), b.primal)) : var<Scalar>();
  return {p, detail::tangent_add(ta, tb, p.shape())};
}
/// affine for duals: the tangent is scaled by alpha.
template <class Scalar>
dual<Scalar> affine(const dual<Scalar>& a, std::type_identity_t<Scalar> alpha,
                    std::type_identity_t<Scalar> beta) {
  return {affine(a.primal, alpha, beta),
          a.has_tangent() ? affine(a.tangent, alpha, Scalar(0)) : var<Scalar>()};
}
/// broadcast_to for duals: primal and tangent both broadcast.
template <class Scalar>
dual<Scalar> broadcast_to(const dual<Scalar>& a, index_t rows, index_t cols) {
  return {broadcast_to(a.primal, rows, cols),
          a.has_tangent() ? broadcast_to(a.tangent, rows, cols) : var<Scalar>()};
}

}  // namespace eigenflow
