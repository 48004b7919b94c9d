// include/eigenflow/nn/embedding.hpp — a learned vector per class (or token) id.
#pragma once

#include <span>
#include <string>

#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/nn/module.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::nn {

/// Lookup table of `count` vectors of width `dim`, initialized N(0, 1) as PyTorch and Flax do.
///
/// @tparam Scalar float or double.
template <class Scalar>
class embedding : public module_base<embedding<Scalar>, Scalar> {
 public:
  embedding() = default;
  /// A count×dim table named name + ".table"; throws value_error unless both sizes are positive.
  embedding(const std::string& name, index_t count, index_t dim, random_engine& rng) : name_(name) {
    if (count < 1 || dim < 1) {
      throw value_error(name + ": embedding needs positive sizes, got count=" + std::to_string(count) +
                        " dim=" + std::to_string(dim));
    }
    table_ = parameter<Scalar>(name + ".table", normal_matrix<Scalar>(count, dim, rng));
  }

  /// Row ids[i] of the table as row i, as a Value like `like` (which supplies the tape, if any).
  template <class Value>
  Value operator()(std::span<const index_t> ids, const Value& like) const {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0 || ids[i] >= count()) {
        throw value_error(name_ + ": id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                          " is outside [0, " + std::to_string(count()) + ")");
      }
    }
    return gather_rows(lift(table_, like), ids);
  }

  /// Number of ids (rows of the table).
  index_t count() const { return table_.value.rows(); }
  /// Width of each vector.
  index_t dim() const { return table_.value.cols(); }

  /// Appends the table.
  void collect_parameters(parameter_list<Scalar>& list) { list.push_back(table_); }

 private:
  std::string name_;
  parameter<Scalar> table_;
};

}  // namespace eigenflow::nn
