// tests/parallel/split_rows_test.cpp — how rows are shared among threads and processes.
#include <catch2/catch.hpp>

#include "eigenflow/parallel/split_rows.hpp"

using namespace eigenflow;

TEST_CASE("split_rows: contiguous blocks whose sizes differ by at most one", "[parallel]") {
  const auto blocks = parallel::split_rows(10, 3);
  REQUIRE(blocks.size() == 3);
  CHECK((blocks[0].begin == 0 && blocks[0].rows == 4));
  CHECK((blocks[1].begin == 4 && blocks[1].rows == 3));
  CHECK((blocks[2].begin == 7 && blocks[2].rows == 3));
  CHECK(parallel::split_rows(2, 4).size() == 2);  // never an empty block
  CHECK(parallel::split_rows(0, 2).empty());
  CHECK_THROWS_AS(parallel::split_rows(5, 0), value_error);
}
