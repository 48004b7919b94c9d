// include/eigenflow/enum_names.hpp — one table of names per enum, from which its to_string, its
// parser, its "unknown name" message and the help text's list of choices all come, so that a new
// value or a renamed one is written once.
//
// @code
//   inline constexpr auto colour_names = std::to_array<enum_name<colour>>({
//       {colour::red, "red"}, {colour::green, "green"}, {colour::green, "verde"}});  // an alias
//   name_of(colour_names, colour::green);            // "green"
//   parse_enum(colour_names, "verde", "colour");     // colour::green
//   parse_enum(colour_names, "blue", "colour");      // value_error "unknown colour 'blue' (known: red, green)"
//   known_names(colour_names);                       // "red, green"
// @endcode
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "eigenflow/error.hpp"

namespace eigenflow {

/// One row of an enum's name table.
template <class Enum>
struct enum_name {
  /// The enumerator.
  Enum value;
  /// Its name (or an alias of it, in a later row).
  std::string_view name;
};

/// A value's name: the first one the table gives it (later rows for the same value are aliases,
/// accepted by parse_enum but never written). Throws value_error for a value the table lacks,
/// which only a cast can produce.
template <class Enum, std::size_t N>
constexpr std::string_view name_of(const std::array<enum_name<Enum>, N>& table, Enum value) {
  for (const enum_name<Enum>& entry : table) {
    if (entry.value == value) return entry.name;
  }
  throw value_error("name_of: enum value " + std::to_string(static_cast<long long>(value)) +
                    " has no name (not a value of its enum)");
}

/// "a, b, c": every value's name, in table order, aliases left out (for messages and help text).
template <class Enum, std::size_t N>
std::string known_names(const std::array<enum_name<Enum>, N>& table) {
  std::string names;
  for (std::size_t k = 0; k < N; ++k) {
    if (name_of(table, table[k].value) != table[k].name) continue;  // an alias
    if (!names.empty()) names += ", ";
    names += table[k].name;
  }
  return names;
}

/// The value named `text` (exactly, aliases included). Throws value_error
/// "unknown <what> '<text>' (known: a, b, c)" for any other text.
template <class Enum, std::size_t N>
Enum parse_enum(const std::array<enum_name<Enum>, N>& table, std::string_view text, std::string_view what) {
  for (const enum_name<Enum>& entry : table) {
    if (entry.name == text) return entry.value;
  }
  throw value_error("unknown " + std::string(what) + " '" + std::string(text) + "' (known: " + known_names(table) +
                    ")");
}

}  // namespace eigenflow
