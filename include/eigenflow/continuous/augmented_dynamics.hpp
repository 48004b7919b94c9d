// include/eigenflow/continuous/augmented_dynamics.hpp — the ODE a CNF actually solves: z together
// with the log-density change and the regularizer integrands (docs/conventions.md),
//   ds/dt = [ f(z, t),  v·(J v) summed over probes,  −‖f‖²,  −‖J v‖² ],  s = [z, ℓ, E, F],
// for a batch of B samples stored column-major (B × columns).
//
// All of it comes from one tangent pass: f on dual values with the probe directions as tangents
// (trace.hpp) gives f and J v together, recorded on a tape. Plain evaluations read the values and
// clear the tape; the adjoint's vector-Jacobian products seed f and the trace with the adjoint and
// run the reverse pass, which is where the second-order terms ∂(vᵀJv)/∂z, ∂(vᵀJv)/∂θ come from;
// backprop through the solver records the same terms on the caller's tape. The regularizers are
// integrated with a minus sign so that E(t0), F(t0) = +∫_{t0}^{t1} … after the solve from data
// time t1 down to t0.
#pragma once

#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/continuous/dynamics.hpp"
#include "eigenflow/continuous/trace.hpp"
#include "eigenflow/nn/parameter.hpp"

namespace eigenflow::continuous {

/// The columns of the augmented state: z (D), ℓ, then the regularizers that are on.
struct augmented_layout {
  index_t dim = 0;        ///< D, the width of z
  bool kinetic = false;   ///< whether the state carries E, the kinetic-energy integral
  bool jacobian = false;  ///< whether the state carries F, the Jacobian Frobenius-norm integral

  /// Column of ℓ, the log-density change.
  index_t trace_column() const { return dim; }
  /// Column of E (meaningful only when `kinetic` is on).
  index_t kinetic_column() const { return dim + 1; }
  /// Column of F (meaningful only when `jacobian` is on).
  index_t jacobian_column() const { return dim + 1 + (kinetic ? 1 : 0); }
  /// Columns of the state: D + 1 + one per regularizer that is on.
  index_t columns() const { return dim + 1 + (kinetic ? 1 : 0) + (jacobian ? 1 : 0); }
};

/// The four integrands on a tape (null when not needed).
template <class Scalar>
struct augmented_terms {
  var<Scalar> f;          ///< B × D
  var<Scalar> trace;      ///< B × 1: Σ_k v_kᵀ J v_k
  var<Scalar> kinetic;    ///< B × 1: ‖f‖²
  var<Scalar> frobenius;  ///< B × 1: Σ_k ‖J v_k‖²
};

/// The augmented right-hand side for one batch with fixed probes and context.
///
/// @tparam Scalar float or double.
///
/// Holds references to the dynamics, the probes and the scratch tape: they must outlive it. Not
/// thread-safe (it evaluates on a scratch tape); use one per thread.
template <class Scalar>
class augmented_dynamics {
 public:
  using plain = matrix<Scalar>;               ///< a plain matrix: rows are samples
  using state = vector<Scalar>;               ///< the augmented state, B × columns stored column-major as a vector
  using ref = Eigen::Ref<state>;              ///< a writable view of a state
  using const_ref = Eigen::Ref<const state>;  ///< a read-only view of a state

  /// @param f           the dynamics; must outlive this object.
  /// @param probes      the probe directions for this batch (probes.rows samples of width D); must
  ///                    outlive this object.
  /// @param c           the batch's context, copied (once per probe).
  /// @param layout      the columns of the state; layout.dim must be the probes' width.
  /// @param parameters  the parameters vjp() differentiates with respect to, in the order of a_theta.
  /// @param scratch     a tape to evaluate on (cleared on every call), so that its storage outlives
  ///                    this batch; by default the object owns one.
  augmented_dynamics(const dynamics<Scalar>& f, const probe_set<Scalar>& probes, const context<plain>& c,
                     augmented_layout layout, nn::parameter_list<Scalar> parameters = {},
                     tape<Scalar>* scratch = nullptr)
      : f_(f), probes_(probes), layout_(layout), parameters_(std::move(parameters)), rows_(probes.rows),
        scratch_(scratch != nullptr ? *scratch : own_scratch_) {
    if (probes.stacked.cols() != layout.dim || probes.stacked.rows() != probes.count * probes.rows) {
      throw shape_error("augmented_dynamics: probes do not match the batch");
    }
    const index_t k = probes.count;
    for (index_t copy = 0; copy < k; ++copy) labels_.insert(labels_.end(), c.labels.begin(), c.labels.end());
    if (c.has_features()) features_ = c.features->replicate(k, 1);
    has_features_ = c.has_features();
  }

  // Not copyable: a copy's scratch_ would still refer to the original's own_scratch_.
  augmented_dynamics(const augmented_dynamics&) = delete;
  augmented_dynamics& operator=(const augmented_dynamics&) = delete;

  /// Records copy the probes and the context onto the tape instead of viewing this object's, for
  /// a record whose backward pass runs after this object is gone (cnf::log_prob on the tape).
  void copy_constants_to_tape() { copy_constants_ = true; }

  /// B, the number of samples.
  index_t rows() const { return rows_; }
  /// The columns of the state.
  const augmented_layout& layout() const { return layout_; }
  /// Length of the state vector: B × columns.
  index_t state_size() const { return rows_ * layout_.columns(); }
  /// Number of scalar parameters that vjp() differentiates with respect to (the length of a_theta).
  index_t parameter_count() const { return parameters_.count(); }

  /// Records the integrands at (z, t) on z's tape.
  augmented_terms<Scalar> record(const var<Scalar>& z, const var<Scalar>& t, bool with_trace = true) const {
    tape<Scalar>& tp = z.owner();
    const index_t k = probes_.count;
    var<Scalar> stacked = z;
    if (k > 1) {
      copies_.assign(static_cast<std::size_t>(k), z);
      stacked = concat(std::span<const var<Scalar>>(copies_), axis::rows);
    }
    const dual<Scalar> features = has_features_ ? dual<Scalar>(constant(tp, features_)) : dual<Scalar>();
    context<dual<Scalar>> c;
    c.labels = labels_;
    if (has_features_) c.features = &features;
    const var<Scalar> probes = constant(tp, probes_.stacked);
    const dual<Scalar> out = f_(dual<Scalar>(stacked, probes), dual<Scalar>(t), c);

    augmented_terms<Scalar> terms;
    terms.f = k > 1 ? slice(out.primal, 0, rows_, axis::rows) : out.primal;
    if (layout_.kinetic) terms.kinetic = sum_rows(square(terms.f));
    if (!with_trace) return terms;
    // A dynamics that ignores z has a null tangent: J = 0.
    const var<Scalar> jv = out.has_tangent() ? out.tangent : tp.zeros(out.rows(), out.cols());
    terms.trace = fold_probes(sum_rows(mul(jv, probes)));
    if (layout_.jacobian) terms.frobenius = fold_probes(sum_rows(square(jv)));
    return terms;
  }

  /// ds/dt as a B × columns var (for replaying a solve on the tape).
  var<Scalar> record_derivative(const var<Scalar>& s, const var<Scalar>& t) const {
    const augmented_terms<Scalar> terms = record(slice(s, 0, layout_.dim), t);
    std::vector<var<Scalar>> parts{terms.f, terms.trace};
    if (layout_.kinetic) parts.push_back(neg(terms.kinetic));
    if (layout_.jacobian) parts.push_back(neg(terms.frobenius));
    return concat(std::span<const var<Scalar>>(parts), axis::cols);
  }

  /// ds/dt = g(s, t) in plain values.
  void rhs(const const_ref& s, ref ds, Scalar t) const {
    forward_only();
    const augmented_terms<Scalar> terms = record(scratch_.constant(z_of(s)), time(t));
    write(terms, ds);
  }

  /// g(s, t), aᵀ∂g/∂s and aᵀ∂g/∂θ (θ: the parameters given at construction), for the adjoint.
  void vjp(const const_ref& s, Scalar t, const const_ref& a, ref g, ref a_s, ref a_theta) const {
    scratch_.clear();
    scratch_.set_gradients_enabled(true);
    parameters_.zero_grad();
    const var<Scalar> z = scratch_.variable(z_of(s));
    const augmented_terms<Scalar> terms = record(z, time(t));
    write(terms, g);
    const auto adjoint = a.reshaped(rows_, layout_.columns());
    scratch_.seed(terms.f, adjoint.leftCols(layout_.dim));
    scratch_.seed(terms.trace, adjoint.col(layout_.trace_column()));
    if (layout_.kinetic) scratch_.seed(terms.kinetic, -adjoint.col(layout_.kinetic_column()));
    if (layout_.jacobian) scratch_.seed(terms.frobenius, -adjoint.col(layout_.jacobian_column()));
    scratch_.propagate();
    a_s.setZero();
    a_s.head(rows_ * layout_.dim) = z.adjoint().reshaped();
    parameters_.copy_grads_to(a_theta);
  }

  /// f alone, plain (sampling needs no trace); the other columns' derivatives are zero.
  void rhs_without_trace(const const_ref& s, ref ds, Scalar t) const {
    forward_only();
    const augmented_terms<Scalar> terms = record(scratch_.constant(z_of(s)), time(t), false);
    ds.head(rows_ * layout_.dim) = terms.f.value().reshaped();
    ds.tail(ds.size() - rows_ * layout_.dim).setZero();  // ℓ and the regularizers stay put
  }

 private:
  /// A fresh scratch tape that records no adjoints (plain evaluations never run backward).
  void forward_only() const {
    scratch_.clear();
    scratch_.set_gradients_enabled(false);
  }

  /// (K·B) × 1 per-probe values → B × 1 sums over the probes.
  var<Scalar> fold_probes(const var<Scalar>& per_probe) const {
    return probes_.count > 1 ? sum_rows(reshape(per_probe, rows_, probes_.count)) : per_probe;
  }

  /// z as a B × D view of the state (no copy: the tape's leaf copies it once).
  Eigen::Map<const plain> z_of(const const_ref& s) const { return Eigen::Map<const plain>(s.data(), rows_, layout_.dim); }

  var<Scalar> time(Scalar t) const { return scratch_.constant(plain::Constant(1, 1, t)); }

  var<Scalar> constant(tape<Scalar>& tp, const matrix<Scalar>& m) const {
    return copy_constants_ ? tp.constant(m) : tp.constant_view(m);
  }

  void write(const augmented_terms<Scalar>& terms, ref ds) const {
    auto out = ds.reshaped(rows_, layout_.columns());
    out.leftCols(layout_.dim) = terms.f.value();
    out.col(layout_.trace_column()) = terms.trace.value();
    if (layout_.kinetic) out.col(layout_.kinetic_column()) = -terms.kinetic.value();
    if (layout_.jacobian) out.col(layout_.jacobian_column()) = -terms.frobenius.value();
  }

  const dynamics<Scalar>& f_;
  const probe_set<Scalar>& probes_;
  augmented_layout layout_;
  nn::parameter_list<Scalar> parameters_;
  index_t rows_;
  std::vector<index_t> labels_;
  plain features_;
  bool has_features_ = false;
  bool copy_constants_ = false;
  mutable tape<Scalar> own_scratch_;
  tape<Scalar>& scratch_;
  mutable std::vector<var<Scalar>> copies_;
};

}  // namespace eigenflow::continuous
