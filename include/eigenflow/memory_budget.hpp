// include/eigenflow/memory_budget.hpp — checking a request against the memory the machine has,
// before allocating it. Linux overcommits: a request far beyond the machine's memory may be
// granted and the process killed later as it touches the pages, or refused with a bare
// std::bad_alloc. A size a user (or a tampered file) asked for is checked here first, so that
// the answer says what was asked and what there is.
#pragma once

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include <cstdio>
#include <string>

#include "eigenflow/error.hpp"

namespace eigenflow {

/// The machine's physical memory in bytes (0 if the system does not say).
inline double physical_memory_bytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<double>(pages) * static_cast<double>(page_size) : 0.0;
#else
  return 0.0;
#endif
}

/// "1.5 GiB", "3.2 TiB": a byte count for a message.
inline std::string format_bytes(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 6) bytes /= 1024, ++unit;
  char text[48];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

/// Throws resource_error "<what> needs at least <bytes>; this machine has <memory>" if `bytes`
/// (a double, so that a product of sizes cannot overflow) exceeds the machine's physical memory.
/// Nothing is checked where the system does not say how much memory there is.
inline void require_memory(double bytes, const std::string& what) {
  const double available = physical_memory_bytes();
  if (available > 0 && !(bytes <= available)) {
    throw resource_error(what + " needs at least " + format_bytes(bytes) + "; this machine has " +
                         format_bytes(available) + " of memory");
  }
}

}  // namespace eigenflow
