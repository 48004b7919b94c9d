// include/eigenflow/autodiff/detail/gemm.hpp — dst (+)= lhs · rhs through Eigen's own GEMM kernel,
// with its packing buffers taken from a per-thread workspace instead of the heap.
//
// Eigen packs both operands of a large product into scratch blocks (kc·mc and kc·nc scalars)
// and, above its stack limit (128 KiB), mallocs and frees them on every product: about 150
// allocations of 0.2 to 0.6 MB per Glow training step. Handing Eigen a blocking object whose
// blocks live in buffers that grow once and are then reused keeps a steady-state step free of heap
// allocations. The dispatch copies Eigen 3.4's (coefficient-based below its size threshold, GEMV
// for a vector result, GEMM with the same blocking sizes otherwise), so results are bitwise those
// of `dst.noalias() += lhs * rhs`; any other Eigen version, or operands GEMM cannot read directly,
// take that expression itself.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>

#include <Eigen/Core>

#include "eigenflow/matrix.hpp"

namespace eigenflow::detail {

#if EIGEN_VERSION_AT_LEAST(3, 4, 0) && !EIGEN_VERSION_AT_LEAST(3, 4, 90)
#define EIGENFLOW_WORKSPACE_GEMM 1
#else
#define EIGENFLOW_WORKSPACE_GEMM 0
#endif

/// Per-thread aligned scratch for GEMM's packed blocks: slot 0 the left operand's, 1 the right's.
template <class Scalar>
Scalar* gemm_packing_buffer(int slot, index_t n) {
  thread_local std::array<Eigen::Matrix<Scalar, Eigen::Dynamic, 1>, 2> store;
  auto& buffer = store[static_cast<std::size_t>(slot)];
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

#if EIGENFLOW_WORKSPACE_GEMM
/// Eigen's blocking sizes for a rows×cols×depth product, with blocks in the per-thread workspace.
template <class Scalar>
class workspace_blocking : public Eigen::internal::level3_blocking<Scalar, Scalar> {
 public:
  workspace_blocking(index_t rows, index_t cols, index_t depth) {
    this->m_mc = rows;
    this->m_nc = cols;
    this->m_kc = depth;
    Eigen::internal::computeProductBlockingSizes<Scalar, Scalar, 1>(this->m_kc, this->m_mc, this->m_nc, index_t{1});
    // GEMM uses at most kc·min(rows, mc) and kc·min(cols, nc) of them.
    this->m_blockA = gemm_packing_buffer<Scalar>(0, this->m_kc * std::min(rows, this->m_mc));
    this->m_blockB = gemm_packing_buffer<Scalar>(1, this->m_kc * std::min(cols, this->m_nc));
  }
};

/// An operand GEMM reads in place: scalars of Scalar, contiguous inner dimension, no
/// conjugation or scale hidden in it (a matrix, a Map, a Block of columns, or a Transpose of one).
template <class E, class Scalar>
constexpr bool gemm_readable =
    std::is_same_v<typename E::Scalar, Scalar> && bool(E::Flags & Eigen::DirectAccessBit) &&
    (E::InnerStrideAtCompileTime == 1 || E::InnerStrideAtCompileTime == Eigen::Dynamic);

template <class E>
constexpr int storage_order = (E::Flags & Eigen::RowMajorBit) ? Eigen::RowMajor : Eigen::ColMajor;
#endif

/// dst += lhs · rhs (Accumulate) or dst = lhs · rhs; dst must not alias either operand.
template <bool Accumulate, class Dst, class Lhs, class Rhs>
void gemm_into(Dst&& dst, const Lhs& lhs, const Rhs& rhs) {
  auto by_expression = [&] {
    if constexpr (Accumulate) {
      dst.noalias() += lhs * rhs;
    } else {
      dst.noalias() = lhs * rhs;
    }
  };
#if EIGENFLOW_WORKSPACE_GEMM
  using D = std::remove_cvref_t<Dst>;
  using Scalar = typename D::Scalar;
  if constexpr (std::is_floating_point_v<Scalar> && gemm_readable<D, Scalar> && storage_order<D> == Eigen::ColMajor &&
                gemm_readable<Lhs, Scalar> && gemm_readable<Rhs, Scalar>) {
    const index_t rows = dst.rows(), cols = dst.cols(), depth = lhs.cols();
    eigen_assert(lhs.rows() == rows && rhs.rows() == depth && rhs.cols() == cols);
    const bool small = rows + cols + depth < EIGEN_GEMM_TO_COEFFBASED_THRESHOLD;
    const bool strided = dst.innerStride() != 1 || lhs.innerStride() != 1 || rhs.innerStride() != 1;
    if (small || rows == 1 || cols == 1 || strided) return by_expression();  // Eigen's own paths
    if constexpr (!Accumulate) dst.setZero();
    if (depth == 0) return;
    workspace_blocking<Scalar> blocking(rows, cols, depth);
    Eigen::internal::general_matrix_matrix_product<index_t, Scalar, storage_order<Lhs>, false, Scalar,
                                                   storage_order<Rhs>, false, Eigen::ColMajor, 1>::run(
        rows, cols, depth, lhs.data(), lhs.outerStride(), rhs.data(), rhs.outerStride(), dst.data(), 1,
        dst.outerStride(), Scalar(1), blocking);
  } else {
    by_expression();
  }
#else
  by_expression();
#endif
}

}  // namespace eigenflow::detail
