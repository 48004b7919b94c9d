// examples/hello_eigenflow/main.cpp — prints the version of eigenflow and of what it builds on.
#include <eigenflow/eigenflow.hpp>

#include <Eigen/Core>
#include <boost/version.hpp>

#include <iostream>

int main() {
  std::cout << "eigenflow " << eigenflow::version_string << " (Eigen " << EIGEN_WORLD_VERSION << "."
            << EIGEN_MAJOR_VERSION << "." << EIGEN_MINOR_VERSION << ", Boost "
            << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000 << ", SIMD: "
            << Eigen::SimdInstructionSetsInUse() << ")\n";
  return 0;
}
