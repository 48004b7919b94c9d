// tests/data/unit_dequantization_test.cpp — quantized values to [0, 1) and back, the check of
// quantized input, and bits per dimension against the discrete likelihood it bounds.
#include "eigenflow/data/unit_dequantization.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace eigenflow;
using Catch::Matchers::Contains;

TEST_CASE("dequantize_to_unit: each value's cell [v/L, (v+1)/L), fresh noise per draw", "[data][images]") {
  const int levels = 256;
  matrix<float> v(3, 4);
  v << 0, 1, 254, 255, 17, 128, 3, 200, 255, 0, 9, 64;
  random_engine rng(3);
  const matrix<float> x = data::dequantize_to_unit(v, levels, rng);
  CHECK((x.array() >= v.array() / float(levels)).all());
  CHECK((x.array() < (v.array() + 1) / float(levels)).all());
  CHECK(data::quantize_from_unit(x, levels) == v);  // back to the very values
  CHECK(data::dequantize_to_unit(v, levels, rng) != x);
  // The noise is uniform on each cell: its mean offset is half a level.
  const matrix<double> zeros = matrix<double>::Zero(200, 50);
  CHECK(data::dequantize_to_unit(zeros, 2, rng).mean() == Approx(0.25).margin(0.005));
}

TEST_CASE("quantize_from_unit clamps samples that stray past [0, 1) and refuses NaN", "[data][images]") {
  matrix<double> x(1, 4);
  x << -0.2, 0.0, 0.999999, 1.5;
  matrix<double> expected(1, 4);
  expected << 0, 0, 15, 15;
  CHECK(data::quantize_from_unit(x, 16) == expected);
  x(0, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(data::quantize_from_unit(x, 16), Contains("NaN"));
}

TEST_CASE("check_quantized names the first value that is not a level", "[data][images]") {
  matrix<float> v = matrix<float>::Constant(2, 3, 7);
  CHECK_NOTHROW(data::check_quantized(v, 8, "pixels"));
  v(1, 2) = 2.5f;
  CHECK_THROWS_WITH(data::check_quantized(v, 8, "pixels"), Contains("pixels: row 1, column 2 holds 2.5"));
  v(1, 2) = 8;
  CHECK_THROWS_WITH(data::check_quantized(v, 8, "pixels"), Contains("not a whole number in 0..7"));
  v(1, 2) = -1;
  CHECK_THROWS_AS(data::check_quantized(v, 8, "pixels"), value_error);
  v(1, 2) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(data::check_quantized(v, 8, "pixels"), value_error);
  CHECK_THROWS_WITH(data::check_quantized(matrix<float>(matrix<float>::Zero(1, 1)), 1, "pixels"),
                    Contains("at least 2 levels"));
}

TEST_CASE("bits_per_dimension: the discrete likelihood a dequantized density bounds", "[data][images]") {
  // The uniform density on [0, 1)^D (log p = 0): log2 L bits per value.
  CHECK(data::bits_per_dimension(0.0, 784, 256) == Approx(8.0).epsilon(1e-14));
  CHECK(data::bits_per_dimension(0.0, 3, 2) == Approx(1.0).epsilon(1e-14));
  // A density constant on each cell, p(x) = L·P(v) for x in v's cell (D = 1, L = 4): the bound
  // is tight, and gives −log2 P(v) for value v. P = (0.1, 0.2, 0.3, 0.4), v = 2:
  CHECK(data::bits_per_dimension(std::log(4 * 0.3), 1, 4) == Approx(-std::log2(0.3)).epsilon(1e-14));
  // Per dimension: D values of the same probability cost D times the bits, divided by D.
  CHECK(data::bits_per_dimension(10 * std::log(4 * 0.3), 10, 4) == Approx(-std::log2(0.3)).epsilon(1e-14));
  CHECK_THROWS_AS(data::bits_per_dimension(0.0, 0, 256), value_error);
  CHECK_THROWS_AS(data::bits_per_dimension(0.0, 10, 1), value_error);
}
