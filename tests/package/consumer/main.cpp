// A downstream program: includes the umbrella header and prints the version it was built with.
#include <eigenflow/eigenflow.hpp>

#include <iostream>

int main() {
  std::cout << "eigenflow " << eigenflow::version_string << "\n";
  return 0;
}
