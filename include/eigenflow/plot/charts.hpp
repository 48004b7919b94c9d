// include/eigenflow/plot/charts.hpp — the diagnostic pictures of a flow: a density heatmap on a
// grid, a scatter of points (samples beside the data with side_by_side), the ODE trajectories of a
// CNF's particles from base to data, and a grid of sampled images (one class per row).
//
// Each returns a plot::image for write_png. They take points batch-major as everywhere in
// eigenflow (one n×2 matrix per set of 2-D points) and a `view`, the rectangle of the plane shown,
// so that pictures meant to be compared (data and samples, frames of a trajectory) share one
// mapping to pixels: bounds_of gives one that fits a set of points. Bad input (wrong shapes,
// non-finite values, an empty view) throws shape_error or value_error rather than drawing a
// misleading picture.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/image_shape.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/plot/image.hpp"

namespace eigenflow::plot {

/// The rectangle [x_min, x_max]×[y_min, y_max] of the plane a chart shows. The chart's pixels
/// split it evenly; y grows upwards in the plane and downwards in the image.
struct view {
  /// Left edge, in plane units.
  double x_min, x_max, y_min, y_max;
  /// @var x_max
  /// Right edge, in plane units (greater than x_min).

  /// @var y_min
  /// Bottom edge, in plane units.

  /// @var y_max
  /// Top edge, in plane units (greater than y_min).
};

namespace detail {

inline std::string shape_string(index_t rows, index_t cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

inline void check_view(const view& v, const std::string& who) {
  if (!(std::isfinite(v.x_min) && std::isfinite(v.x_max) && std::isfinite(v.y_min) && std::isfinite(v.y_max) &&
        v.x_min < v.x_max && v.y_min < v.y_max)) {
    throw value_error(who + ": the view [" + std::to_string(v.x_min) + ", " + std::to_string(v.x_max) + "]x[" +
                      std::to_string(v.y_min) + ", " + std::to_string(v.y_max) +
                      "] must be finite with x_min < x_max and y_min < y_max");
  }
}

inline void check_pixels(int pixels, const std::string& who) {
  if (pixels < 1 || pixels > max_image_side) {
    throw value_error(who + ": pixels " + std::to_string(pixels) + " is not in [1, " + std::to_string(max_image_side) +
                      "]");
  }
}

/// Throws unless `points` is n×2 with n ≥ 1 and every value finite.
template <class Scalar>
void check_points(const matrix<Scalar>& points, const std::string& who, const std::string& what = "points") {
  if (points.cols() != 2 || points.rows() < 1) {
    throw shape_error(who + ": " + what + " are " + shape_string(points.rows(), points.cols()) +
                      "; expected n x 2 with n >= 1 (one 2-D point per row)");
  }
  for (index_t i = 0; i < points.rows(); ++i) {
    if (!std::isfinite(static_cast<double>(points(i, 0))) || !std::isfinite(static_cast<double>(points(i, 1)))) {
      throw value_error(who + ": " + what + " row " + std::to_string(i) + " is not finite");
    }
  }
}

/// The affine map from a view to the continuous pixel coordinates of a width×height image.
struct pixel_map {
  double x_min, y_max, x_scale, y_scale;
  pixel_map(const view& v, int width, int height)
      : x_min(v.x_min), y_max(v.y_max), x_scale(width / (v.x_max - v.x_min)), y_scale(height / (v.y_max - v.y_min)) {}
  double x(double plane_x) const { return (plane_x - x_min) * x_scale; }
  double y(double plane_y) const { return (y_max - plane_y) * y_scale; }
};

}  // namespace detail

/// The view that holds every row of `points` (n×2, finite), widened by `margin` times its extent
/// on each side. A zero extent (all points on a line, or one point) borrows the other axis's, or
/// 1. With equal_aspect, the narrower axis is widened about its centre to the other's extent, so
/// a square image does not stretch the points.
template <class Scalar>
view bounds_of(const matrix<Scalar>& points, double margin = 0.05, bool equal_aspect = false) {
  detail::check_points(points, "bounds_of");
  if (!std::isfinite(margin) || margin < 0) {
    throw value_error("bounds_of: margin " + std::to_string(margin) + " must be finite and not negative");
  }
  const double x_lo = static_cast<double>(points.col(0).minCoeff());
  const double x_hi = static_cast<double>(points.col(0).maxCoeff());
  const double y_lo = static_cast<double>(points.col(1).minCoeff());
  const double y_hi = static_cast<double>(points.col(1).maxCoeff());
  double x_span = x_hi - x_lo;
  double y_span = y_hi - y_lo;
  if (x_span == 0) x_span = y_span > 0 ? y_span : 1.0;
  if (y_span == 0) y_span = x_span;
  if (equal_aspect) x_span = y_span = std::max(x_span, y_span);
  const double x_mid = 0.5 * (x_lo + x_hi);
  const double y_mid = 0.5 * (y_lo + y_hi);
  const double x_half = 0.5 * x_span * (1 + 2 * margin);
  const double y_half = 0.5 * y_span * (1 + 2 * margin);
  return {x_mid - x_half, x_mid + x_half, y_mid - y_half, y_mid + y_half};
}

/// A pixels×pixels heatmap of a density over `v`: the log-density is evaluated once, on the
/// whole grid of pixel centres (a (pixels²)×2 matrix, row y·pixels + x for pixel (x, y)), by
/// log_prob(const matrix<Scalar>&), which must return pixels²×1 values (a matrix or a vector).
/// Each pixel is coloured viridis(p / max p), computed as exp(log p − max log p) so that
/// densities far below the float range still show.
///
/// A log-density of −∞ is a density of 0 and is drawn as viridis(0) (a view wholly outside the
/// support draws all of it so). NaN or +∞ throws value_error naming the grid point: it is a fault
/// of the model, which a picture would hide. Wrong output shape throws shape_error.
template <class Scalar, class LogDensity>
image density_heatmap(const LogDensity& log_prob, const view& v, int pixels = 256) {
  const std::string who = "density_heatmap";
  detail::check_view(v, who);
  detail::check_pixels(pixels, who);
  image picture(pixels, pixels, viridis(0.0));  // first: a size too large fails before log_prob runs
  const index_t n = index_t{pixels} * pixels;
  matrix<Scalar> grid(n, 2);
  const double dx = (v.x_max - v.x_min) / pixels;
  const double dy = (v.y_max - v.y_min) / pixels;
  for (int y = 0; y < pixels; ++y) {
    for (int x = 0; x < pixels; ++x) {
      const index_t row = index_t{y} * pixels + x;
      grid(row, 0) = static_cast<Scalar>(v.x_min + (x + 0.5) * dx);
      grid(row, 1) = static_cast<Scalar>(v.y_max - (y + 0.5) * dy);
    }
  }
  const matrix<Scalar> log_p = log_prob(std::as_const(grid));
  if (log_p.rows() != n || log_p.cols() != 1) {
    throw shape_error(who + ": log_prob returned " + detail::shape_string(log_p.rows(), log_p.cols()) + " for " +
                      std::to_string(n) + " grid points; expected " + detail::shape_string(n, 1));
  }
  double top = -std::numeric_limits<double>::infinity();
  for (index_t i = 0; i < n; ++i) {
    const double value = static_cast<double>(log_p(i, 0));
    if (std::isnan(value) || value == std::numeric_limits<double>::infinity()) {
      throw value_error(who + ": log_prob is " + std::to_string(value) + " at (" +
                        std::to_string(static_cast<double>(grid(i, 0))) + ", " +
                        std::to_string(static_cast<double>(grid(i, 1))) + ")");
    }
    top = std::max(top, value);
  }
  if (top == -std::numeric_limits<double>::infinity()) return picture;  // zero density everywhere
  for (int y = 0; y < pixels; ++y) {
    for (int x = 0; x < pixels; ++x) {
      picture.set(x, y, viridis(std::exp(static_cast<double>(log_p(index_t{y} * pixels + x, 0)) - top)));
    }
  }
  return picture;
}

/// Draws each row of `points` (n×2, finite) onto `canvas` as a disc of `radius` pixels at the
/// pixel `v` maps it to (the view spans the whole canvas), blended with opacity `alpha`. Points
/// outside the view are clipped. Use it to overlay samples on a heatmap.
template <class Scalar>
void draw_points(image& canvas, const matrix<Scalar>& points, const view& v, rgb colour, double radius = 1.0,
                 double alpha = 0.5) {
  detail::check_view(v, "draw_points");
  detail::check_points(points, "draw_points");
  const detail::pixel_map map(v, canvas.width(), canvas.height());
  for (index_t i = 0; i < points.rows(); ++i) {
    canvas.fill_disc(map.x(static_cast<double>(points(i, 0))), map.y(static_cast<double>(points(i, 1))), radius, colour,
                     alpha);
  }
}

/// A pixels×pixels scatter plot of `points` (n×2) over `v` on `background`; see draw_points.
/// "Samples beside the data" is side_by_side({scatter(data, v, ...), scatter(samples, v, ...)}),
/// with the same view for both.
template <class Scalar>
image scatter(const matrix<Scalar>& points, const view& v, int pixels, rgb colour, double radius = 1.0,
              double alpha = 0.5, rgb background = white) {
  detail::check_pixels(pixels, "scatter");
  image picture(pixels, pixels, background);
  draw_points(picture, points, v, colour, radius, alpha);
  return picture;
}

/// `images` left to right, top-aligned, `gap` pixels of `background` between them (and below the
/// shorter ones). value_error for an empty list or a negative gap.
inline image side_by_side(const std::vector<image>& images, int gap = 8, rgb background = white) {
  if (images.empty()) throw value_error("side_by_side: no images");
  if (gap < 0) throw value_error("side_by_side: gap " + std::to_string(gap) + " is negative");
  std::int64_t width = std::int64_t{gap} * static_cast<std::int64_t>(images.size() - 1);
  int height = 0;
  for (const image& picture : images) {
    width += picture.width();
    height = std::max(height, picture.height());
  }
  if (width > max_image_side) {
    throw value_error("side_by_side: the images and gaps are " + std::to_string(width) + " pixels wide, more than " +
                      std::to_string(max_image_side));
  }
  image row(static_cast<int>(width), height, background);
  int x = 0;
  for (const image& picture : images) {
    row.paste(picture, x, 0);
    x += picture.width() + gap;
  }
  return row;
}

/// How trajectories draws.
struct trajectory_style {
  /// Colour of the canvas.
  rgb background = white;
  /// Opacity of the path lines: overlapping paths darken where many particles travel.
  double line_alpha = 0.4;
  /// Radius in pixels of the markers at the first positions.
  double start_radius = 1.0;
  /// Radius in pixels of the markers at the last positions.
  double end_radius = 2.5;
  /// Time runs along viridis from 0 to colour_max: the top of viridis is a pale yellow that is
  /// hard to see on white.
  double colour_max = 0.9;
};

/// The paths of particles through time, pixels×pixels over `v`: states[k] holds the positions
/// (n×2, the same n for every k) at the k-th of T times, e.g. the states of a CNF's ODE solve at
/// times from base to data. Each particle is a polyline through its T positions, each segment
/// coloured by its time (viridis, the first time at 0, the last at style.colour_max); small
/// markers in the first time's colour show where particles start and larger ones in the last
/// time's colour where they end (drawn last, on top).
template <class Scalar>
image trajectories(const std::vector<matrix<Scalar>>& states, const view& v, int pixels,
                   const trajectory_style& style = {}) {
  const std::string who = "trajectories";
  detail::check_view(v, who);
  detail::check_pixels(pixels, who);
  if (states.empty()) throw value_error(who + ": no states");
  if (!(style.colour_max >= 0.0 && style.colour_max <= 1.0)) {
    throw value_error(who + ": colour_max " + std::to_string(style.colour_max) + " is not in [0, 1]");
  }
  for (std::size_t k = 0; k < states.size(); ++k) {
    detail::check_points(states[k], who, "states[" + std::to_string(k) + "]");
    if (states[k].rows() != states[0].rows()) {
      throw shape_error(who + ": states[" + std::to_string(k) + "] has " + std::to_string(states[k].rows()) +
                        " particles, states[0] has " + std::to_string(states[0].rows()));
    }
  }
  const std::size_t times = states.size();
  const index_t n = states[0].rows();
  image picture(pixels, pixels, style.background);
  const detail::pixel_map map(v, pixels, pixels);
  auto px = [&](std::size_t k, index_t i) { return map.x(static_cast<double>(states[k](i, 0))); };
  auto py = [&](std::size_t k, index_t i) { return map.y(static_cast<double>(states[k](i, 1))); };
  for (std::size_t k = 0; k + 1 < times; ++k) {
    // The segment from time k to k + 1, coloured by its middle.
    const rgb colour = viridis(style.colour_max * (static_cast<double>(k) + 0.5) / static_cast<double>(times - 1));
    for (index_t i = 0; i < n; ++i) {
      picture.draw_line(px(k, i), py(k, i), px(k + 1, i), py(k + 1, i), colour, style.line_alpha, k == 0);
    }
  }
  const rgb first = viridis(0.0);
  const rgb last = viridis(style.colour_max);
  for (index_t i = 0; i < n; ++i) picture.fill_disc(px(0, i), py(0, i), style.start_radius, first);
  for (index_t i = 0; i < n; ++i) picture.fill_disc(px(times - 1, i), py(times - 1, i), style.end_radius, last);
  return picture;
}

/// A grid of images, one per row of `images` in the library's layout (image_shape.hpp: channel
/// c's pixel (x, y) in column (c·H + y)·W + x): one channel is drawn in grayscale, three as red,
/// green and blue, each value mapped linearly from [lo, hi] to 0..255 (clamped). Tiles are laid
/// out `columns` to a row in the order of the rows of `images` (so when samples come class by
/// class, `columns` per class, each row of tiles is a class), each pixel enlarged to
/// scale×scale, with a 1-pixel line of `separator` between tiles; missing tiles in the last row
/// are left as `separator`.
///
/// shape_error unless images has C·H·W columns and at least one row; value_error for a channel
/// count other than 1 or 3, non-positive sizes, lo ≥ hi, non-finite bounds or values, or a
/// result too large for an image.
template <class Scalar>
image image_grid(const matrix<Scalar>& images, const image_shape& shape, int columns, double lo, double hi,
                 int scale = 4, rgb separator = white) {
  const std::string who = "image_grid";
  if (shape.channels != 1 && shape.channels != 3) {
    throw value_error(who + ": images of " + shape.to_string() +
                      " have " + std::to_string(shape.channels) + " channels; a picture shows 1 (grayscale) or 3 (RGB)");
  }
  if (shape.height < 1 || shape.width < 1 || columns < 1 || scale < 1 || shape.height > max_image_side ||
      shape.width > max_image_side) {
    throw value_error(who + ": height " + std::to_string(shape.height) + ", width " + std::to_string(shape.width) +
                      ", columns " + std::to_string(columns) + " and scale " + std::to_string(scale) +
                      " must be positive (and a side at most " + std::to_string(max_image_side) + ")");
  }
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi)) {
    throw value_error(who + ": the value range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                      "] must be finite with lo < hi");
  }
  if (images.rows() < 1 || images.cols() != shape.size()) {
    throw shape_error(who + ": images are " + detail::shape_string(images.rows(), images.cols()) + "; expected n x " +
                      std::to_string(shape.size()) + " (one " + shape.to_string() + " image per row, n >= 1)");
  }
  if (!images.allFinite()) throw value_error(who + ": the images hold non-finite values");
  const auto height = static_cast<int>(shape.height), width = static_cast<int>(shape.width);
  const std::int64_t count = images.rows();
  const std::int64_t tile_rows = (count + columns - 1) / columns;
  const std::int64_t tile_w = std::int64_t{width} * scale;
  const std::int64_t tile_h = std::int64_t{height} * scale;
  const std::int64_t total_w = columns * (tile_w + 1) - 1;
  const std::int64_t total_h = tile_rows * (tile_h + 1) - 1;
  if (total_w > max_image_side || total_h > max_image_side) {
    throw value_error(who + ": the grid would be " + std::to_string(total_w) + "x" + std::to_string(total_h) +
                      " pixels, more than " + std::to_string(max_image_side) + " a side");
  }
  const auto level = [&](index_t t, index_t c, int y, int x) {
    return grayscale((static_cast<double>(images(t, shape.column(c, y, x))) - lo) / (hi - lo)).r;
  };
  image picture(static_cast<int>(total_w), static_cast<int>(total_h), separator);
  for (index_t t = 0; t < images.rows(); ++t) {
    const int left = static_cast<int>((t % columns) * (tile_w + 1));
    const int top = static_cast<int>((t / columns) * (tile_h + 1));
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const std::uint8_t first = level(t, 0, y, x);
        const rgb colour = shape.channels == 1 ? rgb{first, first, first}
                                               : rgb{first, level(t, 1, y, x), level(t, 2, y, x)};
        for (int sy = 0; sy < scale; ++sy) {
          for (int sx = 0; sx < scale; ++sx) picture.set(left + x * scale + sx, top + y * scale + sy, colour);
        }
      }
    }
  }
  return picture;
}

/// A grid of one-channel height×width images: image_grid with image_shape{1, height, width}.
template <class Scalar>
image image_grid(const matrix<Scalar>& images, int height, int width, int columns, double lo, double hi,
                 int scale = 4, rgb separator = white) {
  return image_grid(images, image_shape{.channels = 1, .height = height, .width = width}, columns, lo, hi, scale,
                    separator);
}

}  // namespace eigenflow::plot
