// Value tests on byte-sliced and packed columns, a slice at a time while rows are undecided
// (kernels_sliced.hpp, decisions 55, 59, 65; block_runner.hpp).
#include "runtime/exec/block_runner.hpp"

namespace seg::rt::detail {

// Tests on a byte-sliced column, on its slices (kernels_sliced.hpp): ranges and short
// lists a slice at a time while rows are undecided; the longer lists row by row. Packed
// slices (decision 59) run the same kernels on each word's other rows.
bool BlockRunner::compare_sliced(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid) {
  // A tail (decision 65): a first run lets rows still equal to a bound after the slices
  // pass and notes whether any did; only then does the block run again, over what passed,
  // reading the tail. Negated, letting them pass would drop them: the tail is read at once.
  // Packed slices read it at once too (decision 67): a frequent value's column is skewed
  // (deposit_total's amounts crowd at the low end), ties were in every block, and running
  // each twice made its ranges 2.1x slower.
  if (c.meta.slice_tail && !c.meta.packed && n.op == Op::Range && !n.negated) {
    bool tied = false;
    const bool any = sliced_block(n, c, in, out, valid, &tied);
    return tied ? sliced_block(n, c, out, out, valid) : any;
  }
  return sliced_block(n, c, in, out, valid);
}

// A sliced column's tests on this block, from its slices as stored (whole or packed), or, in
// a pass of many plans, packed slices unpacked once (decision 60).
bool BlockRunner::sliced_block(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid,
                  bool* tied) {
  // The tail's planes: their bit for a row's byte in a slice is at its position there.
  const kernel::SliceTail tail = c.meta.slice_tail ? kernel::SliceTail{c.data, c.tail_planes(), c.stride / 64, c.meta.slice_tail}
                                                   : kernel::SliceTail{};
  if (!c.meta.packed)
    return sliced_tests<false>(n, c, WholeWords<uint8_t>{c.data + block_ * kBlockRows, c.stride}, c.stride, tail, in,
                               out, valid, tied);
#ifdef SEG_AVX512
  if (decode_once_ && kernel::avx512()) {
    const uint8_t* b = unpacked_block(c);
    const kernel::SliceTail block_tail =
        c.meta.slice_tail ? kernel::SliceTail{b, reinterpret_cast<const uint64_t*>(b + c.meta.slices * kBlockRows),
                                              kBlockWords, c.meta.slice_tail}
                          : kernel::SliceTail{};
    return sliced_tests<false>(n, c, WholeWords<uint8_t>{b, kBlockRows}, kBlockRows, block_tail, in, out, valid, tied);
  }
#endif
  const uint64_t v = c.meta.frequent_offset;
  const bool passes = n.op == Op::Range ? n.lo <= v && v <= n.hi
                                        : std::binary_search(n.offsets.begin(), n.offsets.end(), v);
  return sliced_tests<true>(
      n, c, PackedWords{c.data, c.packed_start + block_ * kBlockWords, c.frequent + block_ * kBlockWords, c.stride, passes},
      c.stride, tail, in, out, valid, tied);
}

// `src`: WholeWords over the slices, or PackedWords (then each kernel runs on the word's
// other rows: PackedAvx512 and packed_word); `stride`: bytes from one slice to the next there;
// `tail`: the tail's planes for those slices. `tied`: for a range on a column with a tail,
// run without reading it (rows equal to a bound after the slices pass) and say whether a row was.
template <bool Packed, class Src>
bool BlockRunner::sliced_tests(const PlanNode& n, const Column& c, const Src& src, uint64_t stride, const kernel::SliceTail& tail,
                  const uint64_t* in, uint64_t* out, const uint64_t* valid, bool* tied) {
  const unsigned slices = c.meta.slices, shift = c.meta.slice_shift;
  // A baseline kernel `fn(p, sel)` on word w.
  const bool bmi2 = Packed && kernel::bmi2();
  auto base = [&](size_t w, auto&& fn) {
    if constexpr (Packed) return kernel::packed_word(src.at(w), in[w], fn, bmi2);
    else return fn(src.at(w), in[w]);
  };
#ifdef SEG_AVX512
  auto avx512 = [&]<class Kernel, class... A>(const A&... args) {
    using K = std::conditional_t<Packed, kernel::PackedAvx512<Kernel>, Kernel>;
    const size_t k = selected_words(in, nw_, idx_);
    if constexpr (Packed)
      if (k * kDenseDiv >= nw_) return packed_dense_avx512<Kernel>(src, in, out, valid, n.negated, nw_, run_bits_, args...);
    return words_avx512<K>(src, in, out, valid, n.negated, nw_, idx_, k, args...);
  };
  auto avx2 = [&]<class Kernel, class... A>(const A&... args) {
    using K = std::conditional_t<Packed, kernel::PackedAvx2<Kernel>, Kernel>;
    const size_t k = selected_words(in, nw_, idx_);
    if constexpr (Packed)
      if (k * kDenseDiv >= nw_) return packed_dense_avx2<Kernel>(src, in, out, valid, n.negated, nw_, run_bits_, args...);
    return words_avx2<K>(src, in, out, valid, n.negated, nw_, idx_, k, args...);
  };
#endif
  switch (n.op) {
    case Op::Range: {
      using TU = kernel::TailUse;
      const kernel::SlicedRange r(stride, slices, shift, n.lo, n.hi, c.meta.max_offset, tail);
      auto run = [&]<TU T>() -> bool {
#ifdef SEG_AVX512
        if (kernel::avx512()) {
          if (r.prefix_inside) {  // (never one value)
            if (!r.has_hi) return avx512.template operator()<kernel::SlicedPrefixAvx512<true, false, T>>(r);
            if (!r.has_lo) return avx512.template operator()<kernel::SlicedPrefixAvx512<false, true, T>>(r);
            return avx512.template operator()<kernel::SlicedPrefixAvx512<true, true, T>>(r);
          }
          if (!r.has_hi) return avx512.template operator()<kernel::SlicedRangeAvx512<true, false, T>>(r);
          if (!r.has_lo) return avx512.template operator()<kernel::SlicedRangeAvx512<false, true, T>>(r);
          if (r.one_value()) return avx512.template operator()<kernel::SlicedEqAvx512<T>>(r);
          return avx512.template operator()<kernel::SlicedRangeAvx512<true, true, T>>(r);
        }
        if (kernel::avx2()) {
          if (r.prefix_inside) {  // (never one value)
            if (!r.has_hi) return avx2.template operator()<kernel::SlicedPrefixAvx2<true, false, T>>(r);
            if (!r.has_lo) return avx2.template operator()<kernel::SlicedPrefixAvx2<false, true, T>>(r);
            return avx2.template operator()<kernel::SlicedPrefixAvx2<true, true, T>>(r);
          }
          if (!r.has_hi) return avx2.template operator()<kernel::SlicedRangeAvx2<true, false, T>>(r);
          if (!r.has_lo) return avx2.template operator()<kernel::SlicedRangeAvx2<false, true, T>>(r);
          if (r.one_value()) return avx2.template operator()<kernel::SlicedEqAvx2<T>>(r);
          return avx2.template operator()<kernel::SlicedRangeAvx2<true, true, T>>(r);
        }
#endif
        auto range = [&](const uint8_t* p, uint64_t sel) { return kernel::sliced_range_bits<T>(r, p, sel); };
        return words_by(in, out, valid, n.negated, [&](size_t w) { return base(w, range); }, true, src);
      };
      if (!tail.bits) return run.template operator()<TU::None>();
      if (!tied) return run.template operator()<TU::Read>();
      const bool any = run.template operator()<TU::Flag>();
      *tied = r.tied;
      return any;
    }
    case Op::InSmall: {
      const kernel::SlicedIn q(stride, slices, shift, n.offsets.data(), n.offsets.size(), tail);
#ifdef SEG_AVX512
      if (kernel::avx512()) return avx512.template operator()<kernel::SlicedInAvx512>(q);
      if (kernel::avx2()) return avx2.template operator()<kernel::SlicedInAvx2>(q);
#endif
      auto in_list = [&](const uint8_t* p, uint64_t sel) { return kernel::sliced_in_bits(q, p, sel); };
      return words_by(in, out, valid, n.negated, [&](size_t w) { return base(w, in_list); }, true, src);
    }
    case Op::InBitmap:
    case Op::InSorted:
      return words_by(
          in, out, valid, n.negated,
          [&](size_t w) {
            const uint64_t row0 = block_ * kBlockRows + 64 * w;
            return rows_in_list(n, in[w], [&](int i) {
              if constexpr (Packed) return c.offset_at(row0 + static_cast<uint64_t>(i));
              else if (tail.bits) return c.offset_at(row0 + static_cast<uint64_t>(i));
              else return kernel::sliced_offset(src.at(w) + i, stride, slices, shift);
            });
          },
          false, src);
    default: assert(!"compare_sliced() on a node that is not a value test"); return zero(out);
  }
}

// A packed column's block as whole slices (kBlockRows bytes apart), put together the first
// time a plan tests it there, so the shared pass's tests on it run the plain sliced kernels:
// with hundreds of plans testing deposit_total on a block in cache, squeezing each word's
// selection and spreading each answer (pext, pdep) in every test made the packed kernels a
// quarter of the pass. The frequent value's rows get its bytes, so each test decides them
// as it would any row. A tail's planes follow the slices, kBlockWords words each.
#ifdef SEG_AVX512
const uint8_t* BlockRunner::unpacked_block(const Column& c) {
  const unsigned slices = c.meta.slices, tail = c.meta.slice_tail;
  return decoded_block(c, slices * kBlockRows + tail * kBlockWords * 8, [&](uint8_t* out) {
    const uint64_t y = c.meta.frequent_offset << c.meta.slice_shift, top = y >> tail;
    const uint32_t* start = c.packed_start + block_ * kBlockWords;
    const uint64_t* freq = c.frequent + block_ * kBlockWords;
    for (unsigned k = 0; k < slices; ++k)
      kernel::unpack_words(c.data + k * c.stride, start, freq, nw_, static_cast<uint8_t>(top >> (8 * (slices - 1 - k))),
                           out + k * kBlockRows);
    if (tail)
      kernel::unpack_tail_words({c.data, c.tail_planes(), c.stride / 64, tail}, start, freq, nw_, y,
                                reinterpret_cast<uint64_t*>(out + slices * kBlockRows), kBlockWords);
  });
}
#endif

}  // namespace seg::rt::detail
