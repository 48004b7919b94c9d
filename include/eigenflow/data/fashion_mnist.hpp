// include/eigenflow/data/fashion_mnist.hpp — Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017):
// 70,000 grey 28x28 pictures of ten kinds of clothing, split 60,000 train / 10,000 test, as Debian's
// package dataset-fashion-mnist installs them: gzipped IDX files in /usr/share/datasets/fashion-mnist.
//
// The data set is not needed to build or test eigenflow (scripts/install-deps.sh --images
// installs it). Images come as rows of 784 pixels, y·28 + x, values 0..255 (or scaled to [0, 1]);
// each split's images and labels are checked against each other: counts, 28x28, labels 0..9.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/io/idx.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow::data {

/// Where Debian's dataset-fashion-mnist puts the files.
inline constexpr std::string_view fashion_mnist_default_directory = "/usr/share/datasets/fashion-mnist";
inline constexpr index_t fashion_mnist_height = 28;                                      ///< rows of an image
inline constexpr index_t fashion_mnist_width = 28;                                       ///< columns of an image
inline constexpr index_t fashion_mnist_pixels = fashion_mnist_height * fashion_mnist_width;  ///< columns of `images`
inline constexpr index_t fashion_mnist_train_rows = 60000;                               ///< images of the train split
inline constexpr index_t fashion_mnist_test_rows = 10000;                                ///< images of the test split

/// The ten classes, by label.
inline constexpr std::array<std::string_view, 10> fashion_mnist_classes = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

/// Which of the two files pairs to read.
enum class fashion_mnist_split {
  train,  ///< train-images-idx3-ubyte, train-labels-idx1-ubyte: 60,000 images
  test,   ///< t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte: 10,000 images
};

/// How load_fashion_mnist reads a split.
struct fashion_mnist_options {
  /// Pixels as read (false: 0..255) or divided by 255 (true: 0..1).
  bool scale = false;
};

/// One split of Fashion-MNIST.
template <class Scalar>
struct fashion_mnist_set {
  matrix<Scalar> images;        ///< one image per row: 784 pixels, pixel (y, x) in column y·28 + x
  std::vector<index_t> labels;  ///< the class of each row, 0..9 (names in fashion_mnist_classes)
};

namespace detail {

// The file of `stem` in `directory`: gzipped as Debian ships it, or as gunzip leaves it.
inline std::filesystem::path fashion_mnist_file(const std::filesystem::path& directory, const std::string& stem) {
  std::error_code ec;
  const std::filesystem::path gz = directory / (stem + ".gz");
  if (std::filesystem::exists(gz, ec)) return gz;
  const std::filesystem::path plain = directory / stem;
  if (std::filesystem::exists(plain, ec)) return plain;
  const std::string install =
      "; Fashion-MNIST is installed by Debian's package dataset-fashion-mnist (sudo apt-get install "
      "dataset-fashion-mnist, or scripts/install-deps.sh --images in eigenflow's source tree) into " +
      std::string(fashion_mnist_default_directory);
  if (!std::filesystem::is_directory(directory, ec)) throw io_error(directory.string() + ": no such directory" + install);
  throw io_error(gz.string() + ": no such file (nor " + plain.filename().string() + ")" + install);
}

}  // namespace detail

/// Reads one split of Fashion-MNIST from `directory` (fashion_mnist_default_directory where
/// Debian installs it). Each file may be gzipped (`*.gz`, as shipped) or not.
///
/// @tparam Scalar float or double.
/// @throws io_error naming the directory or file: the files are missing (the message says how
///   to install them), malformed (as io::read_idx reports it), not 28x28 ubyte images and ubyte
///   labels, their counts differ, or a label is 10 or more.
///
/// @code
///   using namespace eigenflow;
///   const auto test = data::load_fashion_mnist<float>(data::fashion_mnist_default_directory,
///                                                     data::fashion_mnist_split::test, {.scale = true});
///   // test.images: 10000 x 784 in [0, 1]; data::fashion_mnist_classes[test.labels[0]] == "Ankle boot"
/// @endcode
template <class Scalar>
fashion_mnist_set<Scalar> load_fashion_mnist(const std::filesystem::path& directory, fashion_mnist_split split,
                                             const fashion_mnist_options& options = {}) {
  const std::string prefix = split == fashion_mnist_split::train ? "train" : "t10k";
  const std::filesystem::path images_file = detail::fashion_mnist_file(directory, prefix + "-images-idx3-ubyte");
  const std::filesystem::path labels_file = detail::fashion_mnist_file(directory, prefix + "-labels-idx1-ubyte");
  fashion_mnist_set<Scalar> set;
  set.images = io::read_idx_matrix<Scalar>(
      images_file,
      {.type = io::idx_type::u8, .item_dims = std::vector<index_t>{fashion_mnist_height, fashion_mnist_width}});
  set.labels = io::read_idx_labels(labels_file, {.type = io::idx_type::u8});
  if (static_cast<std::size_t>(set.images.rows()) != set.labels.size()) {
    throw io_error(images_file.string() + " holds " + std::to_string(set.images.rows()) + " images, but " +
                   labels_file.string() + " holds " + std::to_string(set.labels.size()) + " labels");
  }
  for (std::size_t k = 0; k < set.labels.size(); ++k) {
    if (set.labels[k] >= static_cast<index_t>(fashion_mnist_classes.size())) {
      throw io_error(labels_file.string() + ": label " + std::to_string(k) + " is " + std::to_string(set.labels[k]) +
                     ", outside 0..9");
    }
  }
  if (options.scale) set.images /= Scalar(255);
  return set;
}

}  // namespace eigenflow::data
