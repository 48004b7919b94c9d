// tests/data/fashion_mnist_test.cpp — the Fashion-MNIST loader on a tiny fake data set written here
// under the real file names (gzipped as Debian ships them, or plain), its refusals, and the real
// test split when Debian's dataset-fashion-mnist is installed (skipped with a warning otherwise).
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "eigenflow/data/fashion_mnist.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/io/idx.hpp"
#include "support/scratch_dir.hpp"
#include "support/thrown.hpp"

namespace {
// The data suite is one unity translation unit: the helpers and cases stay in their own namespace.
namespace fashion_mnist_test {

namespace fs = std::filesystem;
namespace data = eigenflow::data;
namespace io = eigenflow::io;
using Catch::Contains;
using eigenflow::index_t;
using eigenflow::matrix;
using eigenflow::io_error;
using eigenflow::test::message_of;
using eigenflow::test::scratch_dir;

// Pixel (y, x) of fake image i.
unsigned char fake_pixel(index_t i, index_t y, index_t x) { return static_cast<unsigned char>((37 * i + 5 * y + 3 * x) % 256); }

// Writes `prefix`-images-idx3-ubyte and -labels-idx1-ubyte (with .gz if `gzipped`): one image per
// label, of rows x cols pixels.
void write_fake_split(const fs::path& dir, const std::string& prefix, const std::vector<unsigned char>& labels,
                      bool gzipped, index_t images = -1, index_t rows = 28, index_t cols = 28) {
  if (images < 0) images = static_cast<index_t>(labels.size());
  io::idx_array pixels{io::idx_type::u8, {images, rows, cols}, {}};
  for (index_t i = 0; i < images; ++i) {
    for (index_t y = 0; y < rows; ++y) {
      for (index_t x = 0; x < cols; ++x) pixels.bytes.push_back(fake_pixel(i, y, x));
    }
  }
  const std::string gz = gzipped ? ".gz" : "";
  io::write_idx(dir / (prefix + "-images-idx3-ubyte" + gz), pixels, {.gzip = gzipped});
  io::write_idx(dir / (prefix + "-labels-idx1-ubyte" + gz),
                io::idx_array{io::idx_type::u8, {static_cast<index_t>(labels.size())}, labels}, {.gzip = gzipped});
}

TEST_CASE("fashion-mnist: a fake data set under the real file names", "[data][fashion_mnist]") {
  scratch_dir dir;
  write_fake_split(dir.path, "train", {9, 0, 0, 3, 7}, true);  // gzipped, as Debian ships them
  write_fake_split(dir.path, "t10k", {1, 8, 5}, false);        // as gunzip leaves them

  const data::fashion_mnist_set<float> train =
      data::load_fashion_mnist<float>(dir.path, data::fashion_mnist_split::train);
  CHECK(train.images.rows() == 5);
  CHECK(train.images.cols() == data::fashion_mnist_pixels);
  CHECK(train.labels == std::vector<index_t>{9, 0, 0, 3, 7});
  for (index_t i = 0; i < 5; ++i) {
    for (index_t y = 0; y < 28; ++y) {
      for (index_t x = 0; x < 28; ++x) REQUIRE(train.images(i, 28 * y + x) == static_cast<float>(fake_pixel(i, y, x)));
    }
  }
  const data::fashion_mnist_set<double> test =
      data::load_fashion_mnist<double>(dir.path, data::fashion_mnist_split::test, {.scale = true});
  CHECK(test.images.rows() == 3);
  CHECK(test.images.cols() == 784);
  CHECK(test.labels == std::vector<index_t>{1, 8, 5});
  CHECK(test.images(2, 28 * 27 + 1) == Approx(fake_pixel(2, 27, 1) / 255.0));
  CHECK(test.images.maxCoeff() <= 1.0);
  CHECK(test.images.minCoeff() >= 0.0);
}

TEST_CASE("fashion-mnist: constants and class names", "[data][fashion_mnist]") {
  CHECK(data::fashion_mnist_default_directory == "/usr/share/datasets/fashion-mnist");
  CHECK(data::fashion_mnist_pixels == 784);
  CHECK(data::fashion_mnist_train_rows == 60000);
  CHECK(data::fashion_mnist_test_rows == 10000);
  REQUIRE(data::fashion_mnist_classes.size() == 10);
  CHECK(data::fashion_mnist_classes[0] == "T-shirt/top");
  CHECK(data::fashion_mnist_classes[6] == "Shirt");
  CHECK(data::fashion_mnist_classes[9] == "Ankle boot");
}

TEST_CASE("fashion-mnist: missing or inconsistent files are named", "[data][fashion_mnist]") {
  scratch_dir dir;
  const auto train = data::fashion_mnist_split::train;
  const auto test = data::fashion_mnist_split::test;

  SECTION("no directory: how to install the data set") {
    const fs::path absent = dir / "absent";
    CHECK_THAT(message_of<io_error>([&] { data::load_fashion_mnist<float>(absent, train); }),
               Contains(absent.string() + ": no such directory") && Contains("dataset-fashion-mnist") &&
                   Contains("scripts/install-deps.sh --images"));
  }
  SECTION("a missing file") {
    write_fake_split(dir.path, "t10k", {1, 2}, true);
    fs::remove(dir / "t10k-labels-idx1-ubyte.gz");
    CHECK_THAT(message_of<io_error>([&] { data::load_fashion_mnist<float>(dir.path, test); }),
               Contains((dir / "t10k-labels-idx1-ubyte.gz").string() + ": no such file (nor t10k-labels-idx1-ubyte)") &&
                   Contains("sudo apt-get install dataset-fashion-mnist"));
    // The other split's files are not this one's.
    CHECK_THAT(message_of<io_error>([&] { data::load_fashion_mnist<float>(dir.path, train); }),
               Contains("train-images-idx3-ubyte.gz: no such file"));
  }
  SECTION("counts that differ") {
    write_fake_split(dir.path, "train", {1, 2, 3, 4}, true, 5);
    CHECK_THAT(message_of<io_error>([&] { data::load_fashion_mnist<float>(dir.path, train); }),
               Contains((dir / "train-images-idx3-ubyte.gz").string() + " holds 5 images, but") &&
                   Contains((dir / "train-labels-idx1-ubyte.gz").string() + " holds 4 labels"));
  }
  SECTION("a label of no class") {
    write_fake_split(dir.path, "train", {1, 2, 10}, true);
    CHECK_THAT(message_of<io_error>([&] { data::load_fashion_mnist<float>(dir.path, train); }),
               Contains((dir / "train-labels-idx1-ubyte.gz").string() + ": label 2 is 10, outside 0..9"));
  }
  SECTION("images that are not 28 x 28 bytes") {
    write_fake_split(dir.path, "train", {1, 2}, true, -1, 28, 27);
    CHECK_THAT(message_of<io_error>([&] { data::load_fashion_mnist<float>(dir.path, train); }),
               Contains((dir / "train-images-idx3-ubyte.gz").string() +
                        ": at byte offset 12 of the decompressed data: the items are 28 x 27, expected 28 x 28"));
    matrix<double> pixels = matrix<double>::Zero(1, 784);
    io::write_idx(dir / "train-images-idx3-ubyte.gz", io::make_idx(io::idx_type::i16, {1, 28, 28}, pixels));
    CHECK_THAT(message_of<io_error>([&] { data::load_fashion_mnist<float>(dir.path, train); }),
               Contains("at byte offset 2: the values are short, expected ubyte"));
  }
}

TEST_CASE("fashion-mnist: the installed test split, if dataset-fashion-mnist is installed", "[data][fashion_mnist]") {
  const fs::path directory(data::fashion_mnist_default_directory);
  if (!fs::exists(directory / "t10k-images-idx3-ubyte.gz") && !fs::exists(directory / "t10k-images-idx3-ubyte")) {
    WARN("Fashion-MNIST is not installed in " << directory.string()
                                              << " (dataset-fashion-mnist): the check of the real files is skipped");
    return;
  }
  const data::fashion_mnist_set<float> test = data::load_fashion_mnist<float>(directory, data::fashion_mnist_split::test);
  CHECK(test.images.rows() == data::fashion_mnist_test_rows);
  CHECK(test.images.cols() == 784);
  REQUIRE(test.labels.size() == 10000);
  CHECK(test.images.minCoeff() == 0);
  CHECK(test.images.maxCoeff() == 255);
  std::vector<int> per_class(10, 0);
  for (const index_t label : test.labels) {
    REQUIRE(label >= 0);
    REQUIRE(label < 10);
    ++per_class[static_cast<std::size_t>(label)];
  }
  CHECK(per_class == std::vector<int>(10, 1000));  // the test split is balanced
  // The first labels of t10k-labels-idx1-ubyte: ankle boot, pullover, trouser, trouser, shirt, ...
  CHECK(std::vector<index_t>(test.labels.begin(), test.labels.begin() + 8) == std::vector<index_t>{9, 2, 1, 1, 6, 1, 4, 6});
}

}  // namespace fashion_mnist_test
}  // namespace
