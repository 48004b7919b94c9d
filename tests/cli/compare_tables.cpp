// tests/cli/compare_tables.cpp — test helper: checks that two one-table files (.csv or .npy) hold
// the same numbers up to a relative tolerance, -inf only where the other has -inf. Used to check
// that a command's result does not depend on how it was computed (in blocks, in one piece).
//
//   compare_tables A B TOLERANCE
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "eigenflow/io/csv.hpp"
#include "eigenflow/io/npy.hpp"

namespace {

eigenflow::matrix<double> read_any(const std::filesystem::path& path) {
  if (path.extension() == ".npy") return eigenflow::io::read_npy<double>(path);
  return eigenflow::io::read_csv<double>(path, {.infinities = true}).values;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: compare_tables A B TOLERANCE\n");
    return 2;
  }
  try {
    const auto a = read_any(argv[1]);
    const auto b = read_any(argv[2]);
    const double tolerance = std::stod(argv[3]);
    if (a.rows() != b.rows() || a.cols() != b.cols()) {
      std::fprintf(stderr, "compare_tables: %s is %ldx%ld, %s is %ldx%ld\n", argv[1], static_cast<long>(a.rows()),
                   static_cast<long>(a.cols()), argv[2], static_cast<long>(b.rows()), static_cast<long>(b.cols()));
      return 1;
    }
    double largest = 0;
    for (eigenflow::index_t j = 0; j < a.cols(); ++j) {
      for (eigenflow::index_t i = 0; i < a.rows(); ++i) {
        const double x = a(i, j), y = b(i, j);
        if (x == y) continue;  // equal infinities included
        const double difference = std::abs(x - y) / (1 + std::abs(x));
        if (!(difference <= tolerance)) {
          std::fprintf(stderr, "compare_tables: row %ld, column %ld: %.9g in %s, %.9g in %s\n", static_cast<long>(i),
                       static_cast<long>(j), x, argv[1], y, argv[2]);
          return 1;
        }
        largest = std::max(largest, difference);
      }
    }
    std::printf("same: %ld rows, largest relative difference %.3g\n", static_cast<long>(a.rows()), largest);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_tables: %s\n", e.what());
    return 1;
  }
  return 0;
}
