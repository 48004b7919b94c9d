// include/eigenflow/autodiff/shape_check.hpp — shape validation shared by every op, in every mode.
//
// Messages name the op and the shapes involved ("matmul: lhs 3x4, rhs 5x2: inner sizes differ"),
// and the checks run in release builds too.
#pragma once

#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::detail {

struct shape {
  index_t rows;
  index_t cols;
  friend bool operator==(const shape&, const shape&) = default;
};

inline std::string to_string(shape s) {
  return std::to_string(s.rows) + "x" + std::to_string(s.cols);
}

template <class M>
shape shape_of(const M& m) {
  return {m.rows(), m.cols()};
}

[[noreturn]] inline void throw_shape(const char* op, const std::string& what) {
  throw shape_error(std::string(op) + ": " + what);
}

[[noreturn]] inline void throw_shapes(const char* op, shape a, shape b, const char* why) {
  throw_shape(op, "lhs " + to_string(a) + ", rhs " + to_string(b) + ": " + why);
}

inline void require_same_shape(const char* op, shape a, shape b) {
  if (!(a == b)) throw_shapes(op, a, b, "shapes differ");
}

inline void require_inner(const char* op, shape a, shape b, index_t a_inner, index_t b_inner) {
  if (a_inner != b_inner) throw_shapes(op, a, b, "inner sizes differ");
}

inline void require_scalar(const char* op, shape a) {
  if (a.rows != 1 || a.cols != 1) throw_shape(op, "expected a 1x1 value, got " + to_string(a));
}

/// The shape two operands broadcast to: each dimension equal, or 1 on one side.
inline shape broadcast_shape(const char* op, shape a, shape b) {
  auto dim = [&](index_t x, index_t y) {
    if (x == y || y == 1) return x;
    if (x == 1) return y;
    throw_shapes(op, a, b, "cannot broadcast (each dimension must match or be 1)");
  };
  return {dim(a.rows, b.rows), dim(a.cols, b.cols)};
}

}  // namespace eigenflow::detail
