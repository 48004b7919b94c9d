// include/eigenflow/autodiff/dual.hpp — forward-mode tangents whose parts are both on the tape.
//
// A dual carries a primal value p and a tangent ṗ = J·v for some direction v. Both are vars, so
// the Jacobian-vector product is itself recorded and reverse mode through it gives exact
// second-order terms such as ∂/∂θ (εᵀ J ε), which FFJORD training needs. A null tangent stands
// for zero and is never materialized: parameters enter with null tangents, so J·v costs only the
// terms that carry the direction.
#pragma once

#include "eigenflow/autodiff/tape.hpp"

namespace eigenflow {

/// A (primal, tangent) pair on a tape; tangent.is_null() means a zero tangent.
///
/// @tparam Scalar float or double.
template <class Scalar>
struct dual {
  /// The element type, float or double.
  using scalar_type = Scalar;

  /// The value.
  var<Scalar> primal;
  /// Its directional derivative J·v, same shape as primal; null means zero.
  var<Scalar> tangent;

  dual() = default;
  /// p with a zero (null) tangent.
  explicit dual(var<Scalar> p) : primal(p) {}
  /// p with tangent t; throws shape_error when a non-null t differs in shape from p.
  dual(var<Scalar> p, var<Scalar> t) : primal(p), tangent(t) {
    if (!t.is_null()) detail::require_same_shape("dual", p.shape(), t.shape());
  }

  /// False when the tangent is zero (null).
  bool has_tangent() const { return !tangent.is_null(); }
  /// The tape both parts are on.
  tape<Scalar>& owner() const { return primal.owner(); }
  /// Number of rows of the primal.
  index_t rows() const { return primal.rows(); }
  /// Number of columns of the primal.
  index_t cols() const { return primal.cols(); }
  /// {rows, cols} of the primal.
  detail::shape shape() const { return primal.shape(); }
};

}  // namespace eigenflow
