// include/eigenflow/version.hpp — the library version, kept here and nowhere else.
//
// CMake reads the three numbers below to set the project and package version, so a release
// changes only this file.
#pragma once

#define EIGENFLOW_VERSION_MAJOR 0
#define EIGENFLOW_VERSION_MINOR 1
#define EIGENFLOW_VERSION_PATCH 0

/// The version as a string literal, "MAJOR.MINOR.PATCH" (tests/core checks it against the three
/// numbers above; a literal, so that no helper macro outlives this header).
#define EIGENFLOW_VERSION_STRING "0.1.0"

namespace eigenflow {

/// The library version, for code that wants it as values rather than macros.
struct version_info {
  /// The first number of MAJOR.MINOR.PATCH (EIGENFLOW_VERSION_MAJOR).
  int major;
  /// The second number (EIGENFLOW_VERSION_MINOR).
  int minor;
  /// The third number (EIGENFLOW_VERSION_PATCH).
  int patch;
};

/// This library's version.
inline constexpr version_info version{EIGENFLOW_VERSION_MAJOR, EIGENFLOW_VERSION_MINOR,
                                      EIGENFLOW_VERSION_PATCH};
/// This library's version as "MAJOR.MINOR.PATCH".
inline constexpr const char* version_string = EIGENFLOW_VERSION_STRING;

}  // namespace eigenflow
