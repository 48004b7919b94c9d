// include/eigenflow/matrix.hpp — the matrix types every layer computes with.
//
// Values are batch-major: one sample per row, one feature per column. Storage is Eigen's default
// column-major, so a block of features (a coupling's half, a concatenated context) is contiguous.
#pragma once

#include <Eigen/Core>

namespace eigenflow {

/// A dense dynamic-size matrix of Scalar (float or double).
template <class Scalar>
using matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

/// A dense column vector of Scalar.
template <class Scalar>
using vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

/// A dense row vector of Scalar (a bias, one row of a batch).
template <class Scalar>
using row_vector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

/// Sizes and indices, as Eigen counts them.
using index_t = Eigen::Index;

/// A dense matrix of indices: per-row bin numbers (searchsorted_rows), per-row gather positions
/// (take_along_rows), 0/1 conditions (where).
using index_matrix = Eigen::Matrix<index_t, Eigen::Dynamic, Eigen::Dynamic>;

/// A read-only view of indices (the ones a tape keeps until it is cleared).
using index_map = Eigen::Map<const index_matrix>;

}  // namespace eigenflow
