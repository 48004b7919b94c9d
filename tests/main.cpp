// tests/main.cpp — the one Catch2 main shared by every test suite. Besides Catch2's own options it
// takes --quick: tests that train a model for quality run fewer steps (support/test_mode.hpp). The
// sanitize build passes it (EIGENFLOW_TEST_ARGS), where a step costs ten times more; every code
// path still runs, only the convergence thresholds that need the full run are left out.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "support/test_mode.hpp"

int main(int argc, char* argv[]) {
  Catch::Session session;
  using Catch::clara::Opt;
  session.cli(session.cli() | Opt(eigenflow::test::quick_mode())["--quick"](
                                  "train for fewer steps and skip the assertions that need a full run"));
  if (const int status = session.applyCommandLine(argc, argv); status != 0) return status;
  return session.run();
}
