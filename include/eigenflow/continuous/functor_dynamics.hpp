// include/eigenflow/continuous/functor_dynamics.hpp — any functor with a generic call operator as
// a dynamics: analytic fields, hand-written models, test problems.
//
// The functor supplies `template <class V> V operator()(const V& z, const V& t) const` (or, to be
// conditional, `(z, t, c)` with a context<V>), written with the ops of autodiff/ops/ so that it
// runs on all three value types; optionally `void collect_parameters(nn::parameter_list<Scalar>&)`
// to expose trainable parameters. Both are detected at compile time.
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <utility>

#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/continuous/dynamics.hpp"
#include "eigenflow/error.hpp"

namespace eigenflow::continuous {

/// F called as f(z, t) on values of type V.
template <class F, class V>
concept dynamics_functor_of = requires(const F& f, const V& z) {
  { f(z, z) } -> std::convertible_to<V>;
};

/// F called as f(z, t, c) on values of type V with a context<V>.
template <class F, class V>
concept conditional_dynamics_functor_of = requires(const F& f, const V& z, const context<V>& c) {
  { f(z, z, c) } -> std::convertible_to<V>;
};

/// F is a right-hand side for dynamics<Scalar>: callable, one way or the other, on every value type.
template <class F, class Scalar>
concept dynamics_functor =
    (dynamics_functor_of<F, matrix<Scalar>> || conditional_dynamics_functor_of<F, matrix<Scalar>>) &&
    (dynamics_functor_of<F, var<Scalar>> || conditional_dynamics_functor_of<F, var<Scalar>>) &&
    (dynamics_functor_of<F, dual<Scalar>> || conditional_dynamics_functor_of<F, dual<Scalar>>);

/// A functor F as a dynamics<Scalar>. The wrapper checks z (batch × D), t (1x1), the context
/// against condition(), and the functor's output (batch × D), throwing errors that name the
/// description. A conditional functor (one taking c) is preferred over the plain call when F has
/// both. clone() copies the functor: parameters it holds by value are copied too.
///
/// @tparam Scalar float or double.
/// @tparam F a dynamics_functor<Scalar>; see make_dynamics.
template <class Scalar, class F>
  requires dynamics_functor<F, Scalar>
class functor_dynamics : public dynamics_base<functor_dynamics<Scalar, F>, Scalar> {
 public:
  /// Wraps `f` as dz/dt on R^dim. `description` names it in describe() and in error messages; a
  /// conditional `condition` needs a functor that takes the context.
  functor_dynamics(index_t dim, F f, std::string description = "functor", condition_spec condition = {})
      : f_(std::move(f)), dim_(dim), description_(std::move(description)), condition_(condition) {
    if (dim_ < 1) throw value_error(description_ + ": the state dimension must be positive, got " + std::to_string(dim_));
    if (!condition_.unconditional() && !(conditional_dynamics_functor_of<F, matrix<Scalar>> &&
                                         conditional_dynamics_functor_of<F, var<Scalar>> &&
                                         conditional_dynamics_functor_of<F, dual<Scalar>>)) {
      throw value_error(description_ + ": a conditional dynamics needs a functor that takes the context, f(z, t, c)");
    }
  }

  /// Checks the input, calls the functor and checks that its output is batch × D.
  template <class Value>
  Value apply(const Value& z, const Value& t, const context<Value>& c) const {
    check_dynamics_input(description_, dim_, condition_, z, t, c);
    Value out = call(z, t, c);
    if (out.rows() != z.rows() || out.cols() != dim_) {
      throw shape_error(description_ + ": the functor returned a " + eigenflow::detail::format_shape(out) +
                        " value for a " + eigenflow::detail::format_shape(z.rows(), dim_) +
                        " state, expected the state's shape");
    }
    return out;
  }

  index_t dim() const override { return dim_; }
  condition_spec condition() const override { return condition_; }
  /// The functor's parameters if it has collect_parameters, none otherwise.
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    if constexpr (requires { f_.collect_parameters(list); }) f_.collect_parameters(list);
  }
  /// The description given at construction.
  std::string describe() const override { return description_; }

  /// The wrapped functor.
  const F& functor() const { return f_; }
  /// The wrapped functor, mutable (to set its parameters, for instance).
  F& functor() { return f_; }

 private:
  template <class Value>
  Value call(const Value& z, const Value& t, const context<Value>& c) const {
    if constexpr (conditional_dynamics_functor_of<F, Value>) {
      return f_(z, t, c);
    } else {
      return f_(z, t);
    }
  }

  F f_;
  index_t dim_;
  std::string description_;
  condition_spec condition_;
};

/// Wraps a functor as a dynamics on R^dim.
///
/// @tparam Scalar float or double (given explicitly); F is deduced.
///
/// Linear dynamics f(z, t) = z Aᵀ + b with trainable A and b (docs/conventions.md's closed-form check):
/// @code
///   struct linear_field {
///     eigenflow::nn::parameter<double> a{"a", A0}, b{"b", b0};  // D×D and 1×D
///     template <class V> V operator()(const V& z, const V&) const {
///       return eigenflow::linear(z, eigenflow::nn::lift(a, z), eigenflow::nn::lift(b, z));
///     }
///     void collect_parameters(eigenflow::nn::parameter_list<double>& list) { list.push_back(a); list.push_back(b); }
///   };
///   auto f = eigenflow::continuous::make_dynamics<double>(2, linear_field{}, "linear");
/// @endcode
template <class Scalar, class F>
  requires dynamics_functor<F, Scalar>
std::unique_ptr<dynamics<Scalar>> make_dynamics(index_t dim, F f, std::string description = "functor",
                                                condition_spec condition = {}) {
  return std::make_unique<functor_dynamics<Scalar, F>>(dim, std::move(f), std::move(description), condition);
}

}  // namespace eigenflow::continuous
