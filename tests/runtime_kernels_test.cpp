// The SIMD comparison and sum kernels against their scalar fallbacks, for every width, on
// values around the edges of unsigned wrap-around.
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "runtime/exec/kernels.hpp"
#include "runtime/exec/kernels_avx512.hpp"
#include "tests/support/random_ir.hpp"

namespace seg::rt {
namespace {

constexpr size_t kSmallInMax = 8;  // the plan's limit for in_small (kSmallIn)

template <class T>
void check_width(uint64_t seed) {
  testing::Rng rng(seed);
  const T max = std::numeric_limits<T>::max();
  alignas(64) T v[64];
  for (int round = 0; round < 2000; ++round) {
    T edges[] = {0, 1, static_cast<T>(max / 2), static_cast<T>(max / 2 + 1), static_cast<T>(max - 1), max};
    for (auto& x : v) x = rng.chance(0.3) ? edges[rng.below(6)] : static_cast<T>(rng.next());
    T lo = rng.chance(0.5) ? v[rng.below(64)] : static_cast<T>(rng.next());
    T span = rng.chance(0.3) ? edges[rng.below(6)] : static_cast<T>(rng.below(4) ? rng.next() % 50 : rng.next());
    ASSERT_EQ(kernel::range_bits<T>(v, lo, span), kernel::range_scalar<T>(v, lo, span));
    T vals[kSmallInMax];
    size_t n = 1 + rng.below(kSmallInMax);
    for (size_t i = 0; i < n; ++i) vals[i] = rng.chance(0.7) ? v[rng.below(64)] : static_cast<T>(rng.next());
    ASSERT_EQ(kernel::in_small_bits<T>(v, vals, n), kernel::in_small_scalar<T>(v, vals, n));
#ifdef SEG_AVX512
    if (kernel::avx512()) {
      ASSERT_EQ(kernel::RangeAvx512::word<T>(v, lo, span), kernel::range_scalar<T>(v, lo, span));
      ASSERT_EQ(kernel::InSmallAvx512::word<T>(v, vals, n), kernel::in_small_scalar<T>(v, vals, n));
    }
#endif
    uint64_t sel = rng.next() & (rng.chance(0.5) ? rng.next() : ~uint64_t{0});
    ASSERT_EQ(kernel::masked_sum<T>(v, sel), kernel::masked_sum_scalar<T>(v, sel));
  }
}

TEST(Kernels, SimdAgreesWithScalar) {
  check_width<uint8_t>(1);
  check_width<uint16_t>(2);
  check_width<uint32_t>(3);
  check_width<uint64_t>(4);
}

// The AVX-512 kernels run only on a processor that has them; say so rather than pass quietly.
TEST(Kernels, Avx512AgreesWithScalar) {
  bool was = kernel::avx512();
  if (!kernel::use_avx512(true)) GTEST_SKIP() << "this processor has no AVX-512 (F, BW, VL): only the SSE2 kernels ran";
  check_width<uint8_t>(11);
  check_width<uint16_t>(12);
  check_width<uint32_t>(13);
  check_width<uint64_t>(14);
  kernel::use_avx512(was);
}

// popcount_words (VPOPCNTQ eight words at a time where the processor has it, then a tail)
// against a bit-by-bit count, for every length around the vector width.
TEST(Kernels, PopcountWordsCountsEveryBit) {
  testing::Rng rng(21);
  std::vector<uint64_t> w(1100);
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{15}, size_t{16}, size_t{17}, size_t{1023},
                   size_t{1024}, size_t{1100}}) {
    for (auto& x : w) x = rng.chance(0.1) ? ~uint64_t{0} : rng.chance(0.1) ? 0 : rng.next();
    uint64_t want = 0;
    for (size_t i = 0; i < n; ++i)
      for (int b = 0; b < 64; ++b) want += (w[i] >> b) & 1;
    ASSERT_EQ(popcount_words(w.data(), n), want) << n << " words";
  }
}

TEST(Kernels, RangeBitsKnownMask) {
  alignas(64) uint8_t v[64];
  for (int i = 0; i < 64; ++i) v[i] = static_cast<uint8_t>(i * 4);  // 0, 4, ..., 252
  // 8 <= v <= 20: rows 2..5.
  EXPECT_EQ(kernel::range_bits<uint8_t>(v, 8, 12), uint64_t{0b111100});
  uint8_t vals[] = {0, 252};
  EXPECT_EQ(kernel::in_small_bits<uint8_t>(v, vals, 2), (uint64_t{1} << 63) | 1);
  alignas(64) uint32_t w[64];
  for (int i = 0; i < 64; ++i) w[i] = 1000u + static_cast<uint32_t>(i);
  EXPECT_EQ(kernel::masked_sum<uint32_t>(w, ~uint64_t{0}), 64u * 1000u + 63u * 64u / 2u);
}

}  // namespace
}  // namespace seg::rt
