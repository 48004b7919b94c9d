// include/eigenflow/flows/permutation.hpp — a fixed permutation of the features (log-det 0).
//
// y = x[:, π], that is y_j = x_{π(j)}; the inverse applies π⁻¹. Reverse is its own inverse,
// roll and random permutations are not, so the inverse is always computed, never assumed.
#pragma once

#include <numeric>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/value_traits.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/transform.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::flows {

/// A fixed permutation of the features, y_j = x_{π(j)}, with log-det 0; no parameters.
///
/// @tparam Scalar float or double.
template <class Scalar>
class permutation : public transform_base<permutation<Scalar>, Scalar> {
 public:
  /// π as a list: y_j = x_{pi[j]}. Must be a permutation of 0..D−1.
  permutation(std::vector<index_t> pi, std::string kind = "custom") : forward_(std::move(pi)), kind_(std::move(kind)) {
    const index_t d = static_cast<index_t>(forward_.size());
    if (d < 1) throw value_error("permutation: empty");
    inverse_.assign(forward_.size(), -1);
    for (index_t j = 0; j < d; ++j) {
      const index_t i = forward_[static_cast<std::size_t>(j)];
      if (i < 0 || i >= d || inverse_[static_cast<std::size_t>(i)] != -1) {
        throw value_error("permutation: entry " + std::to_string(i) + " at position " + std::to_string(j) +
                          " is out of range or repeated");
      }
      inverse_[static_cast<std::size_t>(i)] = j;
    }
  }

  /// D−1, …, 0.
  static permutation reverse(index_t dim) {
    std::vector<index_t> pi(static_cast<std::size_t>(dim));
    for (index_t j = 0; j < dim; ++j) pi[static_cast<std::size_t>(j)] = dim - 1 - j;
    return permutation(std::move(pi), "reverse");
  }
  /// y_j = x_{(j + shift) mod D}.
  static permutation roll(index_t dim, index_t shift) {
    std::vector<index_t> pi(static_cast<std::size_t>(dim));
    for (index_t j = 0; j < dim; ++j) pi[static_cast<std::size_t>(j)] = ((j + shift) % dim + dim) % dim;
    return permutation(std::move(pi), "roll");
  }
  /// A uniformly random permutation (eigenflow::shuffle: the same order on every standard library).
  static permutation random(index_t dim, random_engine& rng) {
    std::vector<index_t> pi(static_cast<std::size_t>(dim));
    std::iota(pi.begin(), pi.end(), index_t{0});
    shuffle(pi, rng);
    return permutation(std::move(pi), "random");
  }

  /// y = x[:, π]; the log-det is zero.
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>&) const {
    detail::check_width("permutation", x, dim());
    return {gather_cols(x, std::span<const index_t>(forward_)), zeros_like(x, x.rows(), 1)};
  }
  /// x = y[:, π⁻¹]; the log-det is zero.
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>&) const {
    detail::check_width("permutation", y, dim());
    return {gather_cols(y, std::span<const index_t>(inverse_)), zeros_like(y, y.rows(), 1)};
  }

  index_t dim() const override { return static_cast<index_t>(forward_.size()); }
  void collect_parameters(nn::parameter_list<Scalar>&) override {}
  /// The kind and width; the order itself unless the kind fixes it (reverse), so that a checkpoint
  /// of one random order is refused by a model that drew another.
  std::string describe() const override {
    std::string text = "permutation(" + kind_ + ", D=" + std::to_string(dim());
    if (kind_ != "reverse") {
      text += ":";
      for (const index_t i : forward_) text += " " + std::to_string(i);
    }
    return text + ")";
  }
  /// π as a list: y_j = x_{indices()[j]}.
  const std::vector<index_t>& indices() const { return forward_; }

 private:
  std::vector<index_t> forward_;
  std::vector<index_t> inverse_;
  std::string kind_;
};

}  // namespace eigenflow::flows
