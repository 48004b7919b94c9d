// include/eigenflow/autodiff/ops/reduce.hpp — sums and means over everything, over each row
// (one value per sample) or over each column (one value per feature), for all value types.
#pragma once

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

/// What a reduction sums over: all entries (→ 1x1), each row (→ Mx1), each column (→ 1xN).
enum class reduce_axis { all, each_row, each_col };

namespace detail {

inline shape reduced_shape(reduce_axis axis, shape s) {
  switch (axis) {
    case reduce_axis::all: return {1, 1};
    case reduce_axis::each_row: return {s.rows, 1};
    case reduce_axis::each_col: return {1, s.cols};
  }
  return s;
}

inline index_t reduced_count(reduce_axis axis, shape s) {
  switch (axis) {
    case reduce_axis::all: return s.rows * s.cols;
    case reduce_axis::each_row: return s.cols;
    case reduce_axis::each_col: return s.rows;
  }
  return 1;
}

template <class Out, class X>
void sum_into(Out&& out, reduce_axis axis, const X& x) {
  switch (axis) {
    case reduce_axis::all: out(0, 0) = x.sum(); break;
    // Into the (already sized) column / row: assigning to `out` itself goes through Eigen's
    // resize path, where GCC 12 at -O3 reports a false use-after-free.
    case reduce_axis::each_row: out.col(0) = x.rowwise().sum(); break;
    case reduce_axis::each_col: out.row(0) = x.colwise().sum(); break;
  }
}

template <class Scalar>
void reduce_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  if (!x.needs_grad()) return;
  const auto g = n.adjoint();
  auto gx = x.adjoint();
  // Column by column: a broadcast of a scaled expression (colwise() += s * g) would be evaluated
  // into a heap temporary first.
  const Scalar s = n.scalar_arg;
  switch (static_cast<reduce_axis>(n.int_args[0])) {
    case reduce_axis::all: gx.array() += s * g(0, 0); break;
    case reduce_axis::each_row:
      for (index_t j = 0; j < gx.cols(); ++j) gx.col(j) += s * g.col(0);
      break;
    case reduce_axis::each_col:
      for (index_t j = 0; j < gx.cols(); ++j) gx.col(j).array() += s * g(0, j);
      break;
  }
}

template <class Scalar>
matrix<Scalar> plain_reduce(reduce_axis axis, const matrix<Scalar>& x, Scalar scale) {
  const shape s = reduced_shape(axis, shape_of(x));
  matrix<Scalar> out(s.rows, s.cols);
  sum_into(out, axis, x);
  if (scale != Scalar(1)) out *= scale;
  return out;
}

template <class Scalar>
var<Scalar> record_reduce(const char* op, reduce_axis axis, const var<Scalar>& x, Scalar scale) {
  tape<Scalar>& t = x.owner();
  t.check_operand(op, x);
  const shape s = reduced_shape(axis, x.shape());
  var<Scalar> y = t.record(op, s.rows, s.cols, {x}, &reduce_backward<Scalar>);
  tape_node<Scalar>& n = t.node_at(y.id());
  n.int_args[0] = static_cast<index_t>(axis);
  n.scalar_arg = scale;
  sum_into(y.output(), axis, x.value());
  if (scale != Scalar(1)) y.output() *= scale;
  return y;
}

template <class Scalar>
Scalar mean_scale(const char* op, reduce_axis axis, shape s) {
  const index_t count = reduced_count(axis, s);
  if (count == 0) throw_shape(op, "mean over zero entries of a " + to_string(s) + " value");
  return Scalar(1) / static_cast<Scalar>(count);
}

}  // namespace detail

/// Sum over `axis` (all entries by default).
template <class Scalar>
matrix<Scalar> sum(const matrix<Scalar>& x, reduce_axis axis = reduce_axis::all) {
  return detail::plain_reduce(axis, x, Scalar(1));
}
/// sum on a tape.
template <class Scalar>
var<Scalar> sum(const var<Scalar>& x, reduce_axis axis = reduce_axis::all) {
  return detail::record_reduce("sum", axis, x, Scalar(1));
}
/// sum for duals: the tangent is summed the same way.
template <class Scalar>
dual<Scalar> sum(const dual<Scalar>& x, reduce_axis axis = reduce_axis::all) {
  return {sum(x.primal, axis), x.has_tangent() ? sum(x.tangent, axis) : var<Scalar>()};
}

/// Mean over `axis` (all entries by default).
template <class Scalar>
matrix<Scalar> mean(const matrix<Scalar>& x, reduce_axis axis = reduce_axis::all) {
  return detail::plain_reduce(axis, x, detail::mean_scale<Scalar>("mean", axis, detail::shape_of(x)));
}
/// mean on a tape.
template <class Scalar>
var<Scalar> mean(const var<Scalar>& x, reduce_axis axis = reduce_axis::all) {
  return detail::record_reduce("mean", axis, x, detail::mean_scale<Scalar>("mean", axis, x.shape()));
}
/// mean for duals: the tangent is averaged the same way.
template <class Scalar>
dual<Scalar> mean(const dual<Scalar>& x, reduce_axis axis = reduce_axis::all) {
  return {mean(x.primal, axis), x.has_tangent() ? mean(x.tangent, axis) : var<Scalar>()};
}

/// Per-sample sums: one value per row (Mx1).
template <class Value>
  requires value_type<Value>
Value sum_rows(const Value& x) {
  return sum(x, reduce_axis::each_row);
}
/// Per-feature sums: one value per column (1xN).
template <class Value>
  requires value_type<Value>
Value sum_cols(const Value& x) {
  return sum(x, reduce_axis::each_col);
}
/// Per-sample means: one value per row (Mx1).
template <class Value>
  requires value_type<Value>
Value mean_rows(const Value& x) {
  return mean(x, reduce_axis::each_row);
}
/// Per-feature means: one value per column (1xN).
template <class Value>
  requires value_type<Value>
Value mean_cols(const Value& x) {
  return mean(x, reduce_axis::each_col);
}

}  // namespace eigenflow
