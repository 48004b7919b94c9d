// examples/tiny_fashion_mnist.cpp — writes a tiny stand-in for Fashion-MNIST into a directory:
// the four gzipped IDX files Debian's dataset-fashion-mnist ships, with 96 training and 32 test
// images of 28×28 (a bright rectangle whose place and size depend on the class, on noise). The
// examples' smoke tests read it, so they run wherever the real data set is not installed.
//
//   tiny_fashion_mnist DIR
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "eigenflow/io/idx.hpp"
#include "eigenflow/random.hpp"

namespace {

using namespace eigenflow;

void write_split(const std::filesystem::path& dir, const std::string& prefix, index_t count, random_engine& rng) {
  io::idx_array images{.type = io::idx_type::u8, .dims = {count, 28, 28}};
  io::idx_array labels{.type = io::idx_type::u8, .dims = {count}};
  std::uniform_int_distribution<int> noise(0, 40);
  for (index_t n = 0; n < count; ++n) {
    const int label = static_cast<int>(n % 10);
    labels.bytes.push_back(static_cast<unsigned char>(label));
    for (int y = 0; y < 28; ++y) {
      for (int x = 0; x < 28; ++x) {
        const bool inside = y >= 2 + label && y < 14 + label && x >= 4 + label / 2 && x < 20 + label / 2;
        images.bytes.push_back(static_cast<unsigned char>((inside ? 200 : 0) + noise(rng)));
      }
    }
  }
  io::write_idx(dir / (prefix + "-images-idx3-ubyte.gz"), images, {.gzip = true});
  io::write_idx(dir / (prefix + "-labels-idx1-ubyte.gz"), labels, {.gzip = true});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tiny_fashion_mnist DIR\n");
    return 2;
  }
  try {
    const std::filesystem::path dir(argv[1]);
    std::filesystem::create_directories(dir);
    random_engine rng(17);
    write_split(dir, "train", 96, rng);
    write_split(dir, "t10k", 32, rng);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tiny_fashion_mnist: %s\n", e.what());
    return 1;
  }
}
