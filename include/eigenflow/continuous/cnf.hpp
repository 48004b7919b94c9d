// include/eigenflow/continuous/cnf.hpp — the continuous normalizing flow: a base density at t0 = 0,
// dynamics dz/dt = f(z, t [, c]), data at t1 = T (docs/conventions.md). With the exact trace it is a CNF;
// with Hutchinson's estimator in training it is FFJORD.
//
// log_prob integrates [z, ℓ] from T down to 0 and adds log N(z(0)); sample integrates z from 0
// up to T (no trace needed). Training gradients come from the adjoint method (constant memory) or
// from backprop through the recorded solver steps (exact gradient of the discretized solve), with
// the RNODE regularizers integrated alongside. The end time T = τ² can be learned (FFJORD).
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/continuous/augmented_dynamics.hpp"
#include "eigenflow/continuous/dynamics.hpp"
#include "eigenflow/continuous/trace.hpp"
#include "eigenflow/distributions/distribution.hpp"
#include "eigenflow/enum_names.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/model.hpp"
#include "eigenflow/density/transformed.hpp"
#include "eigenflow/ode/adjoint.hpp"
#include "eigenflow/ode/integrate.hpp"
#include "eigenflow/ode/replay.hpp"

namespace eigenflow::continuous {

/// How training gradients are computed.
enum class gradient_method {
  adjoint,   ///< backward adjoint solve: memory independent of the number of steps
  backprop,  ///< replay the accepted steps on the tape: the exact gradient of the discretized solve
};

/// The names of the gradient methods, for parsing and printing.
inline constexpr auto gradient_method_names = std::to_array<enum_name<gradient_method>>(
    {{gradient_method::adjoint, "adjoint"}, {gradient_method::backprop, "backprop"}});

/// The method's name ("adjoint" or "backprop").
inline std::string to_string(gradient_method g) { return std::string(name_of(gradient_method_names, g)); }
/// The method named `name`; throws value_error for an unknown name.
inline gradient_method parse_gradient_method(std::string_view name) {
  return parse_enum(gradient_method_names, name, "gradient method");
}

/// The settings of a cnf: trace estimators, solvers, gradient method, end time and regularizers.
struct cnf_options {
  trace_estimator training_trace = trace_estimator::exact;  ///< trace in training; hutchinson: FFJORD
  /// Evaluation (log_prob, forward, inverse): exact by default, as reported test NLLs should be.
  /// Hutchinson evaluation draws its noise from a fixed seed, so it is repeatable.
  trace_estimator evaluation_trace = trace_estimator::exact;
  /// Distribution of the Hutchinson probes (training and evaluation).
  noise_kind noise = noise_kind::gaussian;
  /// Solver of accumulate_gradient()'s forward solve (and of the adjoint's backward solve).
  ode::solver_options training_solver{};
  /// Solver of log_prob, forward, inverse, sample and trajectory.
  ode::solver_options evaluation_solver{};
  /// How accumulate_gradient() differentiates the solve.
  gradient_method gradient = gradient_method::adjoint;
  /// Adjoint only: parameter adjoints left out of the backward step-size norm.
  bool seminorm = false;
  /// T, the data time (the base is at t = 0); must be positive. The starting value when learned.
  double end_time = 0.5;
  /// Learn T = τ² as a parameter (FFJORD); otherwise T stays fixed.
  bool learn_end_time = true;
  /// RNODE weights: loss = NLL + kinetic_weight·∫‖f‖² dt + jacobian_weight·∫‖J ε‖² dt. They
  /// make the dynamics easier to solve (fewer evaluations) with a fixed end time, as RNODE uses;
  /// with learn_end_time the kinetic penalty (∝ 1/T for a given transport) mostly pushes T up.
  /// Their integrals are left out of the step-size error norm.
  double kinetic_weight = 0;
  /// Weight of the Jacobian Frobenius penalty (see kinetic_weight).
  double jacobian_weight = 0;
};

/// Continuous normalizing flow: a base density at t = 0 carried to the data at t = T by
/// dz/dt = f(z, t [, c]).
///
/// @tparam Scalar float or double.
///
/// @code
///   auto model = continuous::make_ffjord<float>(2, rng);          // builders.hpp
///   optim::adam<float> adam({.learning_rate = 1e-3f});
///   model.parameters().zero_grad();
///   step_loss l = model.accumulate_gradient(batch, rng);          // grads in parameters
///   adam.step(model.parameters());
///   matrix<float> lp = model.log_prob(test);                      // exact trace
/// @endcode
///
/// A density_model (model.hpp). Not thread-safe: the evaluation counters are updated by const
/// calls; use a model per thread.
template <class Scalar>
class cnf {
 public:
  /// float or double.
  using scalar_type = Scalar;
  /// A plain matrix: rows are samples.
  using plain = matrix<Scalar>;

  /// Takes ownership of the base density (at t = 0) and of the dynamics; their widths must match.
  /// Throws value_error for invalid options.
  cnf(std::unique_ptr<distributions::distribution<Scalar>> base, std::unique_ptr<dynamics<Scalar>> f,
      cnf_options options = {})
      : base_(std::move(base)), f_(std::move(f)), options_(options) {
    if (!base_ || !f_) throw value_error("cnf: a base distribution and dynamics are required");
    if (base_->dim() != f_->dim()) {
      throw shape_error("cnf: base has dimension " + std::to_string(base_->dim()) + ", dynamics " + std::to_string(f_->dim()));
    }
    validate_options(options_);
    tau_ = nn::parameter<Scalar>("end_time.sqrt", plain::Constant(1, 1, static_cast<Scalar>(std::sqrt(options_.end_time))));
    params_ = collect_parameters();
  }
  /// A deep copy (base and dynamics cloned), with fresh tapes.
  cnf(const cnf& o)  // fresh tapes
      : base_(o.base_->clone()), f_(o.f_->clone()), options_(o.options_), tau_(o.tau_), params_(collect_parameters()) {}
  /// Replaces this model with a deep copy of `o`.
  cnf& operator=(const cnf& o) {
    cnf copy(o);
    *this = std::move(copy);
    return *this;
  }
  // τ lives in the object itself: the moved list is pointed at this object's τ (the base's and
  // the dynamics' parameters live on the heap and move with their pointers).
  /// Takes over o's base, dynamics, τ and tapes; `o` is left empty.
  cnf(cnf&& o) noexcept
      : base_(std::move(o.base_)), f_(std::move(o.f_)), options_(o.options_), tau_(std::move(o.tau_)),
        last_stats_(o.last_stats_), work_(std::move(o.work_)), params_(std::move(o.params_)) {
    params_.retarget(o.tau_, tau_);
  }
  /// Takes over o's base, dynamics, τ and tapes; `o` is left empty.
  cnf& operator=(cnf&& o) noexcept {
    base_ = std::move(o.base_);
    f_ = std::move(o.f_);
    options_ = o.options_;
    tau_ = std::move(o.tau_);
    last_stats_ = o.last_stats_;
    work_ = std::move(o.work_);
    params_ = std::move(o.params_);
    params_.retarget(o.tau_, tau_);
    return *this;
  }

  // ---- evaluation ----------------------------------------------------------------------------

  /// log p(x [| c]) per sample (batch × 1), in nats, with the evaluation trace and solver.
  plain log_prob(const plain& x, const context<plain>& c = {}) const {
    const transformed<plain> z = forward(x, c);
    return base_->log_prob(z.value) + z.log_det;
  }

  /// log p(x [| c]) on x's tape: the evaluation solve's accepted steps replayed on the tape
  /// (discretize-then-optimize, as the backprop gradient), so reverse mode gives the exact
  /// gradient of the discretized log-density with respect to x and every parameter (including a
  /// learned T). The value equals log_prob's up to rounding. A context matrix enters as a constant:
  /// no gradient flows into it. Memory grows with the number of steps.
  var<Scalar> log_prob(const var<Scalar>& x, const context<var<Scalar>>& c) const {
    plain features;
    context<plain> fixed;
    fixed.labels = c.labels;
    if (c.has_features()) {
      features = c.features->value();
      fixed.features = &features;
    }
    const plain x_value = x.value();
    check_input("cnf::log_prob (tape)", x_value, fixed);
    const augmented_layout layout{dim(), false, false};
    random_engine rng(evaluation_seed);
    const probe_set<Scalar> probes = probe_set<Scalar>::make(options_.evaluation_trace, x.rows(), dim(), options_.noise, rng);
    augmented_dynamics<Scalar> aug(*f_, probes, fixed, layout, {}, &work_->scratch);
    aug.copy_constants_to_tape();  // x's tape outlives this call
    vector<Scalar> s = initial_state(x_value, layout);
    std::vector<Scalar> times;
    ode::integrate_controls<Scalar> controls;
    controls.accepted_times = &times;
    auto system = [&](const vector<Scalar>& in, vector<Scalar>& d, Scalar t) { aug.rhs(in, d, t); };
    last_stats_ = ode::integrate(system, s, end_time(), Scalar(0), options_.evaluation_solver, "cnf::log_prob (tape)", controls);

    tape<Scalar>& tp = x.owner();
    const var<Scalar> s0 = concat(x, tp.zeros(x.rows(), 1));
    const var<Scalar> t_start = options_.learn_end_time ? square(tp.leaf(tau_.value, tau_.grad)) : tp.constant(plain::Constant(1, 1, end_time()));
    auto rhs = [&](const var<Scalar>& state, const var<Scalar>& t) { return aug.record_derivative(state, t); };
    const std::vector<Scalar> grid = ode::grid_fractions(times);
    const var<Scalar> s_end = ode::replay_on_tape(rhs, s0, t_start, tp.constant(plain::Zero(1, 1)),
                                                  std::span<const Scalar>(grid), options_.evaluation_solver.solver);
    return add(base_->log_prob(slice(s_end, 0, layout.dim)), slice(s_end, layout.trace_column(), 1));
  }

  /// Data → base: z = z(0) from x = z(T), with log|det ∂z/∂x| = −∫ tr J dt.
  transformed<plain> forward(const plain& x, const context<plain>& c = {}) const {
    check_input("cnf::forward", x, c);
    return solve_with_trace(x, c, end_time(), Scalar(0), "cnf::forward");
  }

  /// Base → data: x = z(T) from z = z(0), with log|det ∂x/∂z| = ∫ tr J dt.
  transformed<plain> inverse(const plain& z, const context<plain>& c = {}) const {
    check_input("cnf::inverse", z, c);
    return solve_with_trace(z, c, Scalar(0), end_time(), "cnf::inverse");
  }

  /// n samples [given c: one label / context row per sample]: base draws carried from 0 to T.
  plain sample(index_t n, random_engine& rng, const context<plain>& c = {}) const {
    require_positive(n);
    return trajectory(base_->sample(n, rng), std::vector<double>{double(end_time())}, c).back();
  }

  /// Samples with their log-density (exact trace by default): log p(x) = log p(z) − log|det ∂x/∂z|.
  std::pair<plain, plain> sample_and_log_prob(index_t n, random_engine& rng, const context<plain>& c = {}) const {
    require_positive(n);
    const plain z = base_->sample(n, rng);
    const transformed<plain> x = inverse(z, c);
    return {x.value, base_->log_prob(z) - x.log_det};
  }

  /// The states at increasing times in [0, T], starting from base points z at t = 0 (for pictures
  /// of particles moving from base to data).
  std::vector<plain> trajectory(const plain& z, const std::vector<double>& times, const context<plain>& c = {}) const {
    check_input("cnf::trajectory", z, c);
    const augmented_layout layout{dim(), false, false};
    const probe_set<Scalar> none = probe_set<Scalar>::none(z.rows(), dim());
    const augmented_dynamics<Scalar> aug(*f_, none, c, layout, {}, &work_->scratch);
    vector<Scalar> s = vector<Scalar>::Zero(aug.state_size());
    s.head(z.size()) = z.reshaped();
    std::vector<plain> out;
    Scalar t = 0;
    last_stats_ = {};
    for (const double next : times) {
      if (!(next >= double(t)) || next > double(end_time()) * (1 + 1e-6)) {
        throw value_error("cnf::trajectory: times must increase within [0, T = " + std::to_string(double(end_time())) + "]");
      }
      auto system = [&](const vector<Scalar>& in, vector<Scalar>& d, Scalar tt) { aug.rhs_without_trace(in, d, tt); };
      last_stats_ += ode::integrate(system, s, t, static_cast<Scalar>(next), options_.evaluation_solver, "cnf::sample");
      t = static_cast<Scalar>(next);
      out.push_back(s.head(z.size()).reshaped(z.rows(), dim()));
    }
    return out;
  }

  // ---- training ------------------------------------------------------------------------------

  /// Adds ∂loss/∂θ to every parameter's gradient for one batch (loss = −mean log p(x) + the
  /// weighted regularizers) and returns the loss and the solves' costs. The caller zeroes the
  /// gradients before and steps an optimizer after. Probes are drawn from `rng`; `tp` holds the
  /// loss (and, for backprop, the replayed solve).
  step_loss accumulate_gradient(const plain& x, const context<plain>& c, random_engine& rng, tape<Scalar>& tp) {
    check_input("cnf::accumulate_gradient", x, c);
    const augmented_layout layout{dim(), options_.kinetic_weight > 0, options_.jacobian_weight > 0};
    const probe_set<Scalar> probes = probe_set<Scalar>::make(options_.training_trace, x.rows(), dim(), options_.noise, rng);
    const nn::parameter_list<Scalar> dynamics_parameters = f_->parameters();
    const augmented_dynamics<Scalar> aug(*f_, probes, c, layout, dynamics_parameters, &work_->scratch);
    const vector<Scalar> s0 = initial_state(x, layout);
    const Scalar t1 = end_time();
    const std::string who = "cnf (training)";
    auto system = [&](const vector<Scalar>& in, vector<Scalar>& d, Scalar t) { aug.rhs(in, d, t); };
    // The step size follows z and ℓ; the regularizers (the last columns) are penalties whose
    // integrals need not meet the tolerance, and would otherwise force extra steps.
    ode::integrate_controls<Scalar> controls{.error_norm_size = x.rows() * (layout.dim + 1)};

    step_loss result;
    tp.clear();
    if (options_.gradient == gradient_method::adjoint) {
      vector<Scalar> s = s0;
      result.forward_evaluations = ode::integrate(system, s, t1, Scalar(0), options_.training_solver, who, controls).evaluations;
      const var<Scalar> s_end = tp.variable(s.reshaped(x.rows(), layout.columns()));
      const var<Scalar> loss = terminal_loss(s_end, layout, result);
      tp.backward(loss);
      const vector<Scalar> loss_gradient = s_end.adjoint().reshaped();
      // The adjoint's vector-Jacobian products use the dynamics' gradients as scratch.
      const vector<Scalar> saved = dynamics_parameters.flatten_grads();
      const ode::adjoint_result<Scalar> adj =
          ode::solve_adjoint(aug, s, loss_gradient, t1, Scalar(0), options_.training_solver, who,
                             {.seminorm = options_.seminorm, .time_gradients = options_.learn_end_time});
      dynamics_parameters.assign_grads(saved + adj.parameter_gradient);
      if (options_.learn_end_time) tau_.grad(0, 0) += adj.start_time_gradient * Scalar(2) * tau_.value(0, 0);
      result.backward_evaluations = adj.stats.evaluations;
    } else {
      vector<Scalar> s = s0;
      std::vector<Scalar> times;
      controls.accepted_times = &times;
      result.forward_evaluations = ode::integrate(system, s, t1, Scalar(0), options_.training_solver, who, controls).evaluations;
      const std::vector<Scalar> grid = ode::grid_fractions(times);
      const var<Scalar> t_start = options_.learn_end_time ? square(tp.leaf(tau_.value, tau_.grad)) : tp.constant(plain::Constant(1, 1, t1));
      const var<Scalar> t_end = tp.constant(plain::Zero(1, 1));
      auto rhs = [&](const var<Scalar>& state, const var<Scalar>& t) { return aug.record_derivative(state, t); };
      const var<Scalar> s_end = ode::replay_on_tape(rhs, tp.constant(s0.reshaped(x.rows(), layout.columns())), t_start, t_end,
                                                    std::span<const Scalar>(grid), options_.training_solver.solver,
                                                    &result.forward_evaluations);
      tp.backward(terminal_loss(s_end, layout, result));
    }
    return result;
  }

  /// accumulate_gradient on the model's own tape.
  step_loss accumulate_gradient(const plain& x, random_engine& rng, const context<plain>& c = {}) {
    return accumulate_gradient(x, c, rng, work_->training);
  }

  // ---- model ---------------------------------------------------------------------------------

  /// Base parameters, dynamics parameters, then τ (T = τ²) when the end time is learned.
  nn::parameter_list<Scalar> parameters() { return params_; }
  /// The same parameters, read only.
  nn::const_parameter_list<Scalar> parameters() const { return params_; }

  /// T = τ², the data time (the current value when it is learned).
  Scalar end_time() const { return tau_.value(0, 0) * tau_.value(0, 0); }
  /// D: the width of a sample.
  index_t dim() const { return f_->dim(); }
  /// The context log_prob() and sample() need (that of the dynamics).
  condition_spec condition() const { return f_->condition(); }
  /// The current settings.
  const cnf_options& options() const { return options_; }
  /// Change solver / trace / regularizer settings (e.g. a tighter solver for evaluation).
  void set_options(const cnf_options& o) {
    validate_options(o);
    const bool keep_time = o.end_time == options_.end_time;
    options_ = o;
    if (!keep_time) tau_.value(0, 0) = static_cast<Scalar>(std::sqrt(o.end_time));
    params_ = collect_parameters();  // τ joins or leaves the list with learn_end_time
  }
  /// The dynamics f.
  const dynamics<Scalar>& dynamics_function() const { return *f_; }
  /// The base density, at t = 0.
  const distributions::distribution<Scalar>& base() const { return *base_; }
  /// What the last evaluation call (log_prob, forward, inverse, sample, trajectory) cost.
  const ode::solve_stats& last_solve() const { return last_stats_; }

  /// The architecture (what a checkpoint must match): a learned T is a parameter, so its value
  /// is not part of it; a fixed T is.
  std::string describe() const {
    return "cnf(" + base_->describe() + ", " + f_->describe() + ", training trace " + to_string(options_.training_trace) +
           ", T " + (options_.learn_end_time ? std::string("learned") : "= " + std::to_string(double(end_time()))) + ")";
  }

 private:
  static void validate_options(const cnf_options& o) {
    ode::validate(o.training_solver, "cnf: training solver");
    ode::validate(o.evaluation_solver, "cnf: evaluation solver");
    if (!(o.end_time > 0) || !std::isfinite(o.end_time)) {
      throw value_error("cnf: end_time must be positive and finite, got " + std::to_string(o.end_time));
    }
    if (!(o.kinetic_weight >= 0) || !(o.jacobian_weight >= 0) || !std::isfinite(o.kinetic_weight) ||
        !std::isfinite(o.jacobian_weight)) {
      throw value_error("cnf: regularizer weights must be finite and non-negative");
    }
  }

  static void require_positive(index_t n) {
    if (n < 1) throw value_error("cnf::sample: the number of samples must be positive, got " + std::to_string(n));
  }

  void check_input(const std::string& who, const plain& x, const context<plain>& c) const {
    detail::check_width(who, x, dim());
    if (x.rows() < 1) throw shape_error(who + ": the batch is empty");
    detail::require_finite(who, "input", x);
    check_context(who, f_->condition(), c, x.rows());
  }

  nn::parameter_list<Scalar> collect_parameters() {
    nn::parameter_list<Scalar> list;
    base_->collect_parameters(list);
    f_->collect_parameters(list);
    if (options_.learn_end_time) list.push_back(tau_);
    return list;
  }

  static vector<Scalar> initial_state(const plain& x, const augmented_layout& layout) {
    vector<Scalar> s = vector<Scalar>::Zero(x.rows() * layout.columns());
    s.head(x.size()) = x.reshaped();
    return s;
  }

  /// Integrates [z, ℓ] from t_from to t_to with the evaluation settings: {z(t_to), ℓ(t_to)}.
  /// Batches above chunk_rows are solved chunk by chunk (each with its own adaptive steps), so
  /// the tape's working set stays small whatever the batch.
  transformed<plain> solve_with_trace(const plain& x, const context<plain>& c, Scalar t_from, Scalar t_to,
                                             const std::string& who) const {
    if (x.rows() <= chunk_rows) {
      last_stats_ = {};
      return solve_chunk_with_trace(x, c, t_from, t_to, who);
    }
    transformed<plain> out{plain(x.rows(), x.cols()), plain(x.rows(), 1)};
    ode::solve_stats total;
    for (index_t begin = 0; begin < x.rows(); begin += chunk_rows) {
      const index_t rows = std::min(chunk_rows, x.rows() - begin);
      plain features;
      const transformed<plain> chunk =
          solve_chunk_with_trace(x.middleRows(begin, rows), context_rows(c, begin, rows, features), t_from, t_to, who);
      out.value.middleRows(begin, rows) = chunk.value;
      out.log_det.middleRows(begin, rows) = chunk.log_det;
      total += last_stats_;
    }
    last_stats_ = total;
    return out;
  }

 public:
  /// Rows per chunk of evaluation (log_prob, forward, inverse).
  static constexpr index_t chunk_rows = 2048;

 private:
  transformed<plain> solve_chunk_with_trace(const plain& x, const context<plain>& c, Scalar t_from, Scalar t_to,
                                                   const std::string& who) const {
    const augmented_layout layout{dim(), false, false};
    random_engine rng(evaluation_seed);
    const probe_set<Scalar> probes = probe_set<Scalar>::make(options_.evaluation_trace, x.rows(), dim(), options_.noise, rng);
    const augmented_dynamics<Scalar> aug(*f_, probes, c, layout, {}, &work_->scratch);
    vector<Scalar> s = initial_state(x, layout);
    auto system = [&](const vector<Scalar>& in, vector<Scalar>& d, Scalar t) { aug.rhs(in, d, t); };
    last_stats_ = ode::integrate(system, s, t_from, t_to, options_.evaluation_solver, who);
    const auto out = s.reshaped(x.rows(), layout.columns());
    return {plain(out.leftCols(dim())), plain(out.col(layout.trace_column()))};
  }

  /// −mean(log N(z(0)) + ℓ(0)) + weighted regularizer means, on the tape holding s_end.
  var<Scalar> terminal_loss(const var<Scalar>& s_end, const augmented_layout& layout, step_loss& out) const {
    const var<Scalar> log_p = add(base_->log_prob(slice(s_end, 0, layout.dim)), slice(s_end, layout.trace_column(), 1));
    const var<Scalar> nll = neg(mean(log_p));
    var<Scalar> loss = nll;
    out.nll = double(nll.item());
    if (layout.kinetic) {
      const var<Scalar> kinetic = mean(slice(s_end, layout.kinetic_column(), 1));
      loss = add(loss, scale(kinetic, static_cast<Scalar>(options_.kinetic_weight)));
    }
    if (layout.jacobian) {
      const var<Scalar> frobenius = mean(slice(s_end, layout.jacobian_column(), 1));
      loss = add(loss, scale(frobenius, static_cast<Scalar>(options_.jacobian_weight)));
    }
    out.loss = double(loss.item());
    out.penalty = out.loss - out.nll;
    return loss;
  }

  static constexpr std::uint64_t evaluation_seed = 0x5eed;

  std::unique_ptr<distributions::distribution<Scalar>> base_;
  std::unique_ptr<dynamics<Scalar>> f_;
  cnf_options options_;
  nn::parameter<Scalar> tau_;
  mutable ode::solve_stats last_stats_;

  /// Tapes kept across calls, so their storage is reused (backprop's training tape holds every
  /// recorded step: its capacity stays at the largest solve seen).
  struct workspace {
    tape<Scalar> scratch;   // right-hand sides and vector-Jacobian products
    tape<Scalar> training;  // the loss (and, for backprop, the replayed solve)
  };
  std::unique_ptr<workspace> work_ = std::make_unique<workspace>();
  nn::parameter_list<Scalar> params_;  // built once: a const cnf hands out a read-only view of it
};

}  // namespace eigenflow::continuous
