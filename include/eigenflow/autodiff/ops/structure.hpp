// include/eigenflow/autodiff/ops/structure.hpp — ops that move values without arithmetic:
// concatenate and slice along features (columns) or samples (rows), gather rows by index
// (embeddings) or columns (permutations), reshape, and the column-blocks ↔ row-blocks moves that attention heads need;
// for plain matrices, vars and duals.
#pragma once

#include <span>
#include <string>

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

/// Which dimension concat/slice act along: features (columns) or samples (rows).
enum class axis { cols, rows };

namespace detail {

template <class M>
auto block_along(M&& m, axis ax, index_t start, index_t count) {
  return ax == axis::cols ? m.block(0, start, m.rows(), count) : m.block(start, 0, count, m.cols());
}

inline index_t extent(shape s, axis ax) { return ax == axis::cols ? s.cols : s.rows; }
inline index_t cross_extent(shape s, axis ax) { return ax == axis::cols ? s.rows : s.cols; }

/// Shape of the concatenation of `count` parts; every part must agree in the other dimension.
template <class ShapeOf>
shape concat_shape(axis ax, index_t count, const ShapeOf& shape_of_part) {
  if (count == 0) throw_shape("concat", "nothing to concatenate");
  const shape first = shape_of_part(0);
  const index_t cross = cross_extent(first, ax);
  index_t total = 0;
  for (index_t k = 0; k < count; ++k) {
    const shape s = shape_of_part(k);
    if (cross_extent(s, ax) != cross) {
      throw_shapes("concat", first, s, ax == axis::cols ? "row counts differ" : "column counts differ");
    }
    total += extent(s, ax);
  }
  return ax == axis::cols ? shape{cross, total} : shape{total, cross};
}

/// Records the concatenation of `count` parts of the given shapes; part(k) yields part k (once).
template <class Scalar, class ShapeOf, class PartFn>
var<Scalar> record_concat(tape<Scalar>& t, axis ax, index_t count, const ShapeOf& shape_of_part,
                          const PartFn& part);

inline void check_slice(axis ax, shape s, index_t start, index_t count) {
  if (start < 0 || count < 0 || start + count > extent(s, ax)) {
    throw_shape("slice", "range [" + std::to_string(start) + ", " + std::to_string(start + count) +
                             ") is outside the " + std::to_string(extent(s, ax)) +
                             (ax == axis::cols ? " columns" : " rows") + " of a " + to_string(s) +
                             " value");
  }
}

template <class Scalar>
void concat_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const axis ax = static_cast<axis>(n.int_args[0]);
  index_t offset = 0;
  for (index_t k = 0; k < n.index_count; ++k) {
    const tape_node<Scalar>& in = t.node_at(static_cast<std::int32_t>(n.index_args[k]));
    const index_t e = extent(in.shape(), ax);
    if (in.needs_grad()) in.adjoint() += block_along(n.adjoint(), ax, offset, e);
    offset += e;
  }
}

template <class Scalar>
void slice_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  if (!x.needs_grad()) return;
  const axis ax = static_cast<axis>(n.int_args[0]);
  block_along(x.adjoint(), ax, n.int_args[1], extent(n.shape(), ax)) += n.adjoint();
}

inline void check_gather(index_t table_rows, std::span<const index_t> rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= table_rows) {
      throw value_error("gather_rows: index " + std::to_string(rows[i]) + " at position " +
                        std::to_string(i) + " is outside [0, " + std::to_string(table_rows) + ")");
    }
  }
}

template <class Scalar>
void gather_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& table = t.node_at(n.inputs[0]);
  if (!table.needs_grad()) return;
  auto gt = table.adjoint();
  const auto g = n.adjoint();
  for (index_t i = 0; i < n.index_count; ++i) gt.row(n.index_args[i]) += g.row(i);
}

inline void check_gather_cols(index_t cols, std::span<const index_t> idx) {
  for (std::size_t i = 0; i < idx.size(); ++i) {
    if (idx[i] < 0 || idx[i] >= cols) {
      throw value_error("gather_cols: column " + std::to_string(idx[i]) + " at position " + std::to_string(i) +
                        " is outside [0, " + std::to_string(cols) + ")");
    }
  }
}

template <class Scalar>
void gather_cols_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  if (!x.needs_grad()) return;
  auto gx = x.adjoint();
  const auto g = n.adjoint();
  for (index_t j = 0; j < n.index_count; ++j) gx.col(n.index_args[j]) += g.col(j);
}

template <class Scalar>
void reshape_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  if (x.needs_grad()) x.adjoint().reshaped() += n.adjoint().reshaped();
}

inline void check_reshape(shape s, index_t rows, index_t cols) {
  if (rows < 0 || cols < 0 || rows * cols != s.rows * s.cols) {
    throw_shape("reshape", "cannot reshape " + to_string(s) + " to " + to_string({rows, cols}));
  }
}

/// Column blocks → row blocks: x is m×(p·d); block k of the result's rows is x's k-th column block.
template <class Out, class X>
void stack_blocks_into(Out&& out, const X& x, index_t parts) {
  const index_t m = x.rows(), d = x.cols() / parts;
  for (index_t k = 0; k < parts; ++k) out.middleRows(k * m, m) = x.middleCols(k * d, d);
}
/// Row blocks → column blocks (the inverse move).
template <class Out, class X>
void unstack_blocks_into(Out&& out, const X& x, index_t parts) {
  const index_t m = x.rows() / parts, d = x.cols();
  for (index_t k = 0; k < parts; ++k) out.middleCols(k * d, d) = x.middleRows(k * m, m);
}

inline shape stacked_shape(shape s, index_t parts) {
  if (parts < 1 || s.cols % parts != 0) {
    throw_shape("stack_col_blocks", "cannot split the " + std::to_string(s.cols) + " columns of a " +
                                        to_string(s) + " value into " + std::to_string(parts) + " blocks");
  }
  return {s.rows * parts, s.cols / parts};
}
inline shape unstacked_shape(shape s, index_t parts) {
  if (parts < 1 || s.rows % parts != 0) {
    throw_shape("unstack_row_blocks", "cannot split the " + std::to_string(s.rows) + " rows of a " +
                                          to_string(s) + " value into " + std::to_string(parts) + " blocks");
  }
  return {s.rows / parts, s.cols * parts};
}

template <class Scalar>
void block_move_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  if (!x.needs_grad()) return;
  const index_t parts = n.int_args[1];
  const index_t block_rows = n.int_args[0] == 0 ? x.rows : n.rows;  // rows of one row block
  const index_t block_cols = n.int_args[0] == 0 ? n.cols : x.cols;  // cols of one column block
  for (index_t k = 0; k < parts; ++k) {
    if (n.int_args[0] == 0) {  // forward stacked x's column blocks into row blocks
      x.adjoint().middleCols(k * block_cols, block_cols) += n.adjoint().middleRows(k * block_rows, block_rows);
    } else {
      x.adjoint().middleRows(k * block_rows, block_rows) += n.adjoint().middleCols(k * block_cols, block_cols);
    }
  }
}

}  // namespace detail

// ---- concat ---------------------------------------------------------------------------------

/// Concatenation along features (axis::cols, the default) or samples (axis::rows).
template <class Scalar>
matrix<Scalar> concat(std::span<const matrix<Scalar>> parts, axis ax = axis::cols) {
  const detail::shape s = detail::concat_shape(ax, static_cast<index_t>(parts.size()),
                                               [&](index_t k) { return detail::shape_of(parts[k]); });
  matrix<Scalar> out(s.rows, s.cols);
  index_t offset = 0;
  for (const auto& p : parts) {
    const index_t e = detail::extent(detail::shape_of(p), ax);
    detail::block_along(out, ax, offset, e) = p;
    offset += e;
  }
  return out;
}

/// concat on a tape: one node for all parts.
template <class Scalar>
var<Scalar> concat(std::span<const var<Scalar>> parts, axis ax = axis::cols) {
  if (parts.empty()) detail::throw_shape("concat", "nothing to concatenate");
  for (const auto& p : parts) p.owner().check_operand("concat", p);
  return detail::record_concat(
      parts.front().owner(), ax, static_cast<index_t>(parts.size()),
      [&](index_t k) { return parts[k].shape(); }, [&](index_t k) { return parts[k]; });
}

/// concat for duals: the tangents are concatenated too (a null tangent counts as zeros).
template <class Scalar>
dual<Scalar> concat(std::span<const dual<Scalar>> parts, axis ax = axis::cols) {
  if (parts.empty()) detail::throw_shape("concat", "nothing to concatenate");
  const index_t count = static_cast<index_t>(parts.size());
  tape<Scalar>& t = parts.front().owner();
  auto shape_of_part = [&](index_t k) { return parts[k].shape(); };
  const var<Scalar> y = detail::record_concat(t, ax, count, shape_of_part, [&](index_t k) { return parts[k].primal; });
  bool any_tangent = false;
  for (const auto& p : parts) any_tangent = any_tangent || p.has_tangent();
  if (!any_tangent) return dual<Scalar>(y);
  return {y, detail::record_concat(t, ax, count, shape_of_part, [&](index_t k) {
            return parts[k].has_tangent() ? parts[k].tangent : t.zeros(parts[k].rows(), parts[k].cols());
          })};
}

/// concat({a, b}) for two parts, any value type.
template <class Value>
  requires value_type<Value>
Value concat(const Value& a, const Value& b, axis ax = axis::cols) {
  const Value parts[] = {a, b};
  return concat(std::span<const Value>(parts), ax);
}

// ---- slice ----------------------------------------------------------------------------------

/// `count` columns (or rows) starting at `start`.
template <class Scalar>
matrix<Scalar> slice(const matrix<Scalar>& x, index_t start, index_t count, axis ax = axis::cols) {
  detail::check_slice(ax, detail::shape_of(x), start, count);
  return detail::block_along(x, ax, start, count);
}
/// slice on a tape.
template <class Scalar>
var<Scalar> slice(const var<Scalar>& x, index_t start, index_t count, axis ax = axis::cols) {
  tape<Scalar>& t = x.owner();
  t.check_operand("slice", x);
  detail::check_slice(ax, x.shape(), start, count);
  const index_t rows = ax == axis::cols ? x.rows() : count;
  const index_t cols = ax == axis::cols ? count : x.cols();
  var<Scalar> y = t.record("slice", rows, cols, {x}, &detail::slice_backward<Scalar>);
  tape_node<Scalar>& n = t.node_at(y.id());
  n.int_args[0] = static_cast<index_t>(ax);
  n.int_args[1] = start;
  y.output() = detail::block_along(x.value(), ax, start, count);
  return y;
}
/// slice for duals: primal and tangent both sliced.
template <class Scalar>
dual<Scalar> slice(const dual<Scalar>& x, index_t start, index_t count, axis ax = axis::cols) {
  return {slice(x.primal, start, count, ax),
          x.has_tangent() ? slice(x.tangent, start, count, ax) : var<Scalar>()};
}

// ---- gather rows ----------------------------------------------------------------------------

/// Row rows[i] of `table` as row i of the result (an embedding lookup). Indices are checked.
template <class Scalar>
matrix<Scalar> gather_rows(const matrix<Scalar>& table, std::span<const index_t> rows) {
  detail::check_gather(table.rows(), rows);
  matrix<Scalar> out(static_cast<index_t>(rows.size()), table.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<index_t>(i)) = table.row(rows[i]);
  return out;
}
/// gather_rows on a tape: the gradient of a repeated row adds up.
template <class Scalar>
var<Scalar> gather_rows(const var<Scalar>& table, std::span<const index_t> rows) {
  tape<Scalar>& t = table.owner();
  t.check_operand("gather_rows", table);
  detail::check_gather(table.rows(), rows);
  const index_t n_rows = static_cast<index_t>(rows.size());
  var<Scalar> y = t.record("gather_rows", n_rows, table.cols(), {table}, &detail::gather_backward<Scalar>);
  index_t* stored = t.allocate_indices(n_rows);
  std::copy(rows.begin(), rows.end(), stored);
  tape_node<Scalar>& n = t.node_at(y.id());
  n.index_args = stored;
  n.index_count = n_rows;
  auto out = y.output();
  const auto tv = table.value();
  for (index_t i = 0; i < n_rows; ++i) out.row(i) = tv.row(stored[i]);
  return y;
}
/// gather_rows for duals: primal and tangent both gathered.
template <class Scalar>
dual<Scalar> gather_rows(const dual<Scalar>& table, std::span<const index_t> rows) {
  return {gather_rows(table.primal, rows),
          table.has_tangent() ? gather_rows(table.tangent, rows) : var<Scalar>()};
}

// ---- gather columns -------------------------------------------------------------------------

/// Column cols[j] of x as column j of the result: permutations of features, a coupling's split
/// by mask. Indices are checked; repeats are allowed (their gradients add up).
template <class Scalar>
matrix<Scalar> gather_cols(const matrix<Scalar>& x, std::span<const index_t> cols) {
  detail::check_gather_cols(x.cols(), cols);
  matrix<Scalar> out(x.rows(), static_cast<index_t>(cols.size()));
  for (std::size_t j = 0; j < cols.size(); ++j) out.col(static_cast<index_t>(j)) = x.col(cols[j]);
  return out;
}
/// gather_cols on a tape.
template <class Scalar>
var<Scalar> gather_cols(const var<Scalar>& x, std::span<const index_t> cols) {
  tape<Scalar>& t = x.owner();
  t.check_operand("gather_cols", x);
  detail::check_gather_cols(x.cols(), cols);
  const index_t count = static_cast<index_t>(cols.size());
  var<Scalar> y = t.record("gather_cols", x.rows(), count, {x}, &detail::gather_cols_backward<Scalar>);
  index_t* stored = t.allocate_indices(count);
  std::copy(cols.begin(), cols.end(), stored);
  tape_node<Scalar>& n = t.node_at(y.id());
  n.index_args = stored;
  n.index_count = count;
  auto out = y.output();
  const auto xv = x.value();
  for (index_t j = 0; j < count; ++j) out.col(j) = xv.col(stored[j]);
  return y;
}
/// gather_cols for duals: primal and tangent both gathered.
template <class Scalar>
dual<Scalar> gather_cols(const dual<Scalar>& x, std::span<const index_t> cols) {
  return {gather_cols(x.primal, cols), x.has_tangent() ? gather_cols(x.tangent, cols) : var<Scalar>()};
}

// ---- reshape --------------------------------------------------------------------------------

/// The same entries in column-major order as a rows×cols value.
template <class Scalar>
matrix<Scalar> reshape(const matrix<Scalar>& x, index_t rows, index_t cols) {
  detail::check_reshape(detail::shape_of(x), rows, cols);
  return x.reshaped(rows, cols);
}
/// reshape on a tape.
template <class Scalar>
var<Scalar> reshape(const var<Scalar>& x, index_t rows, index_t cols) {
  tape<Scalar>& t = x.owner();
  t.check_operand("reshape", x);
  detail::check_reshape(x.shape(), rows, cols);
  var<Scalar> y = t.record("reshape", rows, cols, {x}, &detail::reshape_backward<Scalar>);
  y.output().reshaped() = x.value().reshaped();
  return y;
}
/// reshape for duals: primal and tangent both reshaped.
template <class Scalar>
dual<Scalar> reshape(const dual<Scalar>& x, index_t rows, index_t cols) {
  return {reshape(x.primal, rows, cols), x.has_tangent() ? reshape(x.tangent, rows, cols) : var<Scalar>()};
}

// ---- column blocks ↔ row blocks (attention heads) ---------------------------------------------

/// m×(p·d) → (p·m)×d: the k-th block of d columns becomes the k-th block of m rows. With the
/// columns of a projection split into heads, this puts every (head, sample) pair in its own row
/// block, ready for block_matmul.
template <class Scalar>
matrix<Scalar> stack_col_blocks(const matrix<Scalar>& x, index_t parts) {
  const detail::shape s = detail::stacked_shape(detail::shape_of(x), parts);
  matrix<Scalar> out(s.rows, s.cols);
  detail::stack_blocks_into(out, x, parts);
  return out;
}
/// (p·m)×d → m×(p·d): the inverse of stack_col_blocks.
template <class Scalar>
matrix<Scalar> unstack_row_blocks(const matrix<Scalar>& x, index_t parts) {
  const detail::shape s = detail::unstacked_shape(detail::shape_of(x), parts);
  matrix<Scalar> out(s.rows, s.cols);
  detail::unstack_blocks_into(out, x, parts);
  return out;
}
/// stack_col_blocks on a tape.
template <class Scalar>
var<Scalar> stack_col_blocks(const var<Scalar>& x, index_t parts) {
  tape<Scalar>& t = x.owner();
  t.check_operand("stack_col_blocks", x);
  const detail::shape s = detail::stacked_shape(x.shape(), parts);
  var<Scalar> y = t.record("stack_col_blocks", s.rows, s.cols, {x}, &detail::block_move_backward<Scalar>);
  tape_node<Scalar>& n = t.node_at(y.id());
  n.int_args[0] = 0;
  n.int_args[1] = parts;
  detail::stack_blocks_into(y.output(), x.value(), parts);
  return y;
}
/// unstack_row_blocks on a tape.
template <class Scalar>
var<Scalar> unstack_row_blocks(const var<Scalar>& x, index_t parts) {
  tape<Scalar>& t = x.owner();
  t.check_operand("unstack_row_blocks", x);
  const detail::shape s = detail::unstacked_shape(x.shape(), parts);
  var<Scalar> y = t.record("unstack_row_blocks", s.rows, s.cols, {x}, &detail::block_move_backward<Scalar>);
  tape_node<Scalar>& n = t.node_at(y.id());
  n.int_args[0] = 1;
  n.int_args[1] = parts;
  detail::unstack_blocks_into(y.output(), x.value(), parts);
  return y;
}
/// stack_col_blocks for duals: primal and tangent both moved.
template <class Scalar>
dual<Scalar> stack_col_blocks(const dual<Scalar>& x, index_t parts) {
  return {stack_col_blocks(x.primal, parts), x.has_tangent() ? stack_col_blocks(x.tangent, parts) : var<Scalar>()};
}
/// unstack_row_blocks for duals: primal and tangent both moved.
template <class Scalar>
dual<Scalar> unstack_row_blocks(const dual<Scalar>& x, index_t parts) {
  return {unstack_row_blocks(x.primal, parts), x.has_tangent() ? unstack_row_blocks(x.tangent, parts) : var<Scalar>()};
}

namespace detail {

template <class Scalar, class ShapeOf, class PartFn>
var<Scalar> record_concat(tape<Scalar>& t, axis ax, index_t count, const ShapeOf& shape_of_part,
                          const PartFn& part) {
  const shape s = concat_shape(ax, count, shape_of_part);
  var<Scalar> y = t.record_many("concat", s.rows, s.cols, count, part, &concat_backward<Scalar>);
  const tape_node<Scalar>& n = t.node_at(y.id());
  t.node_at(y.id()).int_args[0] = static_cast<index_t>(ax);
  auto out = n.output();
  index_t offset = 0;
  for (index_t k = 0; k < count; ++k) {
    const tape_node<Scalar>& in = t.node_at(static_cast<std::int32_t>(n.index_args[k]));
    const index_t e = extent(in.shape(), ax);
    block_along(out, ax, offset, e) = in.value();
    offset += e;
  }
  return y;
}

}  // namespace detail

}  // namespace eigenflow
