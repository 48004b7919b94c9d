// include/eigenflow/density/context.hpp — what a conditional density is conditioned on (class ids
// and/or a context matrix), the checks that keep a missing or mis-sized context from passing
// silently, and the one way to take a block of rows of a context. Shared by the discrete and the
// continuous flows and by anything that splits a batch (chunked evaluation, worker threads).
#pragma once

#include <span>
#include <string>

#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

/// The conditioning input of one batch: class ids (one per sample) and/or a context matrix (one
/// row per sample: image features, a text embedding, ...). Empty for unconditional flows.
///
/// @tparam Value the value type of the batch (matrix, var); features are of the same type.
template <class Value>
struct context {
  /// Class ids, one per sample (row); empty when there are none. Not owned.
  std::span<const index_t> labels{};
  /// Context matrix, one row per sample; null when there is none. Not owned.
  const Value* features = nullptr;

  /// True when class ids are given.
  bool has_labels() const { return !labels.empty(); }
  /// True when a context matrix is given.
  bool has_features() const { return features != nullptr; }
};

/// What a transform (or flow) needs as context: nothing, class ids in [0, classes), and/or a
/// context matrix of `features` columns.
struct condition_spec {
  index_t classes = 0;   ///< Number of classes; 0: no labels
  index_t features = 0;  ///< Columns of the context matrix; 0: no context matrix

  /// True when no context is needed at all.
  bool unconditional() const { return classes == 0 && features == 0; }
  /// Equal when both fields are.
  friend bool operator==(const condition_spec&, const condition_spec&) = default;
};

/// Throws unless `c` is exactly what `spec` asks for, for a batch of `rows` samples.
template <class Value>
void check_context(const std::string& who, const condition_spec& spec, const context<Value>& c, index_t rows) {
  if (spec.classes > 0) {
    if (!c.has_labels()) throw value_error(who + ": class labels are required (" + std::to_string(spec.classes) + " classes)");
    if (static_cast<index_t>(c.labels.size()) != rows) {
      throw shape_error(who + ": " + std::to_string(c.labels.size()) + " labels for a batch of " + std::to_string(rows));
    }
    for (std::size_t i = 0; i < c.labels.size(); ++i) {
      if (c.labels[i] < 0 || c.labels[i] >= spec.classes) {
        throw value_error(who + ": class id " + std::to_string(c.labels[i]) + " at row " + std::to_string(i) +
                          " is outside [0, " + std::to_string(spec.classes) + ")");
      }
    }
  } else if (c.has_labels()) {
    throw value_error(who + ": got class labels, but this model is not class-conditional");
  }
  if (spec.features > 0) {
    if (!c.has_features()) {
      throw value_error(who + ": a context matrix with " + std::to_string(spec.features) + " columns is required");
    }
    if (c.features->rows() != rows || c.features->cols() != spec.features) {
      throw shape_error(who + ": context is " + detail::format_shape(*c.features) + ", expected " +
                        detail::format_shape(rows, spec.features));
    }
  } else if (c.has_features()) {
    throw value_error(who + ": got a context matrix, but this model takes none");
  }
}

/// Rows [begin, begin + rows) of a batch's context: the labels are a view, the features are
/// copied into `features` (which must outlive the result).
template <class Scalar>
context<matrix<Scalar>> context_rows(const context<matrix<Scalar>>& c, index_t begin, index_t rows, matrix<Scalar>& features) {
  context<matrix<Scalar>> part;
  if (c.has_labels()) part.labels = c.labels.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(rows));
  if (c.has_features()) {
    features = c.features->middleRows(begin, rows);
    part.features = &features;
  }
  return part;
}

}  // namespace eigenflow
