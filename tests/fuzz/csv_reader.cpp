// tests/fuzz/csv_reader.cpp — libFuzzer harness: arbitrary bytes as a CSV file through io::read_csv, and
// block by block through io::csv_reader.
//
// Accepted outcomes: a table, or an eigenflow::error (io_error, value_error, ...), as read_csv
// documents. Anything else is a finding: a sanitizer report, a leak, an abort from a broken
// invariant below, or any other exception (std::bad_alloc, std::out_of_range, ...), which escapes
// LLVMFuzzerTestOneInput and ends in std::terminate.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/io/csv.hpp"
#include "fuzz_support.hpp"

namespace {

namespace io = eigenflow::io;
using eigenflow_fuzz::require;

// The same bytes under several options, so the corpus stays plain CSV files: the defaults, a
// label column at either end, explicit columns (some out of range), and delimiters that are
// also trimmed whitespace (' ', '\t'), which split() treats specially.
const io::csv_options option_sets[] = {
    {},
    {.label_column = -1},
    {.header = io::csv_header::present, .columns = {1, -1}, .label_column = 0},
    {.header = io::csv_header::absent, .delimiter = ';'},
    {.delimiter = ' ', .label_column = 1},
    {.delimiter = '\t', .columns = {0, 0}},
};

template <class Scalar>
void read_one(const std::filesystem::path& path, const io::csv_options& options) {
  try {
    const io::csv_table<Scalar> t = io::read_csv<Scalar>(path, options);
    // What callers rely on when read_csv returns: at least one row, a label per row when asked
    // for, a name per chosen column when there was a header, only finite values.
    require(t.values.rows() > 0 && t.values.cols() > 0, "read_csv returned an empty table");
    require(options.label_column ? t.labels.size() == static_cast<std::size_t>(t.values.rows()) : t.labels.empty(),
            "one label per row iff a label column was chosen");
    require(t.column_names.empty() || t.column_names.size() == static_cast<std::size_t>(t.values.cols()),
            "column_names is empty or has one name per column");
    require(options.columns.empty() || t.values.cols() == static_cast<eigenflow::index_t>(options.columns.size()),
            "one value column per requested column");
    require(t.values.allFinite(), "read_csv returned a non-finite value");
    for (const eigenflow::index_t label : t.labels) require(label >= 0, "read_csv returned a negative label");
  } catch (const eigenflow::error&) {
    // Documented: malformed input is reported as an eigenflow::error.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static eigenflow_fuzz::scratch_file file(".csv");
  const std::filesystem::path& path = file.write(data, size);
  for (const io::csv_options& options : option_sets) read_one<float>(path, options);
  read_one<double>(path, option_sets[1]);  // double: other overflow limits in from_chars
  // Block by block (2 rows at a time), with a label column: the same values and labels as one
  // read, and the same refusals.
  std::optional<io::csv_table<float>> whole;
  try {
    whole = io::read_csv<float>(path, option_sets[1]);
  } catch (const eigenflow::error&) {
  }
  std::vector<eigenflow::index_t> labels;
  const auto blocks = eigenflow_fuzz::stack_blocks<float>(2, [reader = std::optional<io::csv_reader<float>>{}, &path,
                                                             &labels](eigenflow::index_t rows) mutable {
    if (!reader) reader.emplace(path, option_sets[1]);
    io::csv_table<float> block = reader->read(rows);
    labels.insert(labels.end(), block.labels.begin(), block.labels.end());
    return block.values;
  });
  require(blocks.has_value() == whole.has_value(), "csv_reader and read_csv disagree on whether the file is valid");
  if (blocks && whole) {
    require(eigenflow_fuzz::same_matrix(*blocks, whole->values) && labels == whole->labels,
            "csv_reader's blocks differ from read_csv's table");
  }
  return 0;
}
