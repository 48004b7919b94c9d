// include/eigenflow/autodiff/ops/activation.hpp — activation functions and their first and second
// derivatives as ops of their own, for plain matrices, vars and duals.
//
// Forward-mode tangents multiply by f'(x); reverse mode through such a tangent needs f''(x), and
// through that f'''(x). So each activation exists as an op of order 0 (f), 1 (f') and 2 (f''),
// each with its exact backward rule (f', f'', f'''). Hot paths (f and f', and their backward
// rules) are Eigen's vectorized array expressions; the rest evaluate a scalar formula.
#pragma once

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>

#include "eigenflow/autodiff/detail/unary_op.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/value_traits.hpp"
#include "eigenflow/enum_names.hpp"
#include "eigenflow/error.hpp"

namespace eigenflow {

/// Elementwise nonlinearities. elu uses α = 1; softplus is log(1 + eˣ), computed stably.
enum class activation { identity, tanh, sigmoid, softplus, relu, elu };

/// The names written in options and checkpoints ("tanh", "softplus", ...).
inline constexpr auto activation_names = std::to_array<enum_name<activation>>(
    {{activation::identity, "identity"}, {activation::tanh, "tanh"}, {activation::sigmoid, "sigmoid"},
     {activation::softplus, "softplus"}, {activation::relu, "relu"}, {activation::elu, "elu"}});

/// The name of an activation, as parse_activation reads it.
inline std::string_view to_string(activation a) { return name_of(activation_names, a); }

/// Parses an activation name; unknown names throw value_error listing the known ones.
inline activation parse_activation(std::string_view name) { return parse_enum(activation_names, name, "activation"); }

/// True when the activation has continuous second derivatives (usable in CNF dynamics, whose
/// trace gradient differentiates f').
constexpr bool is_smooth(activation a) {
  return a == activation::identity || a == activation::tanh || a == activation::sigmoid ||
         a == activation::softplus;
}

/// The k-th derivative (k = 0..3) of an activation at one point: the reference every fast path
/// is tested against.
template <class Scalar>
Scalar activation_derivative_at(activation a, int k, Scalar x) {
  using std::exp;
  using std::log1p;
  switch (a) {
    case activation::identity: return k == 0 ? x : (k == 1 ? Scalar(1) : Scalar(0));
    case activation::tanh: {
      const Scalar t = std::tanh(x);
      const Scalar u = 1 - t * t;
      switch (k) {
        case 0: return t;
        case 1: return u;
        case 2: return -2 * t * u;
        default: return u * (6 * t * t - 2);
      }
    }
    case activation::sigmoid:
    case activation::softplus: {
      const Scalar s = 1 / (1 + exp(-x));
      const Scalar q = s * (1 - s);
      const int m = a == activation::sigmoid ? k : k - 1;  // softplus' = sigmoid
      switch (m) {
        case -1: return (x > 0 ? x : Scalar(0)) + log1p(exp(-std::abs(x)));
        case 0: return s;
        case 1: return q;
        case 2: return q * (1 - 2 * s);
        default: return q * (1 - 6 * s + 6 * s * s);
      }
    }
    case activation::relu: return k == 0 ? (x > 0 ? x : Scalar(0)) : (k == 1 && x > 0 ? Scalar(1) : Scalar(0));
    case activation::elu:
      if (x > 0) return k == 0 ? x : (k == 1 ? Scalar(1) : Scalar(0));
      return k == 0 ? std::expm1(x) : exp(x);
  }
  return Scalar(0);
}

namespace detail {

/// f^(Order) as an op: forward is f^(Order)(x), the backward rule multiplies by f^(Order+1)(x).
template <activation A, int Order>
struct activation_kernel {
  static_assert(Order >= 0 && Order <= 2, "activation ops exist for f, f' and f''");
  static constexpr const char* name = Order == 0 ? "activation" : "activation_derivative";

  template <class X>
  static auto scalar_formula(const X& x, int k) {
    using S = typename X::Scalar;
    return x.unaryExpr([k](S v) { return activation_derivative_at<S>(A, k, v); });
  }

  template <class X>
  static auto forward(const X& x) {
    using S = typename X::Scalar;
    if constexpr (Order == 0 && A == activation::tanh) {
      return x.tanh();
    } else if constexpr (Order == 0 && A == activation::sigmoid) {
      return x.logistic();
    } else if constexpr (Order == 0 && A == activation::softplus) {
      return x.max(S(0)) + (-x.abs()).exp().log1p();
    } else if constexpr (Order == 0 && A == activation::relu) {
      return x.max(S(0));
    } else if constexpr (Order == 1 && A == activation::tanh) {
      return S(1) - x.tanh().square();
    } else if constexpr (Order == 1 && A == activation::sigmoid) {
      return x.logistic() * (S(1) - x.logistic());
    } else if constexpr (Order == 1 && A == activation::softplus) {
      return x.logistic();
    } else {
      return scalar_formula(x, Order);
    }
  }

  /// f^(Order+1)(x), given y = f^(Order)(x).
  template <class X, class Y>
  static auto derivative(const X& x, const Y& y) {
    using S = typename X::Scalar;
    if constexpr (Order == 0 && A == activation::tanh) {
      return S(1) - y.square();
    } else if constexpr (Order == 0 && A == activation::sigmoid) {
      return y * (S(1) - y);
    } else if constexpr (Order == 0 && A == activation::softplus) {
      return x.logistic();
    } else if constexpr (Order == 0 && A == activation::relu) {
      return (x > S(0)).template cast<S>();
    } else if constexpr (Order == 1 && A == activation::tanh) {
      return S(-2) * x.tanh() * y;
    } else if constexpr (Order == 1 && A == activation::sigmoid) {
      return y * (S(1) - S(2) * x.logistic());
    } else if constexpr (Order == 1 && A == activation::softplus) {
      return y * (S(1) - y);
    } else {
      return scalar_formula(x, Order + 1);
    }
  }

  template <class V>
  static V tangent(const V& x, const V&, const V& dx) {
    static_assert(Order < 2, "tangents of f'' would need f''' as an op (third order)");
    return mul(record_unary<activation_kernel<A, Order + 1>>(x), dx);
  }
};

/// Calls body(std::integral_constant<activation, A>{}) for the runtime value a.
template <class Body>
decltype(auto) dispatch_activation(activation a, Body&& body) {
  switch (a) {
    case activation::identity: return body(std::integral_constant<activation, activation::identity>{});
    case activation::tanh: return body(std::integral_constant<activation, activation::tanh>{});
    case activation::sigmoid: return body(std::integral_constant<activation, activation::sigmoid>{});
    case activation::softplus: return body(std::integral_constant<activation, activation::softplus>{});
    case activation::relu: return body(std::integral_constant<activation, activation::relu>{});
    case activation::elu: return body(std::integral_constant<activation, activation::elu>{});
  }
  throw value_error("activation: invalid enumerator");
}

template <activation A, int Order, class Scalar>
matrix<Scalar> activation_op(const matrix<Scalar>& x) {
  return plain_unary<activation_kernel<A, Order>>(x);
}
template <activation A, int Order, class Scalar>
var<Scalar> activation_op(const var<Scalar>& x) {
  return record_unary<activation_kernel<A, Order>>(x);
}
template <activation A, int Order, class Scalar>
dual<Scalar> activation_op(const dual<Scalar>& x) {
  return dual_unary<activation_kernel<A, Order>>(x);
}

template <int Order, class Value>
Value apply_activation(const Value& x, activation a) {
  return dispatch_activation(a, [&](auto tag) { return activation_op<decltype(tag)::value, Order>(x); });
}

}  // namespace detail

/// f(x) elementwise for the activation chosen at run time.
template <class Value>
  requires value_type<Value>
Value activate(const Value& x, activation a) {
  if (a == activation::identity) return x;
  return detail::apply_activation<0>(x, a);
}

/// f'(x) (order 1) or f''(x) (order 2) elementwise, as an op with its own backward rule.
template <class Value>
  requires value_type<Value>
Value activation_derivative(const Value& x, activation a, int order) {
  if (order == 1) return detail::apply_activation<1>(x, a);
  if (order == 2) {
    if constexpr (std::is_same_v<Value, dual<scalar_of<Value>>>) {
      throw value_error("activation_derivative: a dual through f'' would need third-order tangents");
    } else {
      return detail::apply_activation<2>(x, a);
    }
  }
  throw value_error("activation_derivative: order must be 1 or 2, got " + std::to_string(order));
}

#define EIGENFLOW_DETAIL_ACTIVATION(fn)                                                           \
  template <class Value>                                                                          \
    requires value_type<Value>                                                                    \
  Value fn(const Value& x) {                                                                      \
    return detail::activation_op<activation::fn, 0>(x);                                           \
  }

/// tanh(x), elementwise.
EIGENFLOW_DETAIL_ACTIVATION(tanh)
/// 1 / (1 + e⁻ˣ), elementwise.
EIGENFLOW_DETAIL_ACTIVATION(sigmoid)
/// log(1 + eˣ), elementwise, stable for large |x|.
EIGENFLOW_DETAIL_ACTIVATION(softplus)
/// max(x, 0), elementwise.
EIGENFLOW_DETAIL_ACTIVATION(relu)
/// x for x > 0, eˣ − 1 otherwise (α = 1), elementwise.
EIGENFLOW_DETAIL_ACTIVATION(elu)
#undef EIGENFLOW_DETAIL_ACTIVATION

}  // namespace eigenflow
