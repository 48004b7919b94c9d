// include/eigenflow/image_shape.hpp — how a batch of images is one matrix.
//
// A batch of N images of C channels, H rows and W columns is an N×(C·H·W) matrix, one image per
// row, with pixel (c, y, x) in column (c·H + y)·W + x: channel-major, rows of pixels in order
// (PyTorch's NCHW flattened). With Eigen's column-major storage the same memory read as an
// (N·H·W)×C matrix has one channel per column and one (image, pixel) pair per row, so a 1×1
// convolution is a plain matrix product and a channel split is a block of columns, no copy.
#pragma once

#include <string>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

/// Channels, height and width of every image of a batch (see the header comment for the layout).
struct image_shape {
  index_t channels = 1;  ///< C
  index_t height = 1;    ///< H, rows of pixels
  index_t width = 1;     ///< W, pixels per row

  /// H·W.
  index_t pixels() const { return height * width; }
  /// C·H·W: the columns of a batch of these images.
  index_t size() const { return channels * height * width; }
  /// The column of pixel (c, y, x).
  index_t column(index_t c, index_t y, index_t x) const { return (c * height + y) * width + x; }
  /// "CxHxW", as messages write it.
  std::string to_string() const {
    return std::to_string(channels) + "x" + std::to_string(height) + "x" + std::to_string(width);
  }
  /// Equal in all three sizes.
  friend bool operator==(const image_shape&, const image_shape&) = default;

  /// Throws shape_error naming `op` unless every size is positive.
  void validate(const char* op) const {
    if (channels < 1 || height < 1 || width < 1) {
      throw shape_error(std::string(op) + ": image shape " + to_string() + " must be positive in every size");
    }
  }
  /// Throws shape_error naming `op` unless a batch has C·H·W columns.
  void require_columns(const char* op, index_t cols) const {
    validate(op);
    if (cols != size()) {
      throw shape_error(std::string(op) + ": " + std::to_string(cols) + " columns are not images of " + to_string() +
                        " (expected " + std::to_string(size()) + ")");
    }
  }
};

}  // namespace eigenflow
