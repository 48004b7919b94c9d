// tests/autodiff/gemm_test.cpp — detail::gemm_into (Eigen's GEMM with per-thread packing buffers)
// gives exactly Eigen's own product, for every operand form, size class and both scalar types.
#include <catch2/catch.hpp>

#include "eigenflow/autodiff/detail/gemm.hpp"
#include "eigenflow/random.hpp"

using namespace eigenflow;

namespace {

/// Every transposition of lhs (rows×depth) and rhs (depth×cols), assigned and accumulated, into a
/// plain matrix and into a Block of a taller one, against `noalias()` with the same operands.
template <class S>
void check_against_eigen(index_t rows, index_t cols, index_t depth) {
  random_engine rng(static_cast<std::uint64_t>(rows * 1000003 + cols * 1009 + depth));
  const matrix<S> a = normal_matrix<S>(rows, depth, rng), b = normal_matrix<S>(depth, cols, rng);
  const matrix<S> at = a.transpose(), bt = b.transpose();
  const matrix<S> start = normal_matrix<S>(rows + 3, cols, rng);
  auto compare = [&](const auto& lhs, const auto& rhs) {
    for (const bool accumulate : {false, true}) {
      matrix<S> expected = start, got = start;
      auto e = expected.topRows(rows);
      if (accumulate) {
        e.noalias() += lhs * rhs;
        detail::gemm_into<true>(got.topRows(rows), lhs, rhs);
      } else {
        e.noalias() = lhs * rhs;
        detail::gemm_into<false>(got.topRows(rows), lhs, rhs);
      }
      INFO(rows << "x" << cols << "x" << depth << (accumulate ? " +=" : " ="));
      CHECK((got.array() == expected.array()).all());  // bitwise: the same kernel and blocking
      if (accumulate) {
        matrix<S> whole = start.topRows(rows), whole_expected = whole;
        whole_expected.noalias() += lhs * rhs;
        detail::gemm_into<true>(whole, lhs, rhs);
        CHECK((whole.array() == whole_expected.array()).all());
      }
    }
  };
  compare(a, b);
  compare(at.transpose(), b);
  compare(a, bt.transpose());
  compare(at.transpose(), bt.transpose());
  compare(Eigen::Map<const matrix<S>>(a.data(), rows, depth), b.leftCols(cols));
}

}  // namespace

TEMPLATE_TEST_CASE("gemm_into equals Eigen's product bit for bit", "[autodiff][gemm]", float, double) {
  // Coefficient-based (tiny), GEMV (a vector result), empty depth, and blocked GEMM sizes whose
  // packed blocks pass Eigen's 128 KiB stack limit.
  for (const index_t rows : {1, 3, 64, 300, 1100})
    for (const index_t cols : {1, 5, 128, 520})
      for (const index_t depth : {0, 2, 33, 700}) check_against_eigen<TestType>(rows, cols, depth);
}

TEST_CASE("gemm_into reads a strided operand through Eigen's expression", "[autodiff][gemm]") {
  random_engine rng(9);
  const matrix<double> a = normal_matrix<double>(80, 60, rng), b = normal_matrix<double>(30, 70, rng);
  matrix<double> got(40, 70), expected(40, 70);
  const auto every_other_row = Eigen::Map<const matrix<double>, 0, Eigen::Stride<Eigen::Dynamic, 2>>(
      a.data(), 40, 30, Eigen::Stride<Eigen::Dynamic, 2>(80, 2));
  expected.noalias() = every_other_row * b;
  detail::gemm_into<false>(got, every_other_row, b);
  CHECK((got.array() == expected.array()).all());
}
