// The SIMD comparison and sum kernels against their scalar fallbacks, for every width, on
// values around the edges of unsigned wrap-around.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "runtime/exec/kernels.hpp"
#include "runtime/exec/kernels_avx2.hpp"
#include "runtime/exec/kernels_avx512.hpp"
#include "runtime/exec/kernels_sliced.hpp"
#include "runtime/storage/column.hpp"
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
      if constexpr (sizeof(T) == 1) {  // the values broadcast once, n of them (1 to 8)
        uint64_t got = ~uint64_t{0};
        size_t held = 0;
        kernel::with_small_set<kernel::InBytesAvx512>(vals, n, [&]<class Set>(const Set& set) {
          got = Set::word(v, set);
          held = sizeof(set.v) / sizeof(set.v[0]);
          return true;
        });
        ASSERT_EQ(held, n);
        ASSERT_EQ(got, kernel::in_small_scalar<T>(v, vals, n));
      }
    }
    if constexpr (sizeof(T) == 1)
      if (kernel::avx2_available()) {  // AVX2's, the same way
        uint64_t got = ~uint64_t{0};
        ASSERT_TRUE(kernel::with_small_set<kernel::InBytesAvx2>(vals, n, [&]<class Set>(const Set& set) {
          got = Set::word(v, 0, set);
          return sizeof(set.v) / sizeof(set.v[0]) == n;  // n values held
        }));
        ASSERT_EQ(got, kernel::in_small_scalar<T>(v, vals, n));
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

#ifdef SEG_AVX512
// Compiled for AVX-512 (a vector register cannot cross into baseline code): word 0 of `P`
// planes as bytes in `out`, and the register kernels' answers on them.
template <unsigned P>
SEG_AVX512_FN void planes_avx512_word(const uint64_t* p, uint64_t stride, uint8_t* out, uint8_t lo, uint8_t span,
                                      const uint8_t* vals, uint64_t& range, uint64_t& in) {
  const __m512i x = kernel::planes_avx512<P>(p, stride);
  _mm512_storeu_si512(out, x);
  range = kernel::RangeAvx512::word(x, lo, span);
  in = kernel::InBytesAvx512<2>::word(x, kernel::InBytesAvx512<2>(vals));
}
#endif

// Bit planes put back together as bytes (scalar and AVX-512) give the offsets that made them,
// for every number of planes, with the next word's planes (which must not leak in) random.
TEST(Kernels, PlanesGiveBackTheirOffsets) {
  testing::Rng rng(7);
  for (unsigned planes = 1; planes <= kMaxPlanes; ++planes) {
    const uint64_t stride = 2;  // two words a plane: word 0 is tested, word 1 is noise
    for (int round = 0; round < 200; ++round) {
      uint8_t want[64];
      std::vector<uint64_t> p(planes * stride);
      for (auto& w : p) w = rng.next();
      for (unsigned k = 0; k < planes; ++k) p[k * stride] = 0;
      for (int i = 0; i < 64; ++i) {
        want[i] = static_cast<uint8_t>(rng.below(uint64_t{1} << planes));
        for (unsigned k = 0; k < planes; ++k) p[k * stride] |= uint64_t{(want[i] >> (planes - 1 - k)) & 1u} << i;
      }
      alignas(64) uint8_t got[64];
      kernel::planes_to_bytes(p.data(), stride, planes, got);
      ASSERT_EQ(std::memcmp(got, want, 64), 0) << planes << " planes";
#ifdef SEG_AVX512
      if (kernel::avx512_available()) {
        const uint8_t lo = want[0], span = static_cast<uint8_t>(rng.below(4)), vals[2] = {want[1], want[2]};
        uint64_t range = 0, in = 0;
        std::memset(got, 0xAA, 64);
        static_assert(kMaxPlanes == 5);
        auto* word = planes == 1   ? planes_avx512_word<1>
                     : planes == 2 ? planes_avx512_word<2>
                     : planes == 3 ? planes_avx512_word<3>
                     : planes == 4 ? planes_avx512_word<4>
                                   : planes_avx512_word<5>;
        word(p.data(), stride, got, lo, span, vals, range, in);
        ASSERT_EQ(std::memcmp(got, want, 64), 0) << planes << " planes, AVX-512";
        ASSERT_EQ(range, kernel::range_scalar<uint8_t>(want, lo, span));
        ASSERT_EQ(in, kernel::in_small_scalar<uint8_t>(want, vals, 2));
      }
#endif
    }
  }
}

// Packed slices unpacked (the shared pass's unpacked_block): a run of words whose other rows
// are consecutive in `packed` gives back every row's byte, the fill in the frequent rows', with
// frequent shares from none to all and the padding after the run (which must not leak in) random.
TEST(Kernels, PackedSlicesUnpackToTheirBytes) {
#ifdef SEG_AVX512
  if (!kernel::avx512_available()) GTEST_SKIP() << "this processor has no AVX-512: the unpacking runs only there";
  testing::Rng rng(59);
  for (int round = 0; round < 300; ++round) {
    const size_t words = 1 + rng.below(20);
    const double share = round % 3 == 0 ? 0.0 : round % 3 == 1 ? 1.0 : rng.below(100) / 100.0;
    std::vector<uint64_t> frequent(words);
    std::vector<uint32_t> start(words);
    std::vector<uint8_t> want(64 * words), packed;
    const uint8_t fill = static_cast<uint8_t>(rng.next());
    for (size_t w = 0; w < words; ++w) {
      start[w] = static_cast<uint32_t>(packed.size());
      for (int i = 0; i < 64; ++i) {
        if (rng.chance(share)) {
          frequent[w] |= uint64_t{1} << i;
          want[64 * w + static_cast<size_t>(i)] = fill;
        } else {
          want[64 * w + static_cast<size_t>(i)] = static_cast<uint8_t>(rng.next());
          packed.push_back(want[64 * w + static_cast<size_t>(i)]);
        }
      }
    }
    for (int i = 0; i < 64; ++i) packed.push_back(static_cast<uint8_t>(rng.next()));  // the slices' padding line
    std::vector<uint8_t> got(64 * words, 0x5A);
    kernel::unpack_words(packed.data(), start.data(), frequent.data(), words, fill, got.data());
    ASSERT_EQ(got, want) << "round " << round << ", " << words << " words, frequent share " << share;
  }
#else
  GTEST_SKIP() << "built without the AVX-512 kernels: the unpacking runs only there";
#endif
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

// The list of a block's non-zero words, both ways, for every word count up to a block's and
// from empty to full: what each lists, and that the AVX-512 one writes nothing past its slack.
TEST(Kernels, SelectedWordsListTheNonZeroWords) {
  testing::Rng rng(41);
  const double densities[] = {0, 0.05, 0.5, 0.95, 1};
  for (size_t nw = 0; nw <= kBlockWords; nw += nw < 80 ? 1 : 61)
    for (double d : densities) {
      std::vector<uint64_t> sel(nw);
      std::vector<uint16_t> want;
      for (size_t w = 0; w < nw; ++w)
        if (rng.chance(d)) sel[w] = uint64_t{1} << rng.below(64), want.push_back(static_cast<uint16_t>(w));
      const uint16_t fence = 0xBEEF;
      std::vector<uint16_t> idx(nw + kernel::kIdxSlack + 1, fence);
      size_t k = kernel::selected_words_scalar(sel.data(), nw, idx.data());
      ASSERT_EQ(std::vector<uint16_t>(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k)), want) << nw << " " << d;
#ifdef SEG_AVX512
      if (kernel::avx2_available()) {
        std::fill(idx.begin(), idx.end(), fence);
        k = kernel::selected_words_avx2(sel.data(), nw, idx.data());
        ASSERT_EQ(std::vector<uint16_t>(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k)), want) << nw << " " << d << " avx2";
        ASSERT_EQ(idx[nw + kernel::kIdxSlack], fence) << nw << " avx2";
      }
      if (!kernel::avx512_available()) continue;
      std::fill(idx.begin(), idx.end(), fence);
      k = kernel::selected_words_avx512(sel.data(), nw, idx.data());
      ASSERT_EQ(std::vector<uint16_t>(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k)), want) << nw << " " << d;
      ASSERT_EQ(idx[nw + kernel::kIdxSlack], fence) << nw;  // the slack is enough
#endif
    }
}

// Byte-sliced range tests (kernels_sliced.hpp) against the plain range on the offsets, for
// every number of slices and shift, bounds on, next to and between the values (where slices
// after the first decide), one-sided and covering ranges; short lists; rows put together.
#ifdef SEG_AVX512
// An AVX2 range kernel's word with the template arguments the evaluator picks (`both`: both
// sides compared, one of them on for nothing): the 16-bit prefix kernel (SlicedPrefixAvx2) where
// the range has prefixes strictly inside, or `bytes`, else the byte-by-byte one.
template <kernel::TailUse T = kernel::TailUse::None>
uint64_t sliced_range_avx2(const kernel::SlicedRange& r, const uint8_t* p, uint64_t sel, bool both = false,
                           bool bytes = false) {
  if (r.prefix_inside && !bytes) {
    if (both || (r.has_lo && r.has_hi)) return kernel::SlicedPrefixAvx2<true, true, T>::word(p, sel, r);
    if (r.has_lo) return kernel::SlicedPrefixAvx2<true, false, T>::word(p, sel, r);
    if (r.has_hi) return kernel::SlicedPrefixAvx2<false, true, T>::word(p, sel, r);
    return kernel::SlicedPrefixAvx2<false, false, T>::word(p, sel, r);
  }
  if (both || (r.has_lo && r.has_hi)) return kernel::SlicedRangeAvx2<true, true, T>::word(p, sel, r);
  if (r.has_lo) return kernel::SlicedRangeAvx2<true, false, T>::word(p, sel, r);
  if (r.has_hi) return kernel::SlicedRangeAvx2<false, true, T>::word(p, sel, r);
  return kernel::SlicedRangeAvx2<false, false, T>::word(p, sel, r);
}

// The same for the AVX-512 prefix kernel (SlicedPrefixAvx512), for a range with prefixes inside.
template <kernel::TailUse T = kernel::TailUse::None>
uint64_t sliced_prefix_avx512(const kernel::SlicedRange& r, const uint8_t* p, uint64_t sel, bool both = false) {
  if (both || (r.has_lo && r.has_hi)) return kernel::SlicedPrefixAvx512<true, true, T>::word(p, sel, r);
  if (r.has_lo) return kernel::SlicedPrefixAvx512<true, false, T>::word(p, sel, r);
  if (r.has_hi) return kernel::SlicedPrefixAvx512<false, true, T>::word(p, sel, r);
  return kernel::SlicedPrefixAvx512<false, false, T>::word(p, sel, r);
}
#endif

// The 16-bit prefix of row i (the first two slices) is next to a bound's, inside the range:
// where SlicedRangeAvx2 decides a row from the prefix alone by one compare (lo16 + 1, hi16 - 1).
uint64_t prefix_edges(const kernel::SlicedRange& r, const uint8_t* p) {
  uint64_t m = 0;
  for (int i = 0; i < 64; ++i) {
    const unsigned v = static_cast<unsigned>(p[i]) << 8 | p[r.stride + i];
    m |= uint64_t{(r.has_lo && v == r.lo16 + 1u) || (r.has_hi && v + 1u == r.hi16)} << i;
  }
  return m;
}

TEST(Kernels, SlicedTestsAgreeWithWholeOffsets) {
  testing::Rng rng(31);
  const uint64_t stride = 128;  // two words a slice: the kernel reads word 1
  std::vector<uint8_t> slices(8 * stride);
  size_t undecided = 0;  // words where a later slice had to decide some row
  size_t in_hits = 0;    // words where a short list matched some selected row
  size_t tail_decided = 0;  // words with a tail where the tail had to decide some row
  size_t flagged_ties = 0;  // words whose flagged run noted a row equal to a bound after the slices
  size_t eq_hits = 0;       // words where a one-value range matched some selected row (AVX-512)
  size_t eq_tail_ties = 0;  // ... and with a tail, where a row was equal after the slices
  size_t edges = 0;         // words with a selected row whose prefix is next to a bound's (AVX2)
  size_t prefixes512 = 0;   // words the AVX-512 prefix kernel ran on
  for (int round = 0; round < 4000; ++round) {
    const unsigned bits = 9 + static_cast<unsigned>(rng.below(56));  // what a 2+-byte column needs
    const unsigned n = (bits + 7) / 8, shift = 8 * n - bits;
    const uint64_t max_off = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    uint64_t off[64];
    // Clustered values (a few bases, small steps) so bounds often share first bytes with them.
    uint64_t centre = rng.next() & max_off;
    for (auto& x : off) {
      x = rng.chance(0.2) ? rng.next() & max_off : std::min(max_off, (centre + rng.below(600)) & max_off);
      if (rng.chance(0.05)) x = rng.chance(0.5) ? 0 : max_off;
    }
    off[rng.below(64)] = max_off;  // the column's largest offset is there
    for (int i = 0; i < 64; ++i) {
      uint64_t y = off[i] << shift;
      for (unsigned k = 0; k < n; ++k) slices[k * stride + 64 + i] = static_cast<uint8_t>(y >> (8 * (n - 1 - k)));
    }
    auto pick = [&] {
      uint64_t x = off[rng.below(64)];
      if (rng.chance(0.3)) x += rng.chance(0.5) ? 1 : ~uint64_t{0};  // next to a value
      if (rng.chance(0.1)) x = rng.chance(0.5) ? 0 : max_off;
      return std::min(x, max_off);
    };
    uint64_t lo = pick(), hi = pick();
    if (lo > hi) std::swap(lo, hi);
    uint64_t want = 0;
    for (int i = 0; i < 64; ++i) want |= uint64_t{off[i] >= lo && off[i] <= hi} << i;
    const uint64_t sel = rng.chance(0.5) ? ~uint64_t{0} : rng.next();
    kernel::SlicedRange r(stride, n, shift, lo, hi, max_off);
    const uint8_t* p = slices.data() + 64;
    std::string what = "bits " + std::to_string(bits) + " lo " + std::to_string(lo) + " hi " + std::to_string(hi);
    ASSERT_EQ(kernel::sliced_range_bits(r, p, sel) & sel, want & sel) << what;
    ASSERT_EQ(kernel::sliced_range_word(r, p, sel, kernel::byte_cmp_scalar) & sel, want & sel) << what;
#ifdef SEG_AVX512
    if (kernel::avx512_available()) {
      uint64_t got = r.has_lo && r.has_hi ? kernel::SlicedRangeAvx512<true, true>::word(p, sel, r)
                     : r.has_lo            ? kernel::SlicedRangeAvx512<true, false>::word(p, sel, r)
                     : r.has_hi            ? kernel::SlicedRangeAvx512<false, true>::word(p, sel, r)
                                           : kernel::SlicedRangeAvx512<false, false>::word(p, sel, r);
      ASSERT_EQ(got & sel, want & sel) << what;
      using Both = kernel::SlicedRangeAvx512<true, true>;
      ASSERT_EQ(Both::word(p, sel, r) & sel, want & sel) << what;  // a side on for nothing
      if (r.prefix_inside) {  // the 16-bit prefix kernel, which the evaluator picks then
        ASSERT_EQ(sliced_prefix_avx512(r, p, sel) & sel, want & sel) << what << " prefixes";
        ASSERT_EQ(sliced_prefix_avx512(r, p, sel, true) & sel, want & sel) << what << " prefixes, both sides";
        prefixes512 += 1;
      }
      // One value (lo = hi): the equality kernel, which the evaluator picks for it.
      const uint64_t v = pick();
      const kernel::SlicedRange e(stride, n, shift, v, v, max_off);
      uint64_t eq_want = 0;
      for (int i = 0; i < 64; ++i) eq_want |= uint64_t{off[i] == v} << i;
      ASSERT_EQ(e.one_value(), v > 0 && v < max_off) << what << " v " << v;
      if (e.one_value()) {
        ASSERT_EQ(kernel::SlicedEqAvx512<>::word(p, sel, e) & sel, eq_want & sel) << what << " v " << v;
        eq_hits += (eq_want & sel) != 0;
      }
    }
    if (kernel::avx2_available()) {
      ASSERT_EQ(sliced_range_avx2(r, p, sel) & sel, want & sel) << what << " avx2";
      ASSERT_EQ(sliced_range_avx2(r, p, sel, true) & sel, want & sel) << what << " avx2, both sides";
      ASSERT_EQ(sliced_range_avx2(r, p, sel, false, true) & sel, want & sel) << what << " avx2, bytes";
      edges += r.prefix_inside && (prefix_edges(r, p) & sel) != 0;
      const uint64_t v = pick();
      const kernel::SlicedRange e(stride, n, shift, v, v, max_off);
      uint64_t eq_want = 0;
      for (int i = 0; i < 64; ++i) eq_want |= uint64_t{off[i] == v} << i;
      if (e.one_value()) {
        ASSERT_EQ(kernel::SlicedEqAvx2<>::word(p, sel, e) & sel, eq_want & sel) << what << " v " << v << " avx2";
      }
    }
#endif
    // Did the first slice leave rows to the next? (The test is not only about first bytes.)
    kernel::SlicedRange first = r;
    first.slices = 1;
    undecided += (kernel::sliced_range_bits(first, p, sel) & sel) != (want & sel);
    // A short list of offsets, value by value over the slices.
    uint64_t vals[8];
    size_t nv = 1 + rng.below(8);
    for (size_t j = 0; j < nv; ++j) vals[j] = rng.chance(0.8) ? pick() : rng.next() & max_off;
    uint64_t in_want = 0;
    for (int i = 0; i < 64; ++i)
      for (size_t j = 0; j < nv; ++j) in_want |= uint64_t{off[i] == vals[j]} << i;
    kernel::SlicedIn q(stride, n, shift, vals, nv);
    ASSERT_EQ(kernel::sliced_in_bits(q, p, sel), in_want & sel) << what;
    ASSERT_EQ(kernel::sliced_in_word(q, p, sel, kernel::byte_eq_scalar), in_want & sel) << what;
#ifdef SEG_AVX512
    if (kernel::avx512_available()) {
      ASSERT_EQ(kernel::SlicedInAvx512::word(p, sel, q), in_want & sel) << what;
    }
#endif
#ifdef SEG_AVX512
    if (kernel::avx2_available()) {
      ASSERT_EQ(kernel::SlicedInAvx2::word(p, sel, q) & sel, in_want & sel) << what << " avx2";
    }
#endif
    in_hits += (in_want & sel) != 0;
    // One row put together from its slices is its offset.
    for (int i = 0; i < 64; ++i) ASSERT_EQ(kernel::sliced_offset(p + i, stride, n, shift), off[i]) << what << " row " << i;
    // The same offsets with a tail (17 bits or more ending inside a byte, decision 65): whole
    // bytes in bits / 8 slices, the last bits / 8 bits in planes; the same answers. Every other
    // round the word starts at position 64 + d, as a packed word's run does (decision 67), so
    // its tails straddle two words of each plane.
    if (bits < 17 || bits % 8 == 0) continue;
    const unsigned tn = bits / 8, tb = bits % 8;
    const uint64_t tstride = 192, at = 64 + (round % 2 ? rng.below(64) : 0);
    std::vector<uint8_t> tslices(8 * tstride);
    std::vector<uint64_t> planes(3 * tb);  // a bit a byte of a slice: three words a plane
    for (int i = 0; i < 64; ++i) {
      const uint64_t pos = at + static_cast<uint64_t>(i);
      for (unsigned k = 0; k < tn; ++k) tslices[k * tstride + pos] = static_cast<uint8_t>((off[i] >> tb) >> (8 * (tn - 1 - k)));
      for (unsigned j = 0; j < tb; ++j) planes[3 * j + pos / 64] |= ((off[i] >> (tb - 1 - j)) & 1) << (pos % 64);
    }
    const kernel::SliceTail tail{tslices.data(), planes.data(), 3, tb};
    const uint8_t* tp = tslices.data() + at;
    kernel::SlicedRange tr(tstride, tn, 0, lo, hi, max_off, tail);
    ASSERT_EQ(kernel::sliced_range_bits<kernel::TailUse::Read>(tr, tp, sel) & sel, want & sel) << what << " tail";
    ASSERT_EQ(kernel::sliced_range_word<kernel::TailUse::Read>(tr, tp, sel, kernel::byte_cmp_scalar) & sel, want & sel) << what << " tail";
    kernel::SlicedIn tq(tstride, tn, 0, vals, nv, tail);
    ASSERT_EQ(kernel::sliced_in_bits(tq, tp, sel), in_want & sel) << what << " tail";
#ifdef SEG_AVX512
    if (kernel::avx2_available()) {
      ASSERT_EQ(kernel::SlicedInAvx2::word(tp, sel, tq) & sel, in_want & sel) << what << " tail avx2";
    }
#endif
#ifdef SEG_AVX512
    if (kernel::avx512_available()) {
      uint64_t got = tr.has_lo && tr.has_hi ? kernel::SlicedRangeAvx512<true, true, kernel::TailUse::Read>::word(tp, sel, tr)
                     : tr.has_lo            ? kernel::SlicedRangeAvx512<true, false, kernel::TailUse::Read>::word(tp, sel, tr)
                     : tr.has_hi            ? kernel::SlicedRangeAvx512<false, true, kernel::TailUse::Read>::word(tp, sel, tr)
                                            : kernel::SlicedRangeAvx512<false, false, kernel::TailUse::Read>::word(tp, sel, tr);
      ASSERT_EQ(got & sel, want & sel) << what << " tail";
      if (tr.prefix_inside) {
        ASSERT_EQ(sliced_prefix_avx512<kernel::TailUse::Read>(tr, tp, sel) & sel, want & sel) << what << " tail, prefixes";
      }
      ASSERT_EQ(kernel::SlicedInAvx512::word(tp, sel, tq), in_want & sel) << what << " tail";
      // One value with a tail: read (packed slices), or flagged and then read over what passed.
      const uint64_t v = pick();
      const kernel::SlicedRange e(tstride, tn, 0, v, v, max_off, tail);
      uint64_t eq_want = 0;
      for (int i = 0; i < 64; ++i) eq_want |= uint64_t{off[i] == v} << i;
      if (e.one_value()) {
        ASSERT_EQ(kernel::SlicedEqAvx512<kernel::TailUse::Read>::word(tp, sel, e) & sel, eq_want & sel) << what << " v " << v << " tail";
        kernel::SlicedRange ef = e;
        ef.tied = false;
        const uint64_t passed = kernel::SlicedEqAvx512<kernel::TailUse::Flag>::word(tp, sel, ef) & sel;
        ASSERT_EQ(passed & eq_want, eq_want & sel) << what << " v " << v << " flag";
        if (!ef.tied) {
          ASSERT_EQ(passed, eq_want & sel) << what << " v " << v << " flag";
        }
        ASSERT_EQ(kernel::SlicedEqAvx512<kernel::TailUse::Read>::word(tp, passed, e) & passed, eq_want & sel) << what << " v " << v << " flag";
        eq_tail_ties += ef.tied;
      }
    }
    if (kernel::avx2_available()) {
      using TU = kernel::TailUse;
      ASSERT_EQ(sliced_range_avx2<TU::Read>(tr, tp, sel) & sel, want & sel) << what << " tail avx2";
      ASSERT_EQ(sliced_range_avx2<TU::Read>(tr, tp, sel, true) & sel, want & sel) << what << " tail avx2, both sides";
      ASSERT_EQ(sliced_range_avx2<TU::Read>(tr, tp, sel, false, true) & sel, want & sel) << what << " tail avx2, bytes";
      kernel::SlicedRange f2 = tr;
      f2.tied = false;
      const uint64_t passed = sliced_range_avx2<TU::Flag>(f2, tp, sel) & sel;
      ASSERT_EQ(passed & want, want & sel) << what << " flag avx2";
      if (!f2.tied) {
        ASSERT_EQ(passed, want & sel) << what << " flag avx2";
      }
      ASSERT_EQ(sliced_range_avx2<TU::Read>(tr, tp, passed) & passed, want & sel) << what << " flag avx2";
    }
#endif
    // Flag: rows still equal after the slices pass and are noted; without any, the answer is
    // exact, and with some, reading the tail over what passed is (the evaluator's two runs).
    kernel::SlicedRange fr = tr;
    fr.tied = false;
    const uint64_t flagged = kernel::sliced_range_bits<kernel::TailUse::Flag>(fr, tp, sel) & sel;
    ASSERT_EQ(flagged & want, want & sel) << what << " flag";
    if (!fr.tied) {
      ASSERT_EQ(flagged, want & sel) << what << " flag";
    }
    ASSERT_EQ(kernel::sliced_range_bits<kernel::TailUse::Read>(tr, tp, flagged) & flagged, want & sel) << what << " flag";
    flagged_ties += fr.tied;
    // Did the tail decide some row? (Bounds next to values make rows equal above it.)
    kernel::SlicedRange no_tail = tr;
    no_tail.tail.bits = 0;
    tail_decided += (kernel::sliced_range_bits<kernel::TailUse::Read>(no_tail, tp, sel) & sel) != (want & sel);
  }
  EXPECT_GT(undecided, 400u);
  EXPECT_GT(in_hits, 2000u);
  EXPECT_GT(tail_decided, 100u);
  EXPECT_GT(flagged_ties, tail_decided);
#ifdef SEG_AVX512
  if (kernel::avx512_available()) {
    EXPECT_GT(eq_hits, 1000u);
    EXPECT_GT(eq_tail_ties, 100u);
    EXPECT_GT(prefixes512, 1000u);
  }
  if (kernel::avx2_available()) {
    EXPECT_GT(edges, 200u);
  }
#endif
}

// popcount_words (VPOPCNTQ eight words at a time where the processor has it, then a tail)
// against a bit-by-bit count, for every length around the vector width.
TEST(Kernels, PopcountWordsCountsEveryBit) {
  testing::Rng rng(21);
  std::vector<uint64_t> w(1100);
  size_t skipped = 0;  // sixteen-word steps with no bit (the AVX2 version skips them)
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{15}, size_t{16}, size_t{17}, size_t{1023},
                   size_t{1024}, size_t{1100}})
    for (double zero : {0.1, 0.97}) {  // dense, and sparse as most results in the shared pass
      for (auto& x : w) x = rng.chance(zero) ? 0 : rng.chance(0.1) ? ~uint64_t{0} : rng.next();
      uint64_t want = 0;
      for (size_t i = 0; i < n; ++i)
        for (int b = 0; b < 64; ++b) want += (w[i] >> b) & 1;
      for (size_t i = 0; i + 16 <= n; i += 16) skipped += std::all_of(&w[i], &w[i + 16], [](uint64_t x) { return x == 0; });
      ASSERT_EQ(popcount_words(w.data(), n), want) << n << " words, " << zero << " of them zero";
    }
  EXPECT_GT(skipped, 10u);
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
