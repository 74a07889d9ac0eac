// Value tests on bit-plane columns (decision 58), and their blocks put together as bytes
// when many plans read them (block_runner.hpp).
#include "runtime/exec/block_runner.hpp"

namespace seg::rt::detail {

// Tests on a bit-plane column (decision 58): a word's offsets are put together as bytes in
// registers from its planes, then tested by the 1-byte kernels; memory gives a bit a row a
// plane (3 for a stage) instead of a byte.
bool BlockRunner::compare_planes(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid) {
  if (decode_once_) return compare_values(n, plane_block(c), in, out, valid);
  PlaneWords src{reinterpret_cast<const uint64_t*>(c.data) + block_ * kBlockWords, c.stride / 8, c.meta.slices, {}};
  static_assert(kMaxPlanes == 5 && kMaxPlanes <= kernel::kMaxPlanesKernel);
  // `run<P>()`, instantiated for each number of planes (the loops unroll over them).
  auto by_planes = [&](auto&& run) {
    switch (src.planes) {
      case 1: return run.template operator()<1>();
      case 2: return run.template operator()<2>();
      case 3: return run.template operator()<3>();
      case 4: return run.template operator()<4>();
      default: return run.template operator()<5>();
    }
  };
#ifdef SEG_AVX512
  // The AVX-512 loop for `Kernel`.
  auto avx512 = [&]<class Kernel, class... A>(A... args) {
    const size_t k = selected_words(in, nw_, idx_);
    return by_planes([&]<unsigned P>() {
      return words_avx512<Kernel>(PlaneWordsAvx512<P>{src.p, src.stride}, in, out, valid, n.negated, nw_, idx_, k,
                                  args...);
    });
  };
#endif
  switch (n.op) {
    case Op::Range: {
      [[maybe_unused]] const auto lo = static_cast<uint8_t>(n.lo), span = static_cast<uint8_t>(n.hi - n.lo);
#ifdef SEG_AVX512
      if (kernel::avx512()) return avx512.template operator()<kernel::RangeAvx512>(lo, span);
#endif
      const auto hi = static_cast<uint8_t>(n.hi);
      // A side every offset passes is not compared (planes_range's Lo, Hi).
      const bool has_lo = lo > 0, has_hi = n.hi < c.meta.max_offset;
      const size_t listed = selected_words(in, nw_, idx_);
#ifdef SEG_AVX512
      const bool avx2 = kernel::avx2() && listed * kPlanesDenseDiv >= nw_;
#endif
      return by_planes([&]<unsigned P>() {
        auto sides = [&]<bool L, bool H>() {
#ifdef SEG_AVX512
          if (avx2) return kernel::planes_range_avx2<P, L, H>(src.p, src.stride, lo, hi, in, out, valid, n.negated, nw_);
#endif
          return words_by(
              in, out, valid, n.negated,
              [&](size_t w) { return kernel::planes_range<P, L, H>(src.p + w, src.stride, lo, hi); }, true, src, listed);
        };
        if (has_lo && has_hi) return sides.template operator()<true, true>();
        if (has_lo) return sides.template operator()<true, false>();
        if (has_hi) return sides.template operator()<false, true>();
        return sides.template operator()<false, false>();
      });
    }
    case Op::InSmall: {
      uint8_t vals[kSmallIn];
      const size_t k = n.offsets.size();
      for (size_t i = 0; i < k; ++i) vals[i] = static_cast<uint8_t>(n.offsets[i]);
#ifdef SEG_AVX512
      if (kernel::avx512())
        return kernel::with_small_set<kernel::InBytesAvx512>(vals, k, [&]<class Set>(const Set& set) {
          return avx512.template operator()<Set>(set);
        });
#endif
      const size_t listed = selected_words(in, nw_, idx_);
#ifdef SEG_AVX512
      // Four words at a time where most words are selected, as ranges on planes do.
      const bool avx2 = kernel::avx2() && listed * kPlanesDenseDiv >= nw_;
#endif
      return by_planes([&]<unsigned P>() {
#ifdef SEG_AVX512
        if (avx2) return kernel::planes_in_avx2<P>(src.p, src.stride, vals, k, in, out, valid, n.negated, nw_);
#endif
        return words_by(
            in, out, valid, n.negated, [&](size_t w) { return kernel::planes_in<P>(src.p + w, src.stride, vals, k); },
            true, src, listed);
      });
    }
    case Op::InBitmap:
    case Op::InSorted:
      return words_by(
          in, out, valid, n.negated,
          [&](size_t w) {
            const uint8_t* b = src.at(w);
            return rows_in_list(n, in[w], [&](int i) { return uint64_t{b[i]}; });
          },
          false, src);
    default: assert(!"compare_planes() on a node that is not a value test"); return zero(out);
  }
}

// A bit-plane column's block as bytes, put together the first time a plan tests it there.
// For the shared pass: hundreds of plans test stage or country on each block, and putting
// the words together in each test cost it 7% (decision 58).
const uint8_t* BlockRunner::plane_block(const Column& c) {
  return decoded_block(c, kBlockRows, [&](uint8_t* out) {
    const uint64_t* p = reinterpret_cast<const uint64_t*>(c.data) + block_ * kBlockWords;
    for (size_t w = 0; w < nw_; ++w) kernel::planes_to_bytes(p + w, c.stride / 8, c.meta.slices, out + 64 * w);
  });
}

}  // namespace seg::rt::detail
