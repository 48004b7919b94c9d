// include/eigenflow/flows/lu_linear.hpp — an LU-decomposed learnable invertible linear layer
// (Glow's invertible 1×1 convolution, for vectors; docs/conventions.md, "LU linear").
//
// W = P·L·(U + diag(σ)), L unit lower-triangular, U strictly upper-triangular, P a fixed
// permutation, σ = sign ⊙ exp(log_abs_scale) with the signs fixed at construction, so W stays
// invertible and log|det W| = Σ log|σ_i| costs O(D). y = x Wᵀ + b, the same log-det for every
// sample. The triangles are full parameter matrices multiplied by constant masks (the entries
// outside the triangle get zero gradient). Like Glow, the layer starts at the LU decomposition
// of a random orthogonal matrix (log-det 0) with b = 0. The plain inverse uses two triangular
// solves; on the tape the inverse goes through the inverse() op (differentiable in W).
//
// Over images (image_shape.hpp) W mixes the C channels of every pixel alike: Glow's invertible
// 1×1 convolution, y = conv2d(x, W) + b, with log-det H·W·Σ log|σ_i|. A vector is C channels of
// one pixel.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/LU>
#include <Eigen/QR>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/conv.hpp"
#include "eigenflow/autodiff/ops/image.hpp"
#include "eigenflow/autodiff/ops/inverse.hpp"
#include "eigenflow/autodiff/ops/matmul.hpp"
#include "eigenflow/autodiff/ops/reduce.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/ops/unary.hpp"
#include "eigenflow/autodiff/value_traits.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/transform.hpp"
#include "eigenflow/image_shape.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::flows {

/// Invertible linear layer y = x Wᵀ + b with W = P·L·(U + diag(σ)) (Glow); over images, the
/// invertible 1×1 convolution that applies it to every pixel's channels.
///
/// @tparam Scalar float or double.
///
/// @code
///   eigenflow::random_engine rng(1);
///   flows::lu_linear<float> mix("mix0", 4, rng);   // starts as a random rotation/reflection
///   auto [y, log_det] = mix.forward(x, {});
/// @endcode
template <class Scalar>
class lu_linear : public transform_base<lu_linear<Scalar>, Scalar> {
 public:
  /// Parameters name + ".lower", ".upper", ".log_abs_scale", ".bias"; W starts orthogonal.
  lu_linear(const std::string& name, index_t dim, random_engine& rng)
      : lu_linear(name, image_shape{dim, 1, 1}, rng) {}
  /// The invertible 1×1 convolution over images of shape `images`: W is C×C.
  lu_linear(const std::string& name, const image_shape& images, random_engine& rng) : images_(images) {
    const index_t dim = images.channels;
    if (dim < 1 || images.height < 1 || images.width < 1) {
      throw value_error(name + ": lu_linear needs a positive dimension, got " +
                        (images.pixels() == 1 ? std::to_string(dim) : "images of " + images.to_string()));
    }
    // A random orthogonal matrix (QR of a Gaussian one), factored in double: P_e·Q = L·U.
    const matrix<double> gaussian = normal_matrix<double>(dim, dim, rng);
    const matrix<double> q = Eigen::HouseholderQR<matrix<double>>(gaussian).householderQ();
    const Eigen::PartialPivLU<matrix<double>> lu(q);
    const matrix<double> packed = lu.matrixLU();
    const matrix<double> p_e = lu.permutationP() * matrix<double>::Identity(dim, dim);
    // Q = P_eᵀ·L·U, and P_eᵀ·M takes row i of the result from row perm[i] of M.
    permutation_.resize(static_cast<std::size_t>(dim));
    for (index_t i = 0; i < dim; ++i) {
      index_t source = 0;
      p_e.col(i).maxCoeff(&source);
      permutation_[static_cast<std::size_t>(i)] = source;
    }
    const vector<double> diagonal = packed.diagonal();
    lower_ = nn::parameter<Scalar>(name + ".lower",
                                   matrix<double>(packed.triangularView<Eigen::StrictlyLower>()).template cast<Scalar>());
    upper_ = nn::parameter<Scalar>(name + ".upper",
                                   matrix<double>(packed.triangularView<Eigen::StrictlyUpper>()).template cast<Scalar>());
    log_abs_scale_ = nn::parameter<Scalar>(name + ".log_abs_scale",
                                           diagonal.array().abs().log().matrix().transpose().template cast<Scalar>());
    bias_ = nn::parameter<Scalar>(name + ".bias", matrix<Scalar>::Zero(1, dim));
    sign_ = diagonal.array().sign().matrix().transpose().template cast<Scalar>();
    set_constants(dim);
  }

  /// A layer whose W is the lower-triangular `w` (nonzero diagonal), with P the identity and
  /// b = 0: W = L·diag(σ) with L = W·diag(σ)⁻¹ unit lower-triangular and U = 0. The parameters
  /// stay free to move from there. With `w` the identity, a layer that starts as the identity;
  /// both are rebuilt exactly by lower_triangular(name, identity) plus the saved parameters, since
  /// P and the signs (those of w's diagonal) do not depend on a random draw.
  static lu_linear lower_triangular(const std::string& name, const matrix<double>& w) {
    if (w.rows() != w.cols() || w.rows() < 1) {
      throw shape_error(name + ": lu_linear::lower_triangular needs a square matrix, got " +
                        eigenflow::detail::format_shape(w));
    }
    if (!w.allFinite() || !(w.diagonal().array() != 0).all() ||
        !matrix<double>(w.triangularView<Eigen::StrictlyUpper>()).isZero(0)) {
      throw value_error(name + ": lu_linear::lower_triangular needs a finite lower-triangular matrix with a nonzero diagonal");
    }
    const index_t dim = w.rows();
    const vector<double> diagonal = w.diagonal();
    const matrix<double> unit_lower = w * diagonal.cwiseInverse().asDiagonal();
    lu_linear layer;
    layer.images_ = image_shape{dim, 1, 1};
    layer.permutation_.resize(static_cast<std::size_t>(dim));
    for (index_t i = 0; i < dim; ++i) layer.permutation_[static_cast<std::size_t>(i)] = i;
    layer.lower_ = nn::parameter<Scalar>(name + ".lower",
                                         matrix<double>(unit_lower.triangularView<Eigen::StrictlyLower>()).template cast<Scalar>());
    layer.upper_ = nn::parameter<Scalar>(name + ".upper", matrix<Scalar>::Zero(dim, dim));
    layer.log_abs_scale_ = nn::parameter<Scalar>(name + ".log_abs_scale",
                                                 diagonal.array().abs().log().matrix().transpose().template cast<Scalar>());
    layer.bias_ = nn::parameter<Scalar>(name + ".bias", matrix<Scalar>::Zero(1, dim));
    layer.sign_ = diagonal.array().sign().matrix().transpose().template cast<Scalar>();
    layer.set_constants(dim);
    return layer;
  }

  /// y = x Wᵀ + b with W = P·L·(U + diag(σ)) (per pixel over images); the log-det, the same for
  /// every row, is H·W·Σ log|σ|.
  template <class Value>
  transformed<Value> forward_impl(const Value& x, const context<Value>&) const {
    detail::check_width("lu_linear", x, dim());
    if (images_.pixels() == 1) return {linear(x, weight(x), nn::lift(bias_, x)), log_det(x, Scalar(1))};
    return {conv2d(x, weight(x), nn::lift(bias_, x), images_), log_det(x, Scalar(1))};
  }

  /// x = (y − b) W⁻ᵀ, by two triangular solves on plain matrices; the log-det is −Σ log|σ|.
  template <class Value>
  transformed<Value> inverse_impl(const Value& y, const context<Value>&) const {
    detail::check_width("lu_linear", y, dim());
    if constexpr (std::is_same_v<Value, matrix<Scalar>>) {
      // x Wᵀ = y − b  ⇔  xᵀ = Ũ⁻¹·L⁻¹·Pᵀ·(y − b)ᵀ with Ũ = U + diag(σ): undo P, then two solves.
      // Over images, the same with one row per (sample, pixel) (image_shape.hpp's layout).
      const index_t d = images_.channels, rows = y.rows() * images_.pixels();
      const Eigen::Map<const matrix<Scalar>> pixels(y.data(), rows, d);
      matrix<Scalar> z(d, rows);
      for (index_t i = 0; i < d; ++i) {
        z.row(permutation_[static_cast<std::size_t>(i)]) = (pixels.col(i).array() - bias_.value(0, i)).matrix().transpose();
      }
      lower_.value.template triangularView<Eigen::UnitLower>().solveInPlace(z);  // reads the strict triangle only
      upper_with_diagonal().template triangularView<Eigen::Upper>().solveInPlace(z);
      matrix<Scalar> x(y.rows(), y.cols());
      Eigen::Map<matrix<Scalar>>(x.data(), rows, d) = z.transpose();
      return {std::move(x), log_det(y, Scalar(-1))};
    } else {
      // On the tape: x = (y − b)·W⁻ᵀ, differentiable in W through the inverse() op.
      if (images_.pixels() == 1) return {linear(sub(y, nn::lift(bias_, y)), inverse(weight(y))), log_det(y, Scalar(-1))};
      const Value bias = gather_cols(nn::lift(bias_, y), std::span<const index_t>(channel_of_column_));
      return {conv2d(sub(y, bias), inverse(weight(y)), images_), log_det(y, Scalar(-1))};
    }
  }

  /// W = P·L·(U + diag(σ)) as a Value like `like` (on its tape, if any).
  template <class Value>
  Value weight(const Value& like) const {
    const Value lower = add(mul(nn::lift(lower_, like), lift_constant(lower_mask_, like)), lift_constant(identity_, like));
    const Value sigma = mul(exp(nn::lift(log_abs_scale_, like)), lift_constant(sign_, like));  // 1×D
    // identity ⊙ σ (σ broadcast over rows) is diag(σ).
    const Value upper = add(mul(nn::lift(upper_, like), lift_constant(upper_mask_, like)),
                            mul(lift_constant(identity_, like), sigma));
    return gather_rows(matmul(lower, upper), std::span<const index_t>(permutation_));
  }

  /// W as a plain matrix.
  matrix<Scalar> weight() const { return weight(identity_); }

  /// The fixed permutation: row i of W is row permutation()[i] of L·(U + diag(σ)).
  const std::vector<index_t>& permutation() const { return permutation_; }
  /// The fixed signs of σ (1×D, entries ±1).
  const matrix<Scalar>& signs() const { return sign_; }

  index_t dim() const override { return images_.size(); }
  /// The images whose pixels this layer mixes the channels of (D channels of one pixel for vectors).
  const image_shape& images() const { return images_; }
  void collect_parameters(nn::parameter_list<Scalar>& list) override {
    list.push_back(lower_);
    list.push_back(upper_);
    list.push_back(log_abs_scale_);
    list.push_back(bias_);
  }
  /// The layer's kind and size, and, when P is not the identity or a sign is negative, a
  /// fingerprint of P and the signs: they are drawn at construction and are not parameters, so a
  /// checkpoint restored into a layer built from another draw is refused (restore_parameters
  /// compares descriptions) instead of computing with another W.
  std::string describe() const override {
    const std::string size = images_.pixels() == 1 ? "lu_linear(D=" + std::to_string(dim())
                                                   : "invertible_1x1_conv(" + images_.to_string();
    return size + fixed_part_fingerprint() + ")";
  }

 private:
  lu_linear() = default;

  /// ", fixed P and signs fnv1a XXXXXXXX" (FNV-1a over P's entries and the signs), or "" for the
  /// identity P with positive signs (lower_triangular's layers: their checkpoints stay as they were).
  std::string fixed_part_fingerprint() const {
    bool trivial = true;
    std::uint32_t hash = 2166136261u;
    const auto mix = [&hash](std::uint64_t v) {
      for (int b = 0; b < 8; ++b) hash = (hash ^ static_cast<std::uint32_t>((v >> (8 * b)) & 0xff)) * 16777619u;
    };
    for (std::size_t i = 0; i < permutation_.size(); ++i) {
      trivial = trivial && permutation_[i] == static_cast<index_t>(i);
      mix(static_cast<std::uint64_t>(permutation_[i]));
    }
    for (index_t i = 0; i < sign_.size(); ++i) {
      trivial = trivial && sign_(i) > 0;
      mix(sign_(i) > 0 ? 1u : 0u);
    }
    if (trivial) return "";
    char text[48];
    std::snprintf(text, sizeof text, ", fixed P and signs fnv1a %08x", static_cast<unsigned>(hash));
    return text;
  }

  /// The identity, the triangles' masks and, over images, each column's channel.
  void set_constants(index_t dim) {
    if (images_.pixels() > 1) channel_of_column_ = channel_of_columns(images_);
    identity_ = matrix<Scalar>::Identity(dim, dim);
    lower_mask_ = matrix<Scalar>(matrix<Scalar>::Ones(dim, dim).template triangularView<Eigen::StrictlyLower>());
    upper_mask_ = matrix<Scalar>(matrix<Scalar>::Ones(dim, dim).template triangularView<Eigen::StrictlyUpper>());
  }

  /// ±H·W·Σ log|σ_i| for every sample (batch×1).
  template <class Value>
  Value log_det(const Value& like, Scalar sign) const {
    return broadcast_to(scale(sum(nn::lift(log_abs_scale_, like)), sign * static_cast<Scalar>(images_.pixels())),
                        like.rows(), 1);
  }

  matrix<Scalar> upper_with_diagonal() const {
    matrix<Scalar> u = upper_.value.template triangularView<Eigen::StrictlyUpper>();
    u.diagonal() = (sign_.array() * log_abs_scale_.value.array().exp()).transpose().matrix();
    return u;
  }

  image_shape images_;
  std::vector<index_t> channel_of_column_;  // empty for vectors
  nn::parameter<Scalar> lower_;
  nn::parameter<Scalar> upper_;
  nn::parameter<Scalar> log_abs_scale_;
  nn::parameter<Scalar> bias_;
  matrix<Scalar> sign_;        // 1×D, fixed
  matrix<Scalar> identity_;    // D×D
  matrix<Scalar> lower_mask_;  // ones strictly below the diagonal
  matrix<Scalar> upper_mask_;  // ones strictly above the diagonal
  std::vector<index_t> permutation_;
};

}  // namespace eigenflow::flows
