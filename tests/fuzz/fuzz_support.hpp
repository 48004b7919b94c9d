// tests/fuzz/fuzz_support.hpp — helpers shared by the libFuzzer harnesses: a scratch file for the
// readers that take a path, and a check that aborts (so libFuzzer records a finding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include <unistd.h>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

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

/// Stacks the blocks `read_block(max_rows)` returns, in blocks of `max_rows` rows, until an empty
/// one; nullopt if a block was refused with an eigenflow::error (the blocks before it were read).
/// The block readers must give what the whole-file readers give, and refuse what they refuse.
template <class Scalar, class ReadBlock>
std::optional<eigenflow::matrix<Scalar>> stack_blocks(eigenflow::index_t max_rows, ReadBlock&& read_block) {
  try {
    eigenflow::matrix<Scalar> all(0, 0);
    for (eigenflow::matrix<Scalar> block = read_block(max_rows); block.rows() > 0; block = read_block(max_rows)) {
      if (all.rows() == 0) all.resize(0, block.cols());
      eigenflow::matrix<Scalar> grown(all.rows() + block.rows(), block.cols());
      grown.topRows(all.rows()) = all;
      grown.bottomRows(block.rows()) = block;
      all = std::move(grown);
    }
    return all;
  } catch (const eigenflow::error&) {
    return std::nullopt;
  }
}

/// Bit for bit: the same shape and the same values (the readers convert each field alone).
template <class Scalar>
bool same_matrix(const eigenflow::matrix<Scalar>& a, const eigenflow::matrix<Scalar>& b) {
  // memcmp, not ==: a .npy file may hold NaN, and NaN != NaN.
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * sizeof(Scalar)) == 0);
}

}  // namespace eigenflow_fuzz
