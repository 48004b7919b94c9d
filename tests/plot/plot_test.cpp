// tests/plot/plot_test.cpp — the plot layer: the image's drawing primitives, PNG files that are
// valid and decode (with stb_image, independently of the encoder) to exactly the pixels drawn,
// the colormaps, and each chart's geometry (where a point, a mode, a path or a tile lands) and its
// input checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/plot.hpp"

// The decoder, compiled static into this test only (as image.hpp does with the encoder), its
// warnings silenced.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Weverything"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#include <stb/stb_image.h>
#include "support/scratch_dir.hpp"
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace {

using namespace eigenflow;
using plot::image;
using plot::rgb;
namespace fs = std::filesystem;
using eigenflow::test::scratch_dir;

/// A fresh directory under the system's temporary directory, removed with everything in it.

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t big_endian32(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  return (std::uint32_t{bytes[at]} << 24) | (std::uint32_t{bytes[at + 1]} << 16) | (std::uint32_t{bytes[at + 2]} << 8) |
         std::uint32_t{bytes[at + 3]};
}

/// Decodes PNG bytes to RGB with stb_image; the pixels are row by row from the top, like
/// image::bytes(). Fails the test if the bytes do not decode.
struct decoded {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;
};
decoded decode_png(const std::vector<std::uint8_t>& png) {
  decoded out;
  int channels = 0;
  unsigned char* data =
      stbi_load_from_memory(png.data(), static_cast<int>(png.size()), &out.width, &out.height, &channels, 3);
  REQUIRE(data != nullptr);
  out.pixels.assign(data, data + static_cast<std::ptrdiff_t>(out.width) * out.height * 3);
  stbi_image_free(data);
  return out;
}

/// Relative luminance (Rec. 709 weights of linear sRGB).
double luminance(rgb c) {
  auto linear = [](std::uint8_t v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b);
}

/// The pixels of `picture` that are not `background`.
std::vector<std::pair<int, int>> painted(const image& picture, rgb background) {
  std::vector<std::pair<int, int>> out;
  for (int y = 0; y < picture.height(); ++y) {
    for (int x = 0; x < picture.width(); ++x) {
      if (picture.at(x, y) != background) out.emplace_back(x, y);
    }
  }
  return out;
}

/// An image of pseudo-random colours: every pixel differs from its neighbours, so a transposed,
/// flipped or shifted decode cannot match.
image noise_image(int width, int height, std::uint32_t seed) {
  std::mt19937 rng(seed);
  image picture(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const std::uint32_t v = rng();
      picture.set(x, y, {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v >> 16)});
    }
  }
  return picture;
}

constexpr rgb red{255, 0, 0};
constexpr rgb blue{0, 0, 255};

}  // namespace

TEST_CASE("plot image: size, fill, checked pixel access, blending", "[plot][image]") {
  image picture(5, 3, blue);
  CHECK(picture.width() == 5);
  CHECK(picture.height() == 3);
  CHECK(picture.bytes().size() == 5u * 3u * 3u);
  CHECK(picture.at(4, 2) == blue);
  picture.set(4, 2, red);
  CHECK(picture.at(4, 2) == red);
  // Row-major from the top, r g b.
  CHECK(picture.bytes()[(2 * 5 + 4) * 3] == 255);
  CHECK(picture.bytes()[(2 * 5 + 4) * 3 + 2] == 0);
  CHECK_THROWS_AS(picture.at(5, 0), value_error);
  CHECK_THROWS_AS(picture.set(0, -1, red), value_error);
  CHECK_THROWS_AS(picture.at(0, 3), value_error);

  picture.fill(plot::black);
  picture.blend(1, 1, plot::white, 0.5);
  CHECK(picture.at(1, 1) == rgb{128, 128, 128});
  picture.blend(1, 1, red, 0.0);
  CHECK(picture.at(1, 1) == rgb{128, 128, 128});
  picture.blend(-1, 7, red, 1.0);  // outside: clipped, no throw
  CHECK(painted(picture, plot::black).size() == 1);
  CHECK_THROWS_AS(picture.blend(0, 0, red, 1.5), value_error);
  CHECK_THROWS_AS(picture.blend(0, 0, red, std::nan("")), value_error);

  CHECK_THROWS_AS(image(0, 4), value_error);
  CHECK_THROWS_AS(image(4, -1), value_error);
  CHECK_THROWS_AS(image(plot::max_image_side + 1, 1), value_error);
  CHECK_THROWS_AS(image(plot::max_image_side, plot::max_image_side), value_error);  // too many pixels
}

TEST_CASE("plot image: discs cover the pixel centres within the radius, clipped", "[plot][image]") {
  image picture(11, 11, plot::white);
  picture.fill_disc(5.5, 5.5, 0.0, red);  // radius 0 still marks the pixel containing the centre
  CHECK(painted(picture, plot::white) == std::vector<std::pair<int, int>>{{5, 5}});

  picture.fill(plot::white);
  picture.fill_disc(5.5, 5.5, 1.5, red);  // the 3×3 block (corner centres at √2 < 1.5), not (7, 5)
  const auto disc = painted(picture, plot::white);
  CHECK(disc.size() == 9);
  for (const auto& [x, y] : disc) CHECK((std::abs(x - 5) <= 1 && std::abs(y - 5) <= 1));

  picture.fill(plot::white);
  picture.fill_disc(0.2, 10.9, 2.0, red, 0.5);  // a corner: the in-image part only
  for (const auto& [x, y] : painted(picture, plot::white)) {
    CHECK(std::hypot(x + 0.5 - 0.2, y + 0.5 - 10.9) <= 2.0);
    CHECK(picture.at(x, y) == rgb{255, 128, 128});
  }
  picture.fill(plot::white);
  picture.fill_disc(-1e9, 3.0, 5.0, red);  // far outside
  picture.fill_disc(5.0, 5.0, 1e12, blue);  // covers everything, costs the image's size
  CHECK(painted(picture, blue).empty());
  CHECK_THROWS_AS(picture.fill_disc(std::nan(""), 1.0, 1.0, red), value_error);
  CHECK_THROWS_AS(picture.fill_disc(1.0, 1.0, -1.0, red), value_error);
}

TEST_CASE("plot image: lines are 8-connected runs, each pixel blended once, clipped", "[plot][image]") {
  image picture(10, 6, plot::white);
  picture.draw_line(0.5, 2.5, 9.5, 2.5, red);
  auto row = painted(picture, plot::white);
  REQUIRE(row.size() == 10);
  for (int x = 0; x < 10; ++x) CHECK(row[static_cast<std::size_t>(x)] == std::pair<int, int>{x, 2});

  // A steep diagonal: one pixel per row, each step to a neighbour.
  picture.fill(plot::white);
  picture.draw_line(1.5, 0.5, 4.5, 5.5, red);
  const auto diagonal = painted(picture, plot::white);
  for (int y = 0; y < 6; ++y) {
    CHECK(std::count_if(diagonal.begin(), diagonal.end(), [y](const auto& p) { return p.second == y; }) == 1);
  }
  CHECK(picture.at(1, 0) == red);
  CHECK(picture.at(4, 5) == red);

  // A polyline drawn segment by segment with draw_start = false blends its joint once.
  picture.fill(plot::white);
  picture.draw_line(0.5, 0.5, 4.5, 0.5, plot::black, 0.5);
  picture.draw_line(4.5, 0.5, 4.5, 4.5, plot::black, 0.5, false);
  const rgb half{128, 128, 128};
  for (const auto& [x, y] : painted(picture, plot::white)) CHECK(picture.at(x, y) == half);
  CHECK(painted(picture, plot::white).size() == 9);

  // End points far outside: only the crossing is drawn, and quickly.
  picture.fill(plot::white);
  picture.draw_line(-1e12, 3.5, 1e12, 3.5, blue);
  CHECK(painted(picture, plot::white).size() == 10);
  picture.fill(plot::white);
  picture.draw_line(-5.0, -5.0, -1.0, 20.0, blue);
  CHECK(painted(picture, plot::white).empty());
  CHECK_THROWS_AS(picture.draw_line(0, 0, std::numeric_limits<double>::infinity(), 1, red), value_error);
}

TEST_CASE("plot image: paste copies at an offset, clipped", "[plot][image]") {
  const image tile = noise_image(3, 2, 7);
  image canvas(6, 4, plot::black);
  canvas.paste(tile, 2, 1);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 3; ++x) CHECK(canvas.at(x + 2, y + 1) == tile.at(x, y));
  }
  CHECK(painted(canvas, plot::black).size() <= 6);
  image corner(6, 4, plot::black);
  corner.paste(tile, -2, 3);  // only tile pixel (2, 0) lands, at (0, 3)
  CHECK(corner.at(0, 3) == tile.at(2, 0));
  CHECK(painted(corner, plot::black).size() <= 1);
  corner.paste(tile, 100, 100);  // wholly outside
}

TEST_CASE("plot write_png: a valid PNG that decodes to exactly the pixels drawn", "[plot][png]") {
  scratch_dir dir;
  const image picture = noise_image(37, 21, 2024);  // not square: width and height cannot swap
  const fs::path file = dir.path / "noise.png";
  plot::write_png(file, picture);
  CHECK(dir.files() == std::vector<std::string>{"noise.png"});  // no temporary left

  const std::vector<std::uint8_t> png = read_bytes(file);
  CHECK(png == plot::encode_png(picture));
  REQUIRE(png.size() > 33);
  const std::vector<std::uint8_t> signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  CHECK(std::equal(signature.begin(), signature.end(), png.begin()));
  // The first chunk is IHDR (13 bytes): width, height, bit depth 8, colour type 2 (RGB).
  CHECK(big_endian32(png, 8) == 13);
  CHECK(std::string(png.begin() + 12, png.begin() + 16) == "IHDR");
  CHECK(big_endian32(png, 16) == 37);
  CHECK(big_endian32(png, 20) == 21);
  CHECK(png[24] == 8);
  CHECK(png[25] == 2);

  const decoded back = decode_png(png);
  CHECK(back.width == 37);
  CHECK(back.height == 21);
  CHECK(back.pixels == picture.bytes());

  // Rewriting replaces the file, still with nothing left beside it.
  const image other = noise_image(5, 9, 1);
  plot::write_png(file, other);
  CHECK(decode_png(read_bytes(file)).pixels == other.bytes());
  CHECK(dir.files() == std::vector<std::string>{"noise.png"});
}

TEST_CASE("plot write_png: a missing directory throws io_error naming the file, leaves nothing", "[plot][png]") {
  scratch_dir dir;
  const fs::path file = dir.path / "missing" / "picture.png";
  try {
    plot::write_png(file, image(4, 4));
    FAIL("write_png did not throw");
  } catch (const io_error& e) {
    CHECK(std::string(e.what()).find(file.string()) != std::string::npos);
  }
  CHECK(dir.files().empty());
}

TEST_CASE("plot colormaps: viridis endpoints, clamping, monotone luminance; grayscale", "[plot][colormap]") {
  CHECK(plot::viridis(0.0) == rgb{68, 1, 84});
  CHECK(plot::viridis(1.0) == rgb{253, 231, 37});
  CHECK(plot::viridis(-3.0) == plot::viridis(0.0));
  CHECK(plot::viridis(7.0) == plot::viridis(1.0));
  CHECK(plot::viridis(std::numeric_limits<double>::infinity()) == plot::viridis(1.0));
  // matplotlib's viridis(0.5) is #21918c; the 33-point table stays within 2 levels.
  const rgb mid = plot::viridis(0.5);
  CHECK(std::abs(mid.r - 0x21) <= 2);
  CHECK(std::abs(mid.g - 0x91) <= 2);
  CHECK(std::abs(mid.b - 0x8c) <= 2);
  // Luminance rises strictly at steps of 1/128; at finer steps it may dip by the 8-bit rounding
  // of the channels, never more.
  for (int k = 0; k < 128; ++k) CHECK(luminance(plot::viridis(k / 128.0)) < luminance(plot::viridis((k + 1) / 128.0)));
  for (int k = 0; k < 1000; ++k) {
    CHECK(luminance(plot::viridis(k / 1000.0)) < luminance(plot::viridis((k + 1) / 1000.0)) + 1e-3);
  }
  CHECK(luminance(plot::viridis(1.0)) > 10 * luminance(plot::viridis(0.0)));
  CHECK_THROWS_AS(plot::viridis(std::nan("")), value_error);

  CHECK(plot::grayscale(0.0) == plot::black);
  CHECK(plot::grayscale(1.0) == plot::white);
  CHECK(plot::grayscale(0.5) == rgb{128, 128, 128});
  CHECK(plot::grayscale(-1.0) == plot::black);
  CHECK(plot::grayscale(2.0) == plot::white);
  CHECK_THROWS_AS(plot::grayscale(std::nan("")), value_error);
}

TEST_CASE("plot bounds_of: holds the points with the margin, equal aspect, degenerate extents", "[plot][charts]") {
  matrix<double> points(3, 2);
  points << -1.0, 2.0, 3.0, 4.0, 1.0, 3.0;
  const plot::view v = plot::bounds_of(points, 0.1);
  CHECK(v.x_min == Approx(-1.4));
  CHECK(v.x_max == Approx(3.4));
  CHECK(v.y_min == Approx(1.8));
  CHECK(v.y_max == Approx(4.2));
  const plot::view square = plot::bounds_of(points, 0.0, true);
  CHECK(square.x_max - square.x_min == Approx(4.0));
  CHECK(square.y_max - square.y_min == Approx(4.0));
  CHECK(square.y_min + square.y_max == Approx(6.0));  // centred on the points

  matrix<float> one(1, 2);
  one << 5.0f, -2.0f;
  const plot::view around = plot::bounds_of(one);
  CHECK(around.x_min < 5.0);
  CHECK(around.x_max > 5.0);
  CHECK(around.y_min < -2.0);
  CHECK(around.y_max > -2.0);

  CHECK_THROWS_AS(plot::bounds_of(matrix<double>(3, 3)), shape_error);
  CHECK_THROWS_AS(plot::bounds_of(matrix<double>(0, 2)), shape_error);
  points(1, 1) = std::nan("");
  CHECK_THROWS_AS(plot::bounds_of(points), value_error);
}

TEST_CASE("plot density_heatmap: a Gaussian is brightest at its mean, one call on the grid", "[plot][charts]") {
  const plot::view v{-3.0, 3.0, -2.0, 4.0};
  constexpr int pixels = 48;
  // The mean at the centre of pixel (30, 11): the unique densest grid point.
  const double mx = v.x_min + 30.5 * (v.x_max - v.x_min) / pixels;
  const double my = v.y_max - 11.5 * (v.y_max - v.y_min) / pixels;
  int calls = 0;
  auto log_prob = [&](const matrix<double>& x) {
    ++calls;
    CHECK(x.rows() == pixels * pixels);
    CHECK(x.cols() == 2);
    matrix<double> out(x.rows(), 1);
    for (index_t i = 0; i < x.rows(); ++i) {
      out(i, 0) = -0.5 * (std::pow(x(i, 0) - mx, 2) + std::pow((x(i, 1) - my) / 0.5, 2)) - 1000.0;
    }
    return out;
  };
  const image heat = plot::density_heatmap<double>(log_prob, v, pixels);
  CHECK(calls == 1);
  CHECK(heat.width() == pixels);
  CHECK(heat.height() == pixels);
  CHECK(heat.at(30, 11) == plot::viridis(1.0));  // p / max p = 1, even at log p ≈ −1000
  for (int y = 0; y < pixels; ++y) {
    for (int x = 0; x < pixels; ++x) {
      if (x != 30 || y != 11) CHECK(luminance(heat.at(x, y)) < luminance(heat.at(30, 11)));
    }
  }
  // Farther along the narrow y axis is darker than as far along x.
  CHECK(luminance(heat.at(30, 15)) < luminance(heat.at(34, 11)));

  // float works too; −∞ is zero density, drawn as viridis(0).
  auto half_plane = [](const matrix<float>& x) {
    vector<float> out(x.rows());
    for (index_t i = 0; i < x.rows(); ++i) out(i) = x(i, 0) < 0 ? -std::numeric_limits<float>::infinity() : 0.0f;
    return out;
  };
  const image halves = plot::density_heatmap<float>(half_plane, plot::view{-1, 1, -1, 1}, 8);
  CHECK(halves.at(0, 3) == plot::viridis(0.0));
  CHECK(halves.at(7, 3) == plot::viridis(1.0));
  auto nowhere = [](const matrix<double>& x) {
    return matrix<double>::Constant(x.rows(), 1, -std::numeric_limits<double>::infinity());
  };
  CHECK(painted(plot::density_heatmap<double>(nowhere, v, 4), plot::viridis(0.0)).empty());

  auto wrong_shape = [](const matrix<double>& x) { return matrix<double>::Zero(x.rows(), 2); };
  CHECK_THROWS_AS(plot::density_heatmap<double>(wrong_shape, v, 4), shape_error);
  auto with_nan = [](const matrix<double>& x) {
    matrix<double> out = matrix<double>::Zero(x.rows(), 1);
    out(3, 0) = std::nan("");
    return out;
  };
  CHECK_THROWS_AS(plot::density_heatmap<double>(with_nan, v, 4), value_error);
  CHECK_THROWS_AS(plot::density_heatmap<double>(log_prob, plot::view{1, 1, 0, 1}, 4), value_error);
  CHECK_THROWS_AS(plot::density_heatmap<double>(log_prob, v, 0), value_error);
}

TEST_CASE("plot scatter: each point lands on the pixel the view maps it to; side_by_side", "[plot][charts]") {
  const plot::view v{-1.0, 1.0, -1.0, 1.0};
  // Plane (x, y) → pixel (50·(x + 1), 50·(1 − y)); these are pixel centres.
  matrix<double> points(2, 2);
  points << 0.31, -0.71,  // pixel (65, 85)
      -0.99, 0.99;        // pixel (0, 0)
  const image dots = plot::scatter(points, v, 100, red, 0.4, 1.0);
  const auto where = painted(dots, plot::white);
  CHECK(where == std::vector<std::pair<int, int>>{{0, 0}, {65, 85}});
  CHECK(dots.at(65, 85) == red);

  matrix<float> outside(1, 2);
  outside << 5.0f, 0.0f;
  CHECK(painted(plot::scatter(outside, v, 20, red), plot::white).empty());

  // Overlaid on another image: the view spans the canvas, whatever its size.
  image canvas(200, 50, plot::black);
  matrix<double> centre(1, 2);
  centre << 0.0, 0.0;
  plot::draw_points(canvas, centre, v, red, 0.0, 1.0);
  CHECK(painted(canvas, plot::black) == std::vector<std::pair<int, int>>{{100, 25}});

  CHECK_THROWS_AS(plot::scatter(matrix<double>(4, 3), v, 10, red), shape_error);
  points(0, 0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(plot::scatter(points, v, 10, red), value_error);
  CHECK_THROWS_AS(plot::scatter(centre, plot::view{0, 1, 2, 1}, 10, red), value_error);

  const image left = noise_image(4, 6, 1);
  const image right = noise_image(3, 2, 2);
  const image both = plot::side_by_side({left, right}, 5);
  CHECK(both.width() == 4 + 5 + 3);
  CHECK(both.height() == 6);
  CHECK(both.at(3, 5) == left.at(3, 5));
  CHECK(both.at(9, 0) == right.at(0, 0));
  CHECK(both.at(11, 1) == right.at(2, 1));
  CHECK(both.at(6, 0) == plot::white);   // the gap
  CHECK(both.at(10, 4) == plot::white);  // below the shorter image
  CHECK_THROWS_AS(plot::side_by_side({}), value_error);
  CHECK_THROWS_AS(plot::side_by_side({left}, -1), value_error);
}

TEST_CASE("plot trajectories: paths coloured by time, start and end markers differ", "[plot][charts]") {
  const plot::view v{0.0, 10.0, 0.0, 10.0};
  // Two particles moving right in three steps, on rows 2 and 7 of a 10-pixel image.
  std::vector<matrix<double>> states(3, matrix<double>(2, 2));
  states[0] << 0.5, 7.5, 0.5, 2.5;
  states[1] << 4.5, 7.5, 4.5, 2.5;
  states[2] << 9.5, 7.5, 9.5, 2.5;
  plot::trajectory_style style;
  style.line_alpha = 1.0;
  style.start_radius = 0.0;
  style.end_radius = 0.0;
  const image paths = plot::trajectories(states, v, 10, style);
  for (int row : {2, 7}) {
    CHECK(paths.at(0, row) == plot::viridis(0.0));               // start marker
    CHECK(paths.at(9, row) == plot::viridis(style.colour_max));  // end marker
    CHECK(paths.at(2, row) == plot::viridis(style.colour_max * 0.25));  // first segment
    CHECK(paths.at(6, row) == plot::viridis(style.colour_max * 0.75));  // second segment
  }
  CHECK(paths.at(0, 2) != paths.at(9, 2));
  CHECK(painted(paths, plot::white).size() == 20);

  // Default style: end markers larger than start markers.
  const image marked = plot::trajectories(states, v, 10);
  CHECK(marked.at(9, 0) == plot::viridis(0.9));  // 2 pixels from the end: within its 2.5-pixel marker
  CHECK(marked.at(0, 0) == plot::white);         // 2 pixels from the start: outside its 1-pixel marker

  std::vector<matrix<double>> ragged = states;
  ragged[1] = matrix<double>::Zero(3, 2);
  CHECK_THROWS_AS(plot::trajectories(ragged, v, 10), shape_error);
  CHECK_THROWS_AS(plot::trajectories(std::vector<matrix<double>>{}, v, 10), value_error);
  style.colour_max = 1.5;
  CHECK_THROWS_AS(plot::trajectories(states, v, 10, style), value_error);
}

TEST_CASE("plot image_grid: tiles laid out by rows, scaled, values mapped to gray", "[plot][charts]") {
  constexpr int h = 2;
  constexpr int w = 3;
  constexpr int scale = 2;
  // Five 2×3 images, two per row: tile t has value t + (y·w + x)/10 at pixel (x, y).
  matrix<double> images(5, h * w);
  for (index_t t = 0; t < 5; ++t) {
    for (index_t j = 0; j < h * w; ++j) images(t, j) = static_cast<double>(t) + static_cast<double>(j) / 10.0;
  }
  const image grid = plot::image_grid(images, h, w, 2, 0.0, 5.0, scale, red);
  CHECK(grid.width() == 2 * (w * scale + 1) - 1);
  CHECK(grid.height() == 3 * (h * scale + 1) - 1);
  for (int t = 0; t < 5; ++t) {
    const int left = (t % 2) * (w * scale + 1);
    const int top = (t / 2) * (h * scale + 1);
    for (int y = 0; y < h * scale; ++y) {
      for (int x = 0; x < w * scale; ++x) {
        const double value = images(t, (y / scale) * w + x / scale);
        CHECK(grid.at(left + x, top + y) == plot::grayscale(value / 5.0));
      }
    }
  }
  CHECK(grid.at(w * scale, 0) == red);      // the vertical separator
  CHECK(grid.at(0, h * scale) == red);      // the horizontal separator
  CHECK(grid.at(grid.width() - 1, grid.height() - 1) == red);  // the missing sixth tile

  CHECK_THROWS_AS(plot::image_grid(images, 3, 3, 2, 0.0, 1.0), shape_error);
  CHECK_THROWS_AS(plot::image_grid(matrix<double>(0, h * w), h, w, 2, 0.0, 1.0), shape_error);
  CHECK_THROWS_AS(plot::image_grid(images, h, w, 0, 0.0, 1.0), value_error);
  CHECK_THROWS_AS(plot::image_grid(images, h, w, 2, 1.0, 1.0), value_error);
  images(2, 4) = std::nan("");
  CHECK_THROWS_AS(plot::image_grid(images, h, w, 2, 0.0, 1.0), value_error);
}

TEST_CASE("plot image_grid: three channels are red, green and blue", "[plot][charts]") {
  const image_shape shape{.channels = 3, .height = 2, .width = 3};
  // Channel c of image t holds (c + 1)/4 + t/10 + pixel/100: every channel and pixel differs.
  matrix<double> images(2, shape.size());
  for (index_t t = 0; t < 2; ++t) {
    for (index_t c = 0; c < 3; ++c) {
      for (index_t y = 0; y < 2; ++y) {
        for (index_t x = 0; x < 3; ++x) {
          images(t, shape.column(c, y, x)) = double(c + 1) / 4 + double(t) / 10 + double(y * 3 + x) / 100;
        }
      }
    }
  }
  const image grid = plot::image_grid(images, shape, 2, 0.0, 1.0, 1);
  CHECK(grid.width() == 2 * 3 + 1);
  CHECK(grid.height() == 2);
  for (int t = 0; t < 2; ++t) {
    for (int y = 0; y < 2; ++y) {
      for (int x = 0; x < 3; ++x) {
        const auto level = [&](index_t c) { return plot::grayscale(images(t, shape.column(c, y, x))).r; };
        CHECK(grid.at(t * 4 + x, y) == plot::rgb{level(0), level(1), level(2)});
      }
    }
  }
  // One channel through the shape draws as the height and width overload does.
  const matrix<double> gray = images.leftCols(6);
  CHECK(plot::image_grid(gray, image_shape{.channels = 1, .height = 2, .width = 3}, 2, 0.0, 1.0).bytes() ==
        plot::image_grid(gray, 2, 3, 2, 0.0, 1.0).bytes());
  CHECK_THROWS_WITH(
      plot::image_grid(matrix<double>(images.leftCols(12)), image_shape{.channels = 2, .height = 2, .width = 3}, 2, 0.0,
                       1.0),
      Catch::Contains("2 channels; a picture shows 1 (grayscale) or 3 (RGB)"));
  CHECK_THROWS_AS(plot::image_grid(images, image_shape{.channels = 3, .height = 2, .width = 2}, 2, 0.0, 1.0),
                  shape_error);
}

TEST_CASE("plot charts round trip through PNG", "[plot][png]") {
  scratch_dir dir;
  matrix<float> digits = matrix<float>::Random(6, 16);
  const image grid = plot::image_grid(digits, 4, 4, 3, -1.0, 1.0);
  const fs::path file = dir.path / "grid.png";
  plot::write_png(file, grid);
  const decoded back = decode_png(read_bytes(file));
  CHECK(back.width == grid.width());
  CHECK(back.height == grid.height());
  CHECK(back.pixels == grid.bytes());
}
