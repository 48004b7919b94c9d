// tests/core/version_test.cpp — the version header agrees with the version CMake read from it.
#include <catch2/catch.hpp>

#include <string>

#include "eigenflow/version.hpp"

TEST_CASE("version macros, values and string agree with the CMake project version", "[core]") {
  const std::string expected = EIGENFLOW_EXPECTED_VERSION;
  CHECK(std::string(eigenflow::version_string) == expected);
  CHECK(std::string(EIGENFLOW_VERSION_STRING) == expected);
  const std::string from_values = std::to_string(eigenflow::version.major) + "." +
                                  std::to_string(eigenflow::version.minor) + "." +
                                  std::to_string(eigenflow::version.patch);
  CHECK(from_values == expected);
}
