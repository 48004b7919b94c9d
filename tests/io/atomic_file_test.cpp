// tests/io/atomic_file_test.cpp — a file written atomically holds the old contents or the new,
// never a torn one; a failed write leaves no temporary, and the leftovers of a killed writer go
// with the next successful write of the same file.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "eigenflow/io/atomic_file.hpp"
#include "support/scratch_dir.hpp"

using eigenflow::test::read_bytes;
using eigenflow::test::scratch_dir;
using eigenflow::test::write_bytes;

namespace {

void write_text(const std::filesystem::path& path, const std::string& text) {
  eigenflow::io::write_atomically(path, [&](std::ofstream& out) { out << text; });
}

}  // namespace

TEST_CASE("write_atomically replaces the file, or leaves it as it was when the write throws", "[io]") {
  scratch_dir dir;
  write_text(dir / "model.ckpt", "first");
  CHECK(read_bytes(dir / "model.ckpt") == "first");
  write_text(dir / "model.ckpt", "second");
  CHECK(read_bytes(dir / "model.ckpt") == "second");
  CHECK_THROWS_WITH(eigenflow::io::write_atomically(dir / "model.ckpt",
                                                    [](std::ofstream& out) {
                                                      out << "half of a third";
                                                      throw std::runtime_error("interrupted");
                                                    }),
                    "interrupted");
  CHECK(read_bytes(dir / "model.ckpt") == "second");
  CHECK(dir.files() == std::vector<std::string>{"model.ckpt"});  // no temporary left
  CHECK_THROWS_WITH(write_text(dir / "missing" / "model.ckpt", "x"), Catch::Contains("does not exist"));
}

TEST_CASE("write_atomically removes the temporaries a killed writer of the same file left", "[io]") {
  namespace fs = std::filesystem;
  scratch_dir dir;
  const auto an_hour_ago = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (const char* name : {".model.ckpt.partial-123", ".model.ckpt.partial-456", ".other.ckpt.partial-789"}) {
    write_bytes(dir / name, "torn");
    fs::last_write_time(dir / name, an_hour_ago);
  }
  // A temporary written after this write began (another writer's, in progress) is not touched.
  write_bytes(dir / ".model.ckpt.partial-999", "in progress");
  fs::last_write_time(dir / ".model.ckpt.partial-999", fs::file_time_type::clock::now() + std::chrono::hours(1));
  write_text(dir / "model.ckpt", "whole");
  CHECK(read_bytes(dir / "model.ckpt") == "whole");
  CHECK(dir.files() == std::vector<std::string>{".model.ckpt.partial-999", ".other.ckpt.partial-789", "model.ckpt"});
}
