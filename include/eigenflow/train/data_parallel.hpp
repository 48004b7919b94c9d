// include/eigenflow/train/data_parallel.hpp — one training step or one evaluation of a batch
// split across threads: each worker has its own copy of the model (its own tapes, solver
// workspaces and gradients) and takes a contiguous block of the rows.
//
// Gradients: worker k computes the gradient of its block's mean loss; the model's gradient is
// Σ_k (rows_k / B) · g_k added in the order k = 0, 1, ..., so the sum is the same on every run
// whatever the thread timing, and equals the one-thread gradient of the whole batch up to float
// rounding. Random draws (Hutchinson probes, dequantization noise) come from one engine per
// worker, seeded from the caller's engine in worker order: reproducible, but not the draws a
// single thread would make. Adaptive ODE solvers choose their steps per block (the error norm is
// over the block's rows), so a continuous flow's steps, and hence its gradient, differ slightly
// from a one-thread step's; fixed-step solvers are unaffected.
//
// With one thread there are no copies: steps and evaluations run on the model itself, exactly as
// model.accumulate_gradient, model.log_prob and model.sample would. The copies are made at
// construction: parameter values are synchronized from the model before every call, but options
// changed on the model afterwards (cnf::set_options) are not; build a new data_parallel then.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/model.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/parallel/split_rows.hpp"
#include "eigenflow/parallel/worker_team.hpp"
#include "eigenflow/random.hpp"
#include "eigenflow/train/dataset.hpp"

namespace eigenflow::train {

/// Training steps and evaluations of a model with each batch split across worker threads.
///
/// @tparam Model any density_model (model.hpp).
template <density_model Model>
class data_parallel {
 public:
  /// The model's scalar type.
  using Scalar = model_scalar_t<Model>;

  /// `threads` workers, each with a copy of `model` (none for one thread).
  data_parallel(const Model& model, int threads) : team_(threads) {
    for (int k = 0; k < threads && threads > 1; ++k) {
      auto w = std::make_unique<worker>(model);
      w->params = w->model.parameters();
      workers_.push_back(std::move(w));
    }
  }

  /// The number of worker threads (1: the calling thread alone).
  int threads() const { return team_.size(); }

  /// Adds ∂(mean loss)/∂θ of `batch` into model's parameter gradients (the caller zeroes them
  /// before and steps after, as with model.accumulate_gradient) and returns the batch loss.
  /// Evaluation counts are those of the slowest block.
  step_loss accumulate_gradient(Model& model, const dataset<Scalar>& batch, random_engine& rng) {
    if (workers_.empty()) return model.accumulate_gradient(batch.x, batch.context(), rng, scratch_);
    const nn::parameter_list<Scalar> params = model.parameters();
    const std::vector<parallel::row_block> blocks = parallel::split_rows(batch.rows(), threads());
    std::vector<std::uint64_t> seeds(blocks.size());
    for (auto& s : seeds) s = rng();
    std::vector<step_loss> results(blocks.size());
    synchronize(params);
    team_.run([&](int k) {
      const auto i = static_cast<std::size_t>(k);
      if (i >= blocks.size()) return;
      worker& w = *workers_[i];
      random_engine part_rng(seeds[i]);
      w.params.zero_grad();
      const dataset<Scalar> part = batch.rows_range(blocks[i].begin, blocks[i].rows);
      results[i] = w.model.accumulate_gradient(part.x, part.context(), part_rng, w.scratch);
    });
    step_loss total;
    for (std::size_t k = 0; k < blocks.size(); ++k) {  // fixed order: reproducible sums
      const Scalar weight = static_cast<Scalar>(blocks[k].rows) / static_cast<Scalar>(batch.rows());
      for (std::size_t i = 0; i < params.size(); ++i) params[i].grad += weight * workers_[k]->params[i].grad;
      total.loss += double(weight) * results[k].loss;
      total.nll += double(weight) * results[k].nll;
      total.penalty += double(weight) * results[k].penalty;
      total.forward_evaluations = std::max(total.forward_evaluations, results[k].forward_evaluations);
      total.backward_evaluations = std::max(total.backward_evaluations, results[k].backward_evaluations);
    }
    return total;
  }

  /// model.log_prob(x, c), the rows split across the workers.
  matrix<Scalar> log_prob(const Model& model, const matrix<Scalar>& x, const context<matrix<Scalar>>& c = {}) {
    if (workers_.empty()) return model.log_prob(x, c);
    synchronize(model.parameters());
    matrix<Scalar> out(x.rows(), 1);
    for_each_block(x.rows(), c, [&](const Model& m, parallel::row_block b, const context<matrix<Scalar>>& part, std::size_t) {
      out.middleRows(b.begin, b.rows) = m.log_prob(matrix<Scalar>(x.middleRows(b.begin, b.rows)), part);
    });
    return out;
  }

  /// n draws of model.sample(n, rng, c) (c: none, or one label / context row per draw), the rows
  /// split across the workers. Block k draws from an engine seeded with the k-th number from
  /// `rng`: reproducible for a given number of threads, but not the draws of one thread.
  matrix<Scalar> sample(const Model& model, index_t n, random_engine& rng, const context<matrix<Scalar>>& c = {}) {
    if (workers_.empty()) return model.sample(n, rng, c);
    synchronize(model.parameters());
    std::vector<std::uint64_t> seeds(static_cast<std::size_t>(std::min<index_t>(n, threads())));
    for (auto& s : seeds) s = rng();
    std::vector<matrix<Scalar>> parts(seeds.size());
    for_each_block(n, c, [&](const Model& m, parallel::row_block b, const context<matrix<Scalar>>& part, std::size_t k) {
      random_engine part_rng(seeds[k]);
      parts[k] = m.sample(b.rows, part_rng, part);
    });
    matrix<Scalar> out(n, parts.empty() ? 0 : parts.front().cols());
    index_t row = 0;
    for (const matrix<Scalar>& p : parts) out.middleRows(row, p.rows()) = p, row += p.rows();
    return out;
  }

 private:
  struct worker {
    explicit worker(const Model& m) : model(m) {}
    Model model;
    nn::parameter_list<Scalar> params;
    tape<Scalar> scratch;
  };

  /// f(worker's model, block, the block's context, block index) for the blocks of n rows, each on
  /// its worker thread.
  template <class F>
  void for_each_block(index_t n, const context<matrix<Scalar>>& c, F&& f) {
    if (c.has_labels() && static_cast<index_t>(c.labels.size()) != n) {
      throw shape_error("data_parallel: " + std::to_string(c.labels.size()) + " labels for " + std::to_string(n) + " rows");
    }
    if (c.has_features() && c.features->rows() != n) {
      throw shape_error("data_parallel: " + std::to_string(c.features->rows()) + " context rows for " + std::to_string(n) + " rows");
    }
    const std::vector<parallel::row_block> blocks = parallel::split_rows(n, threads());
    team_.run([&](int k) {
      const auto i = static_cast<std::size_t>(k);
      if (i >= blocks.size()) return;
      const parallel::row_block b = blocks[i];
      matrix<Scalar> features;
      f(std::as_const(workers_[i]->model), b, context_rows(c, b.begin, b.rows, features), i);
    });
  }

  /// Every worker's parameter values := the model's (no allocation once the shapes match).
  /// Either list type: the training step passes the model's own list (no read-only copy per step).
  template <class Parameter>
  void synchronize(const nn::basic_parameter_list<Parameter>& params) {
    for (auto& w : workers_) {
      if (w->params.size() != params.size()) throw value_error("data_parallel: the model's parameters changed");
      for (std::size_t i = 0; i < params.size(); ++i) w->params[i].value = params[i].value;
    }
  }

  parallel::worker_team team_;
  std::vector<std::unique_ptr<worker>> workers_;  // empty for one thread
  tape<Scalar> scratch_;                          // the one-thread step's tape
};

}  // namespace eigenflow::train
