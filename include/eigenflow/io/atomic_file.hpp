// include/eigenflow/io/atomic_file.hpp — writing a file so that readers see the old contents or
// the new, never a half-written file: write to a temporary beside it, flush, then rename.
//
// rename() within one directory replaces the target atomically on POSIX file systems, so a crash
// or an exception mid-write leaves the previous file intact; the temporary is removed on failure.
// A process killed mid-write cannot remove its temporary: the next successful write of the same
// file removes such leftovers (those older than itself).
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>

#include "eigenflow/error.hpp"

namespace eigenflow::io {

namespace detail {

/// Removes the files of `directory` whose names start with `prefix` and that were last written
/// before `before`: temporaries of killed writers. Never throws (a leftover is not worth a failure).
inline void remove_stale_temporaries(const std::filesystem::path& directory, const std::string& prefix,
                                     std::filesystem::file_time_type before) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::error_code time_ec;
    const fs::file_time_type written = fs::last_write_time(it->path(), time_ec);
    std::error_code ignored;
    if (!time_ec && written < before) fs::remove(it->path(), ignored);
  }
}

}  // namespace detail

/// Calls write(std::ofstream&) on a temporary file next to `path` (binary mode), then renames it
/// over `path`. Throws io_error naming the file if it cannot be created, written or renamed; any
/// exception from `write` propagates after the temporary is removed.
template <class Write>
void write_atomically(const std::filesystem::path& path, const Write& write) {
  namespace fs = std::filesystem;
  const fs::path directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(directory)) throw io_error(path.string() + ": directory " + directory.string() + " does not exist");
  std::random_device entropy;
  // Appended piece by piece: GCC 12 warns falsely (-Wstringop-overflow) on `"." + std::string&&`.
  std::string temporary_name = ".";
  temporary_name += path.filename().string();
  temporary_name += ".partial-";
  temporary_name += std::to_string(entropy());
  const fs::path temporary = directory / temporary_name;
  const fs::file_time_type started = fs::file_time_type::clock::now();
  auto remove_temporary = [&] {
    std::error_code ignored;
    fs::remove(temporary, ignored);
  };
  try {
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      if (!out) throw io_error(path.string() + ": cannot create " + temporary.string());
      write(out);
      out.flush();
      if (!out) throw io_error(path.string() + ": write failed (disk full?)");
    }
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec) throw io_error(path.string() + ": cannot replace the file: " + ec.message());
  } catch (...) {
    remove_temporary();
    throw;
  }
  detail::remove_stale_temporaries(directory, "." + path.filename().string() + ".partial-", started);
}

}  // namespace eigenflow::io
