// include/eigenflow/data/class_whitening.hpp — the class-conditional Gaussian of a labelled table,
// as one whitening per class: z = L_c⁻¹(x − μ_c) for a row of class c, with
//   log p(x | c) = log p(z) − Σ_j log (L_c)_jj.
// A class-conditional flow that starts as the identity on z starts as exactly this Gaussian, as an
// unconditional one starts as data::whitening's. How much each class owns is a choice
// (class_covariance): nothing (one Gaussian for all rows), its mean, or its mean and its
// per-column scales, shrunk toward the within-class ones so that a class of a few rows does not
// get a spike. The columns' correlation is shared by the classes: a per-class correlation matrix
// needs far more rows per class than tables usually have.
#pragma once

#include <array>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/data/whitening.hpp"
#include "eigenflow/enum_names.hpp"

namespace eigenflow::data {

/// What each class of a class_whitening owns.
enum class class_covariance {
  pooled,  ///< nothing: one Gaussian of all rows, labels ignored
  means,   ///< its mean; one within-class covariance (as linear discriminant analysis)
  scaled,  ///< its mean and per-column scales (shrunk, see class_whitening_options); one correlation
};

/// The names of class_covariance, as the CLI and checkpoints spell them.
inline constexpr auto class_covariance_names = std::to_array<enum_name<class_covariance>>(
    {{class_covariance::pooled, "pooled"}, {class_covariance::means, "means"}, {class_covariance::scaled, "scaled"}});

/// How class_whitening::fit treats the classes.
struct class_whitening_options {
  /// What each class has of its own.
  class_covariance covariance = class_covariance::scaled;
  /// class_covariance::scaled: a class's variance of a column is its rows' mean square deviation
  /// with this many more pseudo-rows at the within-class variance (a class of few rows keeps
  /// about the within-class scale; one of many, its own).
  double scale_prior_rows = 10;
  /// The ridge and checks of each whitening fitted.
  whitening_options whitening{};
};

/// One whitening per class (or one for every row), applied to each row by its label.
///
/// @code
///   auto g = data::class_whitening<float>::fit(x, labels, classes);   // μ_c, L_c per class
///   matrix<float> gaussian_log_p = g.log_prob(test, test_labels);      // log p(x | c), data units
///   matrix<float> log_p = g.to_data_log_prob(model.log_prob(g.apply(test, test_labels), ...), test_labels);
/// @endcode
template <class Scalar>
class class_whitening {
 public:
  /// The identity of width dim, for every row.
  explicit class_whitening(index_t dim = 0) : per_class_{whitening<Scalar>(dim)} {}
  /// The same whitening for every row (labels are then optional).
  explicit class_whitening(whitening<Scalar> shared) : per_class_{std::move(shared)} {}
  /// Class c's whitening per_class[c]; all of the same width; labels are then required.
  explicit class_whitening(std::vector<whitening<Scalar>> per_class) : per_class_(std::move(per_class)), shared_(false) {
    if (per_class_.empty()) throw value_error("class_whitening: no classes given");
    for (const whitening<Scalar>& w : per_class_) {
      if (w.dim() != dim()) {
        throw shape_error("class_whitening: the classes' whitenings have widths " + std::to_string(dim()) + " and " +
                          std::to_string(w.dim()));
      }
    }
  }

  /// Fits the class-conditional Gaussian of rows x with labels in 0..classes-1 (maximum
  /// likelihood, divisor n; a class without rows gets the mean of all rows and the within-class
  /// scales). Throws as whitening::fit does, and value_error for a label outside 0..classes-1 or a
  /// column constant within every class (given the class, its density would be a spike).
  static class_whitening fit(const matrix<Scalar>& x, std::span<const index_t> labels, index_t classes,
                             const class_whitening_options& options = {}) {
    if (options.covariance == class_covariance::pooled) return class_whitening(whitening<Scalar>::fit(x, options.whitening));
    whitening<Scalar>::fit(x, options.whitening);  // the same checks of x: rows, finite, no constant column
    check_labels("class_whitening::fit", x.rows(), labels, classes);
    if (!(options.scale_prior_rows > 0)) {
      throw value_error("class_whitening::fit: scale_prior_rows must be positive, got " + std::to_string(options.scale_prior_rows));
    }
    const auto n = static_cast<double>(x.rows());
    const matrix<double> xd = x.template cast<double>();
    const row_vector<double> overall_mean = xd.colwise().mean();
    matrix<double> means = matrix<double>::Zero(classes, x.cols());
    vector<double> counts = vector<double>::Zero(classes);
    for (index_t i = 0; i < x.rows(); ++i) means.row(label(labels, i)) += xd.row(i), counts(label(labels, i)) += 1;
    for (index_t c = 0; c < classes; ++c) {
      means.row(c) = counts(c) > 0 ? row_vector<double>(means.row(c) / counts(c)) : overall_mean;
    }
    matrix<double> residual = xd;
    matrix<double> squares = matrix<double>::Zero(classes, x.cols());  // per class, Σ of squared deviations
    for (index_t i = 0; i < x.rows(); ++i) {
      residual.row(i) -= means.row(label(labels, i));
      squares.row(label(labels, i)) += residual.row(i).cwiseAbs2();
    }
    const row_vector<double> within = squares.colwise().sum() / n;
    const row_vector<double> total = (xd.rowwise() - overall_mean).colwise().squaredNorm() / n;
    for (index_t j = 0; j < x.cols(); ++j) {
      if (!(within(j) > 1e-12 * total(j))) {
        throw value_error("class_whitening::fit: column " + std::to_string(j) +
                          " is constant within every class: given the class, its density is a spike");
      }
    }
    matrix<double> scales(classes, x.cols());  // per class, the standard deviation of each column
    for (index_t c = 0; c < classes; ++c) {
      if (options.covariance == class_covariance::means) {
        scales.row(c) = within.cwiseSqrt();
      } else {
        const double k = options.scale_prior_rows;
        scales.row(c) = ((squares.row(c) + k * within) / (counts(c) + k)).cwiseSqrt();
      }
    }
    for (index_t i = 0; i < x.rows(); ++i) residual.row(i).array() /= scales.row(label(labels, i)).array();
    // The standardized residuals' correlation (unit diagonal, so that each class's scales are
    // exactly those above), shared by the classes.
    const matrix<double> covariance = residual.transpose() * residual / n;
    const auto [factor_of_covariance, ridge] = whitening<Scalar>::ridged_cholesky(covariance, options.whitening);
    const matrix<double> correlation_factor =
        covariance.diagonal().cwiseSqrt().cwiseInverse().asDiagonal() * factor_of_covariance;
    std::vector<whitening<Scalar>> per_class;
    for (index_t c = 0; c < classes; ++c) {
      const matrix<double> factor = scales.row(c).transpose().asDiagonal() * correlation_factor;
      per_class.emplace_back(means.row(c).template cast<Scalar>(), factor.template cast<Scalar>(), ridge);
    }
    return class_whitening(std::move(per_class));
  }

  /// The width D.
  index_t dim() const { return per_class_.front().dim(); }
  /// True if every row has the same whitening (labels optional).
  bool shared() const { return shared_; }
  /// The classes with a whitening of their own (1 if shared).
  index_t classes() const { return static_cast<index_t>(per_class_.size()); }
  /// Class c's whitening (the shared one for any c if shared()).
  const whitening<Scalar>& of(index_t c) const { return per_class_[shared_ ? 0 : static_cast<std::size_t>(c)]; }
  /// The ridge the fit added to the correlation matrix (0: none).
  double ridge() const { return per_class_.front().ridge(); }

  /// z = L_c⁻¹(x − μ_c), each row by its label.
  matrix<Scalar> apply(const matrix<Scalar>& x, std::span<const index_t> labels = {}) const {
    return by_class(x, labels, "class_whitening::apply", [](const whitening<Scalar>& w, const matrix<Scalar>& rows) {
      return w.apply(rows);
    });
  }

  /// x = μ_c + L_c z, each row by its label.
  matrix<Scalar> invert(const matrix<Scalar>& z, std::span<const index_t> labels = {}) const {
    return by_class(z, labels, "class_whitening::invert", [](const whitening<Scalar>& w, const matrix<Scalar>& rows) {
      return w.invert(rows);
    });
  }

  /// log p(x | c) from log p(z) (batch × 1), each row by its label.
  matrix<Scalar> to_data_log_prob(const matrix<Scalar>& log_p_z, std::span<const index_t> labels = {}) const {
    if (log_p_z.cols() != 1) {
      throw shape_error("class_whitening::to_data_log_prob: expected a column of log-densities, got " +
                        eigenflow::detail::format_shape(log_p_z));
    }
    return by_class(log_p_z, labels, "class_whitening::to_data_log_prob",
                    [](const whitening<Scalar>& w, const matrix<Scalar>& rows) { return w.to_data_log_prob(rows); });
  }

  /// log|det ∂z/∂x| of each row (rows × 1), by its label (`rows` rows if shared() and no labels).
  vector<double> log_det(index_t rows, std::span<const index_t> labels = {}) const {
    const matrix<Scalar> zero = matrix<Scalar>::Zero(rows, 1);
    return to_data_log_prob(zero, labels).template cast<double>().col(0);
  }

  /// log N(x; μ_c, L_c L_cᵀ) per row (batch × 1): the fitted Gaussian's log-density in data units.
  matrix<Scalar> log_prob(const matrix<Scalar>& x, std::span<const index_t> labels = {}) const {
    return by_class(x, labels, "class_whitening::log_prob", [](const whitening<Scalar>& w, const matrix<Scalar>& rows) {
      return w.log_prob(rows);
    });
  }

 private:
  static index_t label(std::span<const index_t> labels, index_t i) { return labels[static_cast<std::size_t>(i)]; }

  static void check_labels(const char* where, index_t rows, std::span<const index_t> labels, index_t classes) {
    if (static_cast<index_t>(labels.size()) != rows) {
      throw shape_error(std::string(where) + ": " + std::to_string(labels.size()) + " labels for " + std::to_string(rows) +
                        " rows");
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw value_error(std::string(where) + ": row " + std::to_string(i) + " has label " + std::to_string(labels[i]) +
                          ", outside the classes 0.." + std::to_string(classes - 1));
      }
    }
  }

  /// f(whitening of class c, the rows of class c) for every class, each result row put back in
  /// its row's place.
  template <class F>
  matrix<Scalar> by_class(const matrix<Scalar>& x, std::span<const index_t> labels, const char* where, F&& f) const {
    if (shared_ && labels.empty()) return f(per_class_.front(), x);
    check_labels(where, x.rows(), labels, shared_ ? std::numeric_limits<index_t>::max() : classes());
    if (shared_) return f(per_class_.front(), x);
    std::vector<std::vector<index_t>> rows_of(per_class_.size());
    for (index_t i = 0; i < x.rows(); ++i) rows_of[static_cast<std::size_t>(label(labels, i))].push_back(i);
    matrix<Scalar> out;
    for (std::size_t c = 0; c < rows_of.size(); ++c) {
      if (rows_of[c].empty()) continue;
      const matrix<Scalar> result = f(per_class_[c], matrix<Scalar>(x(rows_of[c], Eigen::all)));
      if (out.size() == 0) out.resize(x.rows(), result.cols());
      out(rows_of[c], Eigen::all) = result;
    }
    if (out.size() == 0) out.resize(0, x.cols());
    return out;
  }

  std::vector<whitening<Scalar>> per_class_;
  bool shared_ = true;
};

}  // namespace eigenflow::data
