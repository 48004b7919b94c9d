// include/eigenflow/flows/actnorm.hpp — activation normalization (Glow), per feature of a vector
// or per channel of an image.
//
// y = (x − μ) ⊙ exp(−ρ), L = −Σ ρ for every sample (docs/conventions.md). It starts as the identity;
// initialize(batch) sets μ to the batch mean and ρ to the log of the batch standard deviation,
// floored so that a constant feature does not blow up the scale. Over images (image_shape.hpp) μ
// and ρ hold one value per channel, shared by its H·W pixels, so L = −H·W·Σ ρ; a vector of D
// features is the case of D channels of one pixel.
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/image.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/transform.hpp"
#include "eigenflow/image_shape.hpp"

namespace eigenflow::flows {

/// Activation normalization (Glow): y = (x − μ) ⊙ exp(−ρ) with a learned shift μ and log-scale ρ
/// per feature (1×D) or, over images, per channel (1×C, shared by the pixels). Starts as the
/// identity until initialize() fits it to a batch.
///
/// @tparam Scalar float or double.
template <class Scalar>
class actnorm : public transform_base<actnorm<Scalar>, Scalar> {
 public:
  /// `name` prefixes the parameter names (name.loc, name.log_scale); `min_std` floors the standard
  /// deviation that initialize() divides by.
  actnorm(const std::string& name, index_t dim, Scalar min_std = Scalar(1e-3))
      : actnorm(name, image_shape{std::max<index_t>(dim, 0), 1, 1}, min_std) {}
  /// Per channel over images of shape `images` (parameters 1×C).
  actnorm(const std::string& name, const image_shape& images, Scalar min_std = Scalar(1e-3))
      : images_(images), min_std_(min_std) {
    if (images.channels < 1 || images.height < 1 || images.width < 1) {
      throw value_error(name + ": actnorm needs a positive dimension, got images of " + images.to_string());
    }
    if (!(min_std > 0)) throw value_error(name + ": actnorm min_std must be positive");
    loc_ = nn::parameter<Scalar>(name + ".loc", matrix<Scalar>::Zero(1, images.channels));
    log_scale_ = nn::parameter<Scalar>(name + ".log_scale", matrix<Scalar>::Zero(1, images.channels));
    if (images.pixels() > 1) channel_of_column_ = channel_of_columns(images);
  }

  /// y = (x − μ) ⊙ exp(−ρ); the log-det −H·W·Σ ρ is the same for every row.
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>&) const {
    detail::check_width("actnorm", x, dim());
    const Value rho = nn::lift(log_scale_, x);
    return {mul(sub(x, per_column(nn::lift(loc_, x))), exp(neg(per_column(rho)))),
            broadcast_to(scale(sum(rho), -pixels()), x.rows(), 1)};
  }
  /// x = y ⊙ exp(ρ) + μ; the log-det H·W·Σ ρ is the same for every row.
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>&) const {
    detail::check_width("actnorm", y, dim());
    const Value rho = nn::lift(log_scale_, y);
    return {add(mul(y, exp(per_column(rho))), per_column(nn::lift(loc_, y))),
            broadcast_to(scale(sum(rho), pixels()), y.rows(), 1)};
  }

  /// μ = batch mean, ρ = log max(batch std, min_std) (over every pixel of a channel, for
  /// images); then the batch, normalized.
  matrix<Scalar> initialize(const matrix<Scalar>& x, const context<matrix<Scalar>>& c) override {
    detail::check_width("actnorm", x, dim());
    if (x.rows() < 2) throw value_error("actnorm: data-dependent initialization needs at least 2 samples");
    // One column per channel, one row per (sample, pixel): image_shape.hpp's layout read as such.
    const Eigen::Map<const matrix<Scalar>> entries(x.data(), x.rows() * images_.pixels(), images_.channels);
    const row_vector<Scalar> mean = entries.colwise().mean();
    const row_vector<Scalar> var = (entries.rowwise() - mean).array().square().colwise().mean();
    loc_.value = mean;
    log_scale_.value = var.array().sqrt().max(min_std_).log().matrix();
    initialized_ = true;
    return this->forward(x, c).value;
  }
  /// Whether initialize() has run on this layer (or on the layer it was copied from).
  bool initialized() const { return initialized_; }

  index_t dim() const override { return images_.size(); }
  /// The images this layer normalizes per channel (D channels of one pixel for vectors).
  const image_shape& images() const { return images_; }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    list.push_back(loc_);
    list.push_back(log_scale_);
  }
  std::string describe() const override {
    if (images_.pixels() == 1) return "actnorm(D=" + std::to_string(dim()) + ")";
    return "actnorm(" + images_.to_string() + ", per channel)";
  }

 private:
  Scalar pixels() const { return static_cast<Scalar>(images_.pixels()); }
  /// A 1×C value spread over the pixels of each channel (as is for vectors).
  template <class Value>
  Value per_column(const Value& v) const {
    if (channel_of_column_.empty()) return v;
    return gather_cols(v, std::span<const index_t>(channel_of_column_));
  }

  image_shape images_;
  std::vector<index_t> channel_of_column_;  // empty for vectors
  nn::parameter<Scalar> loc_;
  nn::parameter<Scalar> log_scale_;
  Scalar min_std_;
  bool initialized_ = false;
};

}  // namespace eigenflow::flows
