// include/eigenflow/autodiff/ops/unary.hpp — elementwise exp, log, log1p, square, sqrt and
// reciprocal, for plain matrices, vars and duals.
//
// Domain errors follow IEEE arithmetic (log of a negative number is NaN); the layers above check
// finiteness where a value leaves the library or enters a solver.
#pragma once

#include "eigenflow/autodiff/detail/unary_op.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"

namespace eigenflow {

namespace detail {

struct exp_kernel {
  static constexpr const char* name = "exp";
  template <class X>
  static auto forward(const X& x) { return x.exp(); }
  template <class X, class Y>
  static auto derivative(const X&, const Y& y) { return y; }
  template <class V>
  static V tangent(const V&, const V& y, const V& dx) { return mul(y, dx); }
};

struct log_kernel {
  static constexpr const char* name = "log";
  template <class X>
  static auto forward(const X& x) { return x.log(); }
  template <class X, class Y>
  static auto derivative(const X& x, const Y&) { return x.inverse(); }
  template <class V>
  static V tangent(const V& x, const V&, const V& dx) { return div(dx, x); }
};

struct log1p_kernel {
  static constexpr const char* name = "log1p";
  template <class X>
  static auto forward(const X& x) { return x.log1p(); }
  template <class X, class Y>
  static auto derivative(const X& x, const Y&) { return (x + typename X::Scalar(1)).inverse(); }
  template <class V>
  static V tangent(const V& x, const V&, const V& dx) { return div(dx, shift(x, 1)); }
};

struct square_kernel {
  static constexpr const char* name = "square";
  template <class X>
  static auto forward(const X& x) { return x.square(); }
  template <class X, class Y>
  static auto derivative(const X& x, const Y&) { return typename X::Scalar(2) * x; }
  template <class V>
  static V tangent(const V& x, const V&, const V& dx) { return scale(mul(x, dx), 2); }
};

struct sqrt_kernel {
  static constexpr const char* name = "sqrt";
  template <class X>
  static auto forward(const X& x) { return x.sqrt(); }
  template <class X, class Y>
  static auto derivative(const X&, const Y& y) { return typename Y::Scalar(0.5) * y.inverse(); }
  template <class V>
  static V tangent(const V&, const V& y, const V& dx) { return scale(div(dx, y), 0.5); }
};

struct reciprocal_kernel {
  static constexpr const char* name = "reciprocal";
  template <class X>
  static auto forward(const X& x) { return x.inverse(); }
  template <class X, class Y>
  static auto derivative(const X&, const Y& y) { return -y.square(); }
  template <class V>
  static V tangent(const V&, const V& y, const V& dx) { return neg(mul(square(y), dx)); }
};

}  // namespace detail

/// An elementwise function from its kernel, in each mode: plain (forward), on the tape (the
/// output recorded; reverse mode multiplies by derivative) and dual (the tangent, itself on the
/// tape). A kernel K provides K::name, K::forward(x) and K::derivative(x, y) over Eigen arrays
/// and K::tangent(x, y, dx) over values (autodiff/detail/unary_op.hpp; docs/extending.md).
template <class Kernel, class Scalar>
matrix<Scalar> apply_elementwise(const matrix<Scalar>& x) {
  return detail::plain_unary<Kernel>(x);
}
/// apply_elementwise on a tape.
template <class Kernel, class Scalar>
var<Scalar> apply_elementwise(const var<Scalar>& x) {
  return detail::record_unary<Kernel>(x);
}
/// apply_elementwise for duals: the tangent is Kernel::tangent(x, y, ẋ).
template <class Kernel, class Scalar>
dual<Scalar> apply_elementwise(const dual<Scalar>& x) {
  return detail::dual_unary<Kernel>(x);
}

// fn(x) in the three modes from a kernel in eigenflow::detail; defined for the list below only.
#define EIGENFLOW_DETAIL_UNARY_OP(fn, kernel)                                                     \
  template <class Scalar>                                                                         \
  matrix<Scalar> fn(const matrix<Scalar>& x) {                                                    \
    return apply_elementwise<detail::kernel>(x);                                                  \
  }                                                                                               \
  template <class Scalar>                                                                         \
  var<Scalar> fn(const var<Scalar>& x) {                                                          \
    return apply_elementwise<detail::kernel>(x);                                                  \
  }                                                                                               \
  template <class Scalar>                                                                         \
  dual<Scalar> fn(const dual<Scalar>& x) {                                                        \
    return apply_elementwise<detail::kernel>(x);                                                  \
  }

/// e^x, elementwise.
EIGENFLOW_DETAIL_UNARY_OP(exp, exp_kernel)
/// Natural logarithm, elementwise.
EIGENFLOW_DETAIL_UNARY_OP(log, log_kernel)
/// log(1 + x), elementwise, accurate near 0.
EIGENFLOW_DETAIL_UNARY_OP(log1p, log1p_kernel)
/// x², elementwise.
EIGENFLOW_DETAIL_UNARY_OP(square, square_kernel)
/// √x, elementwise.
EIGENFLOW_DETAIL_UNARY_OP(sqrt, sqrt_kernel)
/// 1 / x, elementwise.
EIGENFLOW_DETAIL_UNARY_OP(reciprocal, reciprocal_kernel)

#undef EIGENFLOW_DETAIL_UNARY_OP

}  // namespace eigenflow
