// tests/allocation/eigen_assert_hook.hpp — force-included (-include) into every translation unit
// of the allocation suite, before Eigen.
//
// With EIGEN_RUNTIME_NO_MALLOC, Eigen asks eigen_assert whether each of its heap allocations is
// allowed. This hook counts the forbidden ones instead of aborting (and stays on in release
// builds); any other failed Eigen assertion still aborts. Every translation unit of the suite sees
// the same definitions, so there is one meaning of each inline Eigen function.
#pragma once

#ifndef EIGEN_RUNTIME_NO_MALLOC
#error "the allocation suite is compiled with EIGEN_RUNTIME_NO_MALLOC"
#endif

namespace eigenflow::test {
void eigen_assertion_failed(const char* condition, const char* file, int line);
}  // namespace eigenflow::test

#define eigen_assert(x) ((x) ? static_cast<void>(0) : ::eigenflow::test::eigen_assertion_failed(#x, __FILE__, __LINE__))
