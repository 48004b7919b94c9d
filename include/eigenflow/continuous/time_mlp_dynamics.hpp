// include/eigenflow/continuous/time_mlp_dynamics.hpp — the plain alternative to ConcatSquash: an
// MLP that sees the time only as one extra input column.
#pragma once

#include <string>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/continuous/dynamics.hpp"
#include "eigenflow/continuous/dynamics_options.hpp"
#include "eigenflow/nn/mlp.hpp"

namespace eigenflow::continuous {

/// f(z, t [, c]) = MLP([z, t, c-encoding]), with t repeated on every row; widths
/// {D + 1 + context columns, hidden..., D} and the activation between layers (none after the last).
///
/// @tparam Scalar float or double. Satisfies dynamics<Scalar>.
///
/// @code
///   eigenflow::random_engine rng(1);
///   eigenflow::continuous::time_mlp_dynamics<double> f(2, rng, {.hidden = {64, 64}, .hidden_activation = eigenflow::activation::softplus});
///   eigenflow::matrix<double> dz = f(z, eigenflow::matrix<double>::Constant(1, 1, 0.5), {});  // z: batch × 2
/// @endcode
template <class Scalar>
class time_mlp_dynamics : public dynamics_base<time_mlp_dynamics<Scalar>, Scalar> {
 public:
  /// f on z of width `dim`, its layers as `opts` says (checked: value_error otherwise); `name`
  /// prefixes the parameter names.
  time_mlp_dynamics(index_t dim, random_engine& rng, dynamics_options opts = {}, std::string name = "dynamics")
      : input_(name, dim, opts, rng),
        net_(name + ".net", input_.widths(dim + 1), rng,
             {.hidden_activation = opts.hidden_activation,
              .final_init = opts.zero_output ? nn::init::zeros : nn::init::lecun_normal}) {}

  /// z: batch × D, t: 1x1, c as condition() asks. Returns dz/dt, batch × D.
  template <class Value>
  Value apply(const Value& z, const Value& t, const context<Value>& c) const {
    input_.check(z, t, c);
    return net_(input_.encode(concat(z, broadcast_to(t, z.rows(), 1)), c));
  }

  index_t dim() const override { return input_.dim(); }
  condition_spec condition() const override { return input_.options().condition; }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    input_.collect_parameters(list);
    net_.collect_parameters(list);
  }
  std::string describe() const override { return input_.describe("time_mlp_dynamics"); }

 private:
  detail::network_input<Scalar> input_;
  nn::mlp<Scalar> net_;
};

}  // namespace eigenflow::continuous
