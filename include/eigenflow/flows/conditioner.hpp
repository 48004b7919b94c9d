// include/eigenflow/flows/conditioner.hpp — the network a coupling layer asks for its scale and
// shift: conditioning features (and the context, if any) in, 2·|transformed features| out.
//
// Pluggable: conditioner<Scalar> erases the concrete network, conditioner_base<Derived, Scalar>
// implements it from one template `apply(x_a, c)`; the networks encode their context with
// eigenflow::context_encoder (density/context_encoder.hpp).
#pragma once

#include <memory>

#include "eigenflow/density/context.hpp"
#include "eigenflow/density/context_encoder.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::flows {

template <class Scalar>
class conditioner {
 public:
  using plain = matrix<Scalar>;
  using taped = var<Scalar>;

  virtual ~conditioner() = default;
  virtual plain operator()(const plain& x_a, const context<plain>& c) const = 0;
  virtual taped operator()(const taped& x_a, const context<taped>& c) const = 0;
  virtual index_t in_features() const = 0;
  virtual index_t out_features() const = 0;
  virtual condition_spec condition() const = 0;
  virtual void collect_parameters(nn::parameter_list<Scalar>& list) = 0;
  virtual std::unique_ptr<conditioner> clone() const = 0;
  virtual std::string describe() const = 0;
};

template <class Derived, class Scalar>
class conditioner_base : public conditioner<Scalar> {
 public:
  using typename conditioner<Scalar>::plain;
  using typename conditioner<Scalar>::taped;

  plain operator()(const plain& x_a, const context<plain>& c) const override { return self().apply(x_a, c); }
  taped operator()(const taped& x_a, const context<taped>& c) const override { return self().apply(x_a, c); }
  std::unique_ptr<conditioner<Scalar>> clone() const override { return std::make_unique<Derived>(self()); }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace eigenflow::flows
