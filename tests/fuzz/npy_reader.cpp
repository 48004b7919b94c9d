// tests/fuzz/npy_reader.cpp — libFuzzer harness: arbitrary bytes as a .npy file through io::read_npy and
// block by block through io::npy_reader.
//
// Accepted outcomes: a matrix, or an eigenflow::error (read_npy documents io_error). Anything
// else is a finding: a sanitizer report, a leak, an abort from a broken invariant below, or any
// other exception (std::bad_alloc from a size taken on trust, std::length_error, ...), which
// escapes LLVMFuzzerTestOneInput and ends in std::terminate.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "eigenflow/error.hpp"
#include "eigenflow/io/npy.hpp"
#include "fuzz_support.hpp"

namespace {

namespace io = eigenflow::io;
using eigenflow_fuzz::require;

template <class Scalar>
std::optional<eigenflow::matrix<Scalar>> read(const std::filesystem::path& path) {
  try {
    return io::read_npy<Scalar>(path);
  } catch (const eigenflow::error&) {
    return std::nullopt;  // documented: malformed input is an io_error
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static eigenflow_fuzz::scratch_file file(".npy");
  const std::filesystem::path& path = file.write(data, size);
  const auto as_double = read<double>(path);
  const auto as_float = read<float>(path);
  // The scalar type changes only the conversion: float may refuse a double too large for it,
  // never accept a file double refuses, and both agree on the shape.
  require(as_double || !as_float, "read_npy<float> accepted a file read_npy<double> refused");
  if (as_double && as_float) {
    require(as_double->rows() == as_float->rows() && as_double->cols() == as_float->cols(),
            "read_npy<float> and read_npy<double> disagree on the shape");
  }
  // Block by block (3 rows at a time): the same matrix, the same refusals. A 0-row file reads as
  // one empty block.
  const auto blocks = eigenflow_fuzz::stack_blocks<double>(3, [reader = std::optional<io::npy_reader<double>>{},
                                                              &path](eigenflow::index_t rows) mutable {
    if (!reader) reader.emplace(path);
    return reader->read(rows);
  });
  require(blocks.has_value() == as_double.has_value(), "npy_reader and read_npy disagree on whether the file is valid");
  if (blocks && as_double && as_double->rows() > 0) {
    require(eigenflow_fuzz::same_matrix(*blocks, *as_double), "npy_reader's blocks differ from read_npy's matrix");
  }
  return 0;
}
