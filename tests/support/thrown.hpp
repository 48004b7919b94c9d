// tests/support/thrown.hpp — the message of the exception a call must throw, for tests that
// check more than one part of it (CHECK_THROWS_WITH checks one matcher, and cannot name the type).
#pragma once

#include <catch2/catch.hpp>

#include <string>

namespace eigenflow::test {

/// The what() of the Error that `f` throws; fails the test if it throws none (another exception
/// propagates and fails it too).
template <class Error, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("the expected exception was not thrown");
  return {};
}

}  // namespace eigenflow::test
