// A downstream program, as in the README's usage example: fits an MLP to the identity map with
// Adam on the tape, then evaluates it in plain mode. Prints the version; fails if training did not
// reduce the loss.
#include <eigenflow/eigenflow.hpp>

#include <iostream>

int main() {
  using namespace eigenflow;
  random_engine rng(1);
  nn::mlp<float> net("net", {2, 32, 32, 2}, rng, {.hidden_activation = activation::tanh});
  auto params = net.parameters();
  optim::adam<float> adam({.learning_rate = 1e-2f});
  tape<float> t;  // one per thread; reused by every step
  const matrix<float> x = normal_matrix<float>(256, 2, rng);

  float first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    t.clear();
    params.zero_grad();
    const var<float> error = sub(net(t.constant_view(x)), t.constant_view(x));
    const var<float> loss = mean(sum_rows(square(error)));
    t.backward(loss);  // gradients land in each parameter's .grad
    adam.step(params);
    (step == 0 ? first : last) = loss.item();
  }
  const matrix<float> y = net(x);  // plain mode: no tape, no gradients
  if (!(last < 0.1f * first) || y.rows() != x.rows()) {
    std::cerr << "training did not converge: loss " << first << " -> " << last << "\n";
    return 1;
  }
  std::cout << "eigenflow " << version_string << "\n";
  return 0;
}
