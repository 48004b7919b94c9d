// tests/core/memory_budget_test.cpp — requests are checked against the machine's memory before
// anything is allocated, and the refusal says what was asked and what there is.
#include <catch2/catch.hpp>

#include <limits>

#include "eigenflow/error.hpp"
#include "eigenflow/memory_budget.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("memory_budget: byte counts read as a person would write them", "[core]") {
  CHECK(eigenflow::format_bytes(100) == "100 bytes");
  CHECK(eigenflow::format_bytes(1536) == "1.5 KiB");
  CHECK(eigenflow::format_bytes(3.0 * 1024 * 1024 * 1024) == "3.0 GiB");
  CHECK(eigenflow::format_bytes(1e30) == "867361737988.4 EiB");  // no unit past exbibytes
}

TEST_CASE("memory_budget: a request beyond the machine's memory is a resource_error naming both", "[core]") {
  const double memory = eigenflow::physical_memory_bytes();
#ifdef __linux__
  REQUIRE(memory > 0);
#endif
  if (memory > 0) {
    CHECK_NOTHROW(eigenflow::require_memory(1 << 20, "a small table"));
    CHECK_THROWS_AS(eigenflow::require_memory(2 * memory, "twice the memory"), eigenflow::resource_error);
    CHECK_THROWS_WITH(eigenflow::require_memory(1e30, "a model of width 10^12"),
                      StartsWith("a model of width 10^12 needs at least 867361737988.4 EiB; this machine has ") &&
                          Contains(eigenflow::format_bytes(memory) + " of memory"));
    // A product of sizes that overflowed to infinity (or went NaN) is refused, not let through.
    CHECK_THROWS_AS(eigenflow::require_memory(std::numeric_limits<double>::infinity(), "an overflow"), eigenflow::resource_error);
  }
}
