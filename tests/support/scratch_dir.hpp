// tests/support/scratch_dir.hpp — a fresh directory under the system's temporary directory for a
// test's files, removed with everything in it when the test ends.
#pragma once

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace eigenflow::test {

struct scratch_dir {
  std::filesystem::path path;

  scratch_dir() {
    std::random_device entropy;
    path = std::filesystem::temp_directory_path() /
           ("eigenflow-test-" + std::to_string(entropy()) + "-" + std::to_string(entropy()));
    std::filesystem::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  std::filesystem::path operator/(const std::string& name) const { return path / name; }

  /// The names of the entries, sorted (to see that no temporary file is left behind).
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

}  // namespace eigenflow::test
