// tests/optim/optimizer_state_test.cpp — exporting and importing optimizer state: a restored
// optimizer continues exactly where the original was; states that do not fit are refused.
#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/optim/adam.hpp"
#include "eigenflow/optim/optimizer_state.hpp"
#include "eigenflow/optim/sgd.hpp"
#include "optim/helpers.hpp"

namespace {

using eigenflow::optim::adam;
using eigenflow::optim::optimizer_state;
using eigenflow::optim::sgd;
using optim_test::set_gradients;
using optim_test::toy_model;

/// Trains 3 steps, exports, restores into a fresh optimizer on a copy of the model, then checks
/// that both take the same next 4 steps, bit for bit.
template <class Optimizer, class Scalar>
void check_round_trip(const typename Optimizer::options_type& options) {
  toy_model<Scalar> original_model;
  Optimizer original(options);
  for (int t = 0; t < 3; ++t) {
    set_gradients(original_model.params(), t);
    original.step(original_model.params());
  }
  const optimizer_state<Scalar> state = original.export_state();
  CHECK(state.step == 3);

  toy_model<Scalar> restored_model = original_model;
  Optimizer restored(options);
  restored.import_state(state, restored_model.params());
  CHECK(restored.step_count() == 3);
  for (int t = 3; t < 7; ++t) {
    set_gradients(original_model.params(), t);
    set_gradients(restored_model.params(), t);
    original.step(original_model.params());
    restored.step(restored_model.params());
    CHECK(restored_model.params().flatten_values() == original_model.params().flatten_values());
  }
  CHECK(restored.export_state().tensors == original.export_state().tensors);
}

template <class Scalar>
std::vector<std::string> tensor_names(const optimizer_state<Scalar>& state) {
  std::vector<std::string> names;
  for (const auto& entry : state.tensors) names.push_back(entry.first);
  return names;
}

}  // namespace

TEMPLATE_TEST_CASE("optimizer state round trip continues identically", "[optim][state]", float,
                   double) {
  using S = TestType;
  check_round_trip<adam<S>, S>({.learning_rate = S(0.01), .weight_decay = S(0.1)});
  check_round_trip<adam<S>, S>(
      {.learning_rate = S(0.01), .weight_decay = S(0.1), .decoupled_weight_decay = true});
  check_round_trip<sgd<S>, S>({.learning_rate = S(0.01)});
  check_round_trip<sgd<S>, S>({.learning_rate = S(0.01), .momentum = S(0.9)});
  check_round_trip<sgd<S>, S>({.learning_rate = S(0.01), .momentum = S(0.9), .nesterov = true});
}

TEST_CASE("exported state names its kind, step and tensors", "[optim][state]") {
  toy_model<double> model;
  adam<double> opt;
  CHECK(opt.export_state().step == 0);
  CHECK(opt.export_state().tensors.empty());
  set_gradients(model.params(), 0);
  opt.step(model.params());
  opt.step(model.params());

  const optimizer_state<double> state = opt.export_state();
  CHECK(state.kind == "adam");
  CHECK(state.step == 2);
  CHECK(tensor_names(state) == std::vector<std::string>{"weight/exp_avg", "weight/exp_avg_sq",
                                                        "bias/exp_avg", "bias/exp_avg_sq"});
  CHECK(state.tensors[2].second.rows() == 1);
  CHECK(state.tensors[2].second.cols() == 4);

  sgd<double> momentum({.momentum = 0.9});
  momentum.step(model.params());
  CHECK(momentum.export_state().kind == "sgd");
  CHECK(tensor_names(momentum.export_state()) ==
        std::vector<std::string>{"weight/momentum_buffer", "bias/momentum_buffer"});
  sgd<double> plain;
  plain.step(model.params());
  CHECK(plain.export_state().step == 1);
  CHECK(plain.export_state().tensors.empty());
}

TEST_CASE("importing a fresh state resets the optimizer", "[optim][state]") {
  toy_model<double> model, reference_model;
  const optimizer_state<double> fresh = adam<double>().export_state();
  adam<double> used, reference;
  set_gradients(model.params(), 0);
  used.step(model.params());
  used.import_state(fresh, model.params());
  CHECK(used.step_count() == 0);

  reference_model = model;
  set_gradients(model.params(), 1);
  set_gradients(reference_model.params(), 1);
  used.step(model.params());
  reference.step(reference_model.params());
  CHECK(model.params().flatten_values() == reference_model.params().flatten_values());
}

TEST_CASE("importing a state that does not fit throws and changes nothing", "[optim][state]") {
  using Catch::Matchers::Contains;
  toy_model<double> model;
  const auto params = model.params();
  set_gradients(params, 0);
  adam<double> source;
  source.step(params);
  const optimizer_state<double> good = source.export_state();

  adam<double> target;
  target.step(params);
  target.step(params);
  const optimizer_state<double> target_before = target.export_state();
  const auto refuses = [&](const optimizer_state<double>& state, auto matcher, bool shape) {
    if (shape) {
      CHECK_THROWS_AS(target.import_state(state, params), eigenflow::shape_error);
    } else {
      CHECK_THROWS_AS(target.import_state(state, params), eigenflow::value_error);
    }
    CHECK_THROWS_WITH(target.import_state(state, params), matcher);
    CHECK(target.step_count() == 2);
    CHECK(target.export_state().tensors == target_before.tensors);
  };

  SECTION("another optimizer's state") {
    optimizer_state<double> wrong = good;
    wrong.kind = "sgd";
    refuses(wrong, Contains("'sgd'") && Contains("'adam'"), false);
    sgd<double> momentum({.momentum = 0.9});
    CHECK_THROWS_AS(momentum.import_state(good, params), eigenflow::value_error);
  }
  SECTION("a tensor of another shape") {
    optimizer_state<double> wrong = good;
    wrong.tensors[3].second.resize(4, 1);
    refuses(wrong, Contains("bias/exp_avg_sq") && Contains("4x1") && Contains("1x4"), true);
  }
  SECTION("another number of tensors") {
    optimizer_state<double> wrong = good;
    wrong.tensors.pop_back();
    refuses(wrong, Contains("3 tensors"), true);
    // The same state for a model with one parameter less.
    CHECK_THROWS_AS(
        target.import_state(good, eigenflow::nn::parameter_list<double>({&model.weight})),
        eigenflow::shape_error);
  }
  SECTION("tensors of other parameters") {
    optimizer_state<double> wrong = good;
    wrong.tensors[0].first = "encoder.weight/exp_avg";
    refuses(wrong, Contains("encoder.weight/exp_avg") && Contains("'weight'"), false);
  }
  SECTION("a negative step count or non-finite moments") {
    optimizer_state<double> wrong = good;
    wrong.step = -1;
    refuses(wrong, Contains("step = -1"), false);
    wrong = good;
    wrong.tensors[1].second(0, 0) = std::numeric_limits<double>::quiet_NaN();
    refuses(wrong, Contains("state tensor 'weight/exp_avg_sq' is not finite at row 0, column 0"), false);
  }
  SECTION("sgd states with and without momentum buffers do not mix") {
    sgd<double> with_momentum({.momentum = 0.9});
    sgd<double> without;
    with_momentum.step(params);
    without.step(params);
    CHECK_THROWS_AS(without.import_state(with_momentum.export_state(), params),
                    eigenflow::shape_error);
    CHECK_THROWS_AS(with_momentum.import_state(without.export_state(), params),
                    eigenflow::shape_error);
  }
}
