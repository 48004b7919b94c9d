// tests/support/conditional_models.hpp — the small class-conditional models and labelled data the
// parallel tests (threads and MPI ranks) train and compare: 3 dimensions, 3 classes.
#pragma once

#include "eigenflow/continuous/builders.hpp"
#include "eigenflow/flows/builders.hpp"
#include "eigenflow/train/dataset.hpp"

namespace eigenflow::test {

/// n standard-normal rows of 3 columns, labelled 0, 1, 2, 0, ...
template <class Scalar>
train::dataset<Scalar> labelled_batch(index_t n, unsigned seed) {
  random_engine rng(seed);
  train::dataset<Scalar> d{normal_matrix<Scalar>(n, 3, rng)};
  for (index_t i = 0; i < n; ++i) d.labels.push_back(i % 3);
  return d;
}

/// 3 affine couplings of width 8, conditioned on the class.
template <class Scalar>
flows::flow<Scalar> conditional_flow(unsigned seed) {
  random_engine rng(seed);
  return flows::make_coupling_flow<Scalar>({.dim = 3, .couplings = 3, .hidden_width = 8, .condition = {.classes = 3}}, rng);
}

/// A class-conditional CNF with the exact trace (no random draws) and a fixed-step rk4 solver.
inline continuous::cnf<double> fixed_step_cnf(unsigned seed, int steps = 6) {
  random_engine rng(seed);
  continuous::continuous_flow_spec spec;
  spec.network.hidden = {8, 8};
  spec.network.condition = {.classes = 3};
  spec.model.training_solver = {.solver = ode::method::rk4, .steps = steps};
  spec.model.evaluation_solver = spec.model.training_solver;
  return continuous::make_cnf<double>(3, rng, spec);
}

}  // namespace eigenflow::test
