// tests/support/test_mode.hpp — the --quick switch of the test main (tests/main.cpp).
//
// A test that trains a model to check its quality sizes the run with `training_steps(full, quick)`
// and guards the assertions that only a full run can meet with `if (!quick_mode())`; everything
// else (shapes, finiteness, inverses, gradients, that the loss went down) is checked either way.
#pragma once

namespace eigenflow::test {

/// True when the suite was started with --quick (the sanitize build does so).
inline bool& quick_mode() {
  static bool quick = false;
  return quick;
}

/// The number of training steps: `full` normally, `quick` under --quick.
inline int training_steps(int full, int quick) { return quick_mode() ? quick : full; }

}  // namespace eigenflow::test
