// include/eigenflow/train/batch_source.hpp — mini-batches drawn in shuffled epochs: every row once
// per epoch, in an order that a seed fixes on every standard library (eigenflow::shuffle). The
// order of epoch e depends only on the seed and e, so a source can start at any batch: a resumed
// run draws exactly the batches the uninterrupted run would have drawn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/random.hpp"
#include "eigenflow/train/dataset.hpp"

namespace eigenflow::train {

/// A seed for stream `index` of `seed` (splitmix64's finalizer over both): distinct, well-mixed
/// seeds for per-epoch, per-step and per-process engines.
inline std::uint64_t derived_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// Draws fixed-size mini-batches from a dataset in shuffled epochs.
///
/// @tparam Scalar float or double.
template <class Scalar>
class batch_source {
 public:
  /// Batches of `batch_rows` rows of `data` (which must outlive the source); an epoch ends when
  /// every row has been drawn, and a batch may straddle two epochs. Epoch e is the order
  /// eigenflow::shuffle gives with an engine seeded by derived_seed(seed, e).
  batch_source(const dataset<Scalar>& data, index_t batch_rows, std::uint64_t seed)
      : data_(data), batch_rows_(batch_rows), seed_(seed) {
    if (batch_rows < 1) throw value_error("batch_source: batch rows must be positive, got " + std::to_string(batch_rows));
    if (data.rows() < 1) throw value_error("batch_source: the data set is empty");
    order_.resize(static_cast<std::size_t>(data.rows()));
    start_epoch(0);
  }

  /// Continues after `batches` batches (as if they had been drawn): the next batch is the one a
  /// fresh source would give as batch number `batches` (counting from 0).
  void skip_to(long batches) {
    if (batches < 0) throw value_error("batch_source: cannot skip to batch " + std::to_string(batches));
    const auto rows = static_cast<std::uint64_t>(data_.rows());
    const std::uint64_t position = static_cast<std::uint64_t>(batches) * static_cast<std::uint64_t>(batch_rows_);
    start_epoch(static_cast<long>(position / rows));
    cursor_ = static_cast<std::size_t>(position % rows);
  }

  /// The next batch (a copy of its rows, with their context).
  dataset<Scalar> next() {
    std::vector<index_t> rows(static_cast<std::size_t>(batch_rows_));
    for (index_t& r : rows) {
      if (cursor_ == order_.size()) start_epoch(epoch_ + 1);
      r = order_[cursor_++];
    }
    return data_.subset(rows);
  }

  /// Rows per batch.
  index_t batch_rows() const { return batch_rows_; }
  /// The epoch the next row comes from (0 for the first).
  long epoch() const { return epoch_; }

 private:
  void start_epoch(long e) {
    std::iota(order_.begin(), order_.end(), index_t(0));
    random_engine rng(derived_seed(seed_, static_cast<std::uint64_t>(e)));
    shuffle(order_, rng);
    epoch_ = e;
    cursor_ = 0;
  }

  const dataset<Scalar>& data_;
  index_t batch_rows_;
  std::uint64_t seed_;
  std::vector<index_t> order_;
  std::size_t cursor_ = 0;
  long epoch_ = 0;
};

}  // namespace eigenflow::train
