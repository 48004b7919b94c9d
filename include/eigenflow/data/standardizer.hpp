// include/eigenflow/data/standardizer.hpp — per-feature standardization w = (x − μ) / σ as a
// fixed affine map, with its log-determinant, so that likelihoods of a model fitted to w are
// reported in the units of the data as given (docs/conventions.md, "Units of reported likelihoods"):
//   log p(x) = log p(w) + log|det ∂w/∂x| = log p(w) − Σ log σ.
#pragma once

#include <cmath>
#include <string>

#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::data {

/// Per-feature standardization w = (x − μ) / σ, a fixed affine map with a known log-determinant.
///
/// @tparam Scalar float or double.
///
/// @code
///   auto s = data::standardizer<float>::fit(train);       // μ, σ from the training rows only
///   model.train_on(s.apply(train));
///   matrix<float> log_p = s.to_data_log_prob(model.log_prob(s.apply(test)));   // nats, data units
/// @endcode
template <class Scalar>
class standardizer {
 public:
  /// The identity (μ = 0, σ = 1) of width dim.
  explicit standardizer(index_t dim = 0)
      : mean_(row_vector<Scalar>::Zero(dim)), scale_(row_vector<Scalar>::Ones(dim)) {}

  /// A given μ and σ (σ > 0 and finite).
  standardizer(row_vector<Scalar> mean, row_vector<Scalar> scale) : mean_(std::move(mean)), scale_(std::move(scale)) {
    if (mean_.size() != scale_.size()) throw shape_error("standardizer: mean and scale differ in width");
    if (!mean_.allFinite()) throw value_error("standardizer: the mean is not finite");
    for (index_t j = 0; j < scale_.size(); ++j) {
      if (!(scale_(j) > 0) || !std::isfinite(static_cast<double>(scale_(j)))) {
        throw value_error("standardizer: scale of feature " + std::to_string(j) + " must be positive and finite");
      }
    }
  }

  /// μ and σ of the rows of x (population std), with σ floored at min_scale so that a constant
  /// feature does not divide by zero.
  static standardizer fit(const matrix<Scalar>& x, Scalar min_scale = Scalar(1e-6)) {
    if (x.rows() < 1 || x.cols() < 1) throw shape_error("standardizer::fit: no data");
    if (!x.allFinite()) throw value_error("standardizer::fit: the data are not finite");
    const row_vector<Scalar> mean = x.colwise().mean();
    const row_vector<Scalar> scale =
        ((x.rowwise() - mean).array().square().colwise().mean().sqrt()).max(min_scale).matrix();
    return standardizer(mean, scale);
  }

  /// D: the number of features.
  index_t dim() const { return mean_.size(); }
  /// μ, 1 × D.
  const row_vector<Scalar>& mean() const { return mean_; }
  /// σ, 1 × D (all positive).
  const row_vector<Scalar>& scale() const { return scale_; }

  /// w = (x − μ) / σ, row by row.
  matrix<Scalar> apply(const matrix<Scalar>& x) const {
    check(x, "apply");
    return ((x.rowwise() - mean_).array().rowwise() / scale_.array()).matrix();
  }

  /// x = μ + σ ⊙ w.
  matrix<Scalar> invert(const matrix<Scalar>& w) const {
    check(w, "invert");
    return ((w.array().rowwise() * scale_.array()).rowwise() + mean_.array()).matrix();
  }

  /// log|det ∂w/∂x| = −Σ_j log σ_j, the same for every sample.
  Scalar log_det() const { return -scale_.array().log().sum(); }

  /// log p(x) from log p(w) (batch × 1).
  matrix<Scalar> to_data_log_prob(const matrix<Scalar>& log_p_w) const {
    if (log_p_w.cols() != 1) throw shape_error("standardizer::to_data_log_prob: expected a column of log-densities");
    return log_p_w.array() + log_det();
  }

 private:
  void check(const matrix<Scalar>& x, const char* what) const {
    if (x.cols() == dim()) return;
    std::string who = "standardizer::";  // appended, not "literal" + what: GCC 12 warns falsely on that
    who += what;
    eigenflow::detail::check_width(who, x, dim());
  }

  row_vector<Scalar> mean_;
  row_vector<Scalar> scale_;
};

}  // namespace eigenflow::data
