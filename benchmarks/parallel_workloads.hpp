// benchmarks/parallel_workloads.hpp — the two training workloads the parallel benchmarks time
// (threads: data_parallel.cpp; MPI ranks: mpi_data_parallel.cpp), so both measure the same thing.
//   coupling: 8 affine couplings with MLP conditioners of width 256 (2 hidden layers), on moons;
//   ffjord:   make_ffjord's toy settings (ConcatSquash 64-64-64, dopri5 at 1e-5, adjoint,
//             Hutchinson), on 8gaussians, after 30 seeded training steps.
// Both in float, batch 512.
#pragma once

#include <utility>

#include "eigenflow/eigenflow.hpp"

namespace eigenflow_bench {

using namespace eigenflow;
inline constexpr index_t batch_rows = 512;

/// A model with its optimizer, and a snapshot of both to restore after each timed step.
template <class Model>
struct training_state {
  Model model;
  optim::adam<float> adam;
  vector<float> values;
  optim::optimizer_state<float> moments;

  explicit training_state(Model m, float learning_rate, float weight_decay)
      : model(std::move(m)), adam({.learning_rate = learning_rate, .weight_decay = weight_decay}) {}

  void snapshot() {
    values = model.parameters().flatten_values();
    moments = adam.export_state();
  }
  void restore() {
    model.parameters().assign_values(values);
    adam.import_state(moments, model.parameters());
  }
};

inline training_state<flows::flow<float>> coupling_state() {
  random_engine rng(1);
  training_state<flows::flow<float>> s(
      flows::make_coupling_flow<float>({.dim = 2, .couplings = 8, .hidden_width = 256}, rng), 1e-3f, 0.0f);
  s.snapshot();
  return s;
}

inline training_state<continuous::cnf<float>> ffjord_state() {
  random_engine rng(2);
  training_state<continuous::cnf<float>> s(continuous::make_ffjord<float>(2, rng), 1e-3f, 1e-5f);
  for (int it = 0; it < 30; ++it) {  // warm up: a field that has started to fit
    s.model.parameters().zero_grad();
    s.model.accumulate_gradient(data::sample_toy2d<float>(data::toy2d::eight_gaussians, 100, rng), rng);
    s.adam.step(s.model.parameters());
  }
  s.snapshot();
  return s;
}

}  // namespace eigenflow_bench
