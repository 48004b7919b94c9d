// tests/fuzz/fuzz_support.hpp — helpers shared by the libFuzzer harnesses: a scratch file for the
// readers that take a path, and a check that aborts (so libFuzzer records a finding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace eigenflow_fuzz {

/// A broken invariant is a finding: say which, then abort so libFuzzer keeps the input.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "eigenflow fuzz: invariant violated: %s\n", what);
    std::abort();
  }
}

/// One file per process (libFuzzer's -jobs/-fork run several), rewritten for every input and
/// removed at exit. The readers only take paths, so the bytes go through the file system.
class scratch_file {
 public:
  explicit scratch_file(const char* extension) {
    const char* dir = std::getenv("EIGENFLOW_FUZZ_TMPDIR");  // scripts/fuzz.sh points it into build/fuzz
    std::error_code ec;
    const std::filesystem::path base = dir ? std::filesystem::path(dir) : std::filesystem::temp_directory_path(ec);
    path_ = base / ("eigenflow-fuzz-" + std::to_string(::getpid()) + extension);
  }
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;
  ~scratch_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  /// Replaces the file's contents with `data`; a failure here is the harness's, not a finding.
  const std::filesystem::path& write(const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
      std::fprintf(stderr, "eigenflow fuzz: cannot write the scratch file %s\n", path_.c_str());
      std::exit(2);
    }
    return path_;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace eigenflow_fuzz
