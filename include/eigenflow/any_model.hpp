// include/eigenflow/any_model.hpp — any density model of one Scalar behind one type, so that the
// kind of model can be chosen at run time (the command line, the examples) and still be trained,
// evaluated, checkpointed and split across threads like the model it holds.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "eigenflow/error.hpp"
#include "eigenflow/model.hpp"

namespace eigenflow {

/// A type-erased density_model (itself a density_model): one virtual call per operation, none per
/// row. Copies are deep (each holds its own model).
///
/// @code
///   any_model<float> model = kind == "cnf" ? any_model<float>(continuous::make_ffjord<float>(2, rng))
///                                          : any_model<float>(flows::make_coupling_flow<float>(options, rng));
///   train::fit(model, adam, data, nullptr, options);
///   if (auto* ode = model.get_if<continuous::cnf<float>>()) std::printf("T = %g\n", double(ode->end_time()));
/// @endcode
template <class Scalar>
class any_model {
 public:
  /// The held model's Scalar, float or double.
  using scalar_type = Scalar;

  /// Holds `model` (any density_model of this Scalar converts implicitly).
  // any_model is tested first, in the same clause: checking density_model<any_model> while
  // deciding whether any_model converts from itself is a recursive constraint (clang rejects it).
  template <class Model>
    requires(!std::is_same_v<std::remove_cvref_t<Model>, any_model> && density_model<Model> &&
             std::is_same_v<model_scalar_t<Model>, Scalar>)
  any_model(Model model)  // NOLINT(google-explicit-constructor): a model is an any_model
      : self_(std::make_unique<holder<Model>>(std::move(model))) {}

  /// A deep copy: the held model is copied.
  any_model(const any_model& other) : self_(other.held().clone()) {}
  /// Replaces the held model by a copy of other's.
  any_model& operator=(const any_model& other) {
    self_ = other.held().clone();
    return *this;
  }
  /// Takes over other's model; the moved-from any_model throws value_error when used.
  any_model(any_model&&) noexcept = default;
  /// Takes over other's model; the moved-from any_model throws value_error when used.
  any_model& operator=(any_model&&) noexcept = default;

  /// Width D of a sample.
  index_t dim() const { return held().dim(); }
  /// The context the model needs.
  condition_spec condition() const { return held().condition(); }
  /// Log-density in nats of each row of x (batch × D): batch × 1.
  matrix<Scalar> log_prob(const matrix<Scalar>& x, const context<matrix<Scalar>>& c = {}) const {
    return held().log_prob(x, c);
  }
  /// As above, recorded on x's tape (parameter gradients accumulate into their grad).
  var<Scalar> log_prob(const var<Scalar>& x, const context<var<Scalar>>& c = {}) const { return held().log_prob(x, c); }
  /// n draws, one per row (n × D).
  matrix<Scalar> sample(index_t n, random_engine& rng, const context<matrix<Scalar>>& c = {}) const {
    return held().sample(n, rng, c);
  }
  /// n draws (n × D) and their log-densities (n × 1).
  std::pair<matrix<Scalar>, matrix<Scalar>> sample_and_log_prob(index_t n, random_engine& rng,
                                                                const context<matrix<Scalar>>& c = {}) const {
    return held().sample_and_log_prob(n, rng, c);
  }
  /// The held model's parameters, in its order.
  nn::parameter_list<Scalar> parameters() { return held().parameters(); }
  /// The held model's parameters, read only.
  nn::const_parameter_list<Scalar> parameters() const { return held().parameters(); }
  /// The held model's architecture as text.
  std::string describe() const { return held().describe(); }
  /// Adds the gradient of the batch's loss to every parameter's grad (see density_model).
  step_loss accumulate_gradient(const matrix<Scalar>& x, const context<matrix<Scalar>>& c, random_engine& rng,
                                tape<Scalar>& t) {
    return held().accumulate_gradient(x, c, rng, t);
  }
  /// The held model's data-dependent initialization from a representative batch (a flow's ActNorm
  /// layers, flow::initialize), if it has one; a model without one is left as it is.
  void initialize(const matrix<Scalar>& x, const context<matrix<Scalar>>& c = {}) { held().initialize(x, c); }

  /// The held model if it is a Model, else nullptr.
  template <class Model>
  Model* get_if() {
    auto* h = dynamic_cast<holder<Model>*>(&held());
    return h ? &h->model : nullptr;
  }
  /// The held model if it is a Model, else nullptr (read only).
  template <class Model>
  const Model* get_if() const {
    const auto* h = dynamic_cast<const holder<Model>*>(&held());
    return h ? &h->model : nullptr;
  }

 private:
  struct interface {
    virtual ~interface() = default;
    virtual std::unique_ptr<interface> clone() const = 0;
    virtual index_t dim() const = 0;
    virtual condition_spec condition() const = 0;
    virtual matrix<Scalar> log_prob(const matrix<Scalar>& x, const context<matrix<Scalar>>& c) const = 0;
    virtual var<Scalar> log_prob(const var<Scalar>& x, const context<var<Scalar>>& c) const = 0;
    virtual std::pair<matrix<Scalar>, matrix<Scalar>> sample_and_log_prob(index_t n, random_engine& rng,
                                                                          const context<matrix<Scalar>>& c) const = 0;
    virtual matrix<Scalar> sample(index_t n, random_engine& rng, const context<matrix<Scalar>>& c) const = 0;
    virtual nn::parameter_list<Scalar> parameters() = 0;
    virtual nn::const_parameter_list<Scalar> parameters() const = 0;
    virtual std::string describe() const = 0;
    virtual step_loss accumulate_gradient(const matrix<Scalar>& x, const context<matrix<Scalar>>& c, random_engine& rng,
                                          tape<Scalar>& t) = 0;
    virtual void initialize(const matrix<Scalar>& x, const context<matrix<Scalar>>& c) = 0;
  };

  template <class Model>
  struct holder final : interface {
    explicit holder(Model m) : model(std::move(m)) {}
    std::unique_ptr<interface> clone() const override { return std::make_unique<holder>(model); }
    index_t dim() const override { return model.dim(); }
    condition_spec condition() const override { return model.condition(); }
    matrix<Scalar> log_prob(const matrix<Scalar>& x, const context<matrix<Scalar>>& c) const override {
      return model.log_prob(x, c);
    }
    var<Scalar> log_prob(const var<Scalar>& x, const context<var<Scalar>>& c) const override { return model.log_prob(x, c); }
    std::pair<matrix<Scalar>, matrix<Scalar>> sample_and_log_prob(index_t n, random_engine& rng,
                                                                  const context<matrix<Scalar>>& c) const override {
      return model.sample_and_log_prob(n, rng, c);
    }
    matrix<Scalar> sample(index_t n, random_engine& rng, const context<matrix<Scalar>>& c) const override {
      return model.sample(n, rng, c);
    }
    nn::parameter_list<Scalar> parameters() override { return model.parameters(); }
    nn::const_parameter_list<Scalar> parameters() const override { return model.parameters(); }
    std::string describe() const override { return model.describe(); }
    step_loss accumulate_gradient(const matrix<Scalar>& x, const context<matrix<Scalar>>& c, random_engine& rng,
                                  tape<Scalar>& t) override {
      return model.accumulate_gradient(x, c, rng, t);
    }
    void initialize(const matrix<Scalar>& x, const context<matrix<Scalar>>& c) override {
      if constexpr (requires { model.initialize(x, c); }) model.initialize(x, c);
    }
    Model model;
  };

  interface& held() {
    if (!self_) throw value_error("any_model: this model was moved from");
    return *self_;
  }
  const interface& held() const {
    if (!self_) throw value_error("any_model: this model was moved from");
    return *self_;
  }

  std::unique_ptr<interface> self_;
};

}  // namespace eigenflow
