// include/eigenflow/train/dataset.hpp — rows of training or evaluation data with their optional
// context (class labels, a context matrix), and the ways the trainer slices them.
#pragma once

#include <string>
#include <vector>

#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/density/context.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::train {

/// Rows of data with their optional context (class labels, context matrix).
template <class Scalar>
struct dataset {
  matrix<Scalar> x;               ///< the data, one sample per row
  std::vector<index_t> labels{};  ///< empty, or one per row
  matrix<Scalar> features{};      ///< 0 columns, or one row per row of x

  /// The number of samples.
  index_t rows() const { return x.rows(); }
  /// Whether the rows carry class labels.
  bool has_labels() const { return !labels.empty(); }
  /// Whether the rows carry a context matrix.
  bool has_features() const { return features.cols() > 0; }

  /// The context of all rows (pointing into this data set).
  eigenflow::context<matrix<Scalar>> context() const {
    eigenflow::context<matrix<Scalar>> c;
    if (has_labels()) c.labels = labels;
    if (has_features()) c.features = &features;
    return c;
  }

  /// The rows listed in `rows`, with their context.
  dataset subset(const std::vector<index_t>& rows) const {
    dataset out;
    out.x.resize(static_cast<index_t>(rows.size()), x.cols());
    if (has_features()) out.features.resize(static_cast<index_t>(rows.size()), features.cols());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      out.x.row(static_cast<index_t>(k)) = x.row(rows[k]);
      if (has_labels()) out.labels.push_back(labels[static_cast<std::size_t>(rows[k])]);
      if (has_features()) out.features.row(static_cast<index_t>(k)) = features.row(rows[k]);
    }
    return out;
  }

  /// Rows [begin, begin + count), with their context.
  dataset rows_range(index_t begin, index_t count) const {
    if (begin < 0 || count < 0 || begin + count > rows()) {
      throw shape_error("dataset::rows_range: rows [" + std::to_string(begin) + ", " + std::to_string(begin + count) +
                        ") of " + std::to_string(rows()));
    }
    dataset out;
    out.x = x.middleRows(begin, count);
    if (has_labels()) out.labels.assign(labels.begin() + begin, labels.begin() + begin + count);
    if (has_features()) out.features = features.middleRows(begin, count);
    return out;
  }

  /// Throws unless labels and features match the rows of x and x is finite.
  void validate(const std::string& who) const {
    if (x.rows() < 1) throw value_error(who + ": the data set is empty");
    detail::require_finite(who, "x", x);
    if (has_features()) detail::require_finite(who, "the context matrix", features);
    if (has_labels() && static_cast<index_t>(labels.size()) != x.rows()) {
      throw shape_error(who + ": " + std::to_string(labels.size()) + " labels for " + std::to_string(x.rows()) + " rows");
    }
    if (has_features() && features.rows() != x.rows()) {
      throw shape_error(who + ": " + std::to_string(features.rows()) + " context rows for " + std::to_string(x.rows()) + " rows");
    }
  }
};

}  // namespace eigenflow::train
