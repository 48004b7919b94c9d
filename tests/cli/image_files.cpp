// tests/cli/image_files.cpp — test helper for the command line's image verbs: writes small IDX
// image files into DIR, and checks on them that tools/eigenflow/image_file.hpp reads and writes
// the layouts it promises (exit status 1 and a message if not).
//
//   image_files DIR
//
// DIR/gray-images-idx3-ubyte.gz   120 8x8 images: a bright 4x4 square in a corner set by the class
// DIR/gray-labels-idx1-ubyte.gz   their classes 0..2
// DIR/color-images.idx            48 4x4 RGB images (N x H x W x C), each pixel's value telling
//                                 its row, column and channel
// DIR/odd-images.idx              6 5x5 images (no level of Glow can squeeze them)
// DIR/gray-labels-short.idx       119 labels: one fewer than the images
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "image_file.hpp"

namespace {

using namespace eigenflow;

/// The value of pixel (y, x, c) of color image i: distinct for every pixel of an image.
double color_value(index_t i, index_t y, index_t x, index_t c) { return double(i % 4 + 16 * y + 4 * x + c); }

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

void write_gray(const std::filesystem::path& dir) {
  random_engine rng(5);
  const index_t n = 120, side = 8;
  matrix<double> images(n, side * side), labels(n, 1);
  for (index_t i = 0; i < n; ++i) {
    const index_t label = i % 3;
    labels(i, 0) = double(label);
    for (index_t y = 0; y < side; ++y) {
      for (index_t x = 0; x < side; ++x) {
        const bool lit = (label == 0 ? y < 4 && x < 4 : label == 1 ? y < 4 && x >= 4 : y >= 4 && x < 4);
        images(i, y * side + x) = std::floor((lit ? 180.0 : 20.0) + 60.0 * uniform01(rng));
      }
    }
  }
  io::write_idx(dir / "gray-images-idx3-ubyte.gz", io::make_idx(io::idx_type::u8, {n, side, side}, images),
                {.gzip = true});
  io::write_idx(dir / "gray-labels-idx1-ubyte.gz", io::make_idx(io::idx_type::u8, {n}, labels), {.gzip = true});
  io::write_idx(dir / "gray-labels-short.idx",
                io::make_idx(io::idx_type::u8, {n - 1}, matrix<double>(labels.topRows(n - 1))));
  io::write_idx(dir / "odd-images.idx",
                io::make_idx(io::idx_type::u8, {6, 5, 5}, matrix<double>(matrix<double>::Constant(6, 25, 9.0))));
}

/// Writes the colour images channels last, as NumPy holds them, and checks that read_images lays
/// them out channel-major and write_images writes them back channels last, byte for byte.
void write_and_check_color(const std::filesystem::path& dir) {
  const index_t n = 48, h = 4, w = 4, c = 3;
  matrix<double> file_order(n, h * w * c);
  for (index_t i = 0; i < n; ++i) {
    for (index_t y = 0; y < h; ++y) {
      for (index_t x = 0; x < w; ++x) {
        for (index_t k = 0; k < c; ++k) file_order(i, (y * w + x) * c + k) = color_value(i, y, x, k);
      }
    }
  }
  const std::filesystem::path file = dir / "color-images.idx";
  io::write_idx(file, io::make_idx(io::idx_type::u8, {n, h, w, c}, file_order));

  const cli::image_set<float> read = cli::read_images<float>(file);
  require(read.shape == image_shape{c, h, w}, "read_images: shape " + read.shape.to_string() + ", expected 3x4x4");
  for (index_t i = 0; i < n; ++i) {
    for (index_t y = 0; y < h; ++y) {
      for (index_t x = 0; x < w; ++x) {
        for (index_t k = 0; k < c; ++k) {
          require(read.pixels(i, read.shape.column(k, y, x)) == float(color_value(i, y, x, k)),
                  "read_images: pixel (c, y, x) = (" + std::to_string(k) + ", " + std::to_string(y) + ", " +
                      std::to_string(x) + ") of image " + std::to_string(i) + " is not where the layout puts it");
        }
      }
    }
  }
  const std::filesystem::path copy = dir / "color-copy-idx4-ubyte.gz";
  cli::write_images(copy, read.pixels, read.shape, 8);
  const io::idx_array back = io::read_idx(copy);
  require(back.dims == std::vector<index_t>{n, h, w, c}, "write_images: the copy is not N x H x W x C");
  require(io::idx_matrix<double>(back) == file_order, "write_images: the copy's bytes differ from the file read");
  // A PNG grid shows RGB images; two channels are no picture, and it says so before writing anything.
  cli::write_images(dir / "color.png", read.pixels, read.shape, 8);
  require(std::filesystem::file_size(dir / "color.png") > 0, "write_images wrote no PNG grid of colour images");
  const image_shape two{2, h, w};
  bool refused = false;
  try {
    cli::write_images(dir / "two.png", matrix<float>(read.pixels.leftCols(two.size())), two, 8);
  } catch (const value_error&) {
    refused = true;
  }
  require(refused && !std::filesystem::exists(dir / "two.png"), "write_images wrote two-channel images as a PNG grid");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: image_files DIR\n");
    return 2;
  }
  try {
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    write_gray(dir);
    write_and_check_color(dir);
    std::printf("image files written to %s; layouts checked\n", dir.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "image_files: %s\n", e.what());
    return 1;
  }
}
