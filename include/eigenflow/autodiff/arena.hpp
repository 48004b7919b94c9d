// include/eigenflow/autodiff/arena.hpp — aligned bump allocator whose storage is reused.
//
// A tape takes every node's value and adjoint from an arena. clear() keeps the memory; when a
// pass needed more than one block, the blocks are merged into one of the total size, so from the
// second pass of the same shape on, a pass makes no heap allocation at all.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace eigenflow::detail {

/// Bump allocator of T (trivially copyable) with 64-byte alignment; nothing is freed one by one.
template <class T>
class arena {
  static_assert(std::is_trivially_copyable_v<T>, "arena holds plain numbers and indices");

 public:
  static constexpr std::size_t alignment = 64;  // a cache line; any SIMD width Eigen uses

  arena() = default;
  arena(const arena&) = delete;
  arena& operator=(const arena&) = delete;
  arena(arena&&) noexcept = default;
  arena& operator=(arena&&) noexcept = default;

  /// n uninitialized elements, aligned; valid until clear().
  T* allocate(std::size_t n) {
    const std::size_t padded = round_up(std::max<std::size_t>(n, 1));
    while (current_ < blocks_.size()) {
      block& b = blocks_[current_];
      if (b.used + padded <= b.size) {
        T* out = b.data.get() + b.used;
        b.used += padded;
        return out;
      }
      ++current_;
    }
    const std::size_t size = std::max(padded, std::max<std::size_t>(capacity() , initial_elements));
    blocks_.push_back(block{allocate_block(size), size, padded});
    current_ = blocks_.size() - 1;
    return blocks_.back().data.get();
  }

  /// Forget every allocation, keeping the memory (merged into one block if there were several).
  void clear() {
    if (blocks_.size() > 1) {
      const std::size_t total = capacity();
      blocks_.clear();
      blocks_.push_back(block{allocate_block(total), total, 0});
    }
    for (block& b : blocks_) b.used = 0;
    current_ = 0;
  }

  /// Elements held, used or not.
  std::size_t capacity() const {
    std::size_t total = 0;
    for (const block& b : blocks_) total += b.size;
    return total;
  }

  /// Heap blocks currently held (1 after a clear() that followed any use).
  std::size_t block_count() const { return blocks_.size(); }

 private:
  static constexpr std::size_t per_line = std::max<std::size_t>(1, alignment / sizeof(T));
  static constexpr std::size_t initial_elements = (std::size_t{1} << 16) / sizeof(T);

  struct aligned_delete {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t{alignment}); }
  };
  using block_ptr = std::unique_ptr<T[], aligned_delete>;
  struct block {
    block_ptr data;
    std::size_t size;
    std::size_t used;
  };

  static std::size_t round_up(std::size_t n) { return (n + per_line - 1) / per_line * per_line; }
  static block_ptr allocate_block(std::size_t n) {
    return block_ptr(static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t{alignment})));
  }

  std::vector<block> blocks_;
  std::size_t current_ = 0;
};

}  // namespace eigenflow::detail
