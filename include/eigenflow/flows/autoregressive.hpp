// include/eigenflow/flows/autoregressive.hpp — the autoregressive layer over any element-wise
// bijector (bijector.hpp): y_i = g(x_i; θ_i), θ_i = MADE(x_<i [, context]) in the MADE's order.
// Its Jacobian is triangular in that order, so log|det| = Σ_i log g'(x_i; θ_i).
//
// One direction costs one MADE pass; the other solves for its input feature by feature, D passes
// (after pass k the first k features of the order are exact, and the last pass is exact in every
// feature, log-det included). MAF (Papamakarios et al. 2017) puts the single pass on the density
// side (data → base), so training is fast and sampling takes D passes; IAF (Kingma et al. 2016)
// is the same layer turned around: one-pass sampling, D passes for the density of new points.
#pragma once

#include <string>
#include <utility>

#include "eigenflow/error.hpp"
#include "eigenflow/flows/affine_coupling.hpp"
#include "eigenflow/flows/bijector.hpp"
#include "eigenflow/flows/made.hpp"
#include "eigenflow/flows/spline_coupling.hpp"
#include "eigenflow/flows/transform.hpp"

namespace eigenflow::flows {

/// Which direction of an autoregressive layer takes one MADE pass.
enum class autoregressive_pass {
  density,  ///< data → base in one pass, sampling in D (MAF)
  sampling  ///< base → data in one pass, density in D (IAF)
};

/// An autoregressive layer over the element-wise bijection Bijector, with a MADE computing each
/// feature's parameters from the features before it (see the header comment).
/// @tparam Scalar float or double.
template <class Scalar, class Bijector>
class autoregressive : public transform_base<autoregressive<Scalar, Bijector>, Scalar> {
 public:
  /// A MADE named `name` over `dim` features (hidden sizes, order, residual, condition in `net`),
  /// with bijector.parameters_per_value() outputs per feature; `pass` picks MAF or IAF.
  /// @throws value_error for a MADE it cannot build (see made).
  autoregressive(const std::string& name, index_t dim, const made_options& net, random_engine& rng,
                 Bijector bijector = {}, autoregressive_pass pass = autoregressive_pass::density)
      : bijector_(std::move(bijector)),
        net_(name, dim, bijector_.parameters_per_value(), net, rng, bijector_.layout()),
        pass_(pass) {}

  /// data → base: one pass for MAF, D passes for IAF; log-det batch × 1.
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>& c) const {
    detail::check_width(layer_name(), x, dim());
    return pass_ == autoregressive_pass::density ? one_pass(x, c) : solve(x, c);
  }

  /// base → data: D passes for MAF, one pass for IAF; log-det batch × 1.
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>& c) const {
    detail::check_width(layer_name(), y, dim());
    return pass_ == autoregressive_pass::density ? solve(y, c) : one_pass(y, c);
  }

  index_t dim() const override { return net_.features(); }
  condition_spec condition() const override { return net_.condition(); }
  void collect_parameters(nn::parameter_list<Scalar>& list) override { net_.collect_parameters(list); }
  std::string describe() const override {
    return layer_name() + "(D=" + std::to_string(dim()) + ", " + bijector_.settings() + ", " + net_.describe() + ")";
  }

  /// "maf" / "iaf" for the affine bijector, "spline_autoregressive" / "inverse_spline_autoregressive"
  /// for the spline (the family's name otherwise).
  std::string layer_name() const {
    const std::string family = bijector_.family();
    const bool density = pass_ == autoregressive_pass::density;
    if (family == "affine") return density ? "maf" : "iaf";
    return (density ? "" : "inverse_") + family + "_autoregressive";
  }
  /// The MADE that computes the bijector's parameters.
  const made<Scalar>& net() const { return net_; }
  /// The element-wise bijection.
  const Bijector& bijector() const { return bijector_; }
  /// Which direction takes one pass.
  autoregressive_pass pass() const { return pass_; }

 private:
  // u ↦ g(u; MADE(u)): the triangular map itself.
  template <class Value>
  transformed<Value> one_pass(const Value& u, const context<Value>& c) const {
    return bijector_.forward(u, net_(u, c));
  }

  // v ↦ the u with g(u; MADE(u)) = v. Pass k computes every feature from the current guess; the
  // k-th feature of the order is then exact, as it depends on exact features only. The guess
  // starts at v (any finite value would do: masked weights keep it away from exact features, in
  // value and in gradient).
  template <class Value>
  transformed<Value> solve(const Value& v, const context<Value>& c) const {
    transformed<Value> r = bijector_.inverse(v, net_(v, c));
    for (index_t k = 1; k < dim(); ++k) r = bijector_.inverse(v, net_(r.value, c));
    return r;
  }

  Bijector bijector_;
  made<Scalar> net_;
  autoregressive_pass pass_;
};

/// MAF (pass = density) or IAF (pass = sampling): y_i = x_i·exp(s_i) + t_i with the affine
/// bijector's bounded log-scale. @tparam Scalar float or double.
///
/// @code
///   flows::affine_autoregressive<float> maf("maf0", 16, {.hidden = {2, 128}, .residual = true}, rng);
///   flows::affine_autoregressive<float> iaf("iaf0", 16, {}, rng, {}, flows::autoregressive_pass::sampling);
/// @endcode
template <class Scalar>
using affine_autoregressive = autoregressive<Scalar, affine_bijector<Scalar>>;

/// The autoregressive neural spline flow layer: a rational-quadratic spline per feature.
/// @tparam Scalar float or double.
///
/// @code
///   flows::spline_autoregressive<float> nsf("nsf0", 16, {.hidden = {2, 128}, .residual = true}, rng,
///                                           flows::rational_quadratic_options{.bins = 8, .bound = 4.0});
/// @endcode
template <class Scalar>
using spline_autoregressive = autoregressive<Scalar, spline_bijector<Scalar>>;

}  // namespace eigenflow::flows
