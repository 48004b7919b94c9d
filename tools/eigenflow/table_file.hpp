// tools/eigenflow/table_file.hpp — data files as the command line sees them: a table of numbers
// in a .csv or .npy file, optionally with one column of integer class labels, chosen by the
// file's extension.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eigenflow/eigenflow.hpp"

namespace eigenflow::cli {

/// The rows of a data file, split into values and labels.
template <class Scalar>
struct table {
  matrix<Scalar> values;
  std::vector<index_t> labels;            // empty unless a label column was asked for
  std::optional<index_t> label_position;  // 0-based column of the labels in the file
  std::vector<std::string> column_names;  // the value columns' names (CSV with a header)
  std::string label_name;                 // the label column's name (CSV with a header)
};

enum class table_format { csv, npy };

inline table_format format_of(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".csv") return table_format::csv;
  if (ext == ".npy") return table_format::npy;
  throw value_error(path.string() + ": unknown file type '" + ext + "' (known: .csv, .npy)");
}

/// Column `requested` (negative: from the end) of a file with `columns` columns.
inline index_t resolve_column(const std::filesystem::path& path, index_t requested, index_t columns) {
  const index_t k = requested < 0 ? columns + requested : requested;
  if (k < 0 || k >= columns) {
    throw value_error(path.string() + ": label column " + std::to_string(requested) + " is outside the file's " +
                      std::to_string(columns) + " columns");
  }
  return k;
}

/// Every column of a data file as numbers, with the columns' names (CSV with a header).
template <class Scalar>
std::pair<matrix<Scalar>, std::vector<std::string>> read_columns(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw io_error(path.string() + ": no such file");
  if (format_of(path) == table_format::npy) return {io::read_npy<Scalar>(path), {}};
  io::csv_table<Scalar> csv = io::read_csv<Scalar>(path);
  return {std::move(csv.values), std::move(csv.column_names)};
}

/// A data file read a block of rows at a time (CSV or .npy, by its extension), so that a file
/// larger than memory can be scored block by block.
template <class Scalar>
class table_stream {
 public:
  /// Opens `path` and reads its header (its first line, for CSV).
  /// @throws io_error if the file is missing, unreadable or malformed; value_error for an unknown type.
  explicit table_stream(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) throw io_error(path.string() + ": no such file");
    if (format_of(path) == table_format::npy) {
      npy_.emplace(path);
    } else {
      csv_.emplace(path);
    }
  }

  /// Every column of the file.
  index_t columns() const { return npy_ ? npy_->cols() : csv_->columns(); }
  /// The columns' names (CSV with a header), else empty.
  std::vector<std::string> column_names() const { return npy_ ? std::vector<std::string>{} : csv_->column_names(); }
  /// The rows read so far.
  index_t rows_read() const { return npy_ ? npy_->rows_read() : csv_->rows_read(); }

  /// The next rows, at most `max_rows`: fewer at the end of the file, none after it.
  /// @throws io_error naming the file (and line or offset) where it is malformed.
  matrix<Scalar> read(index_t max_rows) { return npy_ ? npy_->read(max_rows) : csv_->read(max_rows).values; }

 private:
  std::optional<io::npy_reader<Scalar>> npy_;
  std::optional<io::csv_reader<Scalar>> csv_;
};

/// Splits column k (non-negative integer class ids) off the table's values; `first_row` is the
/// 0-based row of the file the table starts at (for messages).
template <class Scalar>
void split_label_column(const std::filesystem::path& path, table<Scalar>& t, index_t k, index_t first_row = 0) {
  const matrix<Scalar> all = std::move(t.values);
  t.label_position = k;
  t.values.resize(all.rows(), all.cols() - 1);
  t.values.leftCols(k) = all.leftCols(k);
  t.values.rightCols(all.cols() - k - 1) = all.rightCols(all.cols() - k - 1);
  t.labels.resize(static_cast<std::size_t>(all.rows()));
  for (index_t i = 0; i < all.rows(); ++i) {
    const Scalar v = all(i, k);
    if (!(v >= 0) || v != std::floor(v) || v > Scalar(1 << 24)) {
      throw value_error(path.string() + ": data row " + std::to_string(first_row + i + 1) + " has label " + std::to_string(v) +
                        " in column " + std::to_string(k) + ", not a non-negative integer");
    }
    t.labels[static_cast<std::size_t>(i)] = static_cast<index_t>(v);
  }
  if (!t.column_names.empty()) {
    t.label_name = t.column_names[static_cast<std::size_t>(k)];
    t.column_names.erase(t.column_names.begin() + k);
  }
}

/// Reads a data file; with label_column, that column holds non-negative integer class ids.
template <class Scalar>
table<Scalar> read_table(const std::filesystem::path& path, std::optional<index_t> label_column = std::nullopt) {
  table<Scalar> out;
  std::tie(out.values, out.column_names) = read_columns<Scalar>(path);
  if (label_column) split_label_column(path, out, resolve_column(path, *label_column, out.values.cols()));
  return out;
}

/// Throws unless `path` can become an output table: a known type, not a directory, in a directory
/// that exists, and not the file `input` (which the output would replace). Called before the work
/// that fills the table, so that a mistake costs nothing.
inline void check_output_table(const std::filesystem::path& path, const std::filesystem::path& input = {}) {
  namespace fs = std::filesystem;
  if (path.empty()) throw value_error("--out is empty: name a .csv or .npy file to write");
  format_of(path);
  if (fs::is_directory(path)) throw value_error("--out " + path.string() + " is a directory: name a .csv or .npy file");
  if (!path.parent_path().empty() && !fs::is_directory(path.parent_path())) {
    throw io_error(path.string() + ": the directory " + path.parent_path().string() + " does not exist");
  }
  std::error_code ec;
  if (!input.empty() && fs::equivalent(path, input, ec)) {
    throw value_error("--out " + path.string() + " is the input file " + input.string() + ": writing it would replace the data");
  }
}

/// "N bytes, fnv1a H": the size and a 64-bit FNV-1a hash of a file's bytes, to tell whether a
/// file has changed since a run used it.
inline std::string file_fingerprint(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(path.string() + ": cannot open");
  std::uint64_t hash = 14695981039346656037ull;
  std::uint64_t size = 0;
  std::vector<char> chunk(1 << 20);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    for (std::size_t k = 0; k < got; ++k) hash = (hash ^ static_cast<unsigned char>(chunk[k])) * 1099511628211ull;
    size += got;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return std::to_string(size) + " bytes, fnv1a " + hex;
}

/// Writes values (with column names, for CSV) to a .csv or .npy file, atomically (±inf in a CSV
/// file only if `csv` allows them; .npy holds any float).
template <class Scalar>
void write_table(const std::filesystem::path& path, const matrix<Scalar>& values,
                 const std::vector<std::string>& column_names = {}, const io::csv_write_options& csv = {}) {
  check_output_table(path);
  const table_format format = format_of(path);
  if (format == table_format::csv) {
    io::write_csv(path, values, column_names, csv);
  } else {
    io::write_npy(path, values);
  }
}

}  // namespace eigenflow::cli
