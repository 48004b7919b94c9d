// include/eigenflow/flows/mlp_conditioner.hpp — an MLP conditioner (RealNVP's), optionally
// conditional.
#pragma once

#include <string>
#include <vector>

#include "eigenflow/flows/conditioner.hpp"
#include "eigenflow/nn/mlp.hpp"

namespace eigenflow::flows {

/// Hyperparameters shared by the conditioners.
struct conditioner_options {
  std::vector<index_t> hidden = {64, 64};  ///< hidden widths (mlp); {blocks, width} for residual
  activation hidden_activation = activation::tanh;  ///< activation between the hidden layers
  condition_spec condition{};              ///< what the coupling is conditioned on
  index_t embedding_dim = 8;               ///< class-embedding width, for condition.classes > 0
};

/// x_a [+ context] → MLP → 2·|B| outputs. The last layer starts at zero, so the coupling starts
/// as the identity map (a common and stable choice).
template <class Scalar>
class mlp_conditioner : public conditioner_base<mlp_conditioner<Scalar>, Scalar> {
 public:
  /// `in` conditioning features to `out` outputs through opts.hidden; `name` prefixes the parameter
  /// names.
  mlp_conditioner(const std::string& name, index_t in, index_t out, const conditioner_options& opts, random_engine& rng)
      : encoder_(name, opts.condition, opts.embedding_dim, rng), in_(in) {
    std::vector<index_t> widths = {in + encoder_.extra_features()};
    widths.insert(widths.end(), opts.hidden.begin(), opts.hidden.end());
    widths.push_back(out);
    net_ = nn::mlp<Scalar>(name + ".net", widths, rng,
                           {.hidden_activation = opts.hidden_activation, .final_init = nn::init::zeros});
  }

  /// The MLP's output on [x_a, encoded context]: batch×out_features().
  template <class Value>
  Value apply(const Value& x_a, const context<Value>& c) const {
    return net_(encoder_.encode(x_a, c));
  }

  index_t in_features() const override { return in_; }
  index_t out_features() const override { return net_.out_features(); }
  condition_spec condition() const override { return encoder_.spec(); }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    encoder_.collect_parameters(list);
    net_.collect_parameters(list);
  }
  std::string describe() const override {
    std::string widths;
    for (const auto& layer : net_.layers()) widths += std::to_string(layer.in_features()) + "-";
    return "mlp(" + widths + std::to_string(net_.out_features()) + ", " + std::string(to_string(net_.hidden_activation())) + ")";
  }

 private:
  context_encoder<Scalar> encoder_;
  nn::mlp<Scalar> net_;
  index_t in_ = 0;
};

}  // namespace eigenflow::flows
