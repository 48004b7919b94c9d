// tests/core/error_test.cpp — every eigenflow exception is caught as eigenflow::error and as
// std::runtime_error, and keeps its message.
#include <catch2/catch.hpp>

#include <string>

#include "eigenflow/error.hpp"

namespace {

template <class Error>
void check_error_kind() {
  const std::string message = "matmul: lhs 3x4 does not fit rhs 5x2";
  try {
    throw Error(message);
  } catch (const eigenflow::error& e) {
    CHECK(std::string(e.what()) == message);
    return;
  }
  FAIL("not caught as eigenflow::error");
}

}  // namespace

TEST_CASE("eigenflow exceptions share one base and keep their message", "[core]") {
  check_error_kind<eigenflow::error>();
  check_error_kind<eigenflow::shape_error>();
  check_error_kind<eigenflow::value_error>();
  check_error_kind<eigenflow::solver_error>();
  check_error_kind<eigenflow::io_error>();
  CHECK_THROWS_AS(throw eigenflow::shape_error("x"), std::runtime_error);
}
