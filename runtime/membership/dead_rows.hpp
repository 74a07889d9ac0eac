// The rows of a membership's generation that no client holds any more, in the order they
// died. Rows are never reused within a generation (a changed client gets a new row), so the
// list only grows, and a reader frozen at one length (LiveMembership::View) shares its
// chunks instead of copying them: taking a view costs a pointer a chunk, not a row each.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace seg::rt {

class DeadRows {
 public:
  // 65,536 rows (256 KB) a chunk: a generation of 10M clients compacts before a quarter of
  // its rows die, so a reader holds about 40 chunk pointers at most.
  static constexpr size_t kChunk = size_t{1} << 16;

  // The first `size` rows as they were when taken. The writer only appends past `size`
  // (into the last chunk's free slots or new chunks), so a Frozen is read without a lock
  // once its taking was ordered before the reads (the caller's lock).
  struct Frozen {
    std::vector<std::shared_ptr<const uint32_t[]>> chunks;
    uint64_t size = 0;
    template <class F>
    void for_each(F&& f) const {
      for (size_t c = 0; c * kChunk < size; ++c) {
        const uint32_t* rows = chunks[c].get();
        const uint64_t n = size - c * kChunk < kChunk ? size - c * kChunk : kChunk;
        for (uint64_t i = 0; i < n; ++i) f(rows[i]);
      }
    }
  };

  void add(uint32_t row) {
    if (size_ % kChunk == 0) chunks_.push_back(std::shared_ptr<uint32_t[]>(new uint32_t[kChunk]));
    chunks_.back()[size_ % kChunk] = row;
    ++size_;
  }
  uint64_t size() const { return size_; }
  Frozen freeze() const { return {{chunks_.begin(), chunks_.end()}, size_}; }

 private:
  std::vector<std::shared_ptr<uint32_t[]>> chunks_;
  uint64_t size_ = 0;
};

}  // namespace seg::rt
