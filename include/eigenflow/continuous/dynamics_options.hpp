// include/eigenflow/continuous/dynamics_options.hpp — the hyperparameters of the built-in dynamics
// networks, their validation, and the input side those networks share (shape checks, the
// context encoding, the layer widths, the settings in describe()).
#pragma once

#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/continuous/dynamics.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/density/context_encoder.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::continuous {

/// Hyperparameters of concat_squash_dynamics and time_mlp_dynamics.
///
/// @code
///   eigenflow::continuous::dynamics_options opts{.hidden = {32, 32}, .hidden_activation = eigenflow::activation::softplus};
///   opts.condition = {.classes = 10};  // class-conditional: an 8-column embedding joins z at the input
/// @endcode
struct dynamics_options {
  /// Hidden widths, input to output; at least one, all positive.
  std::vector<index_t> hidden = {64, 64, 64};
  /// Between layers (not after the last). Must be smooth (is_smooth): training differentiates
  /// the trace of ∂f/∂z, which involves f''.
  activation hidden_activation = activation::tanh;
  /// What f is conditioned on: class labels (through a learned embedding of embedding_dim
  /// columns) and/or a context matrix of condition.features columns; both are appended to z at
  /// the network input. Unconditional by default.
  condition_spec condition{};
  /// Width of the class embedding, used when condition.classes > 0.
  index_t embedding_dim = 8;
  /// The last layer starts at zero, so f = 0 and the flow starts as the identity: at step 0 the
  /// model is exactly its base density (a whitened table's Gaussian, say). An initialization,
  /// not part of the architecture: describe() does not show it.
  bool zero_output = false;
};

/// Throws value_error, naming `who`, unless the options describe a network that can be built and
/// trained as a CNF: a non-empty list of positive widths, a smooth activation, a non-negative
/// condition and a positive embedding width for class labels.
inline void validate(const dynamics_options& opts, const std::string& who) {
  if (opts.hidden.empty()) throw value_error(who + ": the dynamics network needs at least one hidden layer");
  for (std::size_t k = 0; k < opts.hidden.size(); ++k) {
    if (opts.hidden[k] < 1) {
      throw value_error(who + ": hidden width " + std::to_string(k) + " is " + std::to_string(opts.hidden[k]) +
                        ", widths must be positive");
    }
  }
  if (!is_smooth(opts.hidden_activation)) {
    throw value_error(who + ": activation " + std::string(to_string(opts.hidden_activation)) +
                      " is not smooth enough for CNF dynamics: FFJORD training differentiates the trace of "
                      "df/dz, which needs f'' (use tanh, softplus, sigmoid or identity)");
  }
  if (opts.condition.classes < 0 || opts.condition.features < 0) {
    throw value_error(who + ": condition needs non-negative classes and features, got classes=" +
                      std::to_string(opts.condition.classes) + " features=" + std::to_string(opts.condition.features));
  }
  if (opts.condition.classes > 0 && opts.embedding_dim < 1) {
    throw value_error(who + ": embedding_dim must be positive for class labels, got " +
                      std::to_string(opts.embedding_dim));
  }
}

namespace detail {

/// The input side of a dynamics network: checks z (batch × D), t (1x1) and the context, and
/// appends the context encoding to the network's input. Shared by the built-in networks so that
/// they validate and describe themselves the same way.
template <class Scalar>
class network_input {
 public:
  network_input() = default;
  network_input(const std::string& name, index_t dim, const dynamics_options& opts, random_engine& rng)
      : name_(name), dim_(checked_dim(name, dim)), opts_(checked(opts, name)),
        encoder_(name, opts.condition, opts.embedding_dim, rng) {}

  /// Throws unless z is batch × D, t is 1x1 and c is what the condition asks for.
  template <class Value>
  void check(const Value& z, const Value& t, const context<Value>& c) const {
    check_dynamics_input(name_, dim_, opts_.condition, z, t, c);
  }

  /// [x, embedding(labels), features]: x with the context appended (x itself when unconditional).
  template <class Value>
  Value encode(const Value& x, const context<Value>& c) const {
    return encoder_.encode(x, c);
  }

  /// Layer widths {in + context columns, hidden..., D} for a network whose own input has `in`
  /// columns before the context is appended.
  std::vector<index_t> widths(index_t in) const {
    std::vector<index_t> w = {in + encoder_.extra_features()};
    w.insert(w.end(), opts_.hidden.begin(), opts_.hidden.end());
    w.push_back(dim_);
    return w;
  }

  /// "kind(dim=2, hidden=64-64-64, tanh[, classes=K][, features=F])".
  std::string describe(const std::string& kind) const {
    // Appended piece by piece: `"literal" + std::string&&` trips GCC 12's false -Wrestrict.
    std::string out = kind;
    out += "(dim=";
    out += std::to_string(dim_);
    out += ", hidden=";
    for (std::size_t k = 0; k < opts_.hidden.size(); ++k) {
      if (k > 0) out += '-';
      out += std::to_string(opts_.hidden[k]);
    }
    out += ", ";
    out += to_string(opts_.hidden_activation);
    if (opts_.condition.classes > 0) {
      out += ", classes=";
      out += std::to_string(opts_.condition.classes);
    }
    if (opts_.condition.features > 0) {
      out += ", features=";
      out += std::to_string(opts_.condition.features);
    }
    out += ')';
    return out;
  }

  const std::string& name() const { return name_; }
  index_t dim() const { return dim_; }
  const dynamics_options& options() const { return opts_; }

  void collect_parameters(nn::parameter_list<Scalar>& list) { encoder_.collect_parameters(list); }

 private:
  static index_t checked_dim(const std::string& name, index_t dim) {
    if (dim < 1) throw value_error(name + ": the state dimension must be positive, got " + std::to_string(dim));
    return dim;
  }
  static const dynamics_options& checked(const dynamics_options& opts, const std::string& name) {
    validate(opts, name);
    return opts;
  }

  std::string name_;
  index_t dim_ = 0;
  dynamics_options opts_;
  context_encoder<Scalar> encoder_;
};

}  // namespace detail

}  // namespace eigenflow::continuous
