// tests/allocation/counting_new.cpp — the counters behind counting_new.hpp: a replaced global
// operator new and the Eigen assertion hook.
#include "allocation/counting_new.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace eigenflow::test {

std::size_t& thread_allocation_count() {
  thread_local std::size_t count = 0;
  return count;
}

bool& thread_counting_enabled() {
  thread_local bool enabled = false;
  return enabled;
}

void eigen_assertion_failed(const char* condition, const char* file, int line) {
  if (std::strstr(condition, "heap allocation is forbidden") != nullptr) {
    if (thread_counting_enabled()) ++thread_allocation_count();
    return;
  }
  std::fprintf(stderr, "%s:%d: Eigen assertion failed: %s\n", file, line, condition);
  std::abort();
}

}  // namespace eigenflow::test

namespace {

void* counted_allocate(std::size_t size, std::size_t alignment) {
  if (eigenflow::test::thread_counting_enabled()) ++eigenflow::test::thread_allocation_count();
  if (size == 0) size = 1;
  void* p = alignment > alignof(std::max_align_t)
                ? std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment)
                : std::malloc(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t size) { return counted_allocate(size, 0); }
void* operator new[](std::size_t size) { return counted_allocate(size, 0); }
void* operator new(std::size_t size, std::align_val_t a) { return counted_allocate(size, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_allocate(size, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
