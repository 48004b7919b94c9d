// tests/fuzz/make_seed_checkpoints.cpp — writes the checkpoint_reader seed corpus: a few tiny valid
// checkpoints from io::encode_checkpoint, so the fuzzer starts from the real format.
//
//   clang++ -std=c++20 -Iinclude -isystem /usr/include/eigen3 tests/fuzz/make_seed_checkpoints.cpp -o seeds
//   ./seeds tests/fuzz/corpus/checkpoint_reader
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "eigenflow/io/checkpoint.hpp"

namespace {

namespace io = eigenflow::io;

template <class Scalar>
void write(const std::filesystem::path& dir, const char* name, const io::checkpoint<Scalar>& ckpt) {
  const std::string bytes = io::encode_checkpoint(ckpt);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::printf("%s: %zu bytes\n", name, bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];

  write(dir, "empty_float.ckpt", io::checkpoint<float>{});

  io::checkpoint<float> small;  // every section present, shapes 2x1, 1x3 and 0x2
  small.architecture = "coupling(dim=2)";
  small.metadata = {{"iterations", "5"}, {"test_nll", "2.81"}};
  small.parameters.emplace_back("w", eigenflow::matrix<float>{{1.5f}, {-0.0f}});
  small.parameters.emplace_back("b", eigenflow::matrix<float>{{std::numeric_limits<float>::denorm_min(), 2, 3}});
  small.parameters.emplace_back("e", eigenflow::matrix<float>(0, 2));
  small.optimizer = eigenflow::optim::optimizer_state<float>{};
  small.optimizer->kind = "adam";
  small.optimizer->step = 7;
  small.optimizer->tensors.emplace_back("m.w", eigenflow::matrix<float>{{0.25f}, {4}});
  write(dir, "small_float.ckpt", small);

  io::checkpoint<double> d;  // double, optimizer without tensors
  d.architecture = "gaussian";
  d.parameters.emplace_back("mean", eigenflow::matrix<double>{{1e300, -1e-300}});
  d.optimizer = eigenflow::optim::optimizer_state<double>{};
  d.optimizer->kind = "sgd";
  d.optimizer->step = -1;
  write(dir, "small_double.ckpt", d);
  return 0;
}
