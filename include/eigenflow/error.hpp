// include/eigenflow/error.hpp — the exception types every layer throws.
//
// All of them derive from eigenflow::error (itself a std::runtime_error), so a caller can catch
// the library's failures in one place, or a specific kind where it can act on it. Checks that
// throw these run in release builds too: bad input is reported, never undefined behaviour.
#pragma once

#include <stdexcept>
#include <string>

namespace eigenflow {

/// Base of every exception eigenflow throws.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Operands whose shapes do not fit the operation (the message names the op and both shapes).
class shape_error : public error {
 public:
  using error::error;
};

/// A value that is not acceptable: NaN or infinity where finite numbers are needed, an index out
/// of range, an unknown option, a non-positive size.
class value_error : public error {
 public:
  using error::error;
};

/// An ODE solve that could not finish: step limit exceeded, step size underflow, non-finite state.
class solver_error : public error {
 public:
  using error::error;
};

/// A file that cannot be read or written, or whose contents are malformed, corrupt or do not
/// match what they are loaded into.
class io_error : public error {
 public:
  using error::error;
};

/// A request the machine cannot meet: more memory than it can hold, threads it cannot start (the
/// message says what was asked and what is available).
class resource_error : public error {
 public:
  using error::error;
};

}  // namespace eigenflow
