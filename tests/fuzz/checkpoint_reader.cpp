// tests/fuzz/checkpoint_reader.cpp — libFuzzer harness: arbitrary bytes through io::decode_checkpoint,
// as float and as double.
//
// A CRC-64 guards the body, so random mutations would almost never get past it. Each input is
// therefore decoded twice: as it is (the header and checksum checks), and "repaired" — the magic,
// the declared size and the trailing checksum rewritten to fit — so the body parser sees every
// mutation. A checkpoint that decodes must encode back to the same bytes.
//
// Accepted outcomes: a checkpoint, or the io_error decode_checkpoint documents. Anything else is a finding: a sanitizer report, a leak, an abort
// from a broken invariant, or any other exception (std::bad_alloc, std::length_error, ...), which
// escapes LLVMFuzzerTestOneInput and ends in std::terminate.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "eigenflow/error.hpp"
#include "eigenflow/io/checkpoint.hpp"
#include "fuzz_support.hpp"

namespace {

namespace io = eigenflow::io;
using eigenflow_fuzz::require;

template <class Scalar>
void decode(std::string_view bytes) {
  io::checkpoint<Scalar> ckpt;
  try {
    ckpt = io::decode_checkpoint<Scalar>(bytes, "fuzz.ckpt");
  } catch (const eigenflow::error&) {
    return;  // documented: a foreign, truncated or corrupt checkpoint is an io_error
  }
  require(ckpt.origin == "fuzz.ckpt", "decode_checkpoint did not record the origin");
  // Decode accepts only what encode writes: an encode that throws here escapes as a finding.
  const std::string encoded = io::encode_checkpoint(ckpt);
  require(encoded == bytes, "encode_checkpoint(decode_checkpoint(bytes)) != bytes");
}

/// `bytes` with the magic, the declared file size and the checksum made consistent.
std::string repaired(std::string_view bytes) {
  namespace d = io::detail;
  std::string out(bytes);
  if (out.size() < d::checkpoint_header_size + d::checkpoint_checksum_size) return out;
  std::memcpy(out.data(), d::checkpoint_magic.data(), d::checkpoint_magic.size());
  d::store_little_endian(static_cast<std::uint64_t>(out.size()),
                         reinterpret_cast<unsigned char*>(out.data() + d::checkpoint_size_offset));
  const std::size_t checksum_at = out.size() - d::checkpoint_checksum_size;
  d::store_little_endian(d::crc64(std::string_view(out).substr(0, checksum_at)),
                         reinterpret_cast<unsigned char*>(out.data() + checksum_at));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  decode<float>(raw);
  decode<double>(raw);
  const std::string fixed = repaired(raw);
  if (fixed != raw) {
    decode<float>(fixed);
    decode<double>(fixed);
  }
  return 0;
}
