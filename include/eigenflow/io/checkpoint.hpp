// include/eigenflow/io/checkpoint.hpp — saving and loading a model's architecture description,
// parameters, free-form metadata and optimizer state, in a versioned binary format with a
// checksum, so that training can stop and resume and a trained model can be evaluated later.
//
// A checkpoint is written atomically (io/atomic_file.hpp): a crash mid-write leaves the previous
// checkpoint intact. Loading checks everything before trusting anything: a foreign, truncated or
// corrupt file, one from a newer eigenflow, or one written for another architecture is an
// io_error with a message that says which; no length read from a file is used to allocate before
// it has been checked against the bytes actually there.
//
// File format, version 1. Every integer is unsigned little-endian unless marked signed; every
// scalar is IEEE-754 binary32 (float) or binary64 (double), little-endian.
//
//   offset  size  field
//        0    16  magic "EIGENFLOW-CKPT\n\0"
//       16     4  format version (u32) = 1
//       20     4  scalar size (u32): 4 = float, 8 = double
//       24     8  file size in bytes (u64), this header and the checksum included
//       32     …  body (below)
//   size-8     8  checksum (u64): CRC-64/XZ of every byte before it
//
//   body     = string architecture
//              u64 n, then n × (string key, string value)             metadata
//              u64 n, then n × (string name, matrix value)            parameters
//              u8 0 (no optimizer state), or u8 1 then
//                string kind, i64 step, u64 n, then n × (string name, matrix value)
//   string   = u64 byte length, then the bytes (UTF-8 by convention, no terminator)
//   matrix   = u64 rows, u64 cols, then rows·cols scalars in column-major order
//
// The magic, version and file size come first so that a foreign file is refused from its first
// bytes (without reading the rest of it) and a truncated one is told apart from a corrupt one.
// CRC-64/XZ is the checksum of xz: it detects every error burst of up to 64 bits, and standard
// tools can recompute it.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/io/atomic_file.hpp"
#include "eigenflow/io/detail/little_endian.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/model.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/optim/optimizer_state.hpp"

namespace eigenflow::io {

/// Free-form key/value pairs saved with a checkpoint, in order (keys are unique).
using checkpoint_metadata = std::vector<std::pair<std::string, std::string>>;

/// Everything a checkpoint file holds, as plain data.
///
/// @tparam Scalar float or double (the file records which; loading checks it).
///
/// @code
///   auto ckpt = io::make_checkpoint(model, {{"iterations", "5000"}, {"test_nll", "2.81"}},
///                                   opt.export_state());
///   io::save_checkpoint("run/model.ckpt", ckpt);
///   // later, in another process, on a model built the same way:
///   const auto loaded = io::load_checkpoint<float>("run/model.ckpt");
///   io::restore_parameters(loaded, model);              // io_error if the architecture differs
///   if (loaded.optimizer) opt.import_state(*loaded.optimizer, model.parameters());
/// @endcode
template <class Scalar>
struct checkpoint {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                "checkpoints hold float or double");

  /// The model's describe(): restoring into a model whose description differs is refused.
  std::string architecture;
  /// Training summary and provenance (iterations, test NLL, data file, standardization, ...).
  checkpoint_metadata metadata;
  /// Name and value of every parameter, in the model's parameter order.
  std::vector<std::pair<std::string, matrix<Scalar>>> parameters;
  /// The optimizer's state, to resume training exactly; absent for an inference-only checkpoint.
  std::optional<optim::optimizer_state<Scalar>> optimizer;
  /// The file it was loaded from (not saved: error messages name it). Empty for a checkpoint
  /// made in memory.
  std::filesystem::path origin;
};

namespace detail {

/// The first 16 bytes of every checkpoint file.
inline constexpr std::array<unsigned char, 16> checkpoint_magic = {
    'E', 'I', 'G', 'E', 'N', 'F', 'L', 'O', 'W', '-', 'C', 'K', 'P', 'T', '\n', '\0'};
/// The format this code writes, and the newest it reads.
inline constexpr std::uint32_t checkpoint_version = 1;
inline constexpr std::size_t checkpoint_header_size = 32;
// Where the header's fields are (the magic is bytes 0-15).
inline constexpr std::size_t checkpoint_version_offset = 16;
inline constexpr std::size_t checkpoint_scalar_size_offset = 20;
inline constexpr std::size_t checkpoint_size_offset = 24;
inline constexpr std::size_t checkpoint_checksum_size = 8;

/// CRC-64/XZ lookup table (reflected ECMA-182 polynomial), computed at compile time.
inline constexpr std::array<std::uint64_t, 256> crc64_table = [] {
  std::array<std::uint64_t, 256> table{};
  for (std::uint64_t byte = 0; byte < 256; ++byte) {
    std::uint64_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xC96C5795D7870F42ULL : crc >> 1;
    table[byte] = crc;
  }
  return table;
}();

/// CRC-64/XZ of `bytes` (check value: crc64("123456789") == 0x995DC9BBDF1939FA).
inline std::uint64_t crc64(std::string_view bytes) {
  std::uint64_t crc = ~std::uint64_t{0};
  for (const char c : bytes) {
    crc = crc64_table[(crc ^ static_cast<unsigned char>(c)) & 0xFF] ^ (crc >> 8);
  }
  return ~crc;
}

/// Appends integers and scalars little-endian, whatever the host's byte order.
class byte_writer {
 public:
  void u8(std::uint8_t v) { put(v); }
  void u32(std::uint32_t v) { put(v); }
  void u64(std::uint64_t v) { put(v); }
  void i64(std::int64_t v) { put(v); }  // two's complement
  void bytes(std::string_view s) { out_.append(s); }
  void string(std::string_view s) {
    u64(s.size());
    bytes(s);
  }

  template <class Scalar>
  void matrix_value(const matrix<Scalar>& m) {
    u64(static_cast<std::uint64_t>(m.rows()));
    u64(static_cast<std::uint64_t>(m.cols()));
    if constexpr (std::endian::native == std::endian::little) {
      // Eigen's storage is column-major and contiguous: already the file's layout.
      out_.append(reinterpret_cast<const char*>(m.data()), static_cast<std::size_t>(m.size()) * sizeof(Scalar));
    } else {
      for (index_t k = 0; k < m.size(); ++k) put(m.data()[k]);
    }
  }

  /// Overwrites 8 bytes at `offset` (the file size, known only at the end).
  void patch_u64(std::size_t offset, std::uint64_t v) {
    store_little_endian(v, reinterpret_cast<unsigned char*>(out_.data() + offset));
  }

  std::size_t size() const { return out_.size(); }
  const std::string& buffer() const { return out_; }
  std::string release() { return std::move(out_); }

 private:
  template <class T>
  void put(T v) {
    unsigned char bytes[sizeof(T)];
    store_little_endian(v, bytes);
    out_.append(reinterpret_cast<const char*>(bytes), sizeof(T));
  }

  std::string out_;
};

/// Reads the body of a checkpoint whose size and checksum are already verified. Every length is
/// checked against the bytes that remain before anything is allocated for it: a checksum only
/// proves the bytes are those the writer wrote, not that the writer was eigenflow.
class byte_reader {
 public:
  byte_reader(std::string_view bytes, std::size_t position, std::string source)
      : bytes_(bytes), position_(position), source_(std::move(source)) {}

  std::uint8_t u8(const char* what) { return take<std::uint8_t>(what); }
  std::uint32_t u32(const char* what) { return take<std::uint32_t>(what); }
  std::uint64_t u64(const char* what) { return take<std::uint64_t>(what); }
  std::int64_t i64(const char* what) { return take<std::int64_t>(what); }  // two's complement

  std::string string(const char* what) {
    const std::size_t at = position_;
    const std::uint64_t length = u64(what);
    if (length > remaining()) {
      fail(std::string(what) + " claims " + std::to_string(length) + " bytes, but only " +
               std::to_string(remaining()) + " remain",
           at);
    }
    std::string s(bytes_.substr(position_, static_cast<std::size_t>(length)));
    position_ += static_cast<std::size_t>(length);
    return s;
  }

  /// A count of entries that take at least `min_entry_size` bytes each.
  std::uint64_t count(const char* what, std::size_t min_entry_size) {
    const std::size_t at = position_;
    const std::uint64_t n = u64(what);
    if (n > remaining() / min_entry_size) {
      fail(std::string(what) + " = " + std::to_string(n) + " cannot fit in the " + std::to_string(remaining()) +
               " bytes that remain",
           at);
    }
    return n;
  }

  template <class Scalar>
  matrix<Scalar> matrix_value(const std::string& what) {
    const std::size_t at = position_;
    const std::uint64_t rows = u64(what.c_str());
    const std::uint64_t cols = u64(what.c_str());
    const std::uint64_t capacity = remaining() / sizeof(Scalar);
    // rows·cols is compared by division: the product of two corrupt sizes may overflow. (The
    // sizes are printed as read: a corrupt one need not fit format_shape's index_t.)
    // Neither size may exceed the file either: an empty 0 x 2^62 matrix has no bytes to check,
    // but every later pass over its columns would take for ever.
    if ((cols != 0 && rows > capacity / cols) || rows > bytes_.size() || cols > bytes_.size()) {
      fail(what + " claims " + std::to_string(rows) + "x" + std::to_string(cols) + " values, but only " +
               std::to_string(remaining()) + " bytes remain",
           at);
    }
    matrix<Scalar> m(static_cast<index_t>(rows), static_cast<index_t>(cols));
    const std::size_t n = static_cast<std::size_t>(m.size());
    if constexpr (std::endian::native == std::endian::little) {
      if (n > 0) std::memcpy(m.data(), bytes_.data() + position_, n * sizeof(Scalar));
      position_ += n * sizeof(Scalar);
    } else {
      for (std::size_t k = 0; k < n; ++k) m.data()[k] = take<Scalar>(what.c_str());
    }
    return m;
  }

  std::size_t position() const { return position_; }
  std::size_t remaining() const { return bytes_.size() - position_; }

  [[noreturn]] void fail(const std::string& message, std::size_t at) const {
    throw io_error(source_ + ": malformed checkpoint: " + message + " (at byte " + std::to_string(at) + ")");
  }

 private:

  template <class T>
  T take(const char* what) {
    if (sizeof(T) > remaining()) {
      fail(std::string("the file ends inside ") + what, position_);
    }
    const T v = load_little_endian<T>(reinterpret_cast<const unsigned char*>(bytes_.data() + position_));
    position_ += sizeof(T);
    return v;
  }

  std::string_view bytes_;
  std::size_t position_;
  std::string source_;
};

/// The little-endian T at `offset` of `bytes` (which the caller has checked holds it).
template <class T>
T read_at(std::string_view bytes, std::size_t offset) {
  return load_little_endian<T>(reinterpret_cast<const unsigned char*>(bytes.data() + offset));
}

template <class Scalar>
constexpr const char* scalar_name() {
  return std::is_same_v<Scalar, float> ? "float" : "double";
}

inline const char* scalar_name(std::uint64_t size) {
  return size == 4 ? "float" : size == 8 ? "double" : "unknown";
}

/// eigenflow::detail::require_finite (value_error naming `what` and its first non-finite entry),
/// with the reason the checkpoint is refused appended.
template <class Scalar>
void require_finite_to_save(const std::string& who, const std::string& what, const matrix<Scalar>& m) {
  try {
    eigenflow::detail::require_finite(who, what, m);
  } catch (const value_error& e) {
    throw value_error(std::string(e.what()) + " (a checkpoint of a diverged model is refused)");
  }
}

/// How error messages name a checkpoint: by its file when it has one.
template <class Scalar>
std::string describe_checkpoint(const checkpoint<Scalar>& ckpt) {
  return ckpt.origin.empty() ? std::string("checkpoint") : "checkpoint " + ckpt.origin.string();
}

using eigenflow::detail::format_shape;  // "RxC", as every message writes a shape

inline std::string source_name(const std::filesystem::path& source) {
  return source.empty() ? std::string("checkpoint") : source.string();
}

/// Checks what the first bytes of a file of `file_size` bytes tell: that it is a checkpoint
/// (magic), of a version this code reads, and neither truncated nor followed by other bytes.
/// `header` is the first min(file_size, checkpoint_header_size) bytes.
inline void check_header(std::string_view header, std::uint64_t file_size, const std::string& name) {
  if (file_size == 0) throw io_error(name + ": the file is empty (truncated at byte 0)");
  const std::size_t compared = std::min(header.size(), checkpoint_magic.size());
  if (std::memcmp(header.data(), checkpoint_magic.data(), compared) != 0) {
    throw io_error(name + ": not an eigenflow checkpoint (its first bytes are not the checkpoint magic)");
  }
  if (file_size < checkpoint_header_size) {
    throw io_error(name + ": truncated at byte " + std::to_string(file_size) + " (the header alone is " +
                   std::to_string(checkpoint_header_size) + " bytes)");
  }
  const std::uint32_t version = read_at<std::uint32_t>(header, checkpoint_version_offset);
  if (version > checkpoint_version) {
    throw io_error(name + ": checkpoint format version " + std::to_string(version) +
                   " is newer than this eigenflow reads (version " + std::to_string(checkpoint_version) +
                   "): load it with a newer eigenflow");
  }
  if (version == 0) throw io_error(name + ": checkpoint format version 0 does not exist (the file is corrupt)");
  const std::uint64_t declared = read_at<std::uint64_t>(header, checkpoint_size_offset);
  if (file_size < declared) {
    throw io_error(name + ": truncated at byte " + std::to_string(file_size) + " (the checkpoint is " +
                   std::to_string(declared) + " bytes)");
  }
  if (file_size > declared) {
    throw io_error(name + ": " + std::to_string(file_size - declared) + " unexpected bytes after the " +
                   std::to_string(declared) + "-byte checkpoint (the file is corrupt)");
  }
  if (file_size < checkpoint_header_size + checkpoint_checksum_size) {
    throw io_error(name + ": declares a size of " + std::to_string(declared) +
                   " bytes, too small for a checkpoint (the file is corrupt)");
  }
}

}  // namespace detail

/// A checkpoint of the parameters `params` of a model described by `architecture` (copies of
/// the values; gradients are not saved).
template <class Parameter, class Scalar = typename Parameter::scalar_type>
checkpoint<Scalar> make_checkpoint(std::string architecture, const nn::basic_parameter_list<Parameter>& params,
                                   checkpoint_metadata metadata = {},
                                   // Not deduced: an optimizer_state argument converts to the optional.
                                   std::type_identity_t<std::optional<optim::optimizer_state<Scalar>>> optimizer =
                                       std::nullopt) {
  checkpoint<Scalar> ckpt;
  ckpt.architecture = std::move(architecture);
  ckpt.metadata = std::move(metadata);
  ckpt.parameters.reserve(params.size());
  for (const nn::parameter<Scalar>* p : params) ckpt.parameters.emplace_back(p->name, p->value);
  ckpt.optimizer = std::move(optimizer);
  return ckpt;
}

/// make_checkpoint(model.describe(), model.parameters(), ...) for any density model (model.hpp).
template <density_model Model>
checkpoint<model_scalar_t<Model>> make_checkpoint(
    const Model& model, checkpoint_metadata metadata = {},
    std::optional<optim::optimizer_state<model_scalar_t<Model>>> optimizer = std::nullopt) {
  return make_checkpoint(model.describe(), model.parameters(), std::move(metadata), std::move(optimizer));
}

/// The file contents for `ckpt` (what save_checkpoint writes). Throws value_error for a
/// non-finite parameter or optimizer tensor (naming it) and for a repeated metadata key.
template <class Scalar>
std::string encode_checkpoint(const checkpoint<Scalar>& ckpt) {
  const std::string who = "save_checkpoint";
  // All checks before any byte is produced: a refused checkpoint never reaches the disk.
  for (std::size_t i = 0; i < ckpt.metadata.size(); ++i) {
    for (std::size_t k = 0; k < i; ++k) {
      if (ckpt.metadata[k].first == ckpt.metadata[i].first) {
        throw value_error(who + ": metadata key '" + ckpt.metadata[i].first + "' appears twice");
      }
    }
  }
  for (std::size_t i = 0; i < ckpt.parameters.size(); ++i) {
    const auto& [name, value] = ckpt.parameters[i];
    detail::require_finite_to_save(who, "parameter '" + name + "' (#" + std::to_string(i) + ")", value);
  }
  if (ckpt.optimizer) {
    for (const auto& [name, value] : ckpt.optimizer->tensors) {
      detail::require_finite_to_save(who, "optimizer tensor '" + name + "'", value);
    }
  }

  detail::byte_writer out;
  out.bytes(std::string_view(reinterpret_cast<const char*>(detail::checkpoint_magic.data()),
                             detail::checkpoint_magic.size()));
  out.u32(detail::checkpoint_version);
  out.u32(static_cast<std::uint32_t>(sizeof(Scalar)));
  out.u64(0);  // file size, patched below
  out.string(ckpt.architecture);
  out.u64(ckpt.metadata.size());
  for (const auto& [key, value] : ckpt.metadata) {
    out.string(key);
    out.string(value);
  }
  out.u64(ckpt.parameters.size());
  for (const auto& [name, value] : ckpt.parameters) {
    out.string(name);
    out.matrix_value(value);
  }
  out.u8(ckpt.optimizer ? 1 : 0);
  if (ckpt.optimizer) {
    out.string(ckpt.optimizer->kind);
    out.i64(ckpt.optimizer->step);
    out.u64(ckpt.optimizer->tensors.size());
    for (const auto& [name, value] : ckpt.optimizer->tensors) {
      out.string(name);
      out.matrix_value(value);
    }
  }
  out.patch_u64(detail::checkpoint_size_offset, out.size() + detail::checkpoint_checksum_size);
  out.u64(detail::crc64(out.buffer()));
  return out.release();
}

/// Parses file contents written by encode_checkpoint; `source` names the file in messages (and
/// becomes the checkpoint's origin). Throws io_error for a foreign, truncated or corrupt file, a
/// newer format version, or a file of the other scalar type.
template <class Scalar>
checkpoint<Scalar> decode_checkpoint(std::string_view bytes, const std::filesystem::path& source = {}) {
  namespace d = detail;
  const std::string name = d::source_name(source);
  const std::size_t size = bytes.size();
  d::check_header(bytes.substr(0, std::min(size, d::checkpoint_header_size)), size, name);
  const std::size_t checksum_at = size - d::checkpoint_checksum_size;
  if (d::crc64(bytes.substr(0, checksum_at)) != d::read_at<std::uint64_t>(bytes, checksum_at)) {
    throw io_error(name + ": checksum mismatch: the file is corrupt");
  }
  const std::uint32_t scalar_size = d::read_at<std::uint32_t>(bytes, d::checkpoint_scalar_size_offset);
  if (scalar_size != sizeof(Scalar)) {
    throw io_error(name + ": the checkpoint holds " + d::scalar_name(scalar_size) + " values (scalar size " +
                   std::to_string(scalar_size) + "), but is loaded as " + d::scalar_name<Scalar>() +
                   (scalar_size == 4 || scalar_size == 8 ? std::string(": load it with load_checkpoint<") +
                                                               d::scalar_name(scalar_size) + ">"
                                                         : std::string()));
  }

  // From here the bytes are those a writer produced; a malformed body means a foreign writer.
  d::byte_reader in(bytes.substr(0, checksum_at), d::checkpoint_header_size, name);
  checkpoint<Scalar> ckpt;
  ckpt.origin = source;
  ckpt.architecture = in.string("the architecture");
  const std::uint64_t metadata_count = in.count("the metadata count", 16);
  std::unordered_set<std::string> metadata_keys;  // a writer never repeats a key (encode refuses to)
  for (std::uint64_t k = 0; k < metadata_count; ++k) {
    const std::size_t key_at = in.position();
    std::string key = in.string("a metadata key");
    if (!metadata_keys.insert(key).second) in.fail("metadata key '" + key + "' appears twice", key_at);
    std::string value = in.string("a metadata value");
    ckpt.metadata.emplace_back(std::move(key), std::move(value));
  }
  const std::uint64_t parameter_count = in.count("the parameter count", 24);
  for (std::uint64_t k = 0; k < parameter_count; ++k) {
    std::string parameter_name = in.string("a parameter name");
    matrix<Scalar> value = in.template matrix_value<Scalar>("parameter '" + parameter_name + "'");
    if (!value.allFinite()) in.fail("parameter '" + parameter_name + "' holds non-finite values", in.position());
    ckpt.parameters.emplace_back(std::move(parameter_name), std::move(value));
  }
  const std::size_t flag_at = in.position();
  const std::uint8_t has_optimizer = in.u8("the optimizer flag");
  if (has_optimizer > 1) in.fail("optimizer flag " + std::to_string(has_optimizer) + " is neither 0 nor 1", flag_at);
  if (has_optimizer == 1) {
    optim::optimizer_state<Scalar> state;
    state.kind = in.string("the optimizer kind");
    state.step = in.i64("the optimizer step");
    const std::uint64_t tensor_count = in.count("the optimizer tensor count", 24);
    for (std::uint64_t k = 0; k < tensor_count; ++k) {
      std::string tensor_name = in.string("an optimizer tensor name");
      matrix<Scalar> value = in.template matrix_value<Scalar>("optimizer tensor '" + tensor_name + "'");
      if (!value.allFinite()) in.fail("optimizer tensor '" + tensor_name + "' holds non-finite values", in.position());
      state.tensors.emplace_back(std::move(tensor_name), std::move(value));
    }
    ckpt.optimizer = std::move(state);
  }
  if (in.remaining() != 0) {
    in.fail(std::to_string(in.remaining()) + " bytes after the last field", in.position());
  }
  return ckpt;
}

/// Writes `ckpt` to `path` atomically: readers see the previous file or the new one, never a
/// part of it. Throws value_error (before touching the disk) for a non-finite parameter or
/// optimizer tensor or a repeated metadata key, io_error if the file cannot be written.
template <class Scalar>
void save_checkpoint(const std::filesystem::path& path, const checkpoint<Scalar>& ckpt) {
  const std::string bytes = encode_checkpoint(ckpt);
  write_atomically(path, [&](std::ofstream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

/// Reads the checkpoint at `path`, which must hold Scalar values. Throws io_error if the file
/// cannot be read, is not a checkpoint, is truncated or corrupt, or has a newer format version.
/// A foreign file is refused from its header, without reading the rest of it.
template <class Scalar>
checkpoint<Scalar> load_checkpoint(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw io_error(path.string() + ": cannot open: no such file");
  if (!fs::is_regular_file(status)) throw io_error(path.string() + ": cannot open: not a regular file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw io_error(path.string() + ": cannot read its size: " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(path.string() + ": cannot open for reading");

  auto read = [&](std::string& buffer, std::size_t from, std::size_t to) {
    buffer.resize(to);
    in.read(buffer.data() + from, static_cast<std::streamsize>(to - from));
    if (static_cast<std::size_t>(in.gcount()) != to - from) {
      throw io_error(path.string() + ": read failed at byte " +
                     std::to_string(from + static_cast<std::size_t>(in.gcount())));
    }
  };
  // The header first: the rest is read only once the header says it is a whole checkpoint of
  // this version, so a large foreign file is refused without reading it.
  std::string bytes;
  read(bytes, 0, static_cast<std::size_t>(std::min<std::uintmax_t>(size, detail::checkpoint_header_size)));
  detail::check_header(bytes, size, path.string());
  read(bytes, bytes.size(), static_cast<std::size_t>(size));
  return decode_checkpoint<Scalar>(std::string_view(bytes), path);
}

/// Copies the checkpoint's parameter values into `params`, the parameters of a model described
/// by `expected_architecture`. Checks first that the architecture is the same, then the number,
/// names and shapes of the parameters, and only then assigns: on a throw (io_error naming the
/// first mismatch) the model is unchanged. Gradients are left as they are.
template <class Scalar>
void restore_parameters(const checkpoint<Scalar>& ckpt, const std::string& expected_architecture,
                        const nn::parameter_list<Scalar>& params) {
  const std::string source = detail::describe_checkpoint(ckpt);
  if (ckpt.architecture != expected_architecture) {
    throw io_error(source + " was written for architecture '" + ckpt.architecture + "', the model is '" +
                   expected_architecture + "'");
  }
  const std::size_t common = std::min(ckpt.parameters.size(), params.size());
  for (std::size_t i = 0; i < common; ++i) {
    const auto& [name, value] = ckpt.parameters[i];
    const nn::parameter<Scalar>& p = params[i];
    if (name != p.name) {
      throw io_error(source + ": parameter #" + std::to_string(i) + " is '" + name + "', the model's is '" + p.name +
                     "'");
    }
    if (value.rows() != p.value.rows() || value.cols() != p.value.cols()) {
      throw io_error(source + ": parameter '" + name + "' (#" + std::to_string(i) + ") is " +
                     detail::format_shape(value.rows(), value.cols()) + ", the model's is " +
                     detail::format_shape(p.value.rows(), p.value.cols()));
    }
  }
  if (ckpt.parameters.size() != params.size()) {
    const bool extra = ckpt.parameters.size() > params.size();
    const std::string& first = extra ? ckpt.parameters[common].first : params[common].name;
    throw io_error(source + " holds " + std::to_string(ckpt.parameters.size()) + " parameters, the model has " +
                   std::to_string(params.size()) + " (the first " + (extra ? "extra" : "missing") + " one is '" +
                   first + "')");
  }
  for (std::size_t i = 0; i < params.size(); ++i) params[i].value = ckpt.parameters[i].second;
}

/// restore_parameters(ckpt, model.describe(), model.parameters()).
template <class Scalar, density_model Model>
  requires std::same_as<model_scalar_t<Model>, Scalar>
void restore_parameters(const checkpoint<Scalar>& ckpt, Model& model) {
  restore_parameters<Scalar>(ckpt, model.describe(), model.parameters());
}

/// The metadata value for `key`, or nullopt.
template <class Scalar>
std::optional<std::string> find_metadata(const checkpoint<Scalar>& ckpt, std::string_view key) {
  for (const auto& [k, v] : ckpt.metadata) {
    if (k == key) return v;
  }
  return std::nullopt;
}

/// The metadata value for `key`; io_error naming the key (and the keys there are) if absent.
template <class Scalar>
std::string metadata_value(const checkpoint<Scalar>& ckpt, std::string_view key) {
  if (std::optional<std::string> value = find_metadata(ckpt, key)) return *value;
  std::string keys;
  for (const auto& entry : ckpt.metadata) keys += (keys.empty() ? "" : ", ") + entry.first;
  throw io_error(detail::describe_checkpoint(ckpt) + " has no metadata '" + std::string(key) + "' (it has: " +
                 (keys.empty() ? std::string("none") : keys) + ")");
}

}  // namespace eigenflow::io
