// include/eigenflow/optim/optimizer_state.hpp — an optimizer's state as plain data (step count and
// named per-parameter tensors), for checkpoints, and the checks that guard importing it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/optim/detail/checks.hpp"

namespace eigenflow::optim {

/// What an optimizer needs to continue exactly where it stopped: which optimizer wrote it, how
/// many steps it has taken, and its per-parameter tensors.
///
/// Tensors are stored parameter-major, named "<parameter name>/<slot>" (for Adam the slots are
/// "exp_avg" and "exp_avg_sq", for SGD with momentum "momentum_buffer"). Hyperparameters are not
/// part of it: they belong to the code that builds the optimizer (and a schedule sets the
/// learning rate from the step count).
///
/// @tparam Scalar float or double.
///
/// @code
///   optimizer_state<double> saved = opt.export_state();
///   // ... write it, read it back, build a fresh optimizer with the same options ...
///   restored.import_state(saved, model_parameters);
/// @endcode
template <class Scalar>
struct optimizer_state {
  /// The `kind` of the optimizer that wrote it, such as "adam" or "sgd".
  std::string kind;
  /// Steps taken.
  std::int64_t step = 0;
  /// (name, tensor) pairs, parameter-major, each tensor shaped like its parameter.
  std::vector<std::pair<std::string, matrix<Scalar>>> tensors;
};

namespace detail {

/// One kind of per-parameter tensor an optimizer keeps: its name and its values, one per
/// parameter in list order.
template <class Values>
struct state_slot {
  const char* name;
  Values* values;
};

template <class Scalar>
optimizer_state<Scalar> pack_state(
    const char* kind, std::int64_t step, const std::vector<std::string>& parameter_names,
    const std::vector<state_slot<const std::vector<matrix<Scalar>>>>& slots) {
  optimizer_state<Scalar> state{kind, step, {}};
  state.tensors.reserve(parameter_names.size() * slots.size());
  for (std::size_t i = 0; i < parameter_names.size(); ++i) {
    for (const auto& slot : slots) {
      state.tensors.emplace_back(parameter_names[i] + "/" + slot.name, (*slot.values)[i]);
    }
  }
  return state;
}

/// Checks `state` against what the optimizer `kind` with these `slots` expects for `params`, then
/// (and only then, so a failed import changes nothing) copies the tensors into the slots.
/// Returns false when the state is that of an optimizer that has not stepped yet (step 0, no
/// tensors): the slots are cleared and the next step sizes them afresh.
template <class Scalar>
bool unpack_state(const char* who, const char* kind, const optimizer_state<Scalar>& state,
                  const nn::parameter_list<Scalar>& params,
                  const std::vector<state_slot<std::vector<matrix<Scalar>>>>& slots) {
  const std::string prefix = std::string(who) + ": ";
  if (state.kind != kind) {
    throw value_error(prefix + "cannot import the state of a '" + state.kind +
                      "' optimizer into a '" + kind + "' optimizer");
  }
  if (state.step < 0) {
    throw value_error(prefix + "step = " + std::to_string(state.step) + " (must be >= 0)");
  }
  if (state.step == 0 && state.tensors.empty()) {
    for (const auto& slot : slots) slot.values->clear();
    return false;
  }
  const std::size_t expected = params.size() * slots.size();
  if (state.tensors.size() != expected) {
    throw shape_error(prefix + "the state holds " + std::to_string(state.tensors.size()) +
                      " tensors, but " + std::to_string(params.size()) + " parameters need " +
                      std::to_string(expected));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const nn::parameter<Scalar>& p = params[i];
    for (std::size_t k = 0; k < slots.size(); ++k) {
      const auto& [name, values] = state.tensors[i * slots.size() + k];
      const std::string expected_name = p.name + "/" + slots[k].name;
      if (name != expected_name) {
        throw value_error(prefix + "state tensor '" + name + "' is not '" + expected_name +
                          "' (for " + describe_parameter(p.name, i) + ")");
      }
      if (values.rows() != p.value.rows() || values.cols() != p.value.cols()) {
        throw shape_error(prefix + "state tensor '" + name + "' is " + format_shape(values) +
                          ", but " + describe_parameter(p.name, i) + " is " +
                          format_shape(p.value));
      }
      eigenflow::detail::require_finite(who, "state tensor '" + name + "'", values);
    }
  }
  for (std::size_t k = 0; k < slots.size(); ++k) {
    std::vector<matrix<Scalar>>& values = *slots[k].values;
    values.clear();
    values.reserve(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      values.push_back(state.tensors[i * slots.size() + k].second);
    }
  }
  return true;
}

/// The names of the parameters, kept when an optimizer sizes its state, to name the exported
/// tensors.
template <class Scalar>
std::vector<std::string> parameter_names(const nn::parameter_list<Scalar>& params) {
  std::vector<std::string> names;
  names.reserve(params.size());
  for (const nn::parameter<Scalar>* p : params) names.push_back(p->name);
  return names;
}

}  // namespace detail
}  // namespace eigenflow::optim
