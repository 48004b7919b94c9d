// include/eigenflow/autodiff/value_traits.hpp — the three value types a network runs on, and how
// outside data enters each of them.
//
// A module's forward pass is one template over Value: matrix<Scalar> (plain Eigen, no tape),
// var<Scalar> (recorded for reverse mode) or dual<Scalar> (forward-mode pair on the tape). It
// brings parameters and constants into its Value with lift_leaf / lift_constant below, and
// computes with the ops in autodiff/ops/, which are overloaded for all three.
#pragma once

#include <type_traits>

#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

template <class Value>
struct value_traits {
  static constexpr bool is_value = false;
};

template <class Scalar>
struct value_traits<matrix<Scalar>> {
  static constexpr bool is_value = true;
  static constexpr bool on_tape = false;
  using scalar = Scalar;
};

template <class Scalar>
struct value_traits<var<Scalar>> {
  static constexpr bool is_value = true;
  static constexpr bool on_tape = true;
  using scalar = Scalar;
};

template <class Scalar>
struct value_traits<dual<Scalar>> {
  static constexpr bool is_value = true;
  static constexpr bool on_tape = true;
  using scalar = Scalar;
};

/// matrix<S>, var<S> or dual<S>.
template <class Value>
concept value_type = value_traits<Value>::is_value;

template <class Value>
using scalar_of = typename value_traits<Value>::scalar;

// ---- bringing data into a value type ---------------------------------------------------------

/// A trainable matrix as a Value like `like`: the matrix itself in plain mode; a leaf that reads
/// `value` in place and adds its gradient into `grad` on a tape; with a zero tangent in a dual.
template <class Scalar>
const matrix<Scalar>& lift_leaf(const matrix<Scalar>& value, matrix<Scalar>&, const matrix<Scalar>&) {
  return value;
}
template <class Scalar>
var<Scalar> lift_leaf(const matrix<Scalar>& value, matrix<Scalar>& grad, const var<Scalar>& like) {
  return like.owner().leaf(value, grad);
}
template <class Scalar>
dual<Scalar> lift_leaf(const matrix<Scalar>& value, matrix<Scalar>& grad, const dual<Scalar>& like) {
  return dual<Scalar>(like.owner().leaf(value, grad));
}

/// A constant (no gradient, zero tangent) as a Value like `like`; a copy on the tape.
template <class Scalar>
const matrix<Scalar>& lift_constant(const matrix<Scalar>& m, const matrix<Scalar>&) {
  return m;
}
template <class Scalar>
var<Scalar> lift_constant(const matrix<Scalar>& m, const var<Scalar>& like) {
  return like.owner().constant(m);
}
template <class Scalar>
dual<Scalar> lift_constant(const matrix<Scalar>& m, const dual<Scalar>& like) {
  return dual<Scalar>(like.owner().constant(m));
}

/// A rows×cols zero constant as a Value like `like` (a zero log-determinant, padding).
template <class Scalar>
matrix<Scalar> zeros_like(const matrix<Scalar>&, index_t rows, index_t cols) {
  return matrix<Scalar>::Zero(rows, cols);
}
template <class Scalar>
var<Scalar> zeros_like(const var<Scalar>& like, index_t rows, index_t cols) {
  return like.owner().zeros(rows, cols);
}
template <class Scalar>
dual<Scalar> zeros_like(const dual<Scalar>& like, index_t rows, index_t cols) {
  return dual<Scalar>(like.owner().zeros(rows, cols));
}

/// The primal value of any value type, as a plain matrix (a copy).
template <class Scalar>
matrix<Scalar> value_of(const matrix<Scalar>& m) {
  return m;
}
template <class Scalar>
matrix<Scalar> value_of(const var<Scalar>& v) {
  return v.value();
}
template <class Scalar>
matrix<Scalar> value_of(const dual<Scalar>& d) {
  return d.primal.value();
}

}  // namespace eigenflow
