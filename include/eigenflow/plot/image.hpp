// include/eigenflow/plot/image.hpp — an RGB raster to draw diagnostic pictures on, its PNG
// encoding, and the two colormaps the charts use (viridis, grayscale).
//
// PNG encoding is stb_image_write's (public domain; Debian package libstb-dev). stb wants its
// implementation compiled in exactly one translation unit, which a header-only library cannot
// choose, so it is compiled here with every function static (STB_IMAGE_WRITE_STATIC): each TU that
// includes this header gets a private copy, and linking several of them has no duplicate symbols.
// Only this header needs stb: code that never includes eigenflow/plot builds without it. stb's own
// warnings are silenced around its include only, so users building with -Wall -Wextra -Wpedantic
// -Werror see none, and ours stay on. The encoded bytes are written through io::write_atomically:
// a failed or interrupted write never leaves a half-written PNG behind.
//
// A translation unit that includes this header cannot also include stb_image_write.h for itself
// (including it first is an error, see below; including it afterwards gives the static copy here,
// without the stdio functions).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ios>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/io/atomic_file.hpp"

#ifdef INCLUDE_STB_IMAGE_WRITE_H
// Its declarations are in place already (extern, most likely), and the implementation below would
// then define them with external linkage in every TU that includes eigenflow/plot.
#error "eigenflow/plot/image.hpp compiles its own static copy of stb_image_write: include it before <stb/stb_image_write.h>, or do not include both in one file"
#endif

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO  // only stbi_write_png_to_func is used: files go through write_atomically
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Weverything"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"  // an older GCC may not know a name below
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wduplicated-branches"
#pragma GCC diagnostic ignored "-Wfloat-conversion"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-declarations"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wuseless-cast"
#pragma GCC diagnostic ignored "-Wzero-as-null-pointer-constant"
#elif defined(_MSC_VER)
#pragma warning(push, 0)
#endif
#include <stb/stb_image_write.h>
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#elif defined(_MSC_VER)
#pragma warning(pop)
#endif
// The configuration stays private to this header (the include guard keeps stb from coming back).
#undef STB_IMAGE_WRITE_STATIC
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#undef STBI_WRITE_NO_STDIO

namespace eigenflow::plot {

/// A colour, 8 bits per channel, sRGB.
struct rgb {
  /// Red channel, 0..255.
  std::uint8_t r, g, b;
  /// @var g
  /// Green channel, 0..255.

  /// @var b
  /// Blue channel, 0..255.

  /// Equal when every channel is.
  friend bool operator==(const rgb&, const rgb&) = default;
};

/// Pure white, the default background.
inline constexpr rgb white{255, 255, 255};
/// Pure black.
inline constexpr rgb black{0, 0, 0};

/// Largest side and pixel count of an image: they keep stb's int arithmetic (the filtered rows
/// and the doubling of its output buffer) far from overflow.
inline constexpr int max_image_side = 16384;
/// Largest pixel count of an image (2^26).
inline constexpr std::int64_t max_image_pixels = std::int64_t{1} << 26;

/// A width×height RGB raster. Pixel (x, y) is column x from the left and row y from the top, and
/// covers the square [x, x+1)×[y, y+1) of the continuous coordinates the drawing functions take,
/// so its centre is (x + 0.5, y + 0.5).
///
/// at/set check their indices (value_error); the drawing functions (blend, fill_disc, draw_line,
/// paste) clip to the image instead, so a shape partly or wholly outside is drawn partly or not
/// at all.
class image {
 public:
  /// A width×height image filled with `background`. Throws value_error unless 1 ≤ width, height
  /// ≤ max_image_side and width·height ≤ max_image_pixels.
  image(int width, int height, rgb background = white) : width_(width), height_(height) {
    if (width < 1 || height < 1 || width > max_image_side || height > max_image_side ||
        std::int64_t{width} * height > max_image_pixels) {
      throw value_error("image: size " + std::to_string(width) + "x" + std::to_string(height) +
                        " is not between 1x1 and " + std::to_string(max_image_side) + " a side (and " +
                        std::to_string(max_image_pixels) + " pixels)");
    }
    bytes_.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
    fill(background);
  }

  /// Width in pixels.
  int width() const noexcept { return width_; }
  /// Height in pixels.
  int height() const noexcept { return height_; }

  /// The pixels row by row from the top, three bytes (r, g, b) each: width·height·3 bytes.
  const std::vector<std::uint8_t>& bytes() const noexcept { return bytes_; }

  /// Whether (x, y) is a pixel of the image.
  bool contains(int x, int y) const noexcept { return x >= 0 && y >= 0 && x < width_ && y < height_; }

  /// The colour of pixel (x, y); value_error outside the image.
  rgb at(int x, int y) const {
    check(x, y, "at");
    const std::size_t i = offset(x, y);
    return {bytes_[i], bytes_[i + 1], bytes_[i + 2]};
  }

  /// Sets pixel (x, y); value_error outside the image.
  void set(int x, int y, rgb colour) {
    check(x, y, "set");
    put(x, y, colour);
  }

  /// Sets every pixel.
  void fill(rgb colour) {
    for (std::size_t i = 0; i < bytes_.size(); i += 3) {
      bytes_[i] = colour.r;
      bytes_[i + 1] = colour.g;
      bytes_[i + 2] = colour.b;
    }
  }

  /// Mixes `colour` into pixel (x, y) with opacity alpha ∈ [0, 1] (1 replaces it, 0 leaves it);
  /// nothing happens outside the image. value_error for alpha outside [0, 1] or NaN.
  void blend(int x, int y, rgb colour, double alpha) {
    check_alpha(alpha, "blend");
    if (contains(x, y)) mix(x, y, colour, alpha);
  }

  /// Blends `colour` into the pixels whose centres lie within `radius` of (cx, cy), and always
  /// into the pixel containing (cx, cy), so that a point stays visible at any radius.
  /// value_error for non-finite coordinates, a negative or non-finite radius, or a bad alpha.
  void fill_disc(double cx, double cy, double radius, rgb colour, double alpha = 1.0) {
    check_alpha(alpha, "fill_disc");
    if (!std::isfinite(cx) || !std::isfinite(cy) || !std::isfinite(radius) || radius < 0) {
      throw value_error("image::fill_disc: centre (" + std::to_string(cx) + ", " + std::to_string(cy) +
                        ") and radius " + std::to_string(radius) + " must be finite, the radius not negative");
    }
    // Bounds clamped in double before converting, so a far-away or huge disc costs nothing.
    const int x_lo = clamp_to_int(std::floor(cx - radius), width_);
    const int x_hi = clamp_to_int(std::floor(cx + radius), width_);
    const int y_lo = clamp_to_int(std::floor(cy - radius), height_);
    const int y_hi = clamp_to_int(std::floor(cy + radius), height_);
    const double r2 = radius * radius;
    for (int y = y_lo; y <= y_hi; ++y) {
      for (int x = x_lo; x <= x_hi; ++x) {
        const double dx = x + 0.5 - cx;
        const double dy = y + 0.5 - cy;
        if (contains(x, y) && dx * dx + dy * dy <= r2) mix(x, y, colour, alpha);
      }
    }
    const double fx = std::floor(cx);
    const double fy = std::floor(cy);
    if (fx >= 0 && fy >= 0 && fx < width_ && fy < height_) {
      const int x = static_cast<int>(fx);
      const int y = static_cast<int>(fy);
      const double dx = x + 0.5 - cx;
      const double dy = y + 0.5 - cy;
      if (dx * dx + dy * dy > r2) mix(x, y, colour, alpha);  // not blended by the loop above
    }
  }

  /// Blends `colour` into the 8-connected run of pixels from the one containing (x0, y0) to the
  /// one containing (x1, y1), each pixel once. With draw_start = false the pixel containing
  /// (x0, y0) is left out, so a polyline drawn segment by segment blends each joint once.
  /// value_error for non-finite coordinates or a bad alpha.
  void draw_line(double x0, double y0, double x1, double y1, rgb colour, double alpha = 1.0, bool draw_start = true) {
    check_alpha(alpha, "draw_line");
    if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) {
      throw value_error("image::draw_line: the end points must be finite");
    }
    const double skip_x = std::floor(x0);
    const double skip_y = std::floor(y0);
    // Clip to the image (Liang–Barsky) first, so that the step count below is bounded by its size.
    double t0 = 0.0;
    double t1 = 1.0;
    const double dx = x1 - x0;
    const double dy = y1 - y0;
    auto clip = [&](double p, double q) {  // keeps the part where p·t ≤ q
      if (p == 0) return q >= 0;
      const double t = q / p;
      if (p < 0) {
        if (t > t1) return false;
        t0 = std::max(t0, t);
      } else {
        if (t < t0) return false;
        t1 = std::min(t1, t);
      }
      return true;
    };
    if (!clip(-dx, x0) || !clip(dx, width_ - x0) || !clip(-dy, y0) || !clip(dy, height_ - y0)) return;
    const double ax = x0 + t0 * dx;
    const double ay = y0 + t0 * dy;
    const double bx = x0 + t1 * dx;
    const double by = y0 + t1 * dy;
    // Steps of at most one pixel along either axis never skip a row or a column.
    const int steps = static_cast<int>(std::ceil(std::max(std::abs(bx - ax), std::abs(by - ay))));
    double last_x = -1;
    double last_y = -1;
    for (int k = 0; k <= steps; ++k) {
      const double t = steps == 0 ? 0.0 : static_cast<double>(k) / steps;
      const double px = std::floor(ax + t * (bx - ax));
      const double py = std::floor(ay + t * (by - ay));
      if (px == last_x && py == last_y) continue;
      last_x = px;
      last_y = py;
      if (!draw_start && px == skip_x && py == skip_y) continue;
      if (px >= 0 && py >= 0 && px < width_ && py < height_) mix(static_cast<int>(px), static_cast<int>(py), colour, alpha);
    }
  }

  /// Copies `other` with its top-left corner at (x, y) of this image, clipped to this image.
  void paste(const image& other, int x, int y) {
    const int x_lo = std::max(0, x);
    const int x_hi = static_cast<int>(std::min<std::int64_t>(width_, std::int64_t{x} + other.width_));
    const int y_lo = std::max(0, y);
    const int y_hi = static_cast<int>(std::min<std::int64_t>(height_, std::int64_t{y} + other.height_));
    if (x_lo >= x_hi) return;
    for (int row = y_lo; row < y_hi; ++row) {
      const auto from = other.bytes_.begin() + static_cast<std::ptrdiff_t>(other.offset(x_lo - x, row - y));
      std::copy(from, from + 3 * (x_hi - x_lo), bytes_.begin() + static_cast<std::ptrdiff_t>(offset(x_lo, row)));
    }
  }

  /// Equal when the sizes and every pixel are.
  friend bool operator==(const image&, const image&) = default;

 private:
  std::size_t offset(int x, int y) const noexcept {
    return (static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) + static_cast<std::size_t>(x)) * 3;
  }
  void put(int x, int y, rgb colour) noexcept {
    const std::size_t i = offset(x, y);
    bytes_[i] = colour.r;
    bytes_[i + 1] = colour.g;
    bytes_[i + 2] = colour.b;
  }
  void mix(int x, int y, rgb colour, double alpha) noexcept {
    const std::size_t i = offset(x, y);
    auto channel = [alpha](std::uint8_t old, std::uint8_t added) {
      return static_cast<std::uint8_t>(std::lround(old + alpha * (static_cast<double>(added) - old)));
    };
    bytes_[i] = channel(bytes_[i], colour.r);
    bytes_[i + 1] = channel(bytes_[i + 1], colour.g);
    bytes_[i + 2] = channel(bytes_[i + 2], colour.b);
  }
  void check(int x, int y, const char* who) const {
    if (!contains(x, y)) {
      throw value_error(std::string("image::") + who + ": pixel (" + std::to_string(x) + ", " + std::to_string(y) +
                        ") is outside the " + std::to_string(width_) + "x" + std::to_string(height_) + " image");
    }
  }
  static void check_alpha(double alpha, const char* who) {
    if (!(alpha >= 0.0 && alpha <= 1.0)) {
      throw value_error(std::string("image::") + who + ": alpha " + std::to_string(alpha) + " is not in [0, 1]");
    }
  }
  /// floor(v) limited to [-1, size]: every in-image index survives, the rest stays outside.
  static int clamp_to_int(double v, int size) noexcept { return static_cast<int>(std::clamp(v, -1.0, double(size))); }

  int width_;
  int height_;
  std::vector<std::uint8_t> bytes_;
};

/// The PNG encoding (8-bit RGB) of `picture`. Throws io_error if stb cannot encode it (out of
/// memory).
inline std::vector<std::uint8_t> encode_png(const image& picture) {
  struct sink {
    std::vector<std::uint8_t> bytes;
    bool failed = false;
  } out;
  // stb calls back with pieces of the file; an exception must not cross its C frames (it would
  // leak stb's buffers), so it is caught here and reported after the call.
  auto append = [](void* context, void* data, int size) {
    auto& s = *static_cast<sink*>(context);
    try {
      const auto* first = static_cast<const std::uint8_t*>(data);
      s.bytes.insert(s.bytes.end(), first, first + size);
    } catch (...) {
      s.failed = true;
    }
  };
  const int ok = stbi_write_png_to_func(append, &out, picture.width(), picture.height(), 3, picture.bytes().data(),
                                        picture.width() * 3);
  if (ok == 0 || out.failed) {
    throw io_error("encode_png: cannot encode a " + std::to_string(picture.width()) + "x" +
                   std::to_string(picture.height()) + " image (out of memory?)");
  }
  return std::move(out.bytes);
}

/// Writes `picture` to `path` as a PNG, atomically (a temporary beside it, then a rename). Throws
/// io_error naming the file if it cannot be written, e.g. when its directory does not exist.
inline void write_png(const std::filesystem::path& path, const image& picture) {
  const std::vector<std::uint8_t> png = encode_png(picture);
  io::write_atomically(path, [&](std::ofstream& out) {
    out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  });
}

namespace detail {

/// Throws value_error for a NaN colormap argument (a NaN would otherwise turn into some colour).
inline double colormap_argument(double t, const char* who) {
  if (std::isnan(t)) throw value_error(std::string(who) + ": the value is NaN");
  return std::clamp(t, 0.0, 1.0);
}

}  // namespace detail

/// The viridis colormap (van der Walt, Smith & Firing, matplotlib's default): dark purple at 0,
/// through blue and green, to yellow at 1, with lightness increasing throughout, so it reads in
/// grayscale and to colour-blind eyes. t is clamped to [0, 1]; value_error for NaN.
///
/// The table is viridis sampled at t = k/32 (linearly interpolating the 256 entries of its
/// definition) and rounded to 8 bits; interpolating it stays within 2 levels of the full map.
inline rgb viridis(double t) {
  static constexpr std::array<std::array<std::uint8_t, 3>, 33> table{{
      {68, 1, 84},    {71, 13, 96},   {72, 24, 106},  {72, 35, 116},  {71, 45, 123},  {69, 54, 129},
      {66, 64, 134},  {63, 73, 137},  {59, 82, 139},  {55, 90, 141},  {51, 99, 141},  {47, 106, 142},
      {44, 114, 142}, {41, 122, 142}, {38, 129, 142}, {35, 137, 142}, {33, 144, 140}, {31, 152, 139},
      {31, 159, 136}, {33, 166, 133}, {40, 174, 128}, {49, 181, 123}, {62, 188, 116}, {76, 194, 108},
      {93, 201, 99},  {110, 206, 88}, {130, 211, 76}, {150, 216, 63}, {171, 220, 50}, {192, 223, 36},
      {213, 226, 26}, {234, 229, 26}, {253, 231, 37},
  }};
  const double x = detail::colormap_argument(t, "viridis") * 32.0;
  const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(x), 31);
  const double f = x - static_cast<double>(k);
  auto channel = [&](std::size_t c) {
    const double a = table[k][c];
    const double b = table[k + 1][c];
    return static_cast<std::uint8_t>(std::lround(a + f * (b - a)));
  };
  return {channel(0), channel(1), channel(2)};
}

/// Gray level t: black at 0, white at 1 (round(255·t)). t is clamped to [0, 1]; value_error for NaN.
inline rgb grayscale(double t) {
  const auto v = static_cast<std::uint8_t>(std::lround(255.0 * detail::colormap_argument(t, "grayscale")));
  return {v, v, v};
}

}  // namespace eigenflow::plot
