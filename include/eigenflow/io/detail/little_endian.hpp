// include/eigenflow/io/detail/little_endian.hpp — the one little-endian codec of the file formats
// (.npy, checkpoints): integers and IEEE-754 scalars to and from bytes, whatever the host's byte
// order.
#pragma once

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace eigenflow::io::detail {

/// A type stored as its bits: an integer (two's complement) or a float or double, of 1, 2, 4 or
/// 8 bytes. Not bool: only 0 and 1 are bools, and a file may hold any byte.
template <class T>
concept little_endian_codable = (std::integral<T> || std::floating_point<T>) && !std::same_as<T, bool> &&
                                (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);

/// The unsigned integer of T's size, whose shifts move T's bits.
template <class T>
using little_endian_bits =
    std::conditional_t<sizeof(T) == 1, std::uint8_t,
                       std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                          std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;

/// The T whose little-endian bytes are [bytes, bytes + sizeof(T)).
template <little_endian_codable T>
constexpr T load_little_endian(const unsigned char* bytes) {
  using bits = little_endian_bits<T>;
  bits value = 0;
  for (std::size_t k = 0; k < sizeof(T); ++k) value |= static_cast<bits>(static_cast<bits>(bytes[k]) << (8 * k));
  return std::bit_cast<T>(value);
}

/// Writes `value` little-endian to [bytes, bytes + sizeof(T)).
template <little_endian_codable T>
constexpr void store_little_endian(T value, unsigned char* bytes) {
  const auto bits = std::bit_cast<little_endian_bits<T>>(value);
  for (std::size_t k = 0; k < sizeof(T); ++k) bytes[k] = static_cast<unsigned char>(bits >> (8 * k));
}

}  // namespace eigenflow::io::detail
