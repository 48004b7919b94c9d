// include/eigenflow/continuous/concat_squash_dynamics.hpp — FFJORD's default ODE network: a stack
// of ConcatSquash layers, each gated and shifted by the time.
#pragma once

#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/continuous/dynamics.hpp"
#include "eigenflow/continuous/dynamics_options.hpp"
#include "eigenflow/nn/concat_squash.hpp"

namespace eigenflow::continuous {

/// f(z, t [, c]) = CS_L(… σ(CS_1([z, c-encoding], t)) …, t), with widths {D + context columns,
/// hidden..., D} and the activation σ between layers (none after the last). Every layer sees t
/// (docs/conventions.md: h = (W x + b) ⊙ sigmoid(w_g t + b_g) + w_b t), so no time column is concatenated.
///
/// @tparam Scalar float or double. Satisfies dynamics<Scalar>.
///
/// @code
///   eigenflow::random_engine rng(1);
///   eigenflow::continuous::concat_squash_dynamics<double> f(2, rng, {.hidden = {64, 64}});
///   eigenflow::matrix<double> dz = f(z, eigenflow::matrix<double>::Constant(1, 1, 0.5), {});  // z: batch × 2
/// @endcode
template <class Scalar>
class concat_squash_dynamics : public dynamics_base<concat_squash_dynamics<Scalar>, Scalar> {
 public:
  /// f on z of width `dim`, its layers as `opts` says (checked: value_error otherwise); `name`
  /// prefixes the parameter names.
  concat_squash_dynamics(index_t dim, random_engine& rng, dynamics_options opts = {}, std::string name = "dynamics")
      : input_(name, dim, opts, rng), activation_(opts.hidden_activation) {
    const std::vector<index_t> widths = input_.widths(dim);
    for (std::size_t k = 0; k + 1 < widths.size(); ++k) {
      const bool last = k + 2 == widths.size();
      layers_.emplace_back(name + ".layers." + std::to_string(k), widths[k], widths[k + 1], rng, last && opts.zero_output);
    }
  }

  /// z: batch × D, t: 1x1, c as condition() asks. Returns dz/dt, batch × D.
  template <class Value>
  Value apply(const Value& z, const Value& t, const context<Value>& c) const {
    input_.check(z, t, c);
    Value h = layers_.front()(input_.encode(z, c), t);
    for (std::size_t k = 1; k < layers_.size(); ++k) h = layers_[k](activate(h, activation_), t);
    return h;
  }

  index_t dim() const override { return input_.dim(); }
  condition_spec condition() const override { return input_.options().condition; }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    input_.collect_parameters(list);
    for (auto& layer : layers_) layer.collect_parameters(list);
  }
  std::string describe() const override { return input_.describe("concat_squash_dynamics"); }

 private:
  detail::network_input<Scalar> input_;
  activation activation_ = activation::tanh;
  std::vector<nn::concat_squash<Scalar>> layers_;
};

}  // namespace eigenflow::continuous
