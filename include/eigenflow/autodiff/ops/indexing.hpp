// include/eigenflow/autodiff/ops/indexing.hpp — per-row indexing: which bin of a row's sorted
// knots each value falls in (searchsorted_rows), and one entry of each row picked by an index
// (take_along_rows), for all value types. A spline evaluates each value with its own bin's
// width, height and derivatives this way.
//
// Indices are plain integers: a bin number is piecewise constant in the knots and values, so it
// has no gradient. On a tape, the indices live in the tape's index storage (valid until clear()),
// so a training step allocates nothing.
#pragma once

#include <string>

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

namespace detail {

inline void check_searchsorted(shape knots, shape x) {
  if (knots.cols < 2) {
    throw shape_error("searchsorted_rows: knots need at least 2 columns (one bin), got " + detail::to_string(knots));
  }
  if (knots.rows != x.rows) {
    throw shape_error("searchsorted_rows: knots " + detail::to_string(knots) + " and values " + detail::to_string(x) +
                      " differ in rows");
  }
}

// out_ij = the largest b in [0, K−1] with knots_ib ≤ x_ij (0 when there is none): values below the
// first knot fall in the first bin, values at or above the last in the last. A NaN value gets 0.
template <class Out, class Knots, class X>
void searchsorted_into(Out&& out, const Knots& knots, const X& x) {
  const index_t bins = knots.cols() - 1;
  for (index_t j = 0; j < x.cols(); ++j) {
    for (index_t i = 0; i < x.rows(); ++i) {
      const auto v = x(i, j);
      index_t lo = 0, hi = bins - 1;  // the answer lies in [lo, hi]
      while (lo < hi) {
        const index_t mid = (lo + hi + 1) / 2;
        if (knots(i, mid) <= v) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      out(i, j) = lo;
    }
  }
}

template <class Index>
void check_take_along(const char* op, shape table, const Index& idx) {
  if (idx.rows() != table.rows) {
    throw shape_error(std::string(op) + ": " + std::to_string(idx.rows()) + " rows of indices for a table of " +
                      detail::to_string(table));
  }
  for (index_t j = 0; j < idx.cols(); ++j) {
    for (index_t i = 0; i < idx.rows(); ++i) {
      if (idx(i, j) < 0 || idx(i, j) >= table.cols) {
        throw value_error(std::string(op) + ": index " + std::to_string(idx(i, j)) + " at (" + std::to_string(i) + ", " +
                          std::to_string(j) + ") is outside [0, " + std::to_string(table.cols) + ")");
      }
    }
  }
}

template <class Out, class Table, class Index>
void take_along_into(Out&& out, const Table& table, const Index& idx) {
  for (index_t j = 0; j < idx.cols(); ++j) {
    for (index_t i = 0; i < idx.rows(); ++i) out(i, j) = table(i, idx(i, j));
  }
}

// The indices a node stores (index_args), as rows×cols.
template <class Scalar>
index_map stored_indices(const tape_node<Scalar>& n) {
  return index_map(n.index_args, n.rows, n.cols);
}

// tablē_{i, idx_ij} += ȳ_ij: repeated indices add up.
template <class Scalar>
void take_along_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& table = t.node_at(n.inputs[0]);
  if (!table.needs_grad()) return;
  auto gt = table.adjoint();
  const auto g = n.adjoint();
  const index_map idx = stored_indices(n);
  for (index_t j = 0; j < n.cols; ++j) {
    for (index_t i = 0; i < n.rows; ++i) gt(i, idx(i, j)) += g(i, j);
  }
}

// Copies `m` into the tape's index storage.
template <class Scalar, class Index>
index_t* store_indices(tape<Scalar>& t, const Index& m) {
  index_t* stored = t.allocate_indices(m.size());
  Eigen::Map<index_matrix>(stored, m.rows(), m.cols()) = m;
  return stored;
}

}  // namespace detail

// ---- searchsorted ---------------------------------------------------------------------------

/// For each value x_ij, the bin of row i's knots it falls in: the largest b in [0, K−1] with
/// knots_ib ≤ x_ij, where knots is R×(K+1), sorted along each row, and x is R×M. Values below
/// the first knot get bin 0, values at or above the last knot bin K−1 (so the right end of the
/// last bin belongs to it). No gradient: the result is piecewise constant.
/// @throws shape_error if knots has fewer than 2 columns or the row counts differ.
template <class Scalar>
index_matrix searchsorted_rows(const matrix<Scalar>& knots, const matrix<Scalar>& x) {
  detail::check_searchsorted(detail::shape_of(knots), detail::shape_of(x));
  index_matrix out(x.rows(), x.cols());
  detail::searchsorted_into(out, knots, x);
  return out;
}
/// searchsorted_rows of values on a tape: the bins are kept in the tape's index storage (valid
/// until the tape is cleared).
template <class Scalar>
index_map searchsorted_rows(const var<Scalar>& knots, const var<Scalar>& x) {
  tape<Scalar>& t = knots.owner();
  t.check_operand("searchsorted_rows", knots);
  t.check_operand("searchsorted_rows", x);
  detail::check_searchsorted(knots.shape(), x.shape());
  index_t* stored = t.allocate_indices(x.rows() * x.cols());
  Eigen::Map<index_matrix> out(stored, x.rows(), x.cols());
  detail::searchsorted_into(out, knots.value(), x.value());
  return index_map(stored, x.rows(), x.cols());
}
/// searchsorted_rows of duals: the bins of the primal values.
template <class Scalar>
index_map searchsorted_rows(const dual<Scalar>& knots, const dual<Scalar>& x) {
  return searchsorted_rows(knots.primal, x.primal);
}

// ---- take along rows ------------------------------------------------------------------------

/// y_ij = table(i, idx_ij): one entry of row i of `table` (R×K) per index of row i of `idx` (R×M),
/// as NumPy's take_along_axis on axis 1. Repeated indices are allowed (their gradients add up).
/// @throws shape_error if the row counts differ; value_error for an index outside [0, K).
template <class Scalar>
matrix<Scalar> take_along_rows(const matrix<Scalar>& table, const Eigen::Ref<const index_matrix>& idx) {
  detail::check_take_along("take_along_rows", detail::shape_of(table), idx);
  matrix<Scalar> out(idx.rows(), idx.cols());
  detail::take_along_into(out, table, idx);
  return out;
}
/// take_along_rows on a tape.
template <class Scalar>
var<Scalar> take_along_rows(const var<Scalar>& table, const Eigen::Ref<const index_matrix>& idx) {
  tape<Scalar>& t = table.owner();
  t.check_operand("take_along_rows", table);
  detail::check_take_along("take_along_rows", table.shape(), idx);
  var<Scalar> y = t.record("take_along_rows", idx.rows(), idx.cols(), {table}, &detail::take_along_backward<Scalar>);
  tape_node<Scalar>& n = t.node_at(y.id());
  n.index_args = detail::store_indices(t, idx);
  n.index_count = idx.size();
  detail::take_along_into(y.output(), table.value(), idx);
  return y;
}
/// take_along_rows for duals: the op is linear in the table, so the tangent is taken the same way.
template <class Scalar>
dual<Scalar> take_along_rows(const dual<Scalar>& table, const Eigen::Ref<const index_matrix>& idx) {
  return {take_along_rows(table.primal, idx),
          table.has_tangent() ? take_along_rows(table.tangent, idx) : var<Scalar>()};
}

}  // namespace eigenflow
