// include/eigenflow/parallel/split_rows.hpp — how rows are shared out, among threads or processes:
// contiguous blocks whose sizes differ by at most one.
#pragma once

#include <algorithm>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::parallel {

/// Rows [begin, begin + rows) of a batch.
struct row_block {
  /// Index of the first row.
  index_t begin = 0;
  /// Number of rows.
  index_t rows = 0;
};

/// n rows in `parts` contiguous blocks whose sizes differ by at most one (the first ones larger);
/// fewer blocks than parts when there are fewer rows.
inline std::vector<row_block> split_rows(index_t n, int parts) {
  if (parts < 1) throw value_error("split_rows: parts must be positive");
  const index_t k = std::min<index_t>(parts, n);
  std::vector<row_block> blocks;
  index_t begin = 0;
  for (index_t b = 0; b < k; ++b) {
    const index_t rows = n / k + (b < n % k ? 1 : 0);
    blocks.push_back({begin, rows});
    begin += rows;
  }
  return blocks;
}

}  // namespace eigenflow::parallel
