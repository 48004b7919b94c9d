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

/// What a type is to the autodiff layer: only matrix, var and dual (the specializations below) are value types.
template <class Value>
struct value_traits {
  /// Not one of the three value types.
  static constexpr bool is_value = false;
};

/// Plain Eigen matrices: values that live off any tape.
template <class Scalar>
struct value_traits<matrix<Scalar>> {
  /// A value type.
  static constexpr bool is_value = true;
  /// Not recorded on a tape.
  static constexpr bool on_tape = false;
  /// Element type, float or double.
  using scalar = Scalar;
};

/// Reverse-mode values recorded on a tape.
template <class Scalar>
struct value_traits<var<Scalar>> {
  /// A value type.
  static constexpr bool is_value = true;
  /// Recorded on a tape.
  static constexpr bool on_tape = true;
  /// Element type, float or double.
  using scalar = Scalar;
};

/// Forward-mode (primal, tangent) pairs, both recorded on a tape.
template <class Scalar>
struct value_traits<dual<Scalar>> {
  /// A value type.
  static constexpr bool is_value = true;
  /// Recorded on a tape.
  static constexpr bool on_tape = true;
  /// Element type, float or double.
  using scalar = Scalar;
};

/// `matrix<S>`, `var<S>` or `dual<S>`: the types a module's forward pass is written over.
template <class Value>
concept value_type = value_traits<Value>::is_value;

/// The element type (float or double) of a value type.
template <class Value>
using scalar_of = typename value_traits<Value>::scalar;

// ---- bringing data into a value type ---------------------------------------------------------

/// A trainable matrix as a Value like `like`: the matrix itself in plain mode; a leaf that reads
/// `value` in place and adds its gradient into `grad` on a tape; with a zero tangent in a dual.
template <class Scalar>
const matrix<Scalar>& lift_leaf(const matrix<Scalar>& value, matrix<Scalar>&, const matrix<Scalar>&) {
  return value;
}
/// lift_leaf on like's tape: a leaf reading `value` in place whose gradient is added into `grad`.
template <class Scalar>
var<Scalar> lift_leaf(const matrix<Scalar>& value, matrix<Scalar>& grad, const var<Scalar>& like) {
  return like.owner().leaf(value, grad);
}
/// lift_leaf for a dual: the same leaf as primal, with a null (zero) tangent.
template <class Scalar>
dual<Scalar> lift_leaf(const matrix<Scalar>& value, matrix<Scalar>& grad, const dual<Scalar>& like) {
  return dual<Scalar>(like.owner().leaf(value, grad));
}

/// A constant (no gradient, zero tangent) as a Value like `like`; a copy on the tape.
template <class Scalar>
const matrix<Scalar>& lift_constant(const matrix<Scalar>& m, const matrix<Scalar>&) {
  return m;
}
/// lift_constant on like's tape: a copy of m with no gradient.
template <class Scalar>
var<Scalar> lift_constant(const matrix<Scalar>& m, const var<Scalar>& like) {
  return like.owner().constant(m);
}
/// lift_constant for a dual: a copy of m on the tape, with a null (zero) tangent.
template <class Scalar>
dual<Scalar> lift_constant(const matrix<Scalar>& m, const dual<Scalar>& like) {
  return dual<Scalar>(like.owner().constant(m));
}

/// A rows×cols zero constant as a Value like `like` (a zero log-determinant, padding).
template <class Scalar>
matrix<Scalar> zeros_like(const matrix<Scalar>&, index_t rows, index_t cols) {
  return matrix<Scalar>::Zero(rows, cols);
}
/// zeros_like on like's tape.
template <class Scalar>
var<Scalar> zeros_like(const var<Scalar>& like, index_t rows, index_t cols) {
  return like.owner().zeros(rows, cols);
}
/// zeros_like for a dual, with a null (zero) tangent.
template <class Scalar>
dual<Scalar> zeros_like(const dual<Scalar>& like, index_t rows, index_t cols) {
  return dual<Scalar>(like.owner().zeros(rows, cols));
}

/// The primal value of any value type, as a plain matrix (a copy).
template <class Scalar>
matrix<Scalar> value_of(const matrix<Scalar>& m) {
  return m;
}
/// value_of a var: its value, copied off the tape.
template <class Scalar>
matrix<Scalar> value_of(const var<Scalar>& v) {
  return v.value();
}
/// value_of a dual: its primal's value (the tangent is dropped).
template <class Scalar>
matrix<Scalar> value_of(const dual<Scalar>& d) {
  return d.primal.value();
}

}  // namespace eigenflow
