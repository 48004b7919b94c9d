// include/eigenflow/data/digits.hpp — the 8x8 handwritten digits (examples/data/digits.csv): a
// fixed train/test split, uniform dequantization and bits per pixel (docs/conventions.md).
//
// Pixels are integers 0..16; a continuous density is fitted to y = pixel + u, u ~ U[0, 1), on the
// 0..17 scale, and reported as bits per pixel = −log p(y) / (64·ln 2). A uniform model on
// [0, 17)^64 scores log2 17 ≈ 4.09 bits per pixel.
#pragma once

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/io/csv.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::data {

inline constexpr index_t digits_pixels = 64;        ///< pixels per image (8 × 8)
inline constexpr index_t digits_classes = 10;       ///< digit classes, 0..9
inline constexpr index_t digits_levels = 17;        ///< pixel values 0..16
inline constexpr index_t digits_train_rows = 1500;  ///< the first rows; the rest is the test split

/// Pixels (one image per row, 64 integer values stored as Scalar) and labels 0..9.
template <class Scalar>
struct labeled_images {
  matrix<Scalar> pixels;        ///< one image per row, 64 columns
  std::vector<index_t> labels;  ///< the digit of each row
};

/// The digits, split into training and test images.
template <class Scalar>
struct digits_split {
  labeled_images<Scalar> train;  ///< the first digits_train_rows images
  labeled_images<Scalar> test;   ///< the remaining images
};

/// Reads the digits CSV and splits it: the first digits_train_rows rows train, the rest test.
/// Throws io_error (file, line) for a malformed file or a pixel outside 0..16 / a label outside 0..9.
template <class Scalar>
digits_split<Scalar> load_digits(const std::filesystem::path& path) {
  const io::csv_table<Scalar> table =
      io::read_csv<Scalar>(path, {.header = io::csv_header::absent, .label_column = index_t(-1)});
  const std::string who = path.string();
  if (table.values.cols() != digits_pixels) {
    throw io_error(who + ": expected 64 pixel columns and a label, got " + std::to_string(table.values.cols() + 1) + " columns");
  }
  if (table.values.rows() <= digits_train_rows) {
    throw io_error(who + ": expected more than " + std::to_string(digits_train_rows) + " rows, got " +
                   std::to_string(table.values.rows()));
  }
  for (index_t i = 0; i < table.values.rows(); ++i) {
    for (index_t j = 0; j < digits_pixels; ++j) {
      const Scalar v = table.values(i, j);
      if (v < 0 || v > Scalar(digits_levels - 1) || v != std::floor(v)) {
        throw io_error(who + ": line " + std::to_string(i + 1) + ", pixel " + std::to_string(j) +
                       " is not an integer in 0..16");
      }
    }
    if (table.labels[static_cast<std::size_t>(i)] >= digits_classes) {
      throw io_error(who + ": line " + std::to_string(i + 1) + ": label " +
                     std::to_string(table.labels[static_cast<std::size_t>(i)]) + " is outside 0..9");
    }
  }
  const index_t test_rows = table.values.rows() - digits_train_rows;
  digits_split<Scalar> split;
  split.train.pixels = table.values.topRows(digits_train_rows);
  split.test.pixels = table.values.bottomRows(test_rows);
  split.train.labels.assign(table.labels.begin(), table.labels.begin() + digits_train_rows);
  split.test.labels.assign(table.labels.begin() + digits_train_rows, table.labels.end());
  return split;
}

/// y = pixel + u with u ~ U[0, 1) drawn from rng: a continuous variable on [0, 17) whose density
/// lower-bounds the discrete likelihood of the pixels.
template <class Scalar>
matrix<Scalar> dequantize(const matrix<Scalar>& pixels, random_engine& rng) {
  matrix<Scalar> y = pixels;
  for (index_t j = 0; j < y.cols(); ++j) {
    for (index_t i = 0; i < y.rows(); ++i) y(i, j) += static_cast<Scalar>(uniform01(rng));
  }
  return y;
}

/// Bits per pixel of log-densities of dequantized images (batch × 1, nats, on the 0..17 scale):
/// −mean log p(y) / (D·ln 2).
template <class Scalar>
double bits_per_pixel(const matrix<Scalar>& log_p, index_t pixels = digits_pixels) {
  if (log_p.cols() != 1 || log_p.rows() < 1) throw shape_error("bits_per_pixel: expected a column of log-densities");
  return -log_p.template cast<double>().mean() / (static_cast<double>(pixels) * std::log(2.0));
}

}  // namespace eigenflow::data
