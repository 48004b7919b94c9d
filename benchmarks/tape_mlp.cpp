// benchmarks/tape_mlp.cpp — the tape's overhead: forward + backward of a tanh MLP on the tape
// against the same network with its backward pass written by hand in plain Eigen, same run.
//
// Networks 2→64→64→2 and 64→256→256→64 at batch 512, float and double; loss = Σ y² / batch, and
// gradients for every weight and bias. Prints each time, heap allocations per step after warm-up
// (every malloc counted, Eigen's GEMM buffers included), and the tape/hand ratios at the end.
// Before timing, both versions' gradients are compared; a mismatch aborts the run.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/nn.hpp"
#include "support/heap_counter.hpp"
#include "support/ratio_reporter.hpp"

namespace {

using eigenflow::index_t;
using eigenflow::matrix;

constexpr index_t batch = 512;

/// The same MLP (three linear layers, tanh between) with a hand-written backward pass into
/// preallocated buffers: what the tape is measured against.
template <class S>
struct hand_mlp {
  std::vector<const matrix<S>*> w, b;  // read from the eigenflow network: same numbers
  std::vector<matrix<S>> gw, gb;
  matrix<S> h1, h2, y, d2, d1;

  explicit hand_mlp(const eigenflow::nn::mlp<S>& net) {
    for (const auto& layer : net.layers()) {
      w.push_back(&layer.weight().value);
      b.push_back(&layer.bias().value);
      gw.emplace_back(layer.weight().value.rows(), layer.weight().value.cols());
      gb.emplace_back(1, layer.weight().value.rows());
    }
  }

  S step(const matrix<S>& x) {
    const index_t n = x.rows();
    h1.resize(n, w[0]->rows());
    h2.resize(n, w[1]->rows());
    y.resize(n, w[2]->rows());
    h1.noalias() = x * w[0]->transpose();
    h1.rowwise() += b[0]->row(0);
    h1 = h1.array().tanh().matrix();
    h2.noalias() = h1 * w[1]->transpose();
    h2.rowwise() += b[1]->row(0);
    h2 = h2.array().tanh().matrix();
    y.noalias() = h2 * w[2]->transpose();
    y.rowwise() += b[2]->row(0);
    const S loss = y.squaredNorm() / S(n);

    y *= S(2) / S(n);  // ∂loss/∂y, in place
    gw[2].noalias() = y.transpose() * h2;
    gb[2] = y.colwise().sum();
    d2.resize(n, h2.cols());
    d2.noalias() = y * *w[2];
    d2.array() *= S(1) - h2.array().square();
    gw[1].noalias() = d2.transpose() * h1;
    gb[1] = d2.colwise().sum();
    d1.resize(n, h1.cols());
    d1.noalias() = d2 * *w[1];
    d1.array() *= S(1) - h1.array().square();
    gw[0].noalias() = d1.transpose() * x;
    gb[0] = d1.colwise().sum();
    return loss;
  }
};

template <class S>
struct tape_mlp {
  eigenflow::nn::mlp<S>& net;
  eigenflow::nn::parameter_list<S> params;
  eigenflow::tape<S> t;

  explicit tape_mlp(eigenflow::nn::mlp<S>& network) : net(network), params(network.parameters()) {}

  S step(const matrix<S>& x) {
    t.clear();
    params.zero_grad();
    const eigenflow::var<S> y = net(t.constant_view(x));
    const eigenflow::var<S> loss = scale(sum(square(y)), S(1) / S(x.rows()));
    t.backward(loss);
    return loss.item();
  }
};

template <class S>
struct setup {
  eigenflow::random_engine rng{42};
  eigenflow::nn::mlp<S> net;
  matrix<S> x;
  setup(index_t in, index_t hidden)
      : net("mlp", {in, hidden, hidden, in}, rng, {.hidden_activation = eigenflow::activation::tanh}),
        x(eigenflow::normal_matrix<S>(batch, in, rng)) {}
};

/// Aborts the run if the tape and the hand-written pass disagree.
template <class S>
void verify(index_t in, index_t hidden) {
  setup<S> s(in, hidden);
  tape_mlp<S> tape(s.net);
  hand_mlp<S> hand(s.net);
  const S lt = tape.step(s.x), lh = hand.step(s.x);
  double worst = std::abs(double(lt - lh)) / std::max(1.0, std::abs(double(lh)));
  for (std::size_t k = 0; k < 3; ++k) {
    const auto& layer = s.net.layers()[k];
    const double scale = std::max<double>(1, hand.gw[k].cwiseAbs().maxCoeff());
    worst = std::max(worst, double((layer.weight().grad - hand.gw[k]).cwiseAbs().maxCoeff()) / scale);
    worst = std::max(worst, double((layer.bias().grad - hand.gb[k]).cwiseAbs().maxCoeff()) / scale);
  }
  const double tolerance = std::is_same_v<S, float> ? 1e-4 : 1e-12;
  if (!(worst <= tolerance)) {
    std::fprintf(stderr, "tape and hand-written gradients differ (%g) for %ld-%ld\n", worst, long(in), long(hidden));
    std::exit(1);
  }
}

template <class S, class Runner>
void run(benchmark::State& state, index_t in, index_t hidden) {
  setup<S> s(in, hidden);
  Runner runner(s.net);
  for (int i = 0; i < 3; ++i) runner.step(s.x);  // warm-up: buffers and arena reach their size
  const std::size_t allocations = bench::count_heap_allocations([&] {
    for (int i = 0; i < 10; ++i) runner.step(s.x);
  });
  for (auto _ : state) benchmark::DoNotOptimize(runner.step(s.x));
  state.counters["allocs/step"] = double(allocations) / 10.0;
  state.counters["samples/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<std::string, std::string>> ratios;
  auto add = [&](auto zero, const char* type, index_t in, index_t hidden) {
    using S = decltype(zero);
    verify<S>(in, hidden);
    const std::string shape = std::to_string(in) + "-" + std::to_string(hidden) + "-" + std::to_string(hidden) + "-" +
                              std::to_string(in);
    const std::string tape_name = std::string("tape/") + type + "/" + shape;
    const std::string hand_name = std::string("hand/") + type + "/" + shape;
    benchmark::RegisterBenchmark(tape_name.c_str(), [=](benchmark::State& st) { run<S, tape_mlp<S>>(st, in, hidden); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(hand_name.c_str(), [=](benchmark::State& st) { run<S, hand_mlp<S>>(st, in, hidden); })
        ->Unit(benchmark::kMicrosecond);
    ratios.emplace_back(tape_name, hand_name);
  };
  add(0.0f, "float", 2, 64);
  add(0.0, "double", 2, 64);
  add(0.0f, "float", 64, 256);
  add(0.0, "double", 64, 256);

  benchmark::Initialize(&argc, argv);
  bench::ratio_reporter reporter(ratios);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
