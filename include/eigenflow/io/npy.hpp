// include/eigenflow/io/npy.hpp — reading and writing NumPy .npy files, so that a data set prepared
// in Python (np.save) reaches a flow as it is, and samples go back the same way.
//
// The format (numpy.lib.format): the magic "\x93NUMPY", a version byte pair, a little-endian
// header length (2 bytes in version 1.0, 4 in 2.0 and 3.0), a Python dict literal
//   {'descr': '<f8', 'fortran_order': False, 'shape': (1000, 2), }
// padded with spaces to end in '\n', then the raw values. The reader parses that dict itself (a
// small literal parser, no Python), decodes the bytes as little-endian whatever the host, and
// checks every size against the file before it allocates, so a corrupt header is reported, not
// turned into a huge allocation or a read past the end.
//
// Policies, chosen so that a wrong file fails loudly:
// - Bytes after the data are an error: a well-formed .npy file ends with its data, and extra
//   bytes mean the shape in the header does not describe the file.
// - Values are taken as they are, NaN and infinity included (the round trip is bit-exact); a
//   finite double too large for float is an error when reading into float.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/io/atomic_file.hpp"
#include "eigenflow/io/detail/little_endian.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::io {

namespace detail::npy {

inline constexpr std::string_view magic{"\x93NUMPY", 6};
inline constexpr std::string_view supported_dtypes = "'<f4', '<f8', '<i4', '<i8'";

[[noreturn]] inline void fail(const std::filesystem::path& path, const std::string& what) {
  throw io_error(path.string() + ": " + what);
}

[[noreturn]] inline void fail_at(const std::filesystem::path& path, std::uint64_t offset, const std::string& what) {
  throw io_error(path.string() + ": at byte offset " + std::to_string(offset) + ": " + what);
}

/// The element types read_npy understands, all little-endian.
enum class dtype { f4, f8, i4, i8 };

inline std::size_t item_size(dtype t) { return (t == dtype::f4 || t == dtype::i4) ? 4 : 8; }

inline std::string dtype_name(dtype t) {
  switch (t) {
    case dtype::f4:
      return "<f4";
    case dtype::f8:
      return "<f8";
    case dtype::i4:
      return "<i4";
    case dtype::i8:
      return "<i8";
  }
  return "?";
}

/// A value of the header dict: a string, an integer, True/False/None, or a tuple or list.
struct literal {
  enum class kind { string, integer, boolean, none, sequence };
  kind type = kind::none;
  std::string text{};
  std::int64_t integer = 0;
  bool boolean = false;
  std::vector<literal> items{};
};

/// What the header says, checked.
struct header {
  dtype type = dtype::f8;
  bool fortran_order = false;
  std::vector<std::uint64_t> shape{};
};

/// Parses the Python dict literal of a header. Offsets in its errors are offsets in the file.
class header_parser {
 public:
  header_parser(const std::filesystem::path& path, std::string_view text, std::uint64_t base)
      : path_(path), text_(text), base_(base) {}

  /// The dict's keys and values, in file order; anything but one dict (and trailing spaces) throws.
  std::vector<std::pair<std::string, literal>> parse_dict() {
    std::vector<std::pair<std::string, literal>> entries;
    skip_space();
    expect('{');
    skip_space();
    while (peek() != '}') {
      const std::uint64_t key_at = pos_;
      literal key = parse_value();
      if (key.type != literal::kind::string) error_at(key_at, "a key is not a string");
      skip_space();
      expect(':');
      literal value = parse_value();
      for (const auto& entry : entries) {
        if (entry.first == key.text) error_at(key_at, "the key '" + key.text + "' appears twice");
      }
      entries.emplace_back(std::move(key.text), std::move(value));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
      } else if (peek() != '}') {
        error("expected ',' or '}'");
      }
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) error("unexpected text after the dict");
    return entries;
  }

 private:
  // Python's repr pads with spaces and ends with '\n'; old writers used other whitespace too.
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void expect(char c) {
    if (peek() != c) error(std::string("expected '") + c + "'");
    ++pos_;
  }
  [[noreturn]] void error(const std::string& what) const { error_at(pos_, what); }
  [[noreturn]] void error_at(std::size_t at, const std::string& what) const {
    const std::string found = at < text_.size() ? "'" + std::string(1, text_[at]) + "'" : "the end of the header";
    fail_at(path_, base_ + at, "cannot parse the header dict: " + what + " (found " + found + ")");
  }

  // A shape is one level deep; 32 leaves room for any honest header and keeps a hostile one
  // ("(((((...") from overflowing the stack through this recursion.
  static constexpr int max_nesting = 32;

  literal parse_value(int depth = 0) {
    if (depth > max_nesting) error("nested deeper than " + std::to_string(max_nesting) + " levels");
    skip_space();
    literal value;
    const char c = peek();
    if (c == '\'' || c == '"') {
      value.type = literal::kind::string;
      ++pos_;
      while (peek() != c) {
        if (pos_ >= text_.size()) error("unterminated string");
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;  // an escaped character stands for itself
        value.text += text_[pos_++];
      }
      ++pos_;
    } else if (c == '(' || c == '[') {
      value.type = literal::kind::sequence;
      const char close = c == '(' ? ')' : ']';
      ++pos_;
      skip_space();
      while (peek() != close) {
        value.items.push_back(parse_value(depth + 1));
        skip_space();
        if (peek() == ',') {
          ++pos_;
          skip_space();
        } else if (peek() != close) {
          error(std::string("expected ',' or '") + close + "'");
        }
      }
      ++pos_;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      value.type = literal::kind::integer;
      const bool negative = c == '-';
      if (negative) ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) error("expected a digit");
      std::uint64_t magnitude = 0;
      while (peek() >= '0' && peek() <= '9') {
        const auto digit = static_cast<std::uint64_t>(text_[pos_] - '0');
        if (magnitude > (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - digit) / 10) {
          error("an integer is too large");
        }
        magnitude = magnitude * 10 + digit;
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 longs, as NumPy under Python 2 wrote shapes
      value.integer = negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
    } else if (word("True")) {
      value.type = literal::kind::boolean;
      value.boolean = true;
    } else if (word("False")) {
      value.type = literal::kind::boolean;
    } else if (word("None")) {
      value.type = literal::kind::none;
    } else {
      error("expected a string, a number, True, False, None, a tuple or a list");
    }
    return value;
  }

  bool word(std::string_view w) {
    if (text_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }

  const std::filesystem::path& path_;
  std::string_view text_;
  std::uint64_t base_;
  std::size_t pos_ = 0;
};

/// Checks the parsed dict: exactly the keys descr, fortran_order and shape (as NumPy requires), a
/// supported dtype, a shape of one or two non-negative dimensions.
inline header check_header(const std::filesystem::path& path, const std::vector<std::pair<std::string, literal>>& dict,
                           std::uint64_t offset) {
  const literal* descr = nullptr;
  const literal* fortran = nullptr;
  const literal* shape = nullptr;
  for (const auto& [key, value] : dict) {
    if (key == "descr") {
      descr = &value;
    } else if (key == "fortran_order") {
      fortran = &value;
    } else if (key == "shape") {
      shape = &value;
    } else {
      fail_at(path, offset, "unexpected key '" + key + "' in the header (expected descr, fortran_order and shape)");
    }
  }
  if (descr == nullptr || fortran == nullptr || shape == nullptr) {
    fail_at(path, offset,
            "the header lacks the key '" +
                std::string(descr == nullptr     ? "descr"
                            : fortran == nullptr ? "fortran_order"
                                                 : "shape") +
                "'");
  }

  header h;
  if (descr->type != literal::kind::string) {
    fail_at(path, offset, "unsupported dtype: a structured dtype (supported: " + std::string(supported_dtypes) + ")");
  }
  const std::string& d = descr->text;
  if (d == "<f4") {
    h.type = dtype::f4;
  } else if (d == "<f8") {
    h.type = dtype::f8;
  } else if (d == "<i4") {
    h.type = dtype::i4;
  } else if (d == "<i8") {
    h.type = dtype::i8;
  } else {
    fail_at(path, offset, "unsupported dtype '" + d + "' (supported: " + std::string(supported_dtypes) + ")");
  }

  if (fortran->type != literal::kind::boolean) fail_at(path, offset, "fortran_order is not True or False");
  h.fortran_order = fortran->boolean;

  if (shape->type != literal::kind::sequence) fail_at(path, offset, "the shape is not a tuple");
  for (const literal& n : shape->items) {
    if (n.type != literal::kind::integer || n.integer < 0) {
      fail_at(path, offset, "the shape has an entry that is not a non-negative integer");
    }
    h.shape.push_back(static_cast<std::uint64_t>(n.integer));
  }
  if (h.shape.size() != 1 && h.shape.size() != 2) {
    fail_at(path, offset,
            "unsupported number of dimensions: " + std::to_string(h.shape.size()) +
                " (a matrix is read from 1 dimension, as N x 1, or 2, as N x D)");
  }
  return h;
}

inline std::string shape_string(const std::vector<std::uint64_t>& shape) {
  std::string s = "(";
  for (std::size_t k = 0; k < shape.size(); ++k) s += (k > 0 ? ", " : "") + std::to_string(shape[k]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// Decodes one element as Scalar. Returns false if it is a finite value out of Scalar's range
/// (converting it would be undefined behaviour).
template <class Scalar>
bool decode(const unsigned char* p, dtype type, Scalar& out) {
  switch (type) {
    case dtype::f4:
      out = static_cast<Scalar>(load_little_endian<float>(p));
      return true;
    case dtype::f8: {
      const double v = load_little_endian<double>(p);
      if constexpr (std::is_same_v<Scalar, float>) {
        if (std::isfinite(v) && std::abs(v) > static_cast<double>(std::numeric_limits<float>::max())) return false;
      }
      out = static_cast<Scalar>(v);
      return true;
    }
    case dtype::i4:
      out = static_cast<Scalar>(load_little_endian<std::int32_t>(p));
      return true;
    case dtype::i8:
      out = static_cast<Scalar>(load_little_endian<std::int64_t>(p));
      return true;
  }
  return false;
}

/// Opens `path` for binary reading; io_error if it is missing, a directory or unreadable.
inline std::ifstream open_for_reading(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) fail(path, "no such file");
  if (std::filesystem::is_directory(status)) fail(path, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open the file for reading");
  return in;
}

/// Reads exactly n bytes at the stream's position into out; io_error otherwise.
inline void read_bytes(const std::filesystem::path& path, std::ifstream& in, std::uint64_t offset, unsigned char* out,
                       std::size_t n) {
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
  if (static_cast<std::size_t>(in.gcount()) != n) fail_at(path, offset, "read error");
}

}  // namespace detail::npy

/// Reads a NumPy .npy file block by block: a file larger than memory is read a few rows at a
/// time (read_npy reads it whole). The header is read and every size checked against the file on
/// construction. What the file may hold is as for read_npy.
///
/// @code
///   eigenflow::io::npy_reader<float> reader("big.npy");
///   for (auto x = reader.read(65536); x.rows() > 0; x = reader.read(65536)) { /* up to 65536 rows */ }
/// @endcode
///
/// @tparam Scalar float or double.
template <class Scalar>
class npy_reader {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>, "npy_reader reads float or double");

 public:
  /// Opens `path` and checks its header and size.
  /// @throws io_error as read_npy does for everything but the values themselves.
  explicit npy_reader(std::filesystem::path file) : path_(std::move(file)), in_(detail::npy::open_for_reading(path_)) {
    namespace npy = detail::npy;
    const std::filesystem::path& path = path_;
    in_.seekg(0, std::ios::end);
    const auto end = in_.tellg();
    if (end < 0) npy::fail(path, "cannot determine the file size");
    const auto file_size = static_cast<std::uint64_t>(end);
    in_.seekg(0, std::ios::beg);

    unsigned char prefix[12] = {};
    if (file_size < 8) npy::fail(path, "not a .npy file (too short for the \\x93NUMPY magic and version)");
    npy::read_bytes(path, in_, 0, prefix, 8);
    if (!std::equal(npy::magic.begin(), npy::magic.end(), prefix,
                    [](char a, unsigned char b) { return static_cast<unsigned char>(a) == b; })) {
      npy::fail(path, "not a .npy file (it does not start with the \\x93NUMPY magic)");
    }
    const unsigned major = prefix[6];
    const unsigned minor = prefix[7];
    if (minor != 0 || major < 1 || major > 3) {
      npy::fail_at(path, 6,
                   "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                       " (supported: 1.0, 2.0, 3.0)");
    }

    // Version 1.0 counts the header in 2 bytes; 2.0 and 3.0 (3.0: UTF-8 header text) in 4.
    const std::size_t length_bytes = major == 1 ? 2 : 4;
    if (file_size < 8 + length_bytes) npy::fail_at(path, 8, "truncated: the file ends inside the header length");
    npy::read_bytes(path, in_, 8, prefix + 8, length_bytes);
    const std::uint64_t header_length = major == 1 ? detail::load_little_endian<std::uint16_t>(prefix + 8)
                                                   : detail::load_little_endian<std::uint32_t>(prefix + 8);
    const std::uint64_t header_offset = 8 + length_bytes;
    if (header_length > file_size - header_offset) {
      npy::fail_at(path, header_offset,
                   "truncated header: expected " + std::to_string(header_length) + " bytes, the file has " +
                       std::to_string(file_size - header_offset));
    }
    std::string text(static_cast<std::size_t>(header_length), '\0');
    npy::read_bytes(path, in_, header_offset, reinterpret_cast<unsigned char*>(text.data()), text.size());
    const npy::header h =
        npy::check_header(path, npy::header_parser(path, text, header_offset).parse_dict(), header_offset);

    // Every size is checked against the file before anything is allocated.
    data_offset_ = header_offset + header_length;
    const std::uint64_t rows = h.shape[0];
    const std::uint64_t cols = h.shape.size() == 2 ? h.shape[1] : 1;
    const std::uint64_t item = npy::item_size(h.type);
    const std::uint64_t available = file_size - data_offset_;
    const bool too_large = (cols != 0 && rows > std::numeric_limits<std::uint64_t>::max() / cols) ||
                           (rows * cols > std::numeric_limits<std::uint64_t>::max() / item) ||
                           rows > static_cast<std::uint64_t>(std::numeric_limits<index_t>::max()) ||
                           cols > static_cast<std::uint64_t>(std::numeric_limits<index_t>::max());
    const std::string described = "shape " + npy::shape_string(h.shape) + " of '" + npy::dtype_name(h.type) + "'";
    if (too_large) npy::fail_at(path, data_offset_, "truncated data: the " + described + " is larger than any file");
    const std::uint64_t count = rows * cols;
    const std::uint64_t data_bytes = count * item;
    if (data_bytes > available) {
      npy::fail_at(path, data_offset_,
                   "truncated data: expected " + std::to_string(data_bytes) + " bytes of data at offset " +
                       std::to_string(data_offset_) + " (" + described + "), the file has " + std::to_string(available));
    }
    if (data_bytes < available) {
      npy::fail_at(path, data_offset_ + data_bytes,
                   std::to_string(available - data_bytes) + " unexpected bytes after the data (the " + described +
                       " takes " + std::to_string(data_bytes) + " bytes at offset " + std::to_string(data_offset_) + ")");
    }

    type_ = h.type;
    fortran_order_ = h.fortran_order;
    rows_ = static_cast<index_t>(rows);
    cols_ = static_cast<index_t>(cols);
  }

  /// The number of rows the file holds (N of its shape).
  index_t rows() const { return rows_; }
  /// The number of columns: D of an N x D array, 1 of an N-vector.
  index_t cols() const { return cols_; }
  /// The rows read so far.
  index_t rows_read() const { return next_row_; }

  /// The next rows, at most `max_rows` (at least 1): fewer at the end, none (0 x cols) after it.
  /// @throws value_error if max_rows < 1.
  /// @throws io_error naming the file, the byte offset and the row and column of a float64 value
  ///   too large for float, or if the file cannot be read.
  matrix<Scalar> read(index_t max_rows) {
    namespace npy = detail::npy;
    if (max_rows < 1) throw value_error(path_.string() + ": npy_reader::read needs max_rows >= 1");
    const index_t first = next_row_;
    const index_t n = std::min(max_rows, rows_ - first);
    matrix<Scalar> block(n, cols_);
    const std::uint64_t item = npy::item_size(type_);
    // C order: the block's rows are one run of bytes. Fortran order: one run per column.
    const index_t runs = fortran_order_ ? cols_ : 1;
    const std::uint64_t run_items = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(fortran_order_ ? 1 : cols_);
    for (index_t run = 0; run < runs && n > 0; ++run) {
      const std::uint64_t start_item = fortran_order_
                                           ? static_cast<std::uint64_t>(run) * static_cast<std::uint64_t>(rows_) +
                                                 static_cast<std::uint64_t>(first)
                                           : static_cast<std::uint64_t>(first) * static_cast<std::uint64_t>(cols_);
      in_.clear();
      in_.seekg(static_cast<std::streamoff>(data_offset_ + start_item * item));
      for (std::uint64_t done = 0; done < run_items;) {
        const std::uint64_t count = std::min(run_items - done, chunk_items(item));
        buffer_.resize(static_cast<std::size_t>(count * item));
        const std::uint64_t offset = data_offset_ + (start_item + done) * item;
        npy::read_bytes(path_, in_, offset, buffer_.data(), buffer_.size());
        for (std::uint64_t k = 0; k < count; ++k) {
          const std::uint64_t at = done + k;  // within this run
          const index_t r = fortran_order_ ? static_cast<index_t>(at) : static_cast<index_t>(at / static_cast<std::uint64_t>(cols_));
          const index_t c = fortran_order_ ? run : static_cast<index_t>(at % static_cast<std::uint64_t>(cols_));
          Scalar value{};
          if (!npy::decode(buffer_.data() + k * item, type_, value)) {
            npy::fail_at(path_, offset + k * item,
                         "the value at row " + std::to_string(first + r) + ", column " + std::to_string(c) +
                             " does not fit in float");
          }
          block(r, c) = value;
        }
        done += count;
      }
    }
    next_row_ += n;
    return block;
  }

 private:
  // Values decoded per read of the file: 1 MiB of them.
  static std::uint64_t chunk_items(std::uint64_t item) { return std::max<std::uint64_t>(1, (std::uint64_t{1} << 20) / item); }

  std::filesystem::path path_;
  std::ifstream in_;
  std::vector<unsigned char> buffer_;
  std::uint64_t data_offset_ = 0;
  detail::npy::dtype type_ = detail::npy::dtype::f8;
  bool fortran_order_ = false;
  index_t rows_ = 0;
  index_t cols_ = 0;
  index_t next_row_ = 0;
};

/// Reads a NumPy .npy file (format version 1.0, 2.0 or 3.0) into a matrix.
///
/// The array must be little-endian float32, float64, int32 or int64 ('<f4', '<f8', '<i4', '<i8');
/// values are converted to Scalar. A 1-dimensional array of N values becomes N x 1, a
/// 2-dimensional N x D array stays N x D; both C order and Fortran order are read.
///
/// @tparam Scalar float or double.
/// @throws io_error naming the file (and the byte offset, where one applies) if the file is
///   missing or unreadable, is not a .npy file, has an unsupported version, dtype or number of
///   dimensions, an unparsable header, too few bytes for its shape or bytes after its data.
///
/// @code
///   auto x = eigenflow::io::read_npy<float>("moons.npy");   // np.save("moons.npy", X), X: 1000 x 2
/// @endcode
template <class Scalar>
matrix<Scalar> read_npy(const std::filesystem::path& path) {
  npy_reader<Scalar> reader(path);
  return reader.read(std::max<index_t>(reader.rows(), 1));
}

/// Writes `values` as a NumPy .npy file: format version 1.0, dtype '<f4' (float) or '<f8'
/// (double), C order, shape (rows, cols) — always 2-dimensional, so an N x 1 matrix reads back
/// as N x 1 — with the header padded so the data starts at a multiple of 64 bytes, as NumPy
/// writes it. np.load reads the file; read_npy reads it back bit for bit. Written atomically:
/// readers see the old file or the new one.
///
/// @tparam Scalar float or double.
/// @throws io_error naming the file if it cannot be written.
template <class Scalar>
void write_npy(const std::filesystem::path& path, const matrix<Scalar>& values) {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>, "write_npy writes float or double");
  namespace npy = detail::npy;

  std::string header = std::string("{'descr': '") + (std::is_same_v<Scalar, float> ? "<f4" : "<f8") +
                       "', 'fortran_order': False, 'shape': (" + std::to_string(values.rows()) + ", " +
                       std::to_string(values.cols()) + "), }";
  const std::size_t unpadded = npy::magic.size() + 2 + 2 + header.size() + 1;  // + the final '\n'
  header += std::string((64 - unpadded % 64) % 64, ' ') + '\n';

  write_atomically(path, [&](std::ofstream& out) {
    unsigned char prefix[10] = {};
    std::copy(npy::magic.begin(), npy::magic.end(), prefix);
    prefix[6] = 1;
    prefix[7] = 0;
    detail::store_little_endian(static_cast<std::uint16_t>(header.size()), prefix + 8);
    out.write(reinterpret_cast<const char*>(prefix), sizeof prefix);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));

    // One row at a time: C order is row-major, our storage column-major.
    std::vector<unsigned char> row(static_cast<std::size_t>(values.cols()) * sizeof(Scalar));
    for (index_t i = 0; i < values.rows(); ++i) {
      for (index_t j = 0; j < values.cols(); ++j) {
        detail::store_little_endian(values(i, j), row.data() + static_cast<std::size_t>(j) * sizeof(Scalar));
      }
      out.write(reinterpret_cast<const char*>(row.data()), static_cast<std::streamsize>(row.size()));
    }
  });
}

}  // namespace eigenflow::io
