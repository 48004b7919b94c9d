// include/eigenflow/autodiff/shape_check.hpp — shape and value validation shared by every op,
// module and model, in every mode: one wording for a shape ("3x4"), a width and a non-finite value.
//
// Messages name the op and the shapes involved ("matmul: lhs 3x4, rhs 5x2: inner sizes differ"),
// and the checks run in release builds too.
#pragma once

#include <cmath>
#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::detail {

struct shape {
  index_t rows;
  index_t cols;
  friend bool operator==(const shape&, const shape&) = default;
};

/// "RxC": how every message writes a shape.
inline std::string format_shape(index_t rows, index_t cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

template <class M>
std::string format_shape(const M& m) {
  return format_shape(m.rows(), m.cols());
}

inline std::string to_string(shape s) { return format_shape(s.rows, s.cols); }

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

/// Throws shape_error unless x (a matrix or a var) has `width` columns:
/// "<who>: expected <width> <what>, got a RxC input".
template <class Value>
void check_width(const std::string& who, const Value& x, index_t width, const char* what = "features") {
  if (x.cols() != width) {
    throw shape_error(who + ": expected " + std::to_string(width) + " " + what + ", got a " + format_shape(x) +
                      " input");
  }
}

/// Throws value_error naming the first non-finite entry of `values` (column by column):
/// "<who>: <what> is not finite at row i, column j (<value>)".
template <class Matrix>
void require_finite(const std::string& who, const std::string& what, const Matrix& values) {
  if (values.allFinite()) return;
  for (index_t j = 0; j < values.cols(); ++j) {
    for (index_t i = 0; i < values.rows(); ++i) {
      if (!std::isfinite(static_cast<double>(values(i, j)))) {
        throw value_error(who + ": " + what + " is not finite at row " + std::to_string(i) + ", column " +
                          std::to_string(j) + " (" + std::to_string(static_cast<double>(values(i, j))) + ")");
      }
    }
  }
}

}  // namespace eigenflow::detail
