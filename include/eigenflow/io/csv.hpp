// include/eigenflow/io/csv.hpp — reading a table of numbers (and optionally integer class labels)
// from a CSV file into a matrix, and writing a matrix back.
//
// CSV is what most users' data arrives in, so the reader is forgiving about layout and strict
// about values. Forgiving: blank lines are skipped, "\r\n" endings and a UTF-8 byte-order mark
// are accepted, spaces around fields are trimmed, fields may be quoted ("a, b" with "" for a
// quote; a quoted field does not span lines), and only the chosen columns are parsed, so an id or
// a text column can sit beside the numbers. Strict: every row has as many fields as the first
// line, every chosen field is a finite number (a flow cannot train on NaN or infinity), every
// label a non-negative integer; the first offending field is reported with its line and column.
//
// Numbering: options select columns by 0-based index (negative ones count from the end, as in
// Python); messages give 1-based line and column numbers, as an editor shows them.
#pragma once

#include <Eigen/Core>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/io/atomic_file.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::io {

/// Whether the first non-blank line of a CSV file holds column names.
enum class csv_header {
  automatic,  ///< a header if one of its fields is not a number
  /// The first non-blank line is a header.
  present,
  /// Every line is data.
  absent,
};

/// How read_csv reads a file.
struct csv_options {
  /// Whether the file starts with a header line.
  csv_header header = csv_header::automatic;
  /// Field separator (not a quote or a line break); spaces and tabs around fields are trimmed unless it is one.
  char delimiter = ',';
  /// The value columns, by 0-based index (negative: from the end). Empty: every column but the
  /// label column.
  std::vector<index_t> columns{};
  /// The column of integer class labels, if any; negative counts from the end (-1: the last).
  std::optional<index_t> label_column{};
  /// Whether "inf" and "-inf" are read as ±infinity: for results such as the log-densities
  /// write_csv writes with csv_write_options::infinities, never for training data. NaN is refused
  /// either way.
  bool infinities = false;
};

/// How write_csv writes a file.
struct csv_write_options {
  /// Whether ±infinity may be written (as "inf" and "-inf"): for results such as a log-density,
  /// where -inf is a legitimate value, not for data read_csv must read back (it refuses them).
  /// NaN is refused either way.
  bool infinities = false;
};

/// What read_csv returns.
///
/// @tparam Scalar float or double.
template <class Scalar>
struct csv_table {
  matrix<Scalar> values;                  ///< one row per data line, one column per chosen column
  std::vector<index_t> labels;            ///< one per data line, if a label column was chosen
  std::vector<std::string> column_names;  ///< the header's names of the chosen columns, if a header
};

namespace detail::csv {

[[noreturn]] inline void fail(const std::filesystem::path& path, const std::string& what) {
  throw io_error(path.string() + ": " + what);
}

// Spaces and tabs around fields are trimmed, unless the delimiter is one of them.
inline bool is_space(char c, char delimiter) { return (c == ' ' || c == '\t') && c != delimiter; }

inline bool is_blank(std::string_view line, char delimiter) {
  for (char c : line) {
    if (!is_space(c, delimiter)) return false;
  }
  return true;
}

/// "line 3, column 2" or, with a header, "line 3, column 2 ('y')".
inline std::string where(std::size_t line, std::size_t column, const std::vector<std::string>& names) {
  std::string s = "line " + std::to_string(line) + ", column " + std::to_string(column + 1);
  if (column < names.size()) s += " ('" + names[column] + "')";
  return s;
}

/// Splits one line into trimmed fields (reusing the strings of `fields`). A field that starts
/// with a quote runs to the closing quote, "" inside it standing for one quote.
inline void split(const std::filesystem::path& path, std::string_view line, std::size_t line_number, char delimiter,
                  std::vector<std::string>& fields, std::size_t& count) {
  count = 0;
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (true) {
    if (count == fields.size()) fields.emplace_back();
    std::string& field = fields[count];
    field.clear();
    while (i < n && is_space(line[i], delimiter)) ++i;
    if (i < n && line[i] == '"') {
      bool closed = false;
      for (++i; i < n; ++i) {
        if (line[i] != '"') {
          field += line[i];
        } else if (i + 1 < n && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          closed = true;
          ++i;
          break;
        }
      }
      const std::string at = "line " + std::to_string(line_number) + ", column " + std::to_string(count + 1);
      if (!closed) fail(path, at + ": unterminated quoted field (a quoted field cannot span lines)");
      while (i < n && is_space(line[i], delimiter)) ++i;
      if (i < n && line[i] != delimiter) fail(path, at + ": unexpected text after the closing quote");
    } else {
      const std::size_t start = i;
      while (i < n && line[i] != delimiter) ++i;
      std::size_t stop = i;
      while (stop > start && is_space(line[stop - 1], delimiter)) --stop;
      field.assign(line.substr(start, stop - start));
    }
    ++count;
    if (i >= n) return;
    ++i;  // the delimiter
  }
}

enum class parse_status { ok, not_a_number, out_of_range };

/// Parses all of `text` as a Scalar (std::from_chars: locale-independent, correctly rounded). A
/// leading '+' is accepted, as strtod accepts it.
template <class Scalar>
parse_status parse_number(std::string_view text, Scalar& out) {
  if (text.size() > 1 && text[0] == '+' && text[1] != '-' && text[1] != '+') text.remove_prefix(1);
  if (text.empty()) return parse_status::not_a_number;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec == std::errc::result_out_of_range && end == text.data() + text.size()) return parse_status::out_of_range;
  if (ec != std::errc{} || end != text.data() + text.size()) return parse_status::not_a_number;
  return parse_status::ok;
}

/// The 0-based index of `requested` (negative: from the end) among `count` fields.
inline std::size_t resolve_column(const std::filesystem::path& path, const std::string& what, index_t requested,
                                  std::size_t count, std::size_t line) {
  const auto size = static_cast<index_t>(count);
  const index_t index = requested < 0 ? requested + size : requested;
  if (index < 0 || index >= size) {
    fail(path, what + " index " + std::to_string(requested) + " is out of range: line " + std::to_string(line) +
                   " has " + std::to_string(count) + " fields (indices 0 to " + std::to_string(size - 1) + ", or -" +
                   std::to_string(size) + " to -1 from the end)");
  }
  return static_cast<std::size_t>(index);
}

/// Quotes a header name if the reader would otherwise split or trim it.
inline std::string quote_if_needed(const std::string& name) {
  const bool needs =
      name.find_first_of(",\"") != std::string::npos ||
      (!name.empty() && (name.front() == ' ' || name.front() == '\t' || name.back() == ' ' || name.back() == '\t'));
  if (!needs) return name;
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + '"';
}

}  // namespace detail::csv

/// Reads the chosen columns of a CSV file block by block: a file larger than memory is read a
/// few rows at a time (read_csv reads it whole). The first non-blank line is read on
/// construction, so the columns and their names are known before any row.
///
/// @code
///   eigenflow::io::csv_reader<float> reader("big.csv", {.label_column = -1});
///   while (true) {
///     auto block = reader.read(65536);  // up to 65536 rows, none once the file is done
///     if (block.values.rows() == 0) break;
///     // block.values, block.labels; reader.rows_read() rows so far
///   }
/// @endcode
///
/// @tparam Scalar float or double.
template <class Scalar>
class csv_reader {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>, "csv_reader reads float or double");

 public:
  /// Opens `path` and reads up to its first non-blank line.
  /// @throws value_error if the delimiter is a quote or a line break.
  /// @throws io_error naming the file if it is missing, unreadable or empty, or a chosen column
  ///   is out of range of the first line.
  explicit csv_reader(std::filesystem::path path, csv_options options = {})
      : path_(std::move(path)), options_(std::move(options)) {
    namespace csv = detail::csv;
    const char delimiter = options_.delimiter;
    if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
      throw value_error(path_.string() + ": the delimiter cannot be a quote or a line break");
    }
    std::error_code ec;
    const auto status = std::filesystem::status(path_, ec);
    if (!std::filesystem::exists(status)) csv::fail(path_, "no such file");
    if (std::filesystem::is_directory(status)) csv::fail(path_, "is a directory, not a file");
    in_.open(path_, std::ios::binary);  // binary: "\r\n" is handled below, the same on every platform
    if (!in_) csv::fail(path_, "cannot open the file for reading");
    if (!next_line()) {
      if (in_.bad()) csv::fail(path_, "read error");
      csv::fail(path_, "the file is empty (no data rows)");
    }
    first_line_ = line_number_;
    field_count_ = pending_count_;
    if (options_.label_column) {
      label_column_ = csv::resolve_column(path_, "label column", *options_.label_column, field_count_, line_number_);
    }
    for (index_t c : options_.columns)
      value_columns_.push_back(csv::resolve_column(path_, "column", c, field_count_, line_number_));
    if (options_.columns.empty()) {
      for (std::size_t c = 0; c < field_count_; ++c) {
        if (c != label_column_) value_columns_.push_back(c);
      }
    }
    if (value_columns_.empty()) csv::fail(path_, "no value columns: the label column is the only column");

    bool header = options_.header == csv_header::present;
    if (options_.header == csv_header::automatic) {
      for (std::size_t c = 0; c < field_count_ && !header; ++c) {
        Scalar ignored{};
        header = !fields_[c].empty() && csv::parse_number(fields_[c], ignored) == csv::parse_status::not_a_number;
      }
    }
    if (header) {
      header_names_.assign(fields_.begin(), fields_.begin() + static_cast<std::ptrdiff_t>(field_count_));
      for (std::size_t c : value_columns_) column_names_.push_back(header_names_[c]);
      pending_ = false;
    }
  }

  /// The header's names of the chosen columns; empty if the file has no header.
  const std::vector<std::string>& column_names() const { return column_names_; }
  /// The number of chosen value columns.
  index_t columns() const { return static_cast<index_t>(value_columns_.size()); }
  /// The data rows read so far.
  index_t rows_read() const { return rows_; }

  /// The next data rows, at most `max_rows` (at least 1): fewer at the end of the file, none
  /// after it. Each block's column_names are the reader's.
  /// @throws value_error if max_rows < 1.
  /// @throws io_error naming the file, line and column at the first malformed row, or if the
  ///   file holds no data rows at all.
  csv_table<Scalar> read(index_t max_rows) {
    namespace csv = detail::csv;
    if (max_rows < 1) throw value_error(path_.string() + ": csv_reader::read needs max_rows >= 1");
    csv_table<Scalar> block;
    block.column_names = column_names_;
    std::vector<Scalar> values;  // row-major, as the lines come
    index_t rows = 0;
    while (rows < max_rows && (pending_ || next_line())) {
      pending_ = false;
      if (pending_count_ != field_count_) {
        csv::fail(path_, "line " + std::to_string(line_number_) + " has " + std::to_string(pending_count_) +
                             (pending_count_ == 1 ? " field" : " fields") + ", expected " + std::to_string(field_count_) +
                             " (as on line " + std::to_string(first_line_) + ")");
      }
      parse_row(values, block.labels);
      ++rows;
    }
    if (in_.bad()) csv::fail(path_, "read error");
    rows_ += rows;
    if (rows_ == 0) csv::fail(path_, "no data rows (only a header, on line " + std::to_string(first_line_) + ")");
    using row_major = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    block.values = Eigen::Map<const row_major>(values.data(), rows, columns());
    return block;
  }

 private:
  // Reads up to the next non-blank line and splits it into fields_; false at the end of the file.
  bool next_line() {
    namespace csv = detail::csv;
    while (std::getline(in_, line_)) {
      ++line_number_;
      if (line_number_ == 1 && line_.starts_with("\xEF\xBB\xBF")) line_.erase(0, 3);  // a UTF-8 byte-order mark
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      if (csv::is_blank(line_, options_.delimiter)) continue;
      pending_count_ = 0;
      csv::split(path_, line_, line_number_, options_.delimiter, fields_, pending_count_);
      return true;
    }
    return false;
  }

  void parse_row(std::vector<Scalar>& values, std::vector<index_t>& labels) const {
    namespace csv = detail::csv;
    for (std::size_t c : value_columns_) {
      Scalar value{};
      const std::string& text = fields_[c];
      const std::string at = csv::where(line_number_, c, header_names_);
      if (text.empty()) csv::fail(path_, at + ": empty field, expected a number");
      switch (csv::parse_number(text, value)) {
        case csv::parse_status::ok:
          break;
        case csv::parse_status::not_a_number:
          csv::fail(path_, at + ": '" + text + "' is not a number");
        case csv::parse_status::out_of_range:
          csv::fail(path_, at + ": '" + text + "' is out of range for " +
                               (std::is_same_v<Scalar, float> ? "float" : "double"));
      }
      if (!std::isfinite(value) && !(options_.infinities && std::isinf(value))) {
        csv::fail(path_, at + ": '" + text + "' is not finite (a flow cannot train on NaN or infinity)");
      }
      values.push_back(value);
    }
    if (label_column_) {
      const std::string& text = fields_[*label_column_];
      index_t label = -1;
      const auto [end, parse_error] = std::from_chars(text.data(), text.data() + text.size(), label);
      if (text.empty() || parse_error != std::errc{} || end != text.data() + text.size() || label < 0) {
        csv::fail(path_, csv::where(line_number_, *label_column_, header_names_) + ": label '" + text +
                             "' is not a non-negative integer");
      }
      labels.push_back(label);
    }
  }

  std::filesystem::path path_;
  csv_options options_;
  std::ifstream in_;
  std::string line_;
  std::vector<std::string> fields_;        // the current line's fields (split reuses them)
  std::size_t pending_count_ = 0;          // how many of fields_ the current line filled
  bool pending_ = true;                    // the current line is a data row not yet returned
  std::size_t line_number_ = 0;
  std::size_t first_line_ = 0;
  std::size_t field_count_ = 0;
  std::vector<std::string> header_names_;  // every column's name, for messages
  std::vector<std::string> column_names_;
  std::vector<std::size_t> value_columns_;
  std::optional<std::size_t> label_column_;
  index_t rows_ = 0;
};

/// Reads the chosen columns of a CSV file into a matrix, with optional integer labels.
///
/// @tparam Scalar float or double.
/// @throws value_error if the delimiter is a quote or a line break.
/// @throws io_error naming the file — and the 1-based line and column where one applies — if it
///   is missing or unreadable, has no data rows, a row with a different number of fields than
///   the first line, a chosen column out of range, a chosen field that is not a finite number
///   (±inf is read with options.infinities), or a label that is not a non-negative integer.
///
/// @code
///   // x0,x1,class
///   // 0.5,-1.25,2
///   auto table = eigenflow::io::read_csv<float>("data.csv", {.label_column = -1});
///   // table.values: N x 2, table.labels: N class ids, table.column_names: {"x0", "x1"}
/// @endcode
template <class Scalar>
csv_table<Scalar> read_csv(const std::filesystem::path& path, const csv_options& options = {}) {
  return csv_reader<Scalar>(path, options).read(std::numeric_limits<index_t>::max());
}

/// Writes `values` as CSV: one line per row, fields separated by ',', each value in the shortest
/// form that reads back to the same bits (std::to_chars), after a header line if `column_names`
/// are given (quoted where needed). Written atomically: readers see the old file or the new one,
/// and nothing is written if a check fails.
///
/// read_csv reads the file back exactly. Column names that all look like numbers are taken for
/// data by csv_header::automatic: read such a file with csv_header::present.
///
/// @tparam Scalar float or double.
/// @throws shape_error if `column_names` is neither empty nor one name per column, or the matrix
///   has no columns.
/// @throws value_error if a value is NaN, or infinite without options.infinities (read_csv would
///   reject the file), naming its 0-based row and column, or a column name contains a line break.
/// @throws io_error naming the file if it cannot be written.
template <class Scalar>
void write_csv(const std::filesystem::path& path, const matrix<Scalar>& values,
               const std::vector<std::string>& column_names = {}, const csv_write_options& options = {}) {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>, "write_csv writes float or double");
  namespace csv = detail::csv;
  if (values.cols() == 0)
    throw shape_error(path.string() + ": a CSV file needs at least one column, the matrix has none");
  if (!column_names.empty() && static_cast<index_t>(column_names.size()) != values.cols()) {
    throw shape_error(path.string() + ": " + std::to_string(column_names.size()) + " column names for a matrix with " +
                      std::to_string(values.cols()) + " columns");
  }
  for (const std::string& name : column_names) {
    if (name.find_first_of("\r\n") != std::string::npos) {
      throw value_error(path.string() + ": the column name '" + name + "' contains a line break");
    }
  }
  try {
    if (options.infinities) {
      for (index_t i = 0; i < values.rows(); ++i) {
        for (index_t j = 0; j < values.cols(); ++j) {
          if (std::isnan(values(i, j))) {
            throw value_error(path.string() + ": a value is NaN at row " + std::to_string(i) + ", column " + std::to_string(j));
          }
        }
      }
    } else {
      eigenflow::detail::require_finite(path.string(), "a value", values);
    }
  } catch (const value_error& e) {
    throw value_error(std::string(e.what()) + "; read_csv would reject the file");
  }

  write_atomically(path, [&](std::ofstream& out) {
    std::string line;
    if (!column_names.empty()) {
      for (std::size_t j = 0; j < column_names.size(); ++j) {
        if (j > 0) line += ',';
        line += csv::quote_if_needed(column_names[j]);
      }
      line += '\n';
      out.write(line.data(), static_cast<std::streamsize>(line.size()));
    }
    char buffer[64];
    for (index_t i = 0; i < values.rows(); ++i) {
      line.clear();
      for (index_t j = 0; j < values.cols(); ++j) {
        if (j > 0) line += ',';
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, values(i, j));  // shortest round trip
        line.append(buffer, result.ptr);
      }
      line += '\n';
      out.write(line.data(), static_cast<std::streamsize>(line.size()));
    }
  });
}

}  // namespace eigenflow::io
