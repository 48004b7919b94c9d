// tests/ode/ode_test.cpp — the ODE layer: integrate against closed forms and convergence orders,
// its bookkeeping and errors, the seminorm, replay on the tape, and the adjoint method.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>
#include <unsupported/Eigen/MatrixFunctions>

#include "eigenflow/autodiff/gradient_check.hpp"
#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/matmul.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/ode.hpp"
#include "support/check_ad.hpp"

namespace {

namespace ode = eigenflow::ode;
using eigenflow::index_t;
using eigenflow::test::uniform;
using mat = eigenflow::matrix<double>;
template <class S>
using vec = eigenflow::vector<S>;
using vecd = vec<double>;

constexpr ode::method all_methods[] = {ode::method::dopri5, ode::method::cash_karp54, ode::method::rk4,
                                       ode::method::euler};

ode::solver_options adaptive(ode::method m, double tol) {
  ode::solver_options o;
  o.solver = m;
  o.atol = tol;
  o.rtol = tol;
  return o;
}

ode::solver_options fixed(ode::method m, index_t steps) {
  ode::solver_options o;
  o.solver = m;
  o.steps = steps;
  return o;
}

/// Options of a reasonable solve with method m: tolerance 1e-6 or 10 steps.
ode::solver_options typical(ode::method m) { return ode::is_adaptive(m) ? adaptive(m, 1e-6) : fixed(m, 10); }

template <class S>
struct solve_outcome {
  vec<S> s;
  ode::solve_stats stats;
  std::vector<S> times;
};

template <class S, class System>
solve_outcome<S> solve(const System& system, vec<S> s0, S t0, S t1, const ode::solver_options& o,
                       index_t error_norm_size = -1) {
  solve_outcome<S> out;
  out.s = std::move(s0);
  ode::integrate_controls<S> controls;
  controls.error_norm_size = error_norm_size;
  controls.accepted_times = &out.times;
  out.stats = ode::integrate(system, out.s, t0, t1, o, "ode_test", controls);
  return out;
}

/// |analytic − numeric| / max(1, |analytic|, |numeric|), the largest over the entries.
double max_mixed_error(const vecd& analytic, const vecd& numeric) {
  REQUIRE(analytic.size() == numeric.size());
  double worst = 0;
  for (index_t i = 0; i < analytic.size(); ++i) {
    worst = std::max(worst, std::abs(analytic(i) - numeric(i)) /
                                std::max({1.0, std::abs(analytic(i)), std::abs(numeric(i))}));
  }
  return worst;
}

// ---- linear systems: ds/dt = A s, s(t1) = exp(A (t1 − t0)) s(t0) -------------------------------

/// Eigenvalues ≈ −0.274 ± 1.139i and −0.653 (checked by the first test): decaying rotation.
const Eigen::Matrix3d& linear_a() {
  static const Eigen::Matrix3d a = (Eigen::Matrix3d() << -0.3, 1.0, 0.2,  //
                                    -1.2, -0.1, 0.5,                       //
                                    0.1, -0.4, -0.8)
                                       .finished();
  return a;
}

template <class S>
struct linear_system {
  Eigen::Matrix<S, 3, 3> a = linear_a().cast<S>();
  void operator()(const vec<S>& s, vec<S>& ds, S /*t*/) const { ds.noalias() = a * s; }
};

Eigen::Vector3d linear_exact(const Eigen::Vector3d& s0, double t0, double t1) {
  const Eigen::Matrix3d propagator = (linear_a() * (t1 - t0)).exp();
  return propagator * s0;
}

const Eigen::Vector3d linear_s0(0.8, -0.5, 1.1);
constexpr double linear_t0 = 0.2;
constexpr double linear_t1 = 2.5;

/// ‖numeric − exact‖ of a double solve of the linear system from s0 over [t0, t1].
double linear_error(const ode::solver_options& o, double t0, double t1, const Eigen::Vector3d& s0) {
  const solve_outcome<double> out = solve(linear_system<double>{}, vecd(s0), t0, t1, o);
  return (out.s - linear_exact(s0, t0, t1)).norm();
}

// ---- a small nonlinear batch: ds/dt = tanh(S W + t b), S rows x 2, state column-major ---------

struct tanh_system {
  index_t rows = 3;
  mat w;  // 2x2
  mat b;  // 1x2

  index_t cols() const { return w.cols(); }
  index_t parameter_count() const { return w.size() + b.size(); }

  mat plain(const Eigen::Ref<const vecd>& s, double t) const {
    const Eigen::Map<const mat> sm(s.data(), rows, w.rows());
    mat y = sm * w;
    y.rowwise() += t * b.row(0);
    return y.array().tanh().matrix();
  }

  /// integrate's interface.
  void operator()(const vecd& s, vecd& ds, double t) const { rhs(s, ds, t); }

  /// The adjoint interface (adjoint.hpp): g, and aᵀ∂g/∂s, aᵀ∂g/∂θ from one reverse pass over a
  /// fresh recording of g; θ = [W column-major, b].
  void rhs(const Eigen::Ref<const vecd>& s, Eigen::Ref<vecd> g, double t) const {
    const mat y = plain(s, t);
    g = Eigen::Map<const vecd>(y.data(), y.size());
  }
  void vjp(const Eigen::Ref<const vecd>& s, double t, const Eigen::Ref<const vecd>& a, Eigen::Ref<vecd> g,
           Eigen::Ref<vecd> a_s, Eigen::Ref<vecd> a_theta) const {
    eigenflow::tape<double> tp;
    const mat sm = Eigen::Map<const mat>(s.data(), rows, cols());
    mat grad_s = mat::Zero(rows, cols());
    mat grad_w = mat::Zero(w.rows(), w.cols());
    mat grad_b = mat::Zero(b.rows(), b.cols());
    const auto sv = tp.leaf(sm, grad_s);
    const auto wv = tp.leaf(w, grad_w);
    const auto bv = tp.leaf(b, grad_b);
    const auto y = eigenflow::tanh(eigenflow::add(eigenflow::matmul(sv, wv), eigenflow::scale(bv, t)));
    tp.seed(y, Eigen::Map<const mat>(a.data(), rows, cols()));
    tp.propagate();
    g = Eigen::Map<const vecd>(y.value().data(), y.rows() * y.cols());
    a_s = Eigen::Map<const vecd>(grad_s.data(), grad_s.size());
    a_theta.head(w.size()) = Eigen::Map<const vecd>(grad_w.data(), grad_w.size());
    a_theta.tail(b.size()) = Eigen::Map<const vecd>(grad_b.data(), grad_b.size());
  }
};

/// The same g on the tape: tanh(S W + t b), t 1x1.
eigenflow::var<double> tanh_on_tape(const eigenflow::var<double>& s, const eigenflow::var<double>& t,
                                    const eigenflow::var<double>& w, const eigenflow::var<double>& b) {
  return eigenflow::tanh(eigenflow::add(eigenflow::matmul(s, w), eigenflow::mul(t, b)));
}

tanh_system make_tanh_system(index_t rows) {
  tanh_system sys;
  sys.rows = rows;
  sys.w = (mat(2, 2) << -0.7, 0.9, -1.1, -0.4).finished();
  sys.b = (mat(1, 2) << 0.3, -0.5).finished();
  return sys;
}

vecd flatten(const mat& m) { return Eigen::Map<const vecd>(m.data(), m.size()); }

}  // namespace

// ---- integrate: accuracy ---------------------------------------------------------------------

TEST_CASE("integrate: the test matrix has one real and a pair of complex eigenvalues, all distinct", "[ode][integrate]") {
  const Eigen::EigenSolver<Eigen::Matrix3d> solver(linear_a());
  const Eigen::Vector3cd lambda = solver.eigenvalues();
  int complex_count = 0;
  for (int i = 0; i < 3; ++i) {
    if (std::abs(lambda(i).imag()) > 1e-3) ++complex_count;
    for (int j = 0; j < i; ++j) CHECK(std::abs(lambda(i) - lambda(j)) > 1e-2);
  }
  CHECK(complex_count == 2);
}

TEST_CASE("integrate: dopri5 and cash_karp54 match the matrix exponential forward and backward", "[ode][integrate]") {
  const double tol = 1e-9;
  const Eigen::Vector3d s1 = linear_exact(linear_s0, linear_t0, linear_t1);
  for (ode::method m : {ode::method::dopri5, ode::method::cash_karp54}) {
    INFO("method " << ode::to_string(m));
    const double forward = linear_error(adaptive(m, tol), linear_t0, linear_t1, linear_s0);
    const double backward = linear_error(adaptive(m, tol), linear_t1, linear_t0, s1);
    INFO("forward error " << forward << ", backward error " << backward);
    CHECK(forward <= 10 * tol * std::max(1.0, s1.norm()));
    CHECK(backward <= 10 * tol * std::max(1.0, linear_s0.norm()));
    // A looser tolerance is measurably less accurate (the control does something).
    CHECK(linear_error(adaptive(m, 1e-4), linear_t0, linear_t1, linear_s0) > forward);
  }
}

TEST_CASE("integrate: rk4 converges at fourth order and euler at first order, forward and backward", "[ode][integrate]") {
  const Eigen::Vector3d s1 = linear_exact(linear_s0, linear_t0, linear_t1);
  struct order_case {
    ode::method m;
    double lo, hi;
  };
  for (const order_case& c : {order_case{ode::method::rk4, 10, 22}, order_case{ode::method::euler, 1.8, 2.2}}) {
    for (const bool forward : {true, false}) {
      INFO("method " << ode::to_string(c.m) << (forward ? " forward" : " backward"));
      const double t0 = forward ? linear_t0 : linear_t1;
      const double t1 = forward ? linear_t1 : linear_t0;
      const Eigen::Vector3d start = forward ? linear_s0 : s1;
      const double coarse = linear_error(fixed(c.m, 200), t0, t1, start);
      const double fine = linear_error(fixed(c.m, 400), t0, t1, start);
      INFO("error with 200 steps " << coarse << ", with 400 steps " << fine);
      CHECK(coarse < (c.m == ode::method::rk4 ? 1e-6 : 1e-1));
      CHECK(coarse / fine >= c.lo);
      CHECK(coarse / fine <= c.hi);
    }
  }
}

TEST_CASE("integrate: float states with dopri5 stay within the tolerance", "[ode][integrate][float]") {
  const float tol = 1e-5f;
  const Eigen::Vector3d s1 = linear_exact(linear_s0, linear_t0, linear_t1);
  const solve_outcome<float> forward =
      solve(linear_system<float>{}, vec<float>(linear_s0.cast<float>()), float(linear_t0), float(linear_t1),
            adaptive(ode::method::dopri5, tol));
  const solve_outcome<float> backward = solve(linear_system<float>{}, vec<float>(s1.cast<float>()),
                                              float(linear_t1), float(linear_t0), adaptive(ode::method::dopri5, tol));
  const double forward_error = (forward.s.cast<double>() - s1).norm();
  const double backward_error = (backward.s.cast<double>() - linear_s0).norm();
  INFO("forward error " << forward_error << ", backward error " << backward_error);
  CHECK(forward_error <= 10 * tol * std::max(1.0, s1.norm()));
  CHECK(backward_error <= 10 * tol * std::max(1.0, linear_s0.norm()));
  CHECK(forward.times.back() == float(linear_t1));
  CHECK(backward.times.back() == float(linear_t0));
}

// ---- integrate: bookkeeping ------------------------------------------------------------------

TEST_CASE("integrate: accepted times run from t_start exactly to t_end, monotonically", "[ode][integrate]") {
  const Eigen::Vector3d s1 = linear_exact(linear_s0, linear_t0, linear_t1);
  for (ode::method m : all_methods) {
    for (const bool forward : {true, false}) {
      INFO("method " << ode::to_string(m) << (forward ? " forward" : " backward"));
      const double t0 = forward ? linear_t0 : linear_t1;
      const double t1 = forward ? linear_t1 : linear_t0;
      const solve_outcome<double> out =
          solve(linear_system<double>{}, vecd(forward ? linear_s0 : s1), t0, t1, typical(m));
      REQUIRE(out.times.size() >= 2);
      CHECK(out.times.size() == static_cast<std::size_t>(out.stats.accepted) + 1);
      CHECK(out.times.front() == t0);
      CHECK(out.times.back() == t1);
      for (std::size_t k = 1; k < out.times.size(); ++k) {
        CHECK((forward ? out.times[k] > out.times[k - 1] : out.times[k] < out.times[k - 1]));
      }
      if (!ode::is_adaptive(m)) {
        // Equal steps.
        for (std::size_t k = 1; k < out.times.size(); ++k) {
          CHECK(out.times[k] - out.times[k - 1] == Approx((t1 - t0) / 10).epsilon(1e-12));
        }
      }
    }
  }
}

TEST_CASE("integrate: evaluations are counted per stage, per try, plus the start-up calls", "[ode][integrate]") {
  const Eigen::Vector3d s1 = linear_exact(linear_s0, linear_t0, linear_t1);
  SECTION("dopri5: 6 per try, two for the first-step guess and one FSAL initialization") {
    for (const bool forward : {true, false}) {
      const solve_outcome<double> out =
          solve(linear_system<double>{}, vecd(forward ? linear_s0 : s1), forward ? linear_t0 : linear_t1,
                forward ? linear_t1 : linear_t0, adaptive(ode::method::dopri5, 1e-8));
      CHECK(out.stats.evaluations == 6 * (out.stats.accepted + out.stats.rejected) + 3);
    }
  }
  SECTION("dopri5 with a given first step (the whole interval): no guess, and rejections are counted") {
    ode::solver_options o = adaptive(ode::method::dopri5, 1e-8);
    o.first_step = 1;
    const solve_outcome<double> out = solve(linear_system<double>{}, vecd(linear_s0), linear_t0, linear_t1, o);
    CHECK(out.stats.rejected > 0);
    CHECK(out.stats.evaluations == 6 * (out.stats.accepted + out.stats.rejected) + 1);
  }
  SECTION("cash_karp54: 6 per try (the first stage is re-evaluated) and two for the first-step guess") {
    const solve_outcome<double> out = solve(linear_system<double>{}, vecd(linear_s0), linear_t0, linear_t1,
                                            adaptive(ode::method::cash_karp54, 1e-8));
    CHECK(out.stats.evaluations == 6 * (out.stats.accepted + out.stats.rejected) + 2);
    ode::solver_options o = adaptive(ode::method::cash_karp54, 1e-8);
    o.first_step = 1;
    const solve_outcome<double> given = solve(linear_system<double>{}, vecd(linear_s0), linear_t0, linear_t1, o);
    CHECK(given.stats.rejected > 0);
    CHECK(given.stats.evaluations == 6 * (given.stats.accepted + given.stats.rejected));
  }
  SECTION("fixed step: 4 per step for rk4, 1 for euler, nothing rejected") {
    for (const index_t steps : {index_t(1), index_t(7), index_t(30)}) {
      const solve_outcome<double> rk4 =
          solve(linear_system<double>{}, vecd(linear_s0), linear_t0, linear_t1, fixed(ode::method::rk4, steps));
      CHECK(rk4.stats.evaluations == 4 * steps);
      CHECK(rk4.stats.accepted == steps);
      CHECK(rk4.stats.rejected == 0);
      const solve_outcome<double> euler =
          solve(linear_system<double>{}, vecd(linear_s0), linear_t0, linear_t1, fixed(ode::method::euler, steps));
      CHECK(euler.stats.evaluations == steps);
      CHECK(euler.stats.accepted == steps);
      CHECK(euler.stats.rejected == 0);
    }
  }
}

/// ds/dt = −s, counting its evaluations in `calls`.
auto counting_decay(int& calls) {
  return [&calls](const vecd& s, vecd& ds, double) {
    ++calls;
    ds = -s;
  };
}

TEST_CASE("integrate: an interval of length zero returns at once, without evaluating", "[ode][integrate]") {
  for (ode::method m : all_methods) {
    INFO("method " << ode::to_string(m));
    int calls = 0;
    const auto counting = counting_decay(calls);
    const solve_outcome<double> out = solve(counting, vecd(linear_s0), 0.7, 0.7, typical(m));
    CHECK(calls == 0);
    CHECK(out.stats.evaluations == 0);
    CHECK(out.stats.accepted == 0);
    CHECK(out.s == vecd(linear_s0));
    CHECK(out.times == std::vector<double>{0.7});
  }
}

// ---- integrate: the seminorm -------------------------------------------------------------------

TEST_CASE("integrate: limiting the error norm to the head of the state saves steps", "[ode][integrate][seminorm]") {
  // s = [x, q]: dx/dt = −x, and q, fast-varying and large, never feeds back into x.
  auto system = [](const vecd& s, vecd& ds, double t) {
    ds(0) = -s(0);
    ds(1) = 50 * std::cos(50 * t) * s(0) * 1000;
  };
  const vecd s0 = (vecd(2) << 1.0, 0.0).finished();
  for (ode::method m : {ode::method::dopri5, ode::method::cash_karp54}) {
    INFO("method " << ode::to_string(m));
    const ode::solver_options o = adaptive(m, 1e-6);
    const solve_outcome<double> full = solve(system, s0, 0.0, 2.0, o);
    const solve_outcome<double> head = solve(system, s0, 0.0, 2.0, o, 1);
    INFO("steps with the full norm " << full.stats.accepted << " + " << full.stats.rejected << " rejected, with the head "
                                     << head.stats.accepted << " + " << head.stats.rejected);
    CHECK(head.stats.accepted + head.stats.rejected < full.stats.accepted + full.stats.rejected);
    CHECK(head.stats.evaluations < full.stats.evaluations);
    // The head itself is still solved to tolerance.
    CHECK(std::abs(head.s(0) - std::exp(-2.0)) < 1e-5);
    CHECK(std::abs(full.s(0) - std::exp(-2.0)) < 1e-5);
    // A norm size beyond the state is the full norm.
    const solve_outcome<double> beyond = solve(system, s0, 0.0, 2.0, o, 5);
    CHECK(beyond.stats.evaluations == full.stats.evaluations);
  }
}

// ---- integrate: errors -------------------------------------------------------------------------

TEST_CASE("integrate: a solution that blows up in finite time throws solver_error saying where", "[ode][integrate][errors]") {
  auto blow_up = [](const vecd& s, vecd& ds, double) { ds = s.array().square().matrix(); };
  for (ode::method m : {ode::method::dopri5, ode::method::cash_karp54}) {
    INFO("method " << ode::to_string(m));
    vecd s = vecd::Ones(1);
    REQUIRE_THROWS_AS(ode::integrate(blow_up, s, 0.0, 2.0, adaptive(m, 1e-6), "blow_up"), eigenflow::solver_error);
    s = vecd::Ones(1);
    REQUIRE_THROWS_WITH(ode::integrate(blow_up, s, 0.0, 2.0, adaptive(m, 1e-6), "blow_up"),
                        Catch::Contains("t = ") && Catch::Contains("blow_up"));
    // It gave up at the singularity at t = 1: the numerical solution's own pole lies within the
    // tolerance of it (it may be accepted a hair past 1), far from the end of the interval.
    s = vecd::Ones(1);
    std::vector<double> times;
    ode::integrate_controls<double> controls;
    controls.accepted_times = &times;
    CHECK_THROWS_AS(ode::integrate(blow_up, s, 0.0, 2.0, adaptive(m, 1e-6), "blow_up", controls),
                    eigenflow::solver_error);
    REQUIRE_FALSE(times.empty());
    CHECK(times.back() > 0.99);
    CHECK(times.back() < 1.001);
  }
}

TEST_CASE("integrate: too few max_steps throws solver_error naming max_steps", "[ode][integrate][errors]") {
  for (ode::method m : {ode::method::dopri5, ode::method::cash_karp54}) {
    INFO("method " << ode::to_string(m));
    ode::solver_options o = adaptive(m, 1e-10);
    o.max_steps = 5;
    vecd s = linear_s0;
    REQUIRE_THROWS_AS(ode::integrate(linear_system<double>{}, s, linear_t0, linear_t1, o, "capped"),
                      eigenflow::solver_error);
    s = linear_s0;
    REQUIRE_THROWS_WITH(ode::integrate(linear_system<double>{}, s, linear_t0, linear_t1, o, "capped"),
                        Catch::Contains("max_steps") && Catch::Contains("t = "));
    // The same problem finishes with the default limit.
    s = linear_s0;
    CHECK_NOTHROW(ode::integrate(linear_system<double>{}, s, linear_t0, linear_t1, adaptive(m, 1e-10), "capped"));
  }
}

TEST_CASE("integrate: dynamics returning NaN throw solver_error for every method", "[ode][integrate][errors]") {
  auto nan_late = [](const vecd& s, vecd& ds, double t) {
    ds = -s;
    if (t > 0.5) ds(1) = std::numeric_limits<double>::quiet_NaN();
  };
  for (ode::method m : all_methods) {
    INFO("method " << ode::to_string(m));
    vecd s = linear_s0;
    REQUIRE_THROWS_AS(ode::integrate(nan_late, s, 0.0, 1.0, typical(m), "nan"), eigenflow::solver_error);
    s = linear_s0;
    REQUIRE_THROWS_WITH(ode::integrate(nan_late, s, 0.0, 1.0, typical(m), "nan"),
                        Catch::Contains("non-finite") && Catch::Contains("t = "));
  }
}

TEST_CASE("integrate: a non-finite initial state or interval throws value_error", "[ode][integrate][errors]") {
  for (ode::method m : all_methods) {
    INFO("method " << ode::to_string(m));
    int calls = 0;
    const auto counting = counting_decay(calls);
    vecd s = linear_s0;
    s(1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(ode::integrate(counting, s, 0.0, 1.0, typical(m), "nan state"), eigenflow::value_error);
    s = linear_s0;
    s(2) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(ode::integrate(counting, s, 0.0, 1.0, typical(m), "inf state"), eigenflow::value_error);
    s = linear_s0;
    CHECK_THROWS_AS(ode::integrate(counting, s, 0.0, std::numeric_limits<double>::quiet_NaN(), typical(m), "nan t"),
                    eigenflow::value_error);
    CHECK(calls == 0);
  }
}

TEST_CASE("integrate: invalid options and unknown method names throw value_error", "[ode][integrate][errors]") {
  auto decay = [](const vecd& s, vecd& ds, double) { ds = -s; };
  auto rejects = [&](const ode::solver_options& o) {
    vecd s = linear_s0;
    CHECK_THROWS_AS(ode::integrate(decay, s, 0.0, 1.0, o, "options"), eigenflow::value_error);
  };
  for (ode::method m : {ode::method::dopri5, ode::method::cash_karp54}) {
    INFO("method " << ode::to_string(m));
    ode::solver_options o = adaptive(m, 1e-6);
    o.atol = 0;
    rejects(o);
    o.atol = -1e-6;
    rejects(o);
    o = adaptive(m, 1e-6);
    o.rtol = -1e-6;
    rejects(o);
    o = adaptive(m, 1e-6);
    o.max_steps = 0;
    rejects(o);
    o = adaptive(m, 1e-6);
    o.min_step = 0;
    rejects(o);
    o = adaptive(m, 1e-6);
    o.first_step = 2;
    rejects(o);
  }
  rejects(fixed(ode::method::rk4, 0));
  rejects(fixed(ode::method::euler, 0));
  rejects(fixed(ode::method::rk4, -3));
  vecd s = linear_s0;
  REQUIRE_THROWS_WITH(ode::integrate(decay, s, 0.0, 1.0, fixed(ode::method::rk4, 0), "named"),
                      Catch::Contains("named") && Catch::Contains("steps"));

  for (ode::method m : all_methods) CHECK(ode::parse_method(ode::to_string(m)) == m);
  CHECK_THROWS_AS(ode::parse_method("rk45"), eigenflow::value_error);
  CHECK_THROWS_AS(ode::parse_method(""), eigenflow::value_error);
  CHECK_THROWS_WITH(ode::parse_method("Dopri5"), Catch::Contains("Dopri5") && Catch::Contains("dopri5"));
}

TEST_CASE("integrate: a right-hand side that resizes ds throws shape_error", "[ode][integrate][errors]") {
  auto resizing = [](const vecd& s, vecd& ds, double) { ds = vecd::Zero(s.size() + 1); };
  for (ode::method m : all_methods) {
    INFO("method " << ode::to_string(m));
    vecd s = linear_s0;
    CHECK_THROWS_AS(ode::integrate(resizing, s, 0.0, 1.0, typical(m), "resizing"), eigenflow::shape_error);
  }
}

// ---- replay on the tape ----------------------------------------------------------------------

TEST_CASE("replay_on_tape: reproduces the plain solve of every method", "[ode][replay]") {
  const tanh_system sys = make_tanh_system(4);
  const mat s0 = uniform(4, 2, -1, 1, 11);
  const double t0 = 0.1;
  const double t1 = 0.9;
  for (ode::method m : all_methods) {
    INFO("method " << ode::to_string(m));
    const solve_outcome<double> plain = solve(sys, flatten(s0), t0, t1, typical(m));
    const std::vector<double> grid = ode::grid_fractions(plain.times);
    CHECK(grid.front() == 0.0);
    CHECK(grid.back() == 1.0);

    eigenflow::tape<double> tp;
    const auto w = tp.constant(sys.w);
    const auto b = tp.constant(sys.b);
    index_t evaluations = 0;
    const auto out = ode::replay_on_tape<double>(
        [&](const eigenflow::var<double>& s, const eigenflow::var<double>& t) { return tanh_on_tape(s, t, w, b); },
        tp.constant(s0), tp.constant(mat::Constant(1, 1, t0)), tp.constant(mat::Constant(1, 1, t1)),
        std::span<const double>(grid), m, &evaluations);
    REQUIRE(out.rows() == 4);
    REQUIRE(out.cols() == 2);
    const double difference = (flatten(mat(out.value())) - plain.s).cwiseAbs().maxCoeff();
    INFO("largest difference " << difference);
    CHECK(difference <= 1e-12);
    // Not trivially equal: the state moved.
    CHECK((plain.s - flatten(s0)).norm() > 0.1);
    const index_t stages = static_cast<index_t>(ode::tableau_of(m).stages());
    CHECK(evaluations == stages * plain.stats.accepted);
  }
}

TEST_CASE("replay_on_tape: gradients are exact for the discretized solve", "[ode][replay]") {
  tanh_system sys = make_tanh_system(4);
  mat s0 = uniform(4, 2, -1, 1, 12);
  mat t0 = mat::Constant(1, 1, 0.1);
  mat t1 = mat::Constant(1, 1, 0.9);
  mat grad_s0, grad_w, grad_t0, grad_t1;
  for (ode::method m : all_methods) {
    INFO("method " << ode::to_string(m));
    const solve_outcome<double> plain = solve(sys, flatten(s0), t0(0, 0), t1(0, 0), typical(m));
    const std::vector<double> grid = ode::grid_fractions(plain.times);
    const auto record = [&](eigenflow::tape<double>& tp) {
      const auto w = tp.leaf(sys.w, grad_w);
      const auto b = tp.constant(sys.b);
      return ode::replay_on_tape<double>(
          [&](const eigenflow::var<double>& s, const eigenflow::var<double>& t) { return tanh_on_tape(s, t, w, b); },
          tp.leaf(s0, grad_s0), tp.leaf(t0, grad_t0), tp.leaf(t1, grad_t1), std::span<const double>(grid), m);
    };
    const eigenflow::gradient_check_result result = eigenflow::check_gradients(
        record, {{&sys.w, &grad_w, "W"}, {&s0, &grad_s0, "s0"}, {&t0, &grad_t0, "t_start"}, {&t1, &grad_t1, "t_end"}},
        {1e-7});
    INFO("max error " << result.max_error << " at " << result.worst);
    CHECK(result.passed);
    // Every target does receive a gradient.
    CHECK(grad_w.norm() > 0);
    CHECK(grad_s0.norm() > 0);
    CHECK(grad_t0.norm() > 0);
    CHECK(grad_t1.norm() > 0);
  }
}

TEST_CASE("replay_on_tape and grid_fractions: malformed grids throw value_error", "[ode][replay][errors]") {
  CHECK_THROWS_AS(ode::grid_fractions(std::vector<double>{0.5}), eigenflow::value_error);
  const std::vector<double> grid = ode::grid_fractions(std::vector<double>{2.0, 1.5, 1.0});
  CHECK(grid == std::vector<double>{0.0, 0.5, 1.0});
  eigenflow::tape<double> tp;
  const auto s = tp.constant(mat::Ones(2, 2));
  const auto t0 = tp.constant(mat::Zero(1, 1));
  const auto t1 = tp.constant(mat::Ones(1, 1));
  const auto rhs = [](const eigenflow::var<double>& x, const eigenflow::var<double>&) { return eigenflow::neg(x); };
  for (const std::vector<double>& bad :
       {std::vector<double>{0.0}, std::vector<double>{0.0, 0.5}, std::vector<double>{0.1, 1.0}}) {
    CHECK_THROWS_AS(ode::replay_on_tape<double>(rhs, s, t0, t1, std::span<const double>(bad), ode::method::rk4),
                    eigenflow::value_error);
  }
}

// ---- the adjoint method ------------------------------------------------------------------------

namespace {

/// L = Σ s(t_end)²/2 of a plain solve of sys from s0 over [t0, t1].
double plain_loss(const tanh_system& sys, const vecd& s0, double t0, double t1, const ode::solver_options& o) {
  vecd s = s0;
  ode::integrate(sys, s, t0, t1, o, "finite differences");
  return 0.5 * s.squaredNorm();
}

/// Central differences of plain_loss with respect to [s0, W, b, t0, t1], step h.
struct fd_gradients {
  vecd state, parameters;
  double start_time = 0, end_time = 0;
};

fd_gradients finite_differences(tanh_system sys, vecd s0, double t0, double t1, const ode::solver_options& o,
                                double h = 1e-4) {
  fd_gradients fd;
  auto central = [&](double& x) {
    const double x0 = x;
    x = x0 + h;
    const double up = plain_loss(sys, s0, t0, t1, o);
    x = x0 - h;
    const double down = plain_loss(sys, s0, t0, t1, o);
    x = x0;
    return (up - down) / (2 * h);
  };
  fd.state.resize(s0.size());
  for (index_t i = 0; i < s0.size(); ++i) fd.state(i) = central(s0(i));
  fd.parameters.resize(sys.parameter_count());
  for (index_t i = 0; i < sys.w.size(); ++i) fd.parameters(i) = central(sys.w.data()[i]);
  for (index_t i = 0; i < sys.b.size(); ++i) fd.parameters(sys.w.size() + i) = central(sys.b.data()[i]);
  fd.start_time = central(t0);
  fd.end_time = central(t1);
  return fd;
}

struct adjoint_setup {
  tanh_system sys = make_tanh_system(3);
  vecd s0 = flatten(uniform(3, 2, -1, 1, 21));
  double t0 = 0.1;
  double t1 = 1.1;
  ode::solver_options options = adaptive(ode::method::dopri5, 1e-10);

  ode::adjoint_result<double> run(bool seminorm) {
    vecd s_end = s0;
    ode::integrate(sys, s_end, t0, t1, options, "forward");
    ode::adjoint_options<double> adj;
    adj.seminorm = seminorm;
    adj.time_gradients = true;
    return ode::solve_adjoint(sys, s_end, s_end, t0, t1, options, "adjoint", adj);  // ∂L/∂s_end = s_end
  }
};

/// The largest mixed error of every gradient of an adjoint result against reference gradients.
double adjoint_error(const ode::adjoint_result<double>& adj, const fd_gradients& ref) {
  const vecd times = (vecd(2) << adj.start_time_gradient, adj.end_time_gradient).finished();
  const vecd ref_times = (vecd(2) << ref.start_time, ref.end_time).finished();
  return std::max({max_mixed_error(adj.state_gradient, ref.state), max_mixed_error(adj.parameter_gradient, ref.parameters),
                   max_mixed_error(times, ref_times)});
}

}  // namespace

TEST_CASE("solve_adjoint: gradients match finite differences of the plain solve", "[ode][adjoint]") {
  adjoint_setup setup;
  const fd_gradients fd = finite_differences(setup.sys, setup.s0, setup.t0, setup.t1, setup.options);
  const ode::adjoint_result<double> adj = setup.run(false);
  REQUIRE(adj.state_gradient.size() == 6);
  REQUIRE(adj.parameter_gradient.size() == 6);
  const double error = adjoint_error(adj, fd);
  INFO("adjoint vs finite differences: max mixed error " << error);
  CHECK(error <= 1e-6);
  // The gradients are not trivially small.
  CHECK(fd.state.norm() > 0.1);
  CHECK(fd.parameters.norm() > 0.1);
  CHECK(std::abs(fd.start_time) > 1e-2);
  CHECK(std::abs(fd.end_time) > 1e-2);
  // A backward solve took place: the evaluations are counted (plus the two end-time ones).
  CHECK(adj.stats.accepted > 0);
  CHECK(adj.stats.evaluations == 6 * (adj.stats.accepted + adj.stats.rejected) + 3 + 2);
}

TEST_CASE("solve_adjoint: the seminorm gives the same gradients with no more backward evaluations", "[ode][adjoint][seminorm]") {
  adjoint_setup setup;
  const fd_gradients fd = finite_differences(setup.sys, setup.s0, setup.t0, setup.t1, setup.options);
  const ode::adjoint_result<double> full = setup.run(false);
  const ode::adjoint_result<double> semi = setup.run(true);
  const double error = adjoint_error(semi, fd);
  INFO("seminorm adjoint vs finite differences: max mixed error " << error);
  INFO("backward evaluations: full norm " << full.stats.evaluations << ", seminorm " << semi.stats.evaluations);
  CHECK(error <= 1e-6);
  CHECK(max_mixed_error(semi.state_gradient, full.state_gradient) <= 1e-6);
  CHECK(max_mixed_error(semi.parameter_gradient, full.parameter_gradient) <= 1e-6);
  CHECK(semi.stats.evaluations <= full.stats.evaluations);
}

TEST_CASE("solve_adjoint: agrees with backprop through the replayed forward steps", "[ode][adjoint][replay]") {
  adjoint_setup setup;
  std::vector<double> times;
  ode::integrate_controls<double> controls;
  controls.accepted_times = &times;
  vecd s_end = setup.s0;
  ode::integrate(setup.sys, s_end, setup.t0, setup.t1, setup.options, "forward", controls);
  const std::vector<double> grid = ode::grid_fractions(times);

  mat s0 = Eigen::Map<const mat>(setup.s0.data(), 3, 2);
  mat t0 = mat::Constant(1, 1, setup.t0);
  mat t1 = mat::Constant(1, 1, setup.t1);
  mat grad_s0, grad_w, grad_b, grad_t0, grad_t1;
  eigenflow::tape<double> tp;
  const auto w = tp.leaf(setup.sys.w, grad_w);
  const auto b = tp.leaf(setup.sys.b, grad_b);
  const auto out = ode::replay_on_tape<double>(
      [&](const eigenflow::var<double>& s, const eigenflow::var<double>& t) { return tanh_on_tape(s, t, w, b); },
      tp.leaf(s0, grad_s0), tp.leaf(t0, grad_t0), tp.leaf(t1, grad_t1), std::span<const double>(grid),
      ode::method::dopri5);
  CHECK((flatten(mat(out.value())) - s_end).cwiseAbs().maxCoeff() <= 1e-12);
  tp.backward(eigenflow::scale(eigenflow::sum(eigenflow::mul(out, out)), 0.5));

  fd_gradients replay;
  replay.state = flatten(grad_s0);
  replay.parameters.resize(6);
  replay.parameters << flatten(grad_w), flatten(grad_b);
  replay.start_time = grad_t0(0, 0);
  replay.end_time = grad_t1(0, 0);

  const ode::adjoint_result<double> adj = setup.run(false);
  const double error = adjoint_error(adj, replay);
  INFO("adjoint vs backprop through the steps: max mixed error " << error);
  CHECK(error <= 1e-8);
}
