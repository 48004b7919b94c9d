// include/eigenflow/autodiff/ops/image.hpp — rearrangements of image batches (layout of
// image_shape.hpp), for every value type: space-to-depth squeeze and its inverse, a channel block,
// a per-channel vector spread over the pixels, and resampling to another resolution.
//
// Each is a column permutation, block or gather, so it rides on gather_cols and slice (whose
// gradients and tangents are already checked). The index lists are built by the *_columns
// functions: a layer builds them once and calls gather_cols itself, so that a training step
// allocates nothing; the convenience forms below build them per call.
#pragma once

#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/image_shape.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

/// The shape after a 2×2 space-to-depth squeeze: 4C channels of H/2 × W/2 (H and W even).
inline image_shape squeezed(const image_shape& in) {
  in.validate("squeeze");
  if (in.height % 2 != 0 || in.width % 2 != 0) {
    throw shape_error("squeeze: image shape " + in.to_string() + " has an odd height or width");
  }
  return {4 * in.channels, in.height / 2, in.width / 2};
}

/// The columns gather_cols reads to squeeze images of shape `in`: the 2×2 block at (2y, 2x) of
/// channel c becomes pixel (y, x) of channels 4c + 2·dy + dx (PyTorch's pixel_unshuffle order).
inline std::vector<index_t> squeeze_columns(const image_shape& in) {
  const image_shape out = squeezed(in);
  std::vector<index_t> idx(static_cast<std::size_t>(in.size()));
  for (index_t c = 0; c < in.channels; ++c) {
    for (index_t dy = 0; dy < 2; ++dy) {
      for (index_t dx = 0; dx < 2; ++dx) {
        for (index_t y = 0; y < out.height; ++y) {
          for (index_t x = 0; x < out.width; ++x) {
            idx[static_cast<std::size_t>(out.column(4 * c + 2 * dy + dx, y, x))] = in.column(c, 2 * y + dy, 2 * x + dx);
          }
        }
      }
    }
  }
  return idx;
}

/// The columns gather_cols reads to undo squeeze_columns(in): squeezed(in) back to `in`.
inline std::vector<index_t> unsqueeze_columns(const image_shape& in) {
  const std::vector<index_t> forward = squeeze_columns(in);
  std::vector<index_t> idx(forward.size());
  for (std::size_t j = 0; j < forward.size(); ++j) idx[static_cast<std::size_t>(forward[j])] = static_cast<index_t>(j);
  return idx;
}

/// For each column of images of shape s, its channel: gather_cols of a 1×C vector with these
/// spreads it over every pixel (a per-channel scale, shift or bias).
inline std::vector<index_t> channel_of_columns(const image_shape& s) {
  s.validate("channel_of_columns");
  std::vector<index_t> idx(static_cast<std::size_t>(s.size()));
  for (index_t c = 0; c < s.channels; ++c) {
    std::fill_n(idx.begin() + c * s.pixels(), s.pixels(), c);
  }
  return idx;
}

/// Images of one shape brought to another resolution by columns alone (resampled_columns).
struct resampled_image {
  image_shape shape;             ///< the shape gather_cols(x, columns) has
  std::vector<index_t> columns;  ///< the columns of the original images it reads
};

/// The columns that bring images of shape `in` to height × width without arithmetic: the same
/// resolution as is; a resolution 2^k times finer by k squeezes (no pixel lost, 4^k times the
/// channels); an integer factor coarser by nearest-neighbour repetition. A conditioner uses it to
/// see a context image at its own resolution. Throws shape_error for any other pair of sizes.
inline resampled_image resampled_columns(const image_shape& in, index_t height, index_t width) {
  in.validate("resampled_columns");
  const auto fail = [&] {
    return shape_error("resampled_columns: images of " + in.to_string() + " cannot be brought to " +
                       std::to_string(height) + "x" + std::to_string(width) +
                       " (needs the same size, a power-of-2 reduction or an integer enlargement)");
  };
  if (height < 1 || width < 1) throw fail();
  resampled_image r{in, std::vector<index_t>(static_cast<std::size_t>(in.size()))};
  std::iota(r.columns.begin(), r.columns.end(), index_t(0));
  while (r.shape.height > height) {  // finer than asked: squeeze
    if (r.shape.height % 2 != 0 || r.shape.width % 2 != 0 || r.shape.width <= width) throw fail();
    const std::vector<index_t> step = squeeze_columns(r.shape);
    std::vector<index_t> composed(step.size());
    for (std::size_t j = 0; j < step.size(); ++j) composed[j] = r.columns[static_cast<std::size_t>(step[j])];
    r = {squeezed(r.shape), std::move(composed)};
  }
  if (r.shape.height == height && r.shape.width == width) return r;
  if (r.shape.height > height || height % r.shape.height != 0 || width % r.shape.width != 0 ||
      height / r.shape.height != width / r.shape.width) {
    throw fail();
  }
  const index_t factor = height / r.shape.height;
  const image_shape out{r.shape.channels, height, width};
  std::vector<index_t> repeated(static_cast<std::size_t>(out.size()));
  for (index_t c = 0; c < out.channels; ++c) {
    for (index_t y = 0; y < height; ++y) {
      for (index_t x = 0; x < width; ++x) {
        repeated[static_cast<std::size_t>(out.column(c, y, x))] =
            r.columns[static_cast<std::size_t>(r.shape.column(c, y / factor, x / factor))];
      }
    }
  }
  return {out, std::move(repeated)};
}

/// Squeezes a batch of images of shape `in` to squeezed(in) (a permutation of the columns).
template <class Value>
Value squeeze(const Value& x, const image_shape& in) {
  in.require_columns("squeeze", x.cols());
  const std::vector<index_t> idx = squeeze_columns(in);
  return gather_cols(x, std::span<const index_t>(idx));
}

/// The inverse of squeeze: a batch of squeezed(in) images back to shape `in`.
template <class Value>
Value unsqueeze(const Value& x, const image_shape& in) {
  squeezed(in).require_columns("unsqueeze", x.cols());
  const std::vector<index_t> idx = unsqueeze_columns(in);
  return gather_cols(x, std::span<const index_t>(idx));
}

/// Channels [start, start + count) of a batch of images of shape s (a block of columns).
template <class Value>
Value channels(const Value& x, const image_shape& s, index_t start, index_t count) {
  s.require_columns("channels", x.cols());
  if (start < 0 || count < 1 || start + count > s.channels) {
    throw shape_error("channels: [" + std::to_string(start) + ", " + std::to_string(start + count) +
                      ") is not a block of the " + std::to_string(s.channels) + " channels of " + s.to_string());
  }
  return slice(x, start * s.pixels(), count * s.pixels());
}

/// A 1×C vector (a value per channel) spread to 1×(C·H·W): every pixel of channel c gets v_c.
template <class Value>
Value expand_channels(const Value& v, const image_shape& s) {
  if (v.rows() != 1 || v.cols() != s.channels) {
    throw shape_error("expand_channels: " + detail::format_shape(v.rows(), v.cols()) + " is not one value per channel of " +
                      s.to_string() + " (expected 1x" + std::to_string(s.channels) + ")");
  }
  const std::vector<index_t> idx = channel_of_columns(s);
  return gather_cols(v, std::span<const index_t>(idx));
}

}  // namespace eigenflow
