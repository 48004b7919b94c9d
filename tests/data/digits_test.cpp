// tests/data/digits_test.cpp — the shipped digits: the split, the values, dequantization and the
// bits-per-pixel convention.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "eigenflow/data/digits.hpp"

using namespace eigenflow;

namespace {
const std::filesystem::path digits_file = std::filesystem::path(EIGENFLOW_EXAMPLES_DATA) / "digits.csv";
}

TEST_CASE("digits: the fixed split of the shipped file", "[data]") {
  const data::digits_split<float> d = data::load_digits<float>(digits_file);
  CHECK(d.train.pixels.rows() == 1500);
  CHECK(d.test.pixels.rows() == 297);
  CHECK(d.train.pixels.cols() == 64);
  CHECK(d.train.labels.size() == 1500);
  CHECK(d.test.labels.size() == 297);
  CHECK(d.train.pixels.minCoeff() == 0);
  CHECK(d.train.pixels.maxCoeff() == 16);
  // The first image of the file is a 0 whose first row is 0 0 5 13 9 1 0 0.
  CHECK(d.train.labels[0] == 0);
  CHECK(d.train.pixels(0, 2) == 5);
  CHECK(d.train.pixels(0, 3) == 13);
  std::vector<int> counts(10, 0);
  for (index_t label : d.train.labels) ++counts[static_cast<std::size_t>(label)];
  for (int c : counts) CHECK(c > 100);  // every class is present in training
}

TEST_CASE("digits: dequantization stays in each pixel's unit cell", "[data]") {
  const data::digits_split<double> d = data::load_digits<double>(digits_file);
  random_engine rng(1);
  const matrix<double> y = data::dequantize(d.test.pixels, rng);
  const matrix<double> offset = y - d.test.pixels;
  CHECK(offset.minCoeff() >= 0);
  CHECK(offset.maxCoeff() < 1);
  CHECK(offset.mean() == Approx(0.5).margin(0.01));
  // A uniform density on [0, 17)^64 scores log2(17) bits per pixel.
  const matrix<double> uniform = matrix<double>::Constant(10, 1, -64 * std::log(17.0));
  CHECK(data::bits_per_pixel(uniform) == Approx(std::log2(17.0)));
}

TEST_CASE("digits: a malformed file is refused with its line", "[data]") {
  const auto dir = std::filesystem::temp_directory_path() / ("eigenflow-digits-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "bad.csv";
  {
    std::ofstream out(file);
    for (int row = 0; row < 1600; ++row) {
      for (int j = 0; j < 64; ++j) out << (row == 1550 && j == 7 ? 17 : 3) << ',';
      out << row % 10 << '\n';
    }
  }
  CHECK_THROWS_WITH(data::load_digits<float>(file), Catch::Contains("line 1551") && Catch::Contains("0..16"));
  std::filesystem::remove_all(dir);
}
