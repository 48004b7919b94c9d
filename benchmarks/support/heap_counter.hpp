// benchmarks/support/heap_counter.hpp — counts every heap allocation of this thread, for the
// "allocations per step" figures, and tracks the live and peak heap bytes of the process, for the
// "peak memory" figures. Include it in exactly one translation unit of a benchmark.
//
// malloc and friends are interposed and forwarded to glibc's own entry points, so allocations by
// operator new, by Eigen (aligned_malloc, GEMM packing buffers) and by the C library are all
// seen. Per allocation it adds one thread-local increment and, for the byte figures, an atomic
// add of the block's malloc_usable_size (what glibc actually reserved, ≥ the request) and a
// relaxed compare against the peak; a free subtracts its block's size. Nothing else is checked
// or slowed.
#pragma once

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}

namespace bench {

inline thread_local std::size_t heap_allocations = 0;

/// Bytes in live heap blocks (all threads), and the highest value since the last reset.
/// Signed: a block allocated before the interposition took effect could be freed through it.
inline std::atomic<std::int64_t> heap_live_bytes{0};
inline std::atomic<std::int64_t> heap_peak_bytes{0};

/// Allocations made on this thread while f runs.
template <class F>
std::size_t count_heap_allocations(F&& f) {
  const std::size_t before = heap_allocations;
  f();
  return heap_allocations - before;
}

/// The highest number of live heap bytes reached while f runs, above what was live when it
/// started: the working memory f needed at its peak (0 if it only freed).
template <class F>
std::size_t peak_heap_bytes(F&& f) {
  const std::int64_t before = heap_live_bytes.load(std::memory_order_relaxed);
  heap_peak_bytes.store(before, std::memory_order_relaxed);
  f();
  const std::int64_t peak = heap_peak_bytes.load(std::memory_order_relaxed);
  return peak > before ? static_cast<std::size_t>(peak - before) : 0;
}

namespace detail {

inline void heap_added(void* p) {
  if (p == nullptr) return;
  const auto n = static_cast<std::int64_t>(malloc_usable_size(p));
  const std::int64_t live = heap_live_bytes.fetch_add(n, std::memory_order_relaxed) + n;
  std::int64_t peak = heap_peak_bytes.load(std::memory_order_relaxed);
  while (live > peak && !heap_peak_bytes.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

inline void heap_removed(void* p) {
  if (p != nullptr) heap_live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
}

}  // namespace detail
}  // namespace bench

extern "C" {
void* malloc(std::size_t n) {
  ++bench::heap_allocations;
  void* p = __libc_malloc(n);
  bench::detail::heap_added(p);
  return p;
}
void* calloc(std::size_t n, std::size_t size) {
  ++bench::heap_allocations;
  void* p = __libc_calloc(n, size);
  bench::detail::heap_added(p);
  return p;
}
void* realloc(void* p, std::size_t n) {
  ++bench::heap_allocations;
  // Counted as a free of the old block and an allocation of the new one (a failed realloc leaves
  // the old block in place: add it back).
  bench::detail::heap_removed(p);
  void* q = __libc_realloc(p, n);
  bench::detail::heap_added(q != nullptr || n == 0 ? q : p);
  return q;
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
  ++bench::heap_allocations;
  void* p = __libc_memalign(alignment, n);
  bench::detail::heap_added(p);
  return p;
}
void* memalign(std::size_t alignment, std::size_t n) {
  ++bench::heap_allocations;
  void* p = __libc_memalign(alignment, n);
  bench::detail::heap_added(p);
  return p;
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  ++bench::heap_allocations;
  *out = __libc_memalign(alignment, n);
  bench::detail::heap_added(*out);
  return *out == nullptr ? 12 /* ENOMEM */ : 0;
}
void free(void* p) {
  bench::detail::heap_removed(p);
  __libc_free(p);
}
}
