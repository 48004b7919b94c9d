// benchmarks/ffjord.cpp — FFJORD training on 8gaussians with the toy defaults of make_ffjord
// (ConcatSquash 2-64-64-64-2 tanh, Hutchinson's estimator with Gaussian ε, dopri5 at
// atol = rtol = 1e-5, learned end time T = 0.5 at the start, adjoint gradients, Adam lr 1e-3 with
// weight decay 1e-5), float. Three parts:
//
// 1. training/batch:B — one training iteration (draw a batch, zero the gradients,
//    accumulate_gradient, Adam step) at batch 100 and 512. Counters: forward and backward
//    evaluations per iteration (averaged over the timed iterations; the backward count includes
//    the two plain evaluations of the end-time gradient), time per evaluation = iteration time /
//    (forward + backward evaluations), peak heap bytes of one iteration above what was live before
//    it (max over 3 iterations), and the mean training NLL. Each model is first trained for 50
//    seeded warm-up iterations, so the NFEs are those of a field that has started to fit, not of
//    the random initial one. Every timed iteration then starts from that warmed-up state
//    (parameters and Adam moments restored outside the timing; new batch and ε each time): the
//    NFEs keep growing as training goes on (to ~70 forward + ~40 backward after ~1,000
//    iterations), and without the restore the figures would depend on --benchmark_min_time.
//
// 2. eval/… — one evaluation of the augmented dynamics at batch 100 in isolation, on a copy of
//    the warmed-up batch-100 model, against plain Eigen written by hand in this file with the
//    same parameter values (read from the model's parameter list):
//      forward: augmented_dynamics::rhs (f and εᵀJε by a tangent pass on the tape) vs a plain
//               forward of the network with its Jacobian-vector product (tangent propagation);
//      vjp:     augmented_dynamics::vjp (f, εᵀJε, and the adjoint's products w.r.t. z and all
//               parameters: reverse mode through the tangent pass) vs the same forward plus a
//               hand-written reverse pass of f and εᵀJε (second order through the tangent).
//    The hand version stacks [x; ẋ] so that each layer's primal and tangent products are one
//    GEMM (2B × in times inᵀ × out), forward and reverse; the tape does them as separate nodes.
//    Both are compared before timing (f, εᵀJε, ∂/∂z, ∂/∂θ to 1e-4 relative); a mismatch aborts.
//
// 3. memory/… — peak heap bytes of one accumulate_gradient at batch 100 with the solver forced to
//    rk4 with a fixed number of steps: adjoint at 10 and 1,000 steps (the adjoint re-solves the
//    state backward, so memory should not depend on the number of steps), and, for contrast,
//    backprop through the recorded steps at 10 and 1,000 steps (the tape holds every step). If
//    backprop at 1,000 steps would need more than ~2 GB (extrapolated linearly from 10 steps),
//    200 steps are used instead and the name says so. (Backprop's forward count includes the
//    replay of the steps on the tape: 2 × 4 × steps. Bytes are malloc_usable_size of the live
//    blocks, so the tape arena's and node vector's doubling growth shows: backprop memory is
//    linear in the steps only up to that factor of ≤ 2.)
//
// Reference (the FFJORD authors' PyTorch code, toy 8gaussians, same settings, this kind of
// machine): 0.056 s per iteration at batch 100 with about 20 forward and 20 backward
// evaluations, about 1.4 ms per evaluation. The summary compares our time per evaluation at
// batch 100 with 1.4 ms.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/eigenflow.hpp"
#include "support/heap_counter.hpp"
#include "support/ratio_reporter.hpp"

namespace {

using namespace eigenflow;
using S = float;
using plain = matrix<S>;

constexpr int warmup_iterations = 50;
constexpr index_t eval_batch = 100;
constexpr S eval_time = S(0.25);  // mid-way through [0, T]
constexpr double reference_seconds_per_evaluation = 1.4e-3;
constexpr double reference_seconds_per_iteration = 0.056;

plain eight_gaussians(index_t n, random_engine& rng) { return data::sample_toy2d<S>(data::toy2d::eight_gaussians, n, rng); }

// ---- 1. training ------------------------------------------------------------------------------

struct trainer {
  random_engine rng;
  continuous::cnf<S> model;
  nn::parameter_list<S> params;
  optim::adam<S> adam{{.learning_rate = 1e-3f, .weight_decay = 1e-5f}};
  index_t batch;

  // The state after the warm-up: every timed iteration starts from it.
  vector<S> warm_values;
  optim::adam<S> warm_adam;

  trainer(index_t batch_size, std::uint64_t seed)
      : rng(seed), model(continuous::make_ffjord<S>(2, rng)), params(model.parameters()), batch(batch_size) {
    for (int i = 0; i < warmup_iterations; ++i) step();
    warm_values = params.flatten_values();
    warm_adam = adam;
  }

  /// Back to the warmed-up parameters and Adam moments (the data and probe draws go on).
  void restore() {
    params.assign_values(warm_values);
    adam = warm_adam;
  }

  step_loss step() {
    const plain x = eight_gaussians(batch, rng);
    params.zero_grad();
    const step_loss l = model.accumulate_gradient(x, rng);
    adam.step(params);
    return l;
  }
};

/// One trained model per batch size, built (and warmed up) on first use, kept across the calls
/// Google Benchmark makes.
trainer& trained(index_t batch) {
  static std::map<index_t, std::unique_ptr<trainer>> trainers;
  auto& slot = trainers[batch];
  if (!slot) slot = std::make_unique<trainer>(batch, 1000 + std::uint64_t(batch));
  return *slot;
}

void training_iteration(benchmark::State& state) {
  trainer& tr = trained(state.range(0));
  std::size_t peak = 0;
  for (int i = 0; i < 3; ++i) {
    tr.restore();
    peak = std::max(peak, bench::peak_heap_bytes([&] { tr.step(); }));
  }
  double forward = 0, backward = 0, nll = 0;
  for (auto _ : state) {
    state.PauseTiming();
    tr.restore();
    state.ResumeTiming();
    const step_loss l = tr.step();
    forward += double(l.forward_evaluations);
    backward += double(l.backward_evaluations);
    nll += l.nll;
  }
  state.counters["fwd_evals"] = benchmark::Counter(forward, benchmark::Counter::kAvgIterations);
  state.counters["bwd_evals"] = benchmark::Counter(backward, benchmark::Counter::kAvgIterations);
  state.counters["s/eval"] =
      benchmark::Counter(forward + backward, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["peak_heap"] = benchmark::Counter(double(peak), benchmark::Counter::kDefaults,
                                                   benchmark::Counter::OneK::kIs1024);
  state.counters["nll"] = benchmark::Counter(nll, benchmark::Counter::kAvgIterations);
}

// ---- 2. one evaluation, against plain Eigen -------------------------------------------------

/// The dynamics' parameters of a cnf (everything but the end time), in the model's order.
nn::parameter_list<S> dynamics_parameters(continuous::cnf<S>& model) {
  nn::parameter_list<S> list;
  for (nn::parameter<S>* p : model.parameters()) {
    if (p->name.rfind("dynamics.", 0) == 0) list.push_back(*p);
  }
  return list;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "ffjord benchmark: %s\n", what.c_str());
  std::exit(1);
}

/// FFJORD's ConcatSquash tanh network, f(z, t) and the tangent J ε, forward and reverse, in
/// plain Eigen into preallocated buffers. Each layer: h = (x Wᵀ + b) ⊙ σ(t w_g + b_g) + t w_s,
/// ḣ = (ẋ Wᵀ) ⊙ σ(t w_g + b_g); between layers y = tanh(h), ẏ = ḣ ⊙ (1 − y²). The first B rows
/// of every buffer hold the primal, the next B rows the tangent.
struct hand_ffjord {
  struct layer {
    const plain *w, *b, *gate_w, *gate_b, *shift_w;  // out×in, 1×out, out×1, 1×out, out×1
    plain gate, shift;                               // 1×out: σ(t w_gᵀ + b_g), t w_sᵀ
    plain x, p, h;                                   // [x; ẋ] 2B×in, [xWᵀ + b; ẋWᵀ], [h; ḣ] 2B×out
    plain dh, dp, dx;                                // adjoints of h, p, x
    plain dw, db, dgate_w, dgate_b, dshift_w;        // parameter gradients, shaped as the parameters
  };
  std::vector<layer> layers;
  index_t rows = 0;
  S t = 0;
  plain f, trace, dz;  // B×D, B×1, B×D

  explicit hand_ffjord(const nn::parameter_list<S>& params) {
    static const char* const suffixes[5] = {".layer.weight", ".layer.bias", ".gate.weight", ".gate.bias",
                                            ".shift.weight"};
    if (params.size() % 5 != 0 || params.size() == 0) fail("unexpected dynamics parameter count");
    for (std::size_t k = 0; k < params.size(); k += 5) {
      for (std::size_t j = 0; j < 5; ++j) {
        const std::string& name = params[k + j].name;
        const std::string suffix = suffixes[j];
        if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
          fail("unexpected parameter " + name + " (expected *" + suffix + ")");
        }
      }
      layer l{};
      l.w = &params[k].value;
      l.b = &params[k + 1].value;
      l.gate_w = &params[k + 2].value;
      l.gate_b = &params[k + 3].value;
      l.shift_w = &params[k + 4].value;
      const index_t out = l.w->rows();
      if (l.b->rows() != 1 || l.b->cols() != out || l.gate_w->rows() != out || l.gate_w->cols() != 1 ||
          l.gate_b->cols() != out || l.shift_w->rows() != out || l.shift_w->cols() != 1) {
        fail("unexpected parameter shapes in layer " + std::to_string(k / 5));
      }
      layers.push_back(std::move(l));
    }
  }

  void resize(index_t b) {
    if (rows == b) return;
    rows = b;
    for (layer& l : layers) {
      const index_t in = l.w->cols(), out = l.w->rows();
      l.x.resize(2 * b, in);
      l.dx.resize(2 * b, in);
      for (plain* m : {&l.p, &l.h, &l.dh, &l.dp}) m->resize(2 * b, out);
    }
  }

  /// f and εᵀJε at (z, t).
  void forward(const plain& z, const plain& eps, S time) {
    const index_t b = z.rows();
    resize(b);
    t = time;
    layers.front().x.topRows(b) = z;
    layers.front().x.bottomRows(b) = eps;
    for (std::size_t k = 0; k < layers.size(); ++k) {
      layer& l = layers[k];
      l.gate = (time * l.gate_w->transpose() + *l.gate_b).array().unaryExpr([](S v) { return S(1) / (S(1) + std::exp(-v)); }).matrix();
      l.shift = time * l.shift_w->transpose();
      l.p.noalias() = l.x * l.w->transpose();
      l.p.topRows(b).rowwise() += l.b->row(0);
      l.h = l.p;
      l.h.array().rowwise() *= l.gate.row(0).array();
      l.h.topRows(b).rowwise() += l.shift.row(0);
      if (k + 1 < layers.size()) {
        plain& next = layers[k + 1].x;
        next.topRows(b) = l.h.topRows(b).array().tanh().matrix();
        next.bottomRows(b) = (l.h.bottomRows(b).array() * (S(1) - next.topRows(b).array().square())).matrix();
      }
    }
    const layer& last = layers.back();
    f = last.h.topRows(b);
    trace = (last.h.bottomRows(b).array() * eps.array()).rowwise().sum().matrix();
  }

  /// After forward: the gradients of Σ a_f ⊙ f + Σ a_ℓ ⊙ εᵀJε w.r.t. z (dz) and every parameter.
  void reverse(const plain& a_f, const plain& a_l, const plain& eps) {
    const index_t b = rows;
    layer& last = layers.back();
    last.dh.topRows(b) = a_f;
    last.dh.bottomRows(b) = (eps.array().colwise() * a_l.col(0).array()).matrix();
    for (std::size_t k = layers.size(); k-- > 0;) {
      layer& l = layers[k];
      // h = p ⊙ gate (+ shift on the primal rows): the gate and shift gradients, then p's adjoint.
      const plain dgate = (l.dh.array() * l.p.array()).colwise().sum().matrix();
      const plain q = (dgate.array() * l.gate.array() * (S(1) - l.gate.array())).matrix();  // through σ
      l.dgate_w = t * q.transpose();
      l.dgate_b = q;
      l.dshift_w = t * l.dh.topRows(b).colwise().sum().transpose();
      l.dp = l.dh;
      l.dp.array().rowwise() *= l.gate.row(0).array();
      // p = [x; ẋ] Wᵀ (+ b on the primal rows).
      l.db = l.dp.topRows(b).colwise().sum();
      l.dw.noalias() = l.dp.transpose() * l.x;
      if (k == 0) {
        dz.noalias() = l.dp.topRows(b) * *l.w;  // ε is constant: no adjoint for the tangent rows
        break;
      }
      l.dx.noalias() = l.dp * *l.w;
      // x = tanh(h'), ẋ = ḣ' ⊙ (1 − x²) for the previous layer's h'.
      layer& prev = layers[k - 1];
      const auto y = l.x.topRows(b).array();
      const auto d = S(1) - y.square();
      prev.dh.bottomRows(b) = (l.dx.bottomRows(b).array() * d).matrix();
      prev.dh.topRows(b) =
          ((l.dx.topRows(b).array() - S(2) * y * prev.h.bottomRows(b).array() * l.dx.bottomRows(b).array()) * d).matrix();
    }
  }

  /// The parameter gradients flattened in the parameter list's order (for the comparison).
  vector<S> flat_gradients() const {
    std::vector<S> out;
    for (const layer& l : layers) {
      for (const plain* m : {&l.dw, &l.db, &l.dgate_w, &l.dgate_b, &l.dshift_w}) out.insert(out.end(), m->data(), m->data() + m->size());
    }
    return Eigen::Map<const vector<S>>(out.data(), index_t(out.size()));
  }
};

/// A copy of the warmed-up batch-100 model with its augmented dynamics at batch 100, the hand
/// version, and the inputs of one evaluation.
struct eval_setup {
  continuous::cnf<S> model;
  nn::parameter_list<S> params;
  random_engine rng{77};
  continuous::probe_set<S> probes;
  continuous::augmented_dynamics<S> aug;
  hand_ffjord hand;
  plain z, a_f, a_l;
  vector<S> s, a, ds, g, a_s, a_theta;

  explicit eval_setup(const continuous::cnf<S>& trained_model)
      : model(trained_model),
        params(dynamics_parameters(model)),
        probes(continuous::probe_set<S>::random(eval_batch, 2, continuous::noise_kind::gaussian, rng)),
        aug(model.dynamics_function(), probes, {}, continuous::augmented_layout{2, false, false}, params),
        hand(params) {
    const index_t n = aug.state_size();
    z = eight_gaussians(eval_batch, rng);
    s = vector<S>::Zero(n);
    s.head(z.size()) = z.reshaped();
    a = normal_matrix<S>(n, 1, rng).col(0);
    const auto a_cols = a.reshaped(eval_batch, 3);
    a_f = a_cols.leftCols(2);
    a_l = a_cols.col(2);
    ds.resize(n);
    g.resize(n);
    a_s.resize(n);
    a_theta.resize(aug.parameter_count());
  }

  void ours_forward() { aug.rhs(s, ds, eval_time); }
  void ours_vjp() { aug.vjp(s, eval_time, a, g, a_s, a_theta); }
  void hand_forward() { hand.forward(z, probes.stacked, eval_time); }
  void hand_vjp() {
    hand.forward(z, probes.stacked, eval_time);
    hand.reverse(a_f, a_l, probes.stacked);
  }

  /// Aborts unless both versions agree to 1e-4 relative (max abs difference over max abs value).
  void verify() {
    auto check = [](const char* what, const auto& ours, const auto& ref) {
      const double scale = std::max(1e-30, double(ref.cwiseAbs().maxCoeff()));
      const double diff = double((ours - ref).cwiseAbs().maxCoeff());
      if (!(diff <= 1e-4 * scale)) {
        fail(std::string("hand-written and library ") + what + " differ: max |diff| " + std::to_string(diff) +
             ", max |value| " + std::to_string(scale));
      }
      std::printf("verified %-28s max |diff| / max |value| = %.2e\n", what, diff / scale);
    };
    ours_forward();
    hand_forward();
    const auto out = ds.reshaped(eval_batch, 3);
    check("forward f", plain(out.leftCols(2)), hand.f);
    check("forward eps^T J eps", plain(out.col(2)), hand.trace);
    ours_vjp();
    hand_vjp();
    const auto gout = g.reshaped(eval_batch, 3);
    check("vjp f", plain(gout.leftCols(2)), hand.f);
    check("vjp eps^T J eps", plain(gout.col(2)), hand.trace);
    check("vjp d/dz", plain(a_s.head(2 * eval_batch).reshaped(eval_batch, 2)), hand.dz);
    if (a_s.tail(eval_batch).cwiseAbs().maxCoeff() != 0) fail("vjp: nonzero adjoint for the trace column");
    check("vjp d/dtheta (all parameters)", a_theta, hand.flat_gradients());
    std::printf("(%ld parameters in the dynamics)\n", long(a_theta.size()));
  }
};

eval_setup& evaluation() {
  static eval_setup setup(trained(eval_batch).model);
  return setup;
}

/// Times one evaluation variant (a member of eval_setup), keeping its output observable.
template <void (eval_setup::*Run)()>
void eval_benchmark(benchmark::State& state) {
  eval_setup& e = evaluation();
  for (auto _ : state) {
    (e.*Run)();
    benchmark::DoNotOptimize(e.ds.data());
    benchmark::DoNotOptimize(e.a_theta.data());
    benchmark::DoNotOptimize(e.hand.trace.data());
    benchmark::DoNotOptimize(e.hand.dz.data());
    benchmark::ClobberMemory();
  }
}

// ---- 3. memory against the number of steps ----------------------------------------------------

struct memory_result {
  std::size_t peak = 0;
  index_t forward = 0, backward = 0;
};

/// One accumulate_gradient at batch 100 with rk4 at `steps` fixed steps, on a copy of the
/// warmed-up model: its peak heap bytes above what was live before it.
memory_result gradient_memory(continuous::gradient_method method, index_t steps) {
  continuous::cnf<S> model(evaluation().model);
  continuous::cnf_options o = model.options();
  o.training_solver = {.solver = ode::method::rk4, .steps = steps};
  o.gradient = method;
  model.set_options(o);
  random_engine rng(5);
  const plain x = eight_gaussians(eval_batch, rng);
  const nn::parameter_list<S> params = model.parameters();
  params.zero_grad();
  memory_result r;
  r.peak = bench::peak_heap_bytes([&] {
    const step_loss l = model.accumulate_gradient(x, rng);
    r.forward = l.forward_evaluations;
    r.backward = l.backward_evaluations;
  });
  return r;
}

void memory(benchmark::State& state, continuous::gradient_method method, index_t steps) {
  memory_result r;
  for (auto _ : state) r = gradient_memory(method, steps);
  state.counters["peak_heap"] =
      benchmark::Counter(double(r.peak), benchmark::Counter::kDefaults, benchmark::Counter::OneK::kIs1024);
  state.counters["fwd_evals"] = double(r.forward);
  state.counters["bwd_evals"] = double(r.backward);
}

// ---- report -----------------------------------------------------------------------------------

class ffjord_reporter : public bench::ratio_reporter {
 public:
  ffjord_reporter(std::vector<std::pair<std::string, std::string>> ratios, std::string adjoint_small,
                  std::string adjoint_large, std::string backprop_small, std::string backprop_large)
      : ratio_reporter(std::move(ratios)),
        memory_pairs_{{std::move(adjoint_small), std::move(adjoint_large)},
                      {std::move(backprop_small), std::move(backprop_large)}} {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      // Runs with a fixed iteration count are named "…/iterations:1"; the summary uses the
      // names as registered.
      std::string name = run.benchmark_name();
      if (const auto cut = name.find("/iterations:"); cut != std::string::npos) name.resize(cut);
      seconds_[name] = run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
      for (const auto& [counter_name, counter] : run.counters) counters_[name][counter_name] = counter.value;
    }
    ratio_reporter::ReportRuns(runs);
  }

  void Finalize() override {
    ratio_reporter::Finalize();
    std::printf("\n");
    for (const auto& [small, large] : memory_pairs_) {
      const auto s = counters_.find(small), l = counters_.find(large);
      if (s == counters_.end() || l == counters_.end()) continue;
      const double ps = s->second["peak_heap"], pl = l->second["peak_heap"];
      std::printf("peak heap %-34s %10.3f MiB, %-36s %10.3f MiB: ratio %.3f\n", small.c_str(), ps / 1048576,
                  large.c_str(), pl / 1048576, pl / ps);
    }
    std::printf("\n");
    for (const char* batch : {"512", "100"}) {  // the line against the reference last
      const std::string name = std::string("training/batch:") + batch + "/real_time";
      const auto it = counters_.find(name);
      if (it == counters_.end()) continue;
      auto& c = it->second;
      const double per_eval = c["s/eval"], per_iteration = seconds_[name];
      std::printf("FFJORD toy 8gaussians, batch %s: %.2f ms per iteration (%.1f forward + %.1f backward evaluations), "
                  "%.3f ms per evaluation, peak heap %.2f MiB",
                  batch, per_iteration * 1e3, c["fwd_evals"], c["bwd_evals"], per_eval * 1e3, c["peak_heap"] / 1048576);
      if (std::string(batch) == "100") {
        std::printf("; PyTorch reference 56 ms, ~20 + 20 evaluations, 1.4 ms per evaluation: %.1fx faster per "
                    "evaluation, %.1fx per iteration",
                    reference_seconds_per_evaluation / per_eval, reference_seconds_per_iteration / per_iteration);
      }
      std::printf("\n");
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> memory_pairs_;
  std::map<std::string, double> seconds_;
  std::map<std::string, std::map<std::string, double>> counters_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);

  std::printf("warming up: %d training iterations at batch 100 and at batch 512 (seeded)...\n", warmup_iterations);
  std::fflush(stdout);
  for (index_t b : {index_t(100), index_t(512)}) {
    const trainer& tr = trained(b);
    std::printf("batch %ld: T = %.4f after warm-up\n", long(b), double(tr.model.end_time()));
  }
  evaluation().verify();

  // Backprop memory grows with the steps: estimate 1,000 steps from 10 and fall back to 200.
  using continuous::gradient_method;
  const std::size_t backprop_10 = gradient_memory(gradient_method::backprop, 10).peak;
  const double estimate = double(backprop_10) * 100;
  const index_t backprop_steps = estimate > 2e9 ? 200 : 1000;
  std::printf("backprop at 10 steps: %.1f MiB, so ~%.0f MiB at 1,000: using %ld steps\n", double(backprop_10) / 1048576,
              estimate / 1048576, long(backprop_steps));
  std::fflush(stdout);

  benchmark::RegisterBenchmark("training", training_iteration)
      ->ArgName("batch")
      ->Arg(100)
      ->Arg(512)
      ->UseRealTime()  // the s/eval rate too: wall time, as the summary and the reference
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("eval/forward/ours", eval_benchmark<&eval_setup::ours_forward>)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("eval/forward/hand", eval_benchmark<&eval_setup::hand_forward>)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("eval/vjp/ours", eval_benchmark<&eval_setup::ours_vjp>)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("eval/vjp/hand", eval_benchmark<&eval_setup::hand_vjp>)->Unit(benchmark::kMicrosecond);
  const std::string adjoint_small = "memory/adjoint/rk4_steps:10", adjoint_large = "memory/adjoint/rk4_steps:1000";
  const std::string backprop_small = "memory/backprop/rk4_steps:10";
  const std::string backprop_large = "memory/backprop/rk4_steps:" + std::to_string(backprop_steps);
  const std::vector<std::pair<std::string, std::pair<gradient_method, index_t>>> memory_runs = {
      {adjoint_small, {gradient_method::adjoint, 10}},
      {adjoint_large, {gradient_method::adjoint, 1000}},
      {backprop_small, {gradient_method::backprop, 10}},
      {backprop_large, {gradient_method::backprop, backprop_steps}}};
  for (const auto& [name, setting] : memory_runs) {
    const gradient_method method = setting.first;
    const index_t steps = setting.second;
    benchmark::RegisterBenchmark(name.c_str(), [method, steps](benchmark::State& st) { memory(st, method, steps); })
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }

  ffjord_reporter reporter({{"eval/forward/ours", "eval/forward/hand"}, {"eval/vjp/ours", "eval/vjp/hand"}},
                           adjoint_small, adjoint_large, backprop_small, backprop_large);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
