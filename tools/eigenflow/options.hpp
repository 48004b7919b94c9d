// tools/eigenflow/options.hpp — strict readers for the command line's numbers. CLI11 reads
// integers with strtoll (a leading 0 means octal, an overflow silently becomes LONG_MAX, "-1"
// becomes 2^64 − 1 in an unsigned option) and accepts "nan" as a number; these validators run
// first and let through only what the user plainly meant, or end the parse with a message that
// says what was expected (exit code 2, as every command line mistake).
#pragma once

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <system_error>

namespace eigenflow::cli {

/// The most worker threads an option accepts (far beyond any machine's cores; a team the system
/// cannot start is refused when it starts).
inline constexpr long long max_threads = 4096;

/// A whole number in [min, max], written in decimal: an optional sign and digits, leading zeros
/// read as decimal ("010" is ten). Rewrites the text to its plain decimal form for CLI11.
inline CLI::Validator whole_number(long long min, long long max = std::numeric_limits<long long>::max()) {
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        const std::string expected = "expected a whole number in " + range + ", got '" + text + "'";
        std::size_t start = !text.empty() && (text[0] == '+' || text[0] == '-') ? 1 : 0;
        if (start == text.size() || text.find_first_not_of("0123456789", start) != std::string::npos) return expected;
        const bool negative = text[0] == '-';
        while (start + 1 < text.size() && text[start] == '0') ++start;  // decimal, not octal
        const std::string digits = (negative ? "-" : "") + text.substr(start);
        long long value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc{} || end != digits.data() + digits.size() || value < min || value > max) return expected;
        text = std::to_string(value);
        return {};
      },
      "INT in " + range);
}

/// A finite number between low and high, each end included or not (the message says which).
inline CLI::Validator finite_number(double low, bool low_included, double high = std::numeric_limits<double>::infinity(),
                                    bool high_included = false) {
  const auto bound = [](double v) { return std::isinf(v) ? std::string(v < 0 ? "-inf" : "inf") : CLI::detail::to_string(v); };
  const std::string range = (low_included ? "[" : "(") + bound(low) + ", " + bound(high) + (high_included ? "]" : ")");
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double value = 0;
        // from_chars takes no '+', so one is skipped; what follows must then be unsigned ("+-0" is no number).
        const bool plus = !text.empty() && text[0] == '+';
        if (plus && text.size() > 1 && (text[1] == '-' || text[1] == '+')) return "expected a finite number in " + range + ", got '" + text + "'";
        const char* first = text.data() + (plus ? 1 : 0);
        const auto [end, ec] = std::from_chars(first, text.data() + text.size(), value);
        const bool inside = (low_included ? value >= low : value > low) && (high_included ? value <= high : value < high);
        if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) || !inside) {
          return "expected a finite number in " + range + ", got '" + text + "'";
        }
        return {};
      },
      "NUMBER in " + range);
}

}  // namespace eigenflow::cli
