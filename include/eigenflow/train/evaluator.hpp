// include/eigenflow/train/evaluator.hpp — model selection during training: when to evaluate on
// held-out data, which evaluation was the best (and its parameters), and when to stop early.
// It sees only numbers and parameter lists, so it can be tested (and reused) without a model.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::train {

/// When to evaluate, when to stop, and whether to keep the best parameters.
struct evaluation_policy {
  long every = 0;          ///< evaluate every this many steps (0: only at the last)
  long patience = 0;       ///< stop after this many evaluations without improvement (0: never)
  bool keep_best = true;   ///< end with the parameters of the best evaluation
};

/// Where model selection stands: what a checkpoint must hold for a resumed run to select (and
/// stop) exactly as an uninterrupted one. The best values are kept in double, which holds float
/// and double parameters exactly.
struct selection_state {
  double best_nll = std::numeric_limits<double>::quiet_NaN();  ///< NaN: no evaluation yet
  long best_iteration = 0;                                      ///< the step of the best evaluation
  long without_improvement = 0;                                 ///< evaluations since it
  std::vector<double> best_values;  ///< its flattened parameters (empty unless keep_best)
};

/// Model selection for one run: decides when to evaluate, tracks the best held-out NLL (and, with
/// keep_best, its parameter values) and when patience runs out.
///
/// @tparam Scalar float or double (of the parameters).
template <class Scalar>
class evaluator {
 public:
  /// For a run whose last step is `last_iteration`.
  evaluator(evaluation_policy policy, long last_iteration) : policy_(policy), last_(last_iteration) {
    if (policy.every < 0) throw value_error("evaluator: every must be non-negative, got " + std::to_string(policy.every));
    if (policy.patience < 0) {
      throw value_error("evaluator: patience must be non-negative, got " + std::to_string(policy.patience));
    }
  }

  /// Whether step `iteration` ends with an evaluation: every `every`-th step, and the last.
  bool due(long iteration) const {
    return (policy_.every > 0 && iteration % policy_.every == 0) || iteration == last_;
  }

  /// Records the held-out NLL after step `iteration` (lower is better; a NaN never improves on a
  /// number, the first number always improves on nothing). Returns whether it is the best so far;
  /// if so and keep_best, remembers `params`' values.
  bool record(long iteration, double nll, const nn::const_parameter_list<Scalar>& params) {
    const bool improved = !(nll >= best_nll_) && !std::isnan(nll);
    if (improved) {
      best_nll_ = nll;
      best_iteration_ = iteration;
      if (policy_.keep_best) best_values_ = params.flatten_values();
      without_improvement_ = 0;
    } else {
      ++without_improvement_;
    }
    return improved;
  }

  /// Patience is exhausted.
  bool should_stop() const { return policy_.patience > 0 && without_improvement_ >= policy_.patience; }

  /// With keep_best, the best evaluation's values into `params` (nothing if none was recorded).
  void restore_best(const nn::parameter_list<Scalar>& params) const {
    if (best_values_) params.assign_values(*best_values_);
  }

  /// Where selection stands (for a checkpoint).
  selection_state state() const {
    selection_state s{best_nll_, best_iteration_, without_improvement_, {}};
    if (best_values_) s.best_values.assign(best_values_->data(), best_values_->data() + best_values_->size());
    return s;
  }

  /// Continues from a checkpoint's state; the best values, if any, must have `parameter_count`
  /// entries (value_error otherwise).
  void resume(const selection_state& s, index_t parameter_count) {
    if (!s.best_values.empty() && static_cast<index_t>(s.best_values.size()) != parameter_count) {
      throw value_error("evaluator: the saved best parameters have " + std::to_string(s.best_values.size()) +
                        " values, the model " + std::to_string(parameter_count));
    }
    if (s.best_iteration < 0 || s.without_improvement < 0) throw value_error("evaluator: negative counts in the saved state");
    best_nll_ = s.best_nll;
    best_iteration_ = s.best_iteration;
    without_improvement_ = s.without_improvement;
    best_values_.reset();
    if (!s.best_values.empty()) {
      best_values_ = Eigen::Map<const vector<double>>(s.best_values.data(), parameter_count).template cast<Scalar>();
    }
  }

  /// The best held-out NLL so far; NaN until an evaluation improved on nothing.
  double best_nll() const { return best_nll_; }
  /// The step of the best evaluation (0 if none improved).
  long best_iteration() const { return best_iteration_; }
  /// Evaluations since the last improvement.
  long evaluations_without_improvement() const { return without_improvement_; }
  /// The policy given at construction.
  const evaluation_policy& policy() const { return policy_; }

 private:
  evaluation_policy policy_;
  long last_;
  double best_nll_ = std::numeric_limits<double>::quiet_NaN();
  long best_iteration_ = 0;
  long without_improvement_ = 0;
  std::optional<vector<Scalar>> best_values_;
};

}  // namespace eigenflow::train
