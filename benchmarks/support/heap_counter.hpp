// benchmarks/support/heap_counter.hpp — counts every heap allocation of this thread, for the
// "allocations per step" figures. Include it in exactly one translation unit of a benchmark.
//
// malloc and friends are interposed and forwarded to glibc's own entry points, so allocations by
// operator new, by Eigen (aligned_malloc, GEMM packing buffers) and by the C library are all
// seen. It adds one thread-local increment per allocation; nothing is checked or slowed otherwise.
#pragma once

#include <cstddef>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}

namespace bench {

inline thread_local std::size_t heap_allocations = 0;

/// Allocations made on this thread while f runs.
template <class F>
std::size_t count_heap_allocations(F&& f) {
  const std::size_t before = heap_allocations;
  f();
  return heap_allocations - before;
}

}  // namespace bench

extern "C" {
void* malloc(std::size_t n) {
  ++bench::heap_allocations;
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  ++bench::heap_allocations;
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  ++bench::heap_allocations;
  return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
  ++bench::heap_allocations;
  return __libc_memalign(alignment, n);
}
void* memalign(std::size_t alignment, std::size_t n) {
  ++bench::heap_allocations;
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  ++bench::heap_allocations;
  *out = __libc_memalign(alignment, n);
  return *out == nullptr ? 12 /* ENOMEM */ : 0;
}
void free(void* p) { __libc_free(p); }
}
