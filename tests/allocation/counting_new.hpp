// tests/allocation/counting_new.hpp — counts the heap allocations this thread makes in a scope.
//
// Two doors lead to the heap, and both are watched while counting: the global operator new
// (replaced in counting_new.cpp: std containers, our arena) and Eigen's aligned_malloc (reported
// through EIGEN_RUNTIME_NO_MALLOC, see eigen_assert_hook.hpp: matrices, GEMM packing buffers).
#pragma once

#include <cstddef>

#include <Eigen/Core>

namespace eigenflow::test {

std::size_t& thread_allocation_count();
bool& thread_counting_enabled();

/// The number of heap allocations made on this thread while f runs.
template <class F>
std::size_t count_allocations(F&& f) {
  thread_allocation_count() = 0;
  thread_counting_enabled() = true;
  Eigen::internal::set_is_malloc_allowed(false);
  f();
  Eigen::internal::set_is_malloc_allowed(true);
  thread_counting_enabled() = false;
  return thread_allocation_count();
}

/// The allocations of `repeats` calls of step after two warm-up calls: the first grows the
/// buffers, the second's tape clear() merges the arena's blocks into one.
template <class Step>
std::size_t steady_state_allocations(Step& step, int repeats) {
  step();
  step();
  return count_allocations([&] {
    for (int i = 0; i < repeats; ++i) step();
  });
}

}  // namespace eigenflow::test
