// tests/cli/tamper_checkpoint.cpp — test helper: sets one metadata value of a checkpoint and
// writes it back with a valid checksum, as someone editing the file and fixing its CRC would.
// The command line must then refuse what the edit asks for by what it is, never crash on it.
//
//   tamper_checkpoint FILE KEY VALUE
#include <cstdio>
#include <exception>

#include "eigenflow/io/checkpoint.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: tamper_checkpoint FILE KEY VALUE\n");
    return 2;
  }
  try {
    auto ckpt = eigenflow::io::load_checkpoint<float>(argv[1]);
    bool found = false;
    for (auto& [key, value] : ckpt.metadata) {
      if (key == argv[2]) value = argv[3], found = true;
    }
    if (!found) {
      std::fprintf(stderr, "tamper_checkpoint: %s has no metadata '%s'\n", argv[1], argv[2]);
      return 1;
    }
    eigenflow::io::save_checkpoint(argv[1], ckpt);
    std::printf("%s: %s = %s\n", argv[1], argv[2], argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tamper_checkpoint: %s\n", e.what());
    return 1;
  }
  return 0;
}
