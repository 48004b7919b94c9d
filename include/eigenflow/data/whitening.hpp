// include/eigenflow/data/whitening.hpp — the full-covariance Gaussian fitted to a table, as a
// fixed affine map z = L⁻¹(x − μ) with Σ = L Lᵀ (Cholesky), and its exact log-determinant:
//   log p(x) = log p(z) + log|det ∂z/∂x| = log p(z) − Σ_j log L_jj.
// A flow that starts as the identity on z starts as exactly this Gaussian, so a model put in front
// of it begins where a statistician would and can only improve on it (docs/conventions.md, "Units
// of reported likelihoods"). The fit runs in double whatever the data's type.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::data {

/// The columns of x whose values are all the same (up to rounding: a spread below 1e-12 of their
/// magnitude). A Gaussian, or any density, of such a column is a spike, not a fit.
template <class Scalar>
std::vector<index_t> constant_columns(const matrix<Scalar>& x) {
  std::vector<index_t> out;
  for (index_t j = 0; j < x.cols(); ++j) {
    const double lo = static_cast<double>(x.col(j).minCoeff()), hi = static_cast<double>(x.col(j).maxCoeff());
    if (x.rows() > 0 && !(hi - lo > 1e-12 * std::max({std::abs(lo), std::abs(hi), 1e-300}))) out.push_back(j);
  }
  return out;
}

/// How whitening::fit treats nearly collinear columns.
struct whitening_options {
  /// The smallest eigenvalue the columns' correlation matrix may have; below it, a ridge brings it
  /// up to this value (collinear columns would otherwise make Σ singular and the density infinite).
  double min_correlation_eigenvalue = 1e-6;
};

/// z = L⁻¹(x − μ) row by row, for a mean μ and a lower-triangular L with a positive diagonal.
///
/// @code
///   auto g = data::whitening<float>::fit(train);               // μ, Σ = L Lᵀ of the training rows
///   matrix<float> gaussian_log_p = g.log_prob(test);           // the fitted Gaussian, data units
///   matrix<float> log_p = g.to_data_log_prob(model.log_prob(g.apply(test)));   // a model of z
/// @endcode
template <class Scalar>
class whitening {
 public:
  /// The identity (μ = 0, L = I) of width dim.
  explicit whitening(index_t dim = 0)
      : mean_(row_vector<Scalar>::Zero(dim)), factor_(matrix<Scalar>::Identity(dim, dim)) {}

  /// A given μ and L (lower triangular, positive finite diagonal; entries above it are ignored).
  whitening(row_vector<Scalar> mean, matrix<Scalar> factor, double ridge = 0)
      : mean_(std::move(mean)), factor_(std::move(factor)), ridge_(ridge) {
    if (factor_.rows() != factor_.cols() || factor_.rows() != mean_.size()) {
      throw shape_error("whitening: the mean is " + eigenflow::detail::format_shape(1, mean_.size()) + ", the factor " +
                        eigenflow::detail::format_shape(factor_) + "; expected 1xD and DxD");
    }
    factor_.template triangularView<Eigen::StrictlyUpper>().setZero();
    eigenflow::detail::require_finite("whitening", "the mean", mean_);
    eigenflow::detail::require_finite("whitening", "the factor", factor_);
    for (index_t j = 0; j < dim(); ++j) {
      if (!(factor_(j, j) > 0)) {
        throw value_error("whitening: diagonal entry " + std::to_string(j) + " of the factor must be positive");
      }
    }
    log_det_ = 0;
    for (index_t j = 0; j < dim(); ++j) log_det_ -= std::log(static_cast<double>(factor_(j, j)));
  }

  /// The Cholesky factor L of a covariance (L Lᵀ = covariance), and the ridge it needed: nearly
  /// collinear columns get one on their correlation matrix (options), so that it means the same
  /// in any units. The covariance's diagonal must be positive.
  static std::pair<matrix<double>, double> ridged_cholesky(const matrix<double>& covariance,
                                                           const whitening_options& options = {}) {
    const vector<double> scale = covariance.diagonal().cwiseSqrt();
    matrix<double> correlation = scale.cwiseInverse().asDiagonal() * covariance * scale.cwiseInverse().asDiagonal();
    const double smallest = Eigen::SelfAdjointEigenSolver<matrix<double>>(correlation, Eigen::EigenvaluesOnly)
                                .eigenvalues()
                                .minCoeff();
    double ridge = 0;
    if (smallest < options.min_correlation_eigenvalue) {
      ridge = options.min_correlation_eigenvalue - smallest;
      correlation.diagonal().array() += ridge;
    }
    const Eigen::LLT<matrix<double>> llt(correlation);
    if (llt.info() != Eigen::Success) throw value_error("whitening: the covariance is not positive definite");
    return {scale.asDiagonal() * matrix<double>(llt.matrixL()), ridge};
  }

  /// The maximum-likelihood Gaussian of the rows of x (mean, covariance with divisor n). Throws
  /// value_error for fewer than two rows, a non-finite value or a constant column (naming it);
  /// nearly collinear columns get the ridge of `options` (ridge() reports it).
  static whitening fit(const matrix<Scalar>& x, const whitening_options& options = {}) {
    if (x.rows() < 2 || x.cols() < 1) {
      throw shape_error("whitening::fit: need at least 2 rows and 1 column, got " + eigenflow::detail::format_shape(x));
    }
    eigenflow::detail::require_finite("whitening::fit", "the data", x);
    if (const auto constant = constant_columns(x); !constant.empty()) {
      throw value_error("whitening::fit: column " + std::to_string(constant.front()) +
                        " is constant (zero variance); drop it before fitting");
    }
    const matrix<double> xd = x.template cast<double>();
    const row_vector<double> mean = xd.colwise().mean();
    const matrix<double> centered = xd.rowwise() - mean;
    const auto [factor, ridge] = ridged_cholesky((centered.transpose() * centered) / static_cast<double>(x.rows()), options);
    return whitening(mean.template cast<Scalar>(), factor.template cast<Scalar>(), ridge);
  }

  /// The width D.
  index_t dim() const { return mean_.size(); }
  /// μ (1 × D).
  const row_vector<Scalar>& mean() const { return mean_; }
  /// L (D × D, lower triangular): the covariance is L Lᵀ.
  const matrix<Scalar>& factor() const { return factor_; }
  /// The ridge fit() added to the correlation matrix's diagonal (0: none was needed).
  double ridge() const { return ridge_; }

  /// z = L⁻¹(x − μ), row by row.
  matrix<Scalar> apply(const matrix<Scalar>& x) const {
    eigenflow::detail::check_width("whitening::apply", x, dim());
    return factor_.template triangularView<Eigen::Lower>().solve((x.rowwise() - mean_).transpose()).transpose();
  }

  /// x = μ + L z, row by row.
  matrix<Scalar> invert(const matrix<Scalar>& z) const {
    eigenflow::detail::check_width("whitening::invert", z, dim());
    return (z * factor_.transpose()).rowwise() + mean_;
  }

  /// log|det ∂z/∂x| = −Σ_j log L_jj, the same for every row.
  double log_det() const { return log_det_; }

  /// log p(x) from log p(z) (batch × 1).
  matrix<Scalar> to_data_log_prob(const matrix<Scalar>& log_p_z) const {
    if (log_p_z.cols() != 1) {
      throw shape_error("whitening::to_data_log_prob: expected a column of log-densities, got " +
                        eigenflow::detail::format_shape(log_p_z));
    }
    return (log_p_z.template cast<double>().array() + log_det_).template cast<Scalar>().matrix();
  }

  /// log N(x; μ, L Lᵀ) per row (batch × 1): the fitted Gaussian's log-density in data units.
  matrix<Scalar> log_prob(const matrix<Scalar>& x) const {
    const matrix<double> z = apply(x).template cast<double>();
    const double normalizer = -0.5 * static_cast<double>(dim()) * std::log(2 * std::numbers::pi);
    return ((-0.5 * z.rowwise().squaredNorm()).array() + normalizer + log_det_).template cast<Scalar>().matrix();
  }

 private:
  row_vector<Scalar> mean_;
  matrix<Scalar> factor_;
  double ridge_ = 0;
  double log_det_ = 0;
};

}  // namespace eigenflow::data
