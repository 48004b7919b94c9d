// tools/eigenflow/image_file.hpp — images as the command line sees them. Input: IDX files of
// unsigned bytes (MNIST's format, plain or gzipped), N×H×W for one channel or N×H×W×C with the
// channels last, as NumPy and image libraries hold colour; class labels in a one-dimensional IDX
// file beside them. Output: the same IDX layout, a PNG grid to look at, or a table of pixels.
#pragma once

#include <cmath>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "eigenflow/eigenflow.hpp"
#include "eigenflow/plot/charts.hpp"
#include "eigenflow/plot/image.hpp"
#include "table_file.hpp"

namespace eigenflow::cli {

/// Pixel values 0..255: the levels an image's values are quantized to.
inline constexpr int pixel_levels = 256;
/// The most channels an image file may have (gray, gray + alpha, RGB, RGBA).
inline constexpr index_t max_image_channels = 4;

/// Whether `path` names an IDX file: its name ends in .idx or -ubyte (MNIST's names), either
/// followed by .gz.
inline bool is_idx_path(const std::filesystem::path& path) {
  const std::string file_name = path.filename().string();
  std::string_view name = file_name;
  if (name.ends_with(".gz")) name.remove_suffix(3);
  return name.ends_with(".idx") || name.ends_with("-ubyte");
}

/// Images read from a file: one per row, channel-major (pixel (c, y, x) in column (c·H + y)·W + x,
/// docs/conventions.md), values 0..255.
template <class Scalar>
struct image_set {
  matrix<Scalar> pixels;
  image_shape shape;
  std::vector<index_t> labels;  ///< empty unless a label file was read
};

/// Reads the images of an IDX file of unsigned bytes: N×H×W (one channel) or N×H×W×C.
/// @throws io_error as io::read_idx does (naming the file and offset), and for another value type
///   or number of dimensions, no image, or more than max_image_channels channels.
template <class Scalar>
image_set<Scalar> read_images(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw io_error(path.string() + ": no such file");
  const io::idx_array a = io::read_idx(path, {.type = io::idx_type::u8});
  const std::size_t rank = a.dims.size();
  if (rank != 3 && rank != 4) {
    throw io_error(path.string() + ": an IDX array of " + std::to_string(rank) +
                   " dimensions; images are N x H x W (one channel) or N x H x W x C (channels last)");
  }
  image_set<Scalar> out;
  out.shape = {rank == 4 ? a.dims[3] : 1, a.dims[1], a.dims[2]};
  if (a.dims[0] < 1 || out.shape.height < 1 || out.shape.width < 1 || out.shape.channels < 1) {
    throw io_error(path.string() + ": holds no image (sizes " + std::to_string(a.dims[0]) + " x " +
                   out.shape.to_string() + ")");
  }
  if (out.shape.channels > max_image_channels) {
    throw io_error(path.string() + ": images of " + std::to_string(out.shape.channels) + " channels (at most " +
                   std::to_string(max_image_channels) + "; is the array N x C x H x W? it must be N x H x W x C)");
  }
  const matrix<Scalar> file_order = io::idx_matrix<Scalar>(a);  // pixel (y, x, c) in column (y·W + x)·C + c
  if (out.shape.channels == 1) {
    out.pixels = file_order;
    return out;
  }
  const image_shape& s = out.shape;
  out.pixels.resize(file_order.rows(), s.size());
  for (index_t c = 0; c < s.channels; ++c) {
    for (index_t p = 0; p < s.pixels(); ++p) out.pixels.col(c * s.pixels() + p) = file_order.col(p * s.channels + c);
  }
  return out;
}

/// Reads `labels_path` (class ids in a one-dimensional IDX file of integers) into `images`.
/// @throws io_error as io::read_idx_labels does, or if it holds another count than the images.
template <class Scalar>
void read_image_labels(const std::filesystem::path& labels_path, const std::filesystem::path& images_path,
                       image_set<Scalar>& images) {
  if (!std::filesystem::exists(labels_path)) throw io_error(labels_path.string() + ": no such file");
  images.labels = io::read_idx_labels(labels_path);
  if (static_cast<index_t>(images.labels.size()) != images.pixels.rows()) {
    throw io_error(labels_path.string() + " holds " + std::to_string(images.labels.size()) + " labels, " +
                   images_path.string() + " " + std::to_string(images.pixels.rows()) + " images");
  }
}

/// How write_images writes a file, by its name.
enum class image_output { png, idx, table };

/// The output kind of `path`: .png, an IDX name (is_idx_path), or .csv / .npy.
/// @throws value_error for any other name.
inline image_output image_output_of(const std::filesystem::path& path) {
  if (path.extension() == ".png") return image_output::png;
  if (is_idx_path(path)) return image_output::idx;
  if (path.extension() == ".csv" || path.extension() == ".npy") return image_output::table;
  throw value_error(path.string() + ": unknown image output '" + path.extension().string() +
                    "' (known: .png, a name ending in .idx or -ubyte, either with .gz, .npy, .csv)");
}

/// Throws unless `path` can become an image output of `shape`: a known kind, a PNG only of
/// grayscale or RGB images, not a directory, in a directory that exists.
inline void check_image_output(const std::filesystem::path& path, const image_shape& shape) {
  namespace fs = std::filesystem;
  if (path.empty()) throw value_error("--out is empty: name a .png, .idx or .npy file to write");
  const image_output kind = image_output_of(path);
  if (kind == image_output::png && shape.channels != 1 && shape.channels != 3) {
    throw value_error("--out " + path.string() + ": a PNG grid shows grayscale (1 channel) or RGB (3) images, " +
                      "these have " + std::to_string(shape.channels) + " channels; write .idx or .npy");
  }
  if (fs::is_directory(path)) throw value_error("--out " + path.string() + " is a directory: name a file");
  if (!path.parent_path().empty() && !fs::is_directory(path.parent_path())) {
    throw io_error(path.string() + ": the directory " + path.parent_path().string() + " does not exist");
  }
}

/// Writes images (pixel values 0..255, one per row, channel-major) to `path`, atomically: an IDX
/// file of unsigned bytes laid out as read_images reads it (gzipped if the name ends in .gz), a
/// PNG grid of `grid_columns` images a row, or a table of pixel values (.npy, .csv).
template <class Scalar>
void write_images(const std::filesystem::path& path, const matrix<Scalar>& pixels, const image_shape& shape,
                  int grid_columns) {
  check_image_output(path, shape);
  shape.require_columns("write_images", pixels.cols());
  switch (image_output_of(path)) {
    case image_output::png:
      plot::write_png(path, plot::image_grid(pixels, shape, grid_columns, 0.0, double(pixel_levels - 1), 2));
      return;
    case image_output::table:
      write_table(path, pixels);
      return;
    case image_output::idx: {
      matrix<Scalar> file_order(pixels.rows(), pixels.cols());  // (y, x, c) in column (y·W + x)·C + c
      for (index_t c = 0; c < shape.channels; ++c) {
        for (index_t p = 0; p < shape.pixels(); ++p) {
          file_order.col(p * shape.channels + c) = pixels.col(c * shape.pixels() + p);
        }
      }
      std::vector<index_t> dims{pixels.rows(), shape.height, shape.width};
      if (shape.channels > 1) dims.push_back(shape.channels);
      const bool gzip = path.extension() == ".gz";
      io::write_idx(path, io::make_idx(io::idx_type::u8, std::move(dims), file_order), {.gzip = gzip});
      return;
    }
  }
}

}  // namespace eigenflow::cli
