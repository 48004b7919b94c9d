// include/eigenflow/flows/coupling.hpp — the coupling layer over any element-wise bijection:
// x is split into conditioning features A (left unchanged) and transformed features B, and
//   y_B = g(x_B; θ),  θ = net(x_A [, context]),  log-det = Σ_B log g'(x_B; θ).
// The inverse runs g⁻¹ with θ from y_A = x_A. The bijection g (the Bijector) is affine
// (affine_coupling.hpp) or a rational-quadratic spline (spline_coupling.hpp); any D ≥ 2 and
// any split.
//
// The Bijector concept is in bijector.hpp.
#pragma once

#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/bijector.hpp"
#include "eigenflow/flows/conditioner.hpp"
#include "eigenflow/flows/transform.hpp"
#include "eigenflow/image_shape.hpp"

namespace eigenflow::flows {

/// The features a coupling transforms: the second half ([D/2, D), the larger half for odd D),
/// or the first half.
inline std::vector<index_t> half_split(index_t dim, bool transform_first_half) {
  std::vector<index_t> b;
  const index_t k = dim / 2;
  for (index_t i = transform_first_half ? 0 : k; i < (transform_first_half ? k : dim); ++i) b.push_back(i);
  return b;
}

/// The columns of a batch of images (image_shape.hpp) a coupling transforms when it splits the
/// channels: the second half ([C/2, C), the larger half for odd C) or the first, every pixel.
/// Each half is a block of columns, so the conditioning half is itself a batch of images.
inline std::vector<index_t> channel_split(const image_shape& images, bool transform_first_half) {
  const std::vector<index_t> channels = half_split(images.channels, transform_first_half);
  std::vector<index_t> b;
  for (index_t c : channels) {
    for (index_t p = 0; p < images.pixels(); ++p) b.push_back(c * images.pixels() + p);
  }
  return b;
}

/// A coupling layer over the element-wise bijection Bijector (see the header comment).
/// @tparam Scalar float or double.
template <class Scalar, class Bijector>
class coupling : public transform_base<coupling<Scalar, Bijector>, Scalar> {
 public:
  /// `transformed_features`: the indices of B (the rest is A); both must be non-empty.
  /// The conditioner maps |A| inputs to |B|·bijector.parameters_per_value() outputs, laid out as
  /// the bijector reads them.
  coupling(index_t dim, std::vector<index_t> transformed_features, std::unique_ptr<conditioner<Scalar>> net,
           Bijector bijector = {})
      : dim_(dim), transformed_(std::move(transformed_features)), net_(std::move(net)), bijector_(std::move(bijector)) {
    const std::string who = bijector_.name();
    std::sort(transformed_.begin(), transformed_.end());
    std::vector<bool> in_b(static_cast<std::size_t>(std::max<index_t>(dim, 0)), false);
    for (index_t i : transformed_) {
      if (i < 0 || i >= dim || in_b[static_cast<std::size_t>(i)]) {
        throw value_error(who + ": transformed feature " + std::to_string(i) + " is out of [0, " +
                          std::to_string(dim) + ") or repeated");
      }
      in_b[static_cast<std::size_t>(i)] = true;
    }
    for (index_t i = 0; i < dim; ++i) {
      if (!in_b[static_cast<std::size_t>(i)]) identity_.push_back(i);
    }
    if (identity_.empty() || transformed_.empty()) {
      throw value_error(who + ": both the conditioning and the transformed features must be non-empty (D = " +
                        std::to_string(dim) + ")");
    }
    // restore_[i]: where feature i sits in [x_A, y_B].
    restore_.resize(static_cast<std::size_t>(dim));
    index_t pos = 0;
    for (index_t i : identity_) restore_[static_cast<std::size_t>(i)] = pos++;
    for (index_t i : transformed_) restore_[static_cast<std::size_t>(i)] = pos++;
    if (!net_) throw value_error(who + ": no conditioner");
    const index_t outputs = static_cast<index_t>(transformed_.size()) * bijector_.parameters_per_value();
    if (net_->in_features() != static_cast<index_t>(identity_.size()) || net_->out_features() != outputs) {
      throw shape_error(who + ": conditioner maps " + std::to_string(net_->in_features()) + " -> " +
                        std::to_string(net_->out_features()) + " features, the split needs " +
                        std::to_string(identity_.size()) + " -> " + std::to_string(outputs));
    }
  }

  /// A deep copy: the conditioner is cloned.
  coupling(const coupling& other)
      : transform_base<coupling<Scalar, Bijector>, Scalar>(other),
        dim_(other.dim_),
        transformed_(other.transformed_),
        identity_(other.identity_),
        restore_(other.restore_),
        net_(other.net_->clone()),
        bijector_(other.bijector_) {}
  coupling& operator=(const coupling&) = delete;

  /// y_A = x_A, y_B = g(x_B; net(x_A)); the log-det is the bijector's, one per row.
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>& c) const {
    detail::check_width(bijector_.name(), x, dim_);
    const Value x_a = gather_cols(x, std::span<const index_t>(identity_));
    const transformed<Value> b =
        bijector_.forward(gather_cols(x, std::span<const index_t>(transformed_)), (*net_)(x_a, c));
    return {gather_cols(concat(x_a, b.value), std::span<const index_t>(restore_)), b.log_det};
  }

  /// x_A = y_A, x_B = g⁻¹(y_B; net(y_A)); the log-det is the bijector's inverse one, one per row.
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>& c) const {
    detail::check_width(bijector_.name(), y, dim_);
    const Value y_a = gather_cols(y, std::span<const index_t>(identity_));
    const transformed<Value> b =
        bijector_.inverse(gather_cols(y, std::span<const index_t>(transformed_)), (*net_)(y_a, c));
    return {gather_cols(concat(y_a, b.value), std::span<const index_t>(restore_)), b.log_det};
  }

  index_t dim() const override { return dim_; }
  condition_spec condition() const override { return net_->condition(); }
  void collect_parameters(nn::parameter_list<Scalar>& list) override { net_->collect_parameters(list); }
  std::string describe() const override {
    return bijector_.name() + "(D=" + std::to_string(dim_) + ", |B|=" + std::to_string(transformed_.size()) + ", " +
           bijector_.settings() + ", " + net_->describe() + ")";
  }

  /// The indices of B, the transformed features, in increasing order.
  const std::vector<index_t>& transformed_features() const { return transformed_; }
  /// The conditioner that maps x_A to the bijector's parameters.
  const conditioner<Scalar>& net() const { return *net_; }
  /// The element-wise bijection of the transformed features.
  const Bijector& bijector() const { return bijector_; }

 private:
  index_t dim_;
  std::vector<index_t> transformed_;  // B
  std::vector<index_t> identity_;     // A
  std::vector<index_t> restore_;
  std::unique_ptr<conditioner<Scalar>> net_;
  Bijector bijector_;
};

}  // namespace eigenflow::flows
