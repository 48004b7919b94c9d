// include/eigenflow/train/shard.hpp — each process's share of a data set when several processes
// train one model (parallel::process_group).
#pragma once

#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/parallel/process_group.hpp"
#include "eigenflow/parallel/split_rows.hpp"
#include "eigenflow/train/dataset.hpp"

namespace eigenflow::train {

/// This process's share of `data`: a contiguous block of rows, the blocks of the ranks differing
/// in size by at most one row, in rank order (so ranks 0..P-1 together hold every row once).
template <class Scalar>
dataset<Scalar> shard(const dataset<Scalar>& data, const parallel::process_group& group) {
  if (data.rows() < group.size()) {
    throw value_error("train::shard: " + std::to_string(data.rows()) + " rows cannot be shared by " +
                      std::to_string(group.size()) + " processes");
  }
  const parallel::row_block b = parallel::split_rows(data.rows(), group.size())[static_cast<std::size_t>(group.rank())];
  return data.rows_range(b.begin, b.rows);
}

}  // namespace eigenflow::train
