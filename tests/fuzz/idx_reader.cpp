// tests/fuzz/idx_reader.cpp — libFuzzer harness: arbitrary bytes as an IDX file through io::read_idx,
// read_idx_matrix and read_idx_labels, as they are and gzipped.
//
// Accepted outcomes: an array, or an eigenflow::error (the readers document io_error). Anything
// else is a finding: a sanitizer report, a leak, an abort from a broken invariant below, or any
// other exception (std::bad_alloc from a size taken on trust, std::length_error, ...), which
// escapes LLVMFuzzerTestOneInput and ends in std::terminate.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/io/idx.hpp"
#include "fuzz_support.hpp"

namespace {

namespace io = eigenflow::io;
using eigenflow_fuzz::require;

template <class F>
auto attempt(F&& f) -> std::optional<decltype(f())> {
  try {
    return f();
  } catch (const eigenflow::error&) {
    return std::nullopt;  // documented: malformed input is an io_error
  }
}

bool same_array(const io::idx_array& a, const io::idx_array& b) {
  return a.type == b.type && a.dims == b.dims && a.bytes == b.bytes;
}

// `data` as one gzip member (zlib here, not write_idx, so the two writers check each other).
std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(size)) + 64);
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static eigenflow_fuzz::scratch_file file(".idx");
  static eigenflow_fuzz::scratch_file other(".idx.gz");
  // A small limit as well as the default, so that the size checks themselves are reached.
  const io::idx_read_options small{.max_bytes = 1 << 12};
  const std::filesystem::path& path = file.write(data, size);
  const auto array = attempt([&] { return io::read_idx(path); });
  const auto limited = attempt([&] { return io::read_idx(path, small); });
  const auto as_double = attempt([&] { return io::read_idx_matrix<double>(path); });
  const auto as_float = attempt([&] { return io::read_idx_matrix<float>(path); });
  const auto labels = attempt([&] { return io::read_idx_labels(path); });

  require(!limited || (array && same_array(*array, *limited)), "a lower max_bytes accepted what the default refused");
  require(array.has_value() == as_double.has_value(), "read_idx_matrix<double> and read_idx disagree");
  require(as_double || !as_float, "read_idx_matrix<float> accepted a file read_idx_matrix<double> refused");
  require(!labels || array, "read_idx_labels accepted a file read_idx refused");

  // The same bytes gzipped read the same: accepted as the same array, or refused. (Not for input
  // that is gzip already: gzipped twice, its content is no IDX file.)
  if (size < 2 || data[0] != 0x1f || data[1] != 0x8b) {
    const std::vector<std::uint8_t> packed = gzip(data, size);
    const auto inflated = attempt([&] { return io::read_idx(other.write(packed.data(), packed.size())); });
    require(inflated.has_value() == array.has_value(), "a file and its gzip are not both accepted or both refused");
    require(!array || same_array(*array, *inflated), "a file and its gzip read as different arrays");
  }
  if (!array) return 0;

  // An accepted array is consistent, and the in-memory conversions agree with the readers.
  const io::idx_array& a = *array;
  require(!a.dims.empty() && a.dims.size() <= io::idx_max_dims, "an accepted array has no or too many dimensions");
  require(a.bytes.size() == static_cast<std::size_t>(a.size()) * io::idx_item_size(a.type),
          "an accepted array's bytes do not match its sizes");
  require(as_double->rows() == a.dims[0], "read_idx_matrix's rows are not the first size");
  require(as_double->size() == a.size(), "read_idx_matrix's values are not the array's");
  require(eigenflow_fuzz::same_matrix(io::idx_matrix<double>(a), *as_double), "idx_matrix differs from read_idx_matrix");
  const auto memory_labels = attempt([&] { return io::idx_labels(a); });
  require(memory_labels.has_value() == labels.has_value(), "idx_labels and read_idx_labels disagree");
  if (labels) require(*labels == *memory_labels, "idx_labels and read_idx_labels give different labels");

  // What was read writes back and reads again the same, plain and gzipped.
  const std::filesystem::path& copy = other.write(nullptr, 0);  // for its name: write_idx replaces the file
  for (const bool packed : {false, true}) {
    io::write_idx(copy, a, {.gzip = packed, .level = 1});
    const auto again = attempt([&] { return io::read_idx(copy); });
    require(again && same_array(*again, a), "write_idx's file does not read back as the array it was written from");
  }
  return 0;
}
