// The JIT's kernels on their own: for every width, range and `in` tests (negated or not, with
// and without nulls) and conjunctions of up to four, the kernel's selection must be the one a
// scalar loop computes, on random data with random selections. Cached by shape: the second
// request of a shape compiles nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "runtime/jit/jit.hpp"

namespace seg::rt::jit {
namespace {

// Kernels load 64 values at a time from 64-byte aligned memory, as the store's columns are.
struct Words {
  uint64_t* p = nullptr;
  size_t n = 0;
  void assign(size_t count, uint64_t v) {
    std::free(p);
    n = count;
    p = static_cast<uint64_t*>(std::aligned_alloc(64, (count * 8 + 63) / 64 * 64));
    for (size_t i = 0; i < count; ++i) p[i] = v;
  }
  uint64_t* data() const { return p; }
  Words() = default;
  Words(Words&& o) noexcept : p(o.p), n(o.n) { o.p = nullptr; }
  Words(const Words&) = delete;
  ~Words() { std::free(p); }
};
struct Column {
  Words storage;
  std::vector<uint64_t> valid;
  const void* data() const { return storage.data(); }
};

uint64_t value_at(const Column& c, uint8_t width, size_t row) {
  const auto* p = reinterpret_cast<const uint8_t*>(c.storage.data());
  uint64_t v = 0;
  std::memcpy(&v, p + row * width, width);
  return v;
}

TEST(Jit, KernelsAgreeWithAScalarLoop) {
  if (SEG_JIT_BUILT == 0) GTEST_SKIP() << "built without LLVM 14: the interpreter runs every plan";
  ASSERT_TRUE(available()) << why_unavailable();
  std::mt19937_64 rng(7);
  const size_t words = 101, rows = words * 64;  // more than kPrefetchAhead selected words: the prefetch runs
  for (int round = 0; round < 300; ++round) {
    size_t leaves = 1 + rng() % 4;
    std::vector<LeafShape> shape;
    std::vector<Column> cols(leaves);
    std::vector<uint64_t> params;
    for (size_t i = 0; i < leaves; ++i) {
      LeafShape s;
      const uint8_t widths[] = {1, 2, 4, 8};
      s.width = widths[rng() % 4];
      s.range = rng() % 2;
      s.values = s.range ? 0 : static_cast<uint8_t>(1 + rng() % 8);
      s.negated = rng() % 3 == 0;
      s.nullable = rng() % 3 == 0;
      uint64_t span = s.width == 8 ? 40 : std::min<uint64_t>(40, (uint64_t{1} << (8 * s.width)) - 1);
      Column& c = cols[i];
      c.storage.assign(rows * s.width / 8 + 8, 0);
      auto* p = reinterpret_cast<uint8_t*>(c.storage.data());
      for (size_t r = 0; r < rows; ++r) {
        uint64_t v = rng() % (span + 1);
        if (s.width == 8 && rng() % 5 == 0) v = ~uint64_t{0} - rng() % 3;  // the top of the range
        std::memcpy(p + r * s.width, &v, s.width);
      }
      if (s.nullable) {
        c.valid.resize(words);
        for (auto& w : c.valid) w = rng() | rng();
      }
      if (s.range) {
        uint64_t lo = rng() % (span + 1), hi = lo + rng() % (span + 1 - lo);
        params.push_back(lo);
        params.push_back(hi - lo);
      } else {
        for (int k = 0; k < s.values; ++k) params.push_back(rng() % (span + 1));
      }
      shape.push_back(s);
    }
    std::string error;
    Kernel k = kernel_for(shape, error);
    ASSERT_NE(k, nullptr) << error;
    std::vector<uint64_t> sel(words), want(words);
    for (auto& w : sel) w = rng() % 4 == 0 ? 0 : rng() | rng();
    // The scalar truth.
    for (size_t w = 0; w < words; ++w) {
      uint64_t m = sel[w];
      for (int b = 0; b < 64; ++b) {
        if (!((m >> b) & 1)) continue;
        size_t row = w * 64 + b;
        size_t p = 0;
        bool pass = true;
        for (size_t i = 0; i < leaves && pass; ++i) {
          const LeafShape& s = shape[i];
          uint64_t mask = s.width == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * s.width)) - 1;
          uint64_t v = value_at(cols[i], s.width, row);
          bool hit;
          if (s.range) {
            hit = ((v - params[p]) & mask) <= (params[p + 1] & mask);
            p += 2;
          } else {
            hit = false;
            for (int q = 0; q < s.values; ++q) hit |= v == (params[p + q] & mask);
            p += s.values;
          }
          if (s.negated) hit = !hit;
          if (s.nullable && !((cols[i].valid[w] >> b) & 1)) hit = false;
          pass = hit;
        }
        if (!pass) m &= ~(uint64_t{1} << b);
      }
      want[w] = m;
    }
    std::vector<const void*> ptrs;
    std::vector<const uint64_t*> valids;
    for (const auto& c : cols) ptrs.push_back(c.data()), valids.push_back(c.valid.empty() ? nullptr : c.valid.data());
    std::vector<uint16_t> idx;
    for (size_t w = 0; w < words; ++w)
      if (sel[w]) idx.push_back(static_cast<uint16_t>(w));
    uint64_t any = k(ptrs.data(), valids.data(), params.data(), sel.data(), idx.data(), idx.size());
    ASSERT_EQ(sel, want) << "round " << round;
    uint64_t want_any = 0;
    for (auto w : want) want_any |= w;
    EXPECT_EQ(any != 0, want_any != 0);
  }
  // A shape asked for again is not compiled again.
  std::string error;
  ASSERT_NE(kernel_for({{true, 4, 0, false, false}}, error), nullptr);
  Stats before = stats();
  ASSERT_NE(kernel_for({{true, 4, 0, false, false}}, error), nullptr);
  EXPECT_EQ(stats().compiled, before.compiled);
  EXPECT_EQ(stats().cache_hits, before.cache_hits + 1);
}

TEST(Jit, AShapeItCannotCompileIsAnErrorNotACrash) {
  std::string error;
  EXPECT_EQ(kernel_for({}, error), nullptr);
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_EQ(kernel_for({{false, 4, 9, false, false}}, error), nullptr);  // an `in` of 9 values
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_EQ(kernel_for({{true, 3, 0, false, false}}, error), nullptr);  // no 3-byte columns
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace seg::rt::jit
