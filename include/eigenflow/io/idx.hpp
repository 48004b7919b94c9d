// include/eigenflow/io/idx.hpp — reading and writing IDX files, the format of MNIST and
// Fashion-MNIST, plain or gzip-compressed (as those data sets ship; zlib inflates them).
//
// The format: two zero bytes, a type byte (0x08 unsigned byte, 0x09 signed byte, 0x0B 16-bit and
// 0x0C 32-bit integers, 0x0D float, 0x0E double), a byte counting the dimensions, each dimension's
// size as a big-endian 32-bit integer, then the values, big-endian, the last dimension varying
// fastest. A file that starts with the gzip magic 1f 8b is inflated first, whatever its name.
//
// Policies, chosen so that a wrong file fails loudly:
// - Every size is checked before anything is allocated: against idx_read_options::max_bytes, and
//   against the file's size for a plain file. A gzip file's size says little about its content,
//   so it is inflated in chunks and the buffer grows with the data that actually arrives: a header
//   that lies costs no more memory than the file delivers.
// - Bytes after the data are an error, in the content and after the gzip stream. Concatenated gzip
//   members are one stream (as gzip -d reads them); anything else after the stream is garbage.
// - The gzip checksum and length are checked (by zlib, at the end of each member).
// - Messages give byte offsets in the file, or for a gzip file in its decompressed content (and
//   say so); errors of the compressed stream itself give the offset in the compressed file.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigenflow/enum_names.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/io/atomic_file.hpp"
#include "eigenflow/io/detail/little_endian.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/memory_budget.hpp"

namespace eigenflow::io {

/// The element types of IDX files; each enumerator is the type byte that stands for it.
enum class idx_type : std::uint8_t {
  u8 = 0x08,   ///< unsigned byte ("ubyte": MNIST's pixels and labels)
  i8 = 0x09,   ///< signed byte
  i16 = 0x0B,  ///< 16-bit signed integer ("short")
  i32 = 0x0C,  ///< 32-bit signed integer ("int")
  f32 = 0x0D,  ///< IEEE-754 single precision
  f64 = 0x0E,  ///< IEEE-754 double precision
};

/// The names the IDX description gives its types, for messages.
inline constexpr auto idx_type_names = std::to_array<enum_name<idx_type>>({{idx_type::u8, "ubyte"},
                                                                           {idx_type::i8, "sbyte"},
                                                                           {idx_type::i16, "short"},
                                                                           {idx_type::i32, "int"},
                                                                           {idx_type::f32, "float"},
                                                                           {idx_type::f64, "double"}});

/// Bytes per value of `type` (0 for a value that is not an idx_type, which only a cast makes).
constexpr std::size_t idx_item_size(idx_type type) {
  switch (type) {
    case idx_type::u8:
    case idx_type::i8:
      return 1;
    case idx_type::i16:
      return 2;
    case idx_type::i32:
    case idx_type::f32:
      return 4;
    case idx_type::f64:
      return 8;
  }
  return 0;
}

/// The most dimensions read_idx accepts: the format allows 255, data sets use 1 to 4, and a
/// larger count is a sign of a file that is not IDX.
inline constexpr std::size_t idx_max_dims = 16;

/// How read_idx reads a file.
struct idx_read_options {
  /// The most bytes of values the file may hold (the product of its sizes times the value size):
  /// a header beyond it is refused before anything is allocated. 4 GiB by default.
  std::uint64_t max_bytes = std::uint64_t{1} << 32;
  /// The value type the caller requires, if any (checked before the data is read).
  std::optional<idx_type> type{};
  /// The sizes after the first that the caller requires, if any (e.g. {28, 28} for MNIST's
  /// images; empty: a one-dimensional array), checked before the data is read.
  std::optional<std::vector<index_t>> item_dims{};
};

/// How write_idx writes a file.
struct idx_write_options {
  /// Whether to gzip the file (read_idx detects it by its magic bytes, whatever the name).
  bool gzip = false;
  /// zlib's compression level: 0 (none) to 9 (smallest), or -1 for zlib's default (6).
  int level = -1;
};

/// An IDX array as the file holds it: its type, its sizes and its values' bytes.
struct idx_array {
  idx_type type = idx_type::u8;        ///< the values' type (the file's type byte)
  std::vector<index_t> dims{};         ///< the sizes, outermost first: items, then e.g. an image's rows and columns
  std::vector<unsigned char> bytes{};  ///< the values as stored: big-endian, the last dimension varying fastest

  /// The number of values: the product of dims (0 if dims is empty; index_t's maximum if the
  /// product exceeds it).
  index_t size() const {
    if (dims.empty()) return 0;
    index_t n = 1;
    for (const index_t d : dims) {
      if (d <= 0) return 0;
      if (n > std::numeric_limits<index_t>::max() / d) return std::numeric_limits<index_t>::max();
      n *= d;
    }
    return n;
  }

  /// The k-th value in file order, as a double (exact for every IDX type).
  /// @throws value_error if k is out of range or `bytes` ends before it.
  double value(index_t k) const;
};

namespace detail::idx {

inline constexpr std::size_t chunk_bytes = std::size_t{1} << 16;

/// The T whose big-endian bytes are [bytes, bytes + sizeof(T)).
template <little_endian_codable T>
constexpr T load_big_endian(const unsigned char* bytes) {
  using bits = little_endian_bits<T>;
  std::uint64_t value = 0;
  for (std::size_t k = 0; k < sizeof(T); ++k) value = (value << 8) | bytes[k];
  return std::bit_cast<T>(static_cast<bits>(value));
}

/// Writes `value` big-endian to [bytes, bytes + sizeof(T)).
template <little_endian_codable T>
constexpr void store_big_endian(T value, unsigned char* bytes) {
  const auto bits = static_cast<std::uint64_t>(std::bit_cast<little_endian_bits<T>>(value));
  for (std::size_t k = 0; k < sizeof(T); ++k) bytes[k] = static_cast<unsigned char>(bits >> (8 * (sizeof(T) - 1 - k)));
}

/// Calls f.template operator()<T>() with T the C++ type of `type`'s values.
template <class F>
decltype(auto) with_value_type(idx_type type, F&& f) {
  switch (type) {
    case idx_type::u8:
      return f.template operator()<std::uint8_t>();
    case idx_type::i8:
      return f.template operator()<std::int8_t>();
    case idx_type::i16:
      return f.template operator()<std::int16_t>();
    case idx_type::i32:
      return f.template operator()<std::int32_t>();
    case idx_type::f32:
      return f.template operator()<float>();
    case idx_type::f64:
      return f.template operator()<double>();
  }
  throw value_error("idx: " + std::to_string(static_cast<int>(type)) + " is not an IDX type");
}

inline double decode(idx_type type, const unsigned char* p) {
  return with_value_type(type, [p]<class T>() { return static_cast<double>(load_big_endian<T>(p)); });
}

inline bool is_integer_type(idx_type type) { return type != idx_type::f32 && type != idx_type::f64; }

inline std::string type_name(idx_type type) {
  for (const auto& entry : idx_type_names) {
    if (entry.value == type) return std::string(entry.name);
  }
  return "type " + std::to_string(static_cast<int>(type));
}

inline std::string hex_byte(unsigned value) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[(value >> 4) & 15] + digits[value & 15];
}

/// "60000 x 28 x 28".
inline std::string dims_string(const std::vector<index_t>& dims) {
  std::string s;
  for (std::size_t k = 0; k < dims.size(); ++k) s += (k > 0 ? " x " : "") + std::to_string(dims[k]);
  return s;
}

/// The shape of one item (the sizes after the first), for messages.
inline std::string item_shape(const std::vector<index_t>& item_dims) {
  return item_dims.empty() ? "single values (a one-dimensional array)" : dims_string(item_dims);
}

/// "<file>: at byte offset N[ of the decompressed data]: ".
inline std::string where(const std::filesystem::path& path, bool gzip, std::uint64_t offset) {
  return path.string() + ": at byte offset " + std::to_string(offset) + (gzip ? " of the decompressed data" : "") + ": ";
}

[[noreturn]] inline void fail(const std::filesystem::path& path, const std::string& what) {
  throw io_error(path.string() + ": " + what);
}

/// The content of a file, read front to back: the bytes as they are, or inflated when the file
/// starts with the gzip magic. position() counts the content's bytes delivered so far.
class content_reader {
 public:
  explicit content_reader(const std::filesystem::path& path) : path_(path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) fail(path, "no such file");
    if (std::filesystem::is_directory(status)) fail(path, "is a directory, not a file");
    in_.open(path, std::ios::binary);
    if (!in_) fail(path, "cannot open the file for reading");
    in_.seekg(0, std::ios::end);
    const auto end = in_.tellg();
    if (end < 0) fail(path, "cannot determine the file size");
    file_size_ = static_cast<std::uint64_t>(end);
    in_.seekg(0, std::ios::beg);
    unsigned char magic[2] = {};
    in_.read(reinterpret_cast<char*>(magic), 2);
    gzip_ = in_.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    in_.clear();
    in_.seekg(0, std::ios::beg);
    if (gzip_) {
      buffer_.resize(chunk_bytes);
      // 16 + MAX_WBITS: a gzip wrapper (header, CRC-32 and length checked), no zlib or raw stream.
      if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) fail(path, "cannot start zlib's inflate (out of memory?)");
      z_ready_ = true;
    }
  }
  ~content_reader() {
    if (z_ready_) inflateEnd(&z_);
  }
  content_reader(const content_reader&) = delete;
  content_reader& operator=(const content_reader&) = delete;

  bool gzip() const { return gzip_; }
  std::uint64_t file_size() const { return file_size_; }
  std::uint64_t position() const { return position_; }

  [[noreturn]] void fail_at(std::uint64_t offset, const std::string& what) const {
    throw io_error(where(path_, gzip_, offset) + what);
  }

  /// Up to n bytes of content into out; fewer only at its end.
  std::size_t read(unsigned char* out, std::size_t n) {
    const std::size_t got = gzip_ ? inflate_into(out, n) : read_plain(out, n);
    position_ += got;
    return got;
  }

 private:
  std::size_t read_plain(unsigned char* out, std::size_t n) {
    in_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
    if (in_.bad()) fail_at(position_, "read error");
    return static_cast<std::size_t>(in_.gcount());
  }

  // Where inflate stands in the compressed file: what it consumed of what was read.
  std::uint64_t compressed_offset() const { return compressed_read_ - z_.avail_in; }

  [[noreturn]] void fail_compressed(const std::string& what) const {
    throw io_error(path_.string() + ": at byte offset " + std::to_string(compressed_offset()) + " of the gzip file: " +
                   what);
  }

  // Makes the unread input at least `want` bytes long, if the file has that many more.
  void refill(std::size_t want) {
    if (z_.avail_in >= want) return;
    std::size_t have = z_.avail_in;
    if (have > 0 && z_.next_in != buffer_.data()) std::memmove(buffer_.data(), z_.next_in, have);
    in_.read(reinterpret_cast<char*>(buffer_.data() + have), static_cast<std::streamsize>(buffer_.size() - have));
    if (in_.bad()) fail_compressed("read error");
    const auto got = static_cast<std::size_t>(in_.gcount());
    compressed_read_ += got;
    have += got;
    z_.next_in = buffer_.data();
    z_.avail_in = static_cast<uInt>(have);
  }

  std::size_t inflate_into(unsigned char* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n && !finished_) {
      if (z_.avail_in == 0) {
        refill(1);
        if (z_.avail_in == 0) fail_compressed("truncated gzip stream: the file ends before the stream does");
      }
      z_.next_out = out + got;
      z_.avail_out = static_cast<uInt>(std::min<std::size_t>(n - got, std::numeric_limits<uInt>::max()));
      const uInt room = z_.avail_out;
      const int status = inflate(&z_, Z_NO_FLUSH);
      got += room - z_.avail_out;
      if (status == Z_STREAM_END) {
        // The end of a member: another may follow (gzip concatenates them); anything else is garbage.
        refill(2);
        if (z_.avail_in == 0) {
          finished_ = true;
        } else if (z_.avail_in >= 2 && z_.next_in[0] == 0x1f && z_.next_in[1] == 0x8b) {
          inflateReset(&z_);
        } else {
          fail_compressed(std::to_string(file_size_ - compressed_offset()) +
                          " bytes after the end of the gzip stream, which do not start another gzip member");
        }
      } else if (status == Z_BUF_ERROR) {
        // No progress without more input; the loop reads more. With input left it would never end.
        if (z_.avail_in != 0) fail_compressed("corrupt gzip stream: inflate cannot make progress");
      } else if (status != Z_OK) {
        fail_compressed(std::string("corrupt gzip stream: ") + (z_.msg != nullptr ? z_.msg : zError(status)));
      }
    }
    return got;
  }

  std::filesystem::path path_;
  std::ifstream in_;
  std::uint64_t file_size_ = 0;
  std::uint64_t position_ = 0;
  bool gzip_ = false;
  z_stream z_{};
  bool z_ready_ = false;
  bool finished_ = false;
  std::vector<unsigned char> buffer_;
  std::uint64_t compressed_read_ = 0;
};

/// "" for a byte that is no IDX type, else the type's name.
inline std::string name_of_or_empty(unsigned type_byte) {
  for (const auto& entry : idx_type_names) {
    if (static_cast<unsigned>(entry.value) == type_byte) return std::string(entry.name);
  }
  return {};
}

/// What read() found: the array, where its data starts and whether the file was gzipped (the
/// offsets of later messages need both).
struct read_result {
  idx_array array;
  std::uint64_t data_offset = 0;
  bool gzip = false;
};

inline read_result read(const std::filesystem::path& path, const idx_read_options& options) {
  content_reader in(path);
  unsigned char head[4] = {};
  const std::size_t head_got = in.read(head, 4);
  // The magic first: a file of another kind is named as such even when it is short.
  if ((head_got >= 1 && head[0] != 0) || (head_got >= 2 && head[1] != 0)) {
    in.fail_at(0, "not an IDX file: it starts with " + hex_byte(head[0]) +
                      (head_got >= 2 ? " " + hex_byte(head[1]) : std::string()) +
                      ", not the two zero bytes of the IDX magic number");
  }
  if (head_got < 4) {
    in.fail_at(head_got, head_got == 0 ? "truncated header: the file is empty"
                                       : "truncated header: the file ends after " + std::to_string(head_got) +
                                             " of the 4 bytes of magic, type and dimension count");
  }
  const unsigned type_byte = head[2];
  if (name_of_or_empty(type_byte).empty()) {
    in.fail_at(2, "unknown type byte " + hex_byte(type_byte) +
                      " (known: 0x08 ubyte, 0x09 sbyte, 0x0b short, 0x0c int, 0x0d float, 0x0e double)");
  }
  const auto type = static_cast<idx_type>(type_byte);
  if (options.type && *options.type != type) {
    in.fail_at(2, "the values are " + type_name(type) + ", expected " + type_name(*options.type));
  }
  const std::size_t rank = head[3];
  if (rank == 0) in.fail_at(3, "the dimension count is 0 (an IDX array has at least one dimension)");
  if (rank > idx_max_dims) {
    in.fail_at(3, "the dimension count is " + std::to_string(rank) + ", more than the " + std::to_string(idx_max_dims) +
                      " this reader accepts (not an IDX file?)");
  }
  std::array<unsigned char, 4 * idx_max_dims> size_bytes{};
  const std::size_t sizes_got = in.read(size_bytes.data(), 4 * rank);
  if (sizes_got < 4 * rank) {
    in.fail_at(4 + sizes_got, "truncated header: the file ends inside the size of dimension " +
                                  std::to_string(sizes_got / 4 + 1) + " of " + std::to_string(rank));
  }
  std::vector<index_t> dims(rank);
  for (std::size_t k = 0; k < rank; ++k) dims[k] = load_big_endian<std::uint32_t>(size_bytes.data() + 4 * k);
  const std::string described = "the sizes " + dims_string(dims) + " of " + type_name(type) + " values";

  // Every size is checked before anything is allocated. A size of 0 counts as 1 here, so that an
  // empty dimension cannot hide others whose product is absurd.
  const std::uint64_t item = idx_item_size(type);
  const std::uint64_t limit =
      std::min<std::uint64_t>(options.max_bytes, static_cast<std::uint64_t>(std::numeric_limits<index_t>::max()));
  std::uint64_t bound = item;
  for (std::size_t k = 0; k < rank; ++k) {
    const std::uint64_t factor = std::max<std::uint64_t>(static_cast<std::uint64_t>(dims[k]), 1);
    if (bound > limit / factor) {
      in.fail_at(4 + 4 * k, described + " make more than " + std::to_string(limit) + " bytes (" +
                                format_bytes(static_cast<double>(limit)) +
                                ", the limit idx_read_options::max_bytes sets)");
    }
    bound *= factor;
  }
  if (options.item_dims) {
    const std::vector<index_t> item_dims(dims.begin() + 1, dims.end());
    if (item_dims != *options.item_dims) {
      std::size_t first_difference = 0;
      while (first_difference < item_dims.size() && first_difference < options.item_dims->size() &&
             item_dims[first_difference] == (*options.item_dims)[first_difference]) {
        ++first_difference;
      }
      const std::uint64_t at = item_dims.size() != options.item_dims->size() ? 3 : 8 + 4 * first_difference;
      in.fail_at(at, "the items are " + item_shape(item_dims) + ", expected " + item_shape(*options.item_dims) +
                         " (the sizes are " + dims_string(dims) + ")");
    }
  }

  std::uint64_t count = 1;
  for (const index_t d : dims) count *= static_cast<std::uint64_t>(d);
  const std::uint64_t data_bytes = count * item;
  const std::uint64_t header_bytes = 4 + 4 * rank;
  read_result result;
  result.gzip = in.gzip();
  result.data_offset = header_bytes;
  result.array.type = type;
  result.array.dims = dims;
  std::vector<unsigned char>& bytes = result.array.bytes;
  if (!in.gzip()) {
    const std::uint64_t available = in.file_size() - header_bytes;
    if (data_bytes > available) {
      in.fail_at(header_bytes, "truncated data: " + described + " need " + std::to_string(data_bytes) +
                                   " bytes, the file has " + std::to_string(available) + " after the header");
    }
    bytes.resize(static_cast<std::size_t>(data_bytes));
    if (in.read(bytes.data(), bytes.size()) != bytes.size()) {
      in.fail_at(in.position(), "read error (did the file shrink while it was read?)");
    }
  } else {
    // Chunk by chunk, the buffer at most twice what has arrived until the data is complete.
    while (bytes.size() < data_bytes) {
      const std::size_t have = bytes.size();
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(data_bytes - have, 16 * chunk_bytes));
      if (bytes.capacity() < have + want) {
        bytes.reserve(static_cast<std::size_t>(
            std::min<std::uint64_t>(data_bytes, std::max<std::uint64_t>(2 * bytes.capacity(), have + want))));
      }
      bytes.resize(have + want);
      const std::size_t got = in.read(bytes.data() + have, want);
      bytes.resize(have + got);
      if (got < want) {
        in.fail_at(header_bytes + bytes.size(), "truncated data: " + described + " need " + std::to_string(data_bytes) +
                                                    " bytes, the decompressed data has only " +
                                                    std::to_string(bytes.size()) + " after the header");
      }
    }
  }
  // The content must end with the data. For gzip this inflates to the end of the stream, so that
  // its checksum is checked and garbage after it found.
  std::uint64_t extra = 0;
  unsigned char rest[4096];
  for (std::size_t got = in.read(rest, sizeof rest); got > 0; got = in.read(rest, sizeof rest)) extra += got;
  if (extra > 0) {
    in.fail_at(header_bytes + data_bytes, std::to_string(extra) + " unexpected bytes after the data (" + described +
                                              " take " + std::to_string(data_bytes) + " bytes)");
  }
  return result;
}

/// Throws value_error (prefixed with `who`) unless `dims` fit an IDX header: 1 to idx_max_dims
/// sizes, each within 0..2^32-1. Returns the number of values, or nullopt if it overflows.
inline std::optional<std::uint64_t> check_dims(const std::vector<index_t>& dims, const std::string& who) {
  if (dims.empty() || dims.size() > idx_max_dims) {
    throw value_error(who + ": an IDX array has 1 to " + std::to_string(idx_max_dims) + " dimensions, not " +
                      std::to_string(dims.size()));
  }
  std::uint64_t count = 1;
  bool overflow = false;
  for (const index_t d : dims) {
    if (d < 0 || static_cast<std::uint64_t>(d) > std::numeric_limits<std::uint32_t>::max()) {
      throw value_error(who + ": the size " + std::to_string(d) + " does not fit an IDX header (0 to 4294967295)");
    }
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && count > std::numeric_limits<std::uint64_t>::max() / u) overflow = true;
    count *= u;
  }
  if (overflow) return std::nullopt;
  return count;
}

/// Throws value_error unless `a` is an array write_idx can write: a known type, sizes that fit
/// an IDX header and exactly as many bytes as they call for.
inline void check_array(const idx_array& a, const std::string& who) {
  if (idx_item_size(a.type) == 0) {
    throw value_error(who + ": " + std::to_string(static_cast<int>(a.type)) + " is not an IDX type");
  }
  const std::optional<std::uint64_t> count = check_dims(a.dims, who);
  const std::uint64_t item = idx_item_size(a.type);
  if (!count || *count > std::numeric_limits<std::uint64_t>::max() / item || *count * item != a.bytes.size()) {
    throw value_error(who + ": the sizes " + dims_string(a.dims) + " of " + type_name(a.type) +
                      " values do not match the " + std::to_string(a.bytes.size()) + " bytes of the array");
  }
}

/// Fills `out` (rows x cols) with the array's values, row by row in file order. Returns the flat
/// index of a value Scalar cannot hold (a finite double beyond float's range), or -1.
template <class Scalar>
index_t fill_matrix(const idx_array& a, index_t rows, index_t cols, matrix<Scalar>& out) {
  out.resize(rows, cols);
  return with_value_type(a.type, [&]<class T>() -> index_t {
    const unsigned char* data = a.bytes.data();
    // Tiles of rows: the file is row-major, the matrix column-major; a tile keeps both in cache.
    constexpr index_t tile = 64;
    for (index_t i0 = 0; i0 < rows; i0 += tile) {
      const index_t i1 = std::min(rows, i0 + tile);
      for (index_t j = 0; j < cols; ++j) {
        for (index_t i = i0; i < i1; ++i) {
          const index_t k = i * cols + j;
          const T v = load_big_endian<T>(data + static_cast<std::size_t>(k) * sizeof(T));
          if constexpr (std::is_same_v<T, double> && std::is_same_v<Scalar, float>) {
            if (std::isfinite(v) && std::abs(v) > static_cast<double>(std::numeric_limits<float>::max())) return k;
          }
          out(i, j) = static_cast<Scalar>(v);
        }
      }
    }
    return -1;
  });
}

/// The columns of a matrix of the array: the product of the sizes after the first (1 for one).
inline index_t item_values(const idx_array& a) {
  index_t cols = 1;
  for (std::size_t k = 1; k < a.dims.size(); ++k) cols *= a.dims[k];
  return cols;
}

/// Decodes integer labels; returns the index of a negative one, or -1.
inline index_t fill_labels(const idx_array& a, std::vector<index_t>& labels) {
  const std::size_t item = idx_item_size(a.type);
  const auto n = static_cast<std::size_t>(a.dims[0]);
  labels.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double v = decode(a.type, a.bytes.data() + k * item);
    if (v < 0) return static_cast<index_t>(k);
    labels[k] = static_cast<index_t>(v);
  }
  return -1;
}

}  // namespace detail::idx

inline double idx_array::value(index_t k) const {
  const std::size_t item = idx_item_size(type);
  if (item == 0) throw value_error("idx_array::value: " + std::to_string(static_cast<int>(type)) + " is not an IDX type");
  if (k < 0 || k >= size() || (static_cast<std::size_t>(k) + 1) * item > bytes.size()) {
    throw value_error("idx_array::value: index " + std::to_string(k) + " is outside the array's " +
                      std::to_string(std::min<std::size_t>(static_cast<std::size_t>(size()), bytes.size() / item)) +
                      " values");
  }
  return detail::idx::decode(type, bytes.data() + static_cast<std::size_t>(k) * item);
}

/// Reads an IDX file, plain or gzip-compressed (recognized by its first two bytes, 1f 8b, not by
/// its name), into its type, sizes and raw values.
///
/// @throws io_error naming the file and the byte offset if the file is missing or unreadable,
///   does not start with two zero bytes, has an unknown type byte, no dimension or more than
///   idx_max_dims, sizes beyond options.max_bytes, a type or item sizes other than the options
///   require, a truncated header or data, bytes after the data, or a corrupt or truncated gzip
///   stream (or garbage after it).
///
/// @code
///   const eigenflow::io::idx_array a = eigenflow::io::read_idx("t10k-labels-idx1-ubyte.gz");
///   // a.type == idx_type::u8, a.dims == {10000}, a.value(0) == 9
/// @endcode
inline idx_array read_idx(const std::filesystem::path& path, const idx_read_options& options = {}) {
  return detail::idx::read(path, options).array;
}

/// The array as a matrix: one row per item (the first size), one column per value of an item
/// (the product of the other sizes; 1 for a one-dimensional array), each row in file order — for
/// an image, pixel (y, x) in column y·W + x, the library's layout of one-channel images.
///
/// @tparam Scalar float or double.
/// @throws value_error if the array is inconsistent (see write_idx) or holds a finite double
///   beyond float's range and Scalar is float.
template <class Scalar>
matrix<Scalar> idx_matrix(const idx_array& array) {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>, "idx_matrix makes float or double");
  detail::idx::check_array(array, "idx_matrix");
  const index_t cols = detail::idx::item_values(array);
  matrix<Scalar> out;
  const index_t bad = detail::idx::fill_matrix(array, array.dims[0], cols, out);
  if (bad >= 0) {
    throw value_error("idx_matrix: the value at row " + std::to_string(bad / cols) + ", column " +
                      std::to_string(bad % cols) + " does not fit in float");
  }
  return out;
}

/// Reads an IDX file (as read_idx does) into a matrix, as idx_matrix lays it out: one row per item.
///
/// @tparam Scalar float or double.
/// @throws io_error as read_idx does, and naming the byte offset of a finite double beyond
///   float's range when Scalar is float.
///
/// @code
///   // 10000 x 784, pixels 0..255; refuses images that are not 28 x 28 bytes
///   auto x = eigenflow::io::read_idx_matrix<float>(
///       "t10k-images-idx3-ubyte.gz", {.type = eigenflow::io::idx_type::u8, .item_dims = {{28, 28}}});
/// @endcode
template <class Scalar>
matrix<Scalar> read_idx_matrix(const std::filesystem::path& path, const idx_read_options& options = {}) {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>, "read_idx_matrix reads float or double");
  const detail::idx::read_result r = detail::idx::read(path, options);
  const index_t cols = detail::idx::item_values(r.array);
  matrix<Scalar> out;
  const index_t bad = detail::idx::fill_matrix(r.array, r.array.dims[0], cols, out);
  if (bad >= 0) {
    throw io_error(detail::idx::where(path, r.gzip, r.data_offset + static_cast<std::uint64_t>(bad) * idx_item_size(r.array.type)) +
                   "the value at row " + std::to_string(bad / cols) + ", column " + std::to_string(bad % cols) +
                   " does not fit in float");
  }
  return out;
}

/// The array as class labels: it must be one-dimensional, of an integer type, without negative
/// values.
/// @throws value_error otherwise (or if the array is inconsistent, see write_idx).
inline std::vector<index_t> idx_labels(const idx_array& array) {
  detail::idx::check_array(array, "idx_labels");
  if (array.dims.size() != 1) {
    throw value_error("idx_labels: labels are a one-dimensional array, not " + detail::idx::dims_string(array.dims));
  }
  if (!detail::idx::is_integer_type(array.type)) {
    throw value_error("idx_labels: labels are integers, not " + detail::idx::type_name(array.type) + " values");
  }
  std::vector<index_t> labels;
  const index_t bad = detail::idx::fill_labels(array, labels);
  if (bad >= 0) throw value_error("idx_labels: label " + std::to_string(bad) + " is negative");
  return labels;
}

/// Reads class labels from an IDX file (as read_idx does, e.g. MNIST's *-labels-idx1-ubyte): a
/// one-dimensional array of an integer type, no label negative. options.item_dims is ignored.
/// @throws io_error as read_idx does, and naming the byte offset of a negative label, for a
///   floating-point type or an array of more than one dimension.
inline std::vector<index_t> read_idx_labels(const std::filesystem::path& path, const idx_read_options& options = {}) {
  namespace idx = detail::idx;
  idx_read_options one_dimensional = options;
  one_dimensional.item_dims = std::vector<index_t>{};
  const idx::read_result r = idx::read(path, one_dimensional);
  if (!idx::is_integer_type(r.array.type)) {
    throw io_error(idx::where(path, r.gzip, 2) + "labels are integers, not " + idx::type_name(r.array.type) + " values");
  }
  std::vector<index_t> labels;
  const index_t bad = idx::fill_labels(r.array, labels);
  if (bad >= 0) {
    const std::uint64_t offset = r.data_offset + static_cast<std::uint64_t>(bad) * idx_item_size(r.array.type);
    throw io_error(idx::where(path, r.gzip, offset) + "label " + std::to_string(bad) + " is negative (" +
                   std::to_string(static_cast<long long>(r.array.value(bad))) + ")");
  }
  return labels;
}

/// An IDX array of `type` and sizes `dims` holding `values`, which must be laid out as
/// idx_matrix lays an array out: dims[0] rows, the product of the other sizes as columns (1 for
/// a one-dimensional array). idx_matrix(make_idx(type, dims, m)) == m when every value fits.
///
/// @throws value_error if the sizes do not fit an IDX header or do not match the matrix, or a
///   value does not fit the type: an integer type takes only whole numbers in its range, float
///   no finite value beyond its range (NaN and infinities go into both floating types).
template <class Scalar>
idx_array make_idx(idx_type type, std::vector<index_t> dims, const matrix<Scalar>& values) {
  namespace idx = detail::idx;
  if (idx_item_size(type) == 0) {
    throw value_error("make_idx: " + std::to_string(static_cast<int>(type)) + " is not an IDX type");
  }
  const std::optional<std::uint64_t> count = idx::check_dims(dims, "make_idx");
  std::uint64_t cols = 1;
  for (std::size_t k = 1; k < dims.size() && count; ++k) cols *= static_cast<std::uint64_t>(dims[k]);
  if (!count || static_cast<index_t>(dims[0]) != values.rows() || cols != static_cast<std::uint64_t>(values.cols())) {
    throw value_error("make_idx: the sizes " + idx::dims_string(dims) + " do not match a " +
                      std::to_string(values.rows()) + " x " + std::to_string(values.cols()) +
                      " matrix (rows: the first size; columns: the product of the others)");
  }
  idx_array a{type, std::move(dims), {}};
  const std::size_t item = idx_item_size(type);
  a.bytes.resize(static_cast<std::size_t>(*count) * item);
  idx::with_value_type(type, [&]<class T>() {
    for (index_t i = 0; i < values.rows(); ++i) {
      for (index_t j = 0; j < values.cols(); ++j) {
        const double v = static_cast<double>(values(i, j));
        unsigned char* out = a.bytes.data() + static_cast<std::size_t>(i * values.cols() + j) * item;
        bool fits = true;
        if constexpr (std::is_integral_v<T>) {
          // NaN fails the first test, infinities the range.
          fits = v == std::floor(v) && v >= static_cast<double>(std::numeric_limits<T>::min()) &&
                 v <= static_cast<double>(std::numeric_limits<T>::max());
          if (fits) idx::store_big_endian(static_cast<T>(v), out);
        } else if constexpr (std::is_same_v<T, float>) {
          fits = !std::isfinite(v) || std::abs(v) <= static_cast<double>(std::numeric_limits<float>::max());
          if (fits) idx::store_big_endian(static_cast<float>(v), out);
        } else {
          idx::store_big_endian(v, out);
        }
        if (!fits) {
          throw value_error("make_idx: the value at row " + std::to_string(i) + ", column " + std::to_string(j) + " (" +
                            std::to_string(v) + ") is not a " + idx::type_name(type) + " value");
        }
      }
    }
  });
  return a;
}

/// Writes `array` as an IDX file, gzipped if options.gzip. Written atomically: readers see the old
/// file or the new one.
/// @throws value_error if the array is inconsistent (an unknown type, no dimension or more than
///   idx_max_dims, a size outside 0..2^32-1, or not exactly as many bytes as its sizes call for)
///   or the compression level is not -1 to 9.
/// @throws io_error naming the file if it cannot be written.
///
/// @code
///   eigenflow::io::idx_array labels{eigenflow::io::idx_type::u8, {3}, {7, 0, 9}};
///   eigenflow::io::write_idx("labels-idx1-ubyte.gz", labels, {.gzip = true});
/// @endcode
inline void write_idx(const std::filesystem::path& path, const idx_array& array, const idx_write_options& options = {}) {
  namespace idx = detail::idx;
  idx::check_array(array, "write_idx " + path.string());
  if (options.level < -1 || options.level > 9) {
    throw value_error("write_idx " + path.string() + ": the compression level is -1 to 9, not " +
                      std::to_string(options.level));
  }
  std::vector<unsigned char> header(4 + 4 * array.dims.size());
  header[2] = static_cast<unsigned char>(array.type);
  header[3] = static_cast<unsigned char>(array.dims.size());
  for (std::size_t k = 0; k < array.dims.size(); ++k) {
    idx::store_big_endian(static_cast<std::uint32_t>(array.dims[k]), header.data() + 4 + 4 * k);
  }
  write_atomically(path, [&](std::ofstream& out) {
    if (!options.gzip) {
      out.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
      out.write(reinterpret_cast<const char*>(array.bytes.data()), static_cast<std::streamsize>(array.bytes.size()));
      return;
    }
    z_stream z{};
    // 16 + MAX_WBITS: a gzip wrapper, as gzip(1) writes it.
    if (deflateInit2(&z, options.level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw io_error(path.string() + ": cannot start zlib's deflate (out of memory?)");
    }
    struct end_deflate {
      z_stream& z;
      ~end_deflate() { deflateEnd(&z); }
    } guard{z};
    std::vector<unsigned char> compressed(idx::chunk_bytes);
    // Feeds [p, p + n) to deflate in chunks, writing what comes out; `flush` for the last chunk.
    auto pump = [&](const unsigned char* p, std::size_t n, int flush) {
      do {
        const std::size_t piece = std::min(n, idx::chunk_bytes);
        z.next_in = const_cast<Bytef*>(p);  // zlib does not write its input; older headers lack the const
        z.avail_in = static_cast<uInt>(piece);
        p += piece;
        n -= piece;
        const int mode = n == 0 ? flush : Z_NO_FLUSH;
        do {
          z.next_out = compressed.data();
          z.avail_out = static_cast<uInt>(compressed.size());
          if (deflate(&z, mode) == Z_STREAM_ERROR) throw io_error(path.string() + ": zlib's deflate failed");
          out.write(reinterpret_cast<const char*>(compressed.data()),
                    static_cast<std::streamsize>(compressed.size() - z.avail_out));
        } while (z.avail_out == 0);
      } while (n > 0);
    };
    pump(header.data(), header.size(), Z_NO_FLUSH);
    pump(array.bytes.data(), array.bytes.size(), Z_FINISH);
  });
}

}  // namespace eigenflow::io
