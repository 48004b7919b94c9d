// include/eigenflow/train/batch_source.hpp — mini-batches drawn in shuffled epochs: every row once
// per epoch, in an order that a seed fixes on every standard library (eigenflow::shuffle).
#pragma once

#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/random.hpp"
#include "eigenflow/train/dataset.hpp"

namespace eigenflow::train {

/// Draws fixed-size mini-batches from a dataset in shuffled epochs.
///
/// @tparam Scalar float or double.
template <class Scalar>
class batch_source {
 public:
  /// Batches of `batch_rows` rows of `data` (which must outlive the source); an epoch ends when
  /// every row has been drawn, and a batch may straddle two epochs.
  batch_source(const dataset<Scalar>& data, index_t batch_rows) : data_(data), batch_rows_(batch_rows) {
    if (batch_rows < 1) throw value_error("batch_source: batch rows must be positive, got " + std::to_string(batch_rows));
    if (data.rows() < 1) throw value_error("batch_source: the data set is empty");
    order_.resize(static_cast<std::size_t>(data.rows()));
    std::iota(order_.begin(), order_.end(), index_t(0));
    cursor_ = order_.size();  // reshuffle on first use
  }

  /// The next batch (a copy of its rows, with their context); reshuffles from `rng` at the start
  /// of every epoch.
  dataset<Scalar> next(random_engine& rng) {
    std::vector<index_t> rows(static_cast<std::size_t>(batch_rows_));
    for (index_t& r : rows) {
      if (cursor_ == order_.size()) {
        shuffle(order_, rng);
        cursor_ = 0;
        ++epochs_;
      }
      r = order_[cursor_++];
    }
    return data_.subset(rows);
  }

  /// Rows per batch.
  index_t batch_rows() const { return batch_rows_; }
  /// Epochs begun so far.
  long epochs() const { return epochs_; }

 private:
  const dataset<Scalar>& data_;
  index_t batch_rows_;
  std::vector<index_t> order_;
  std::size_t cursor_ = 0;
  long epochs_ = 0;
};

}  // namespace eigenflow::train
