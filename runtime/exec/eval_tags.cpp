// Set-column tests (tag any, all, none) over a block's containers: arrays, bitmaps, bucketed
// rows and sparse bytes, gathered and ORed (block_runner.hpp).
#include "runtime/exec/block_runner.hpp"

namespace seg::rt::detail {

// Ors the containers of `tags` for this chunk into `acc`. Each container is a short run of
// lines somewhere else (an array ~4 KB, a bitmap 8 KB): too short for the hardware
// prefetcher to get going, so the next container's first lines and each one's lines ahead
// of the loop are prefetched.
void BlockRunner::gather_tags(const PlanNode& n, uint64_t* acc) {
  const Column& c = store_.column(n.field);
  std::memset(acc, 0, nw_ * 8);
  parts_.clear();
  sparse_.clear();
  uint64_t members = 0;  // in arrays
  for (uint32_t t : n.tags) {
    const Container& k = c.container(t, block_);
    if (k.kind == kEmpty) continue;
    parts_.push_back({c.tag_data + k.offset, k.card, k.kind});
    if (k.kind != kBitmap && k.kind != kSparse) members += k.card;
  }
  auto prefetch_start = [&](size_t j) {
    if (j >= parts_.size()) return;
    const uint8_t* p = parts_[j].data;
    const size_t bytes = container_bytes(parts_[j].kind, parts_[j].card);
    for (size_t b = 0; b < std::min<size_t>(bytes, kContainerPrefetch); b += 64) __builtin_prefetch(p + b);
  };
  prefetch_start(0);
  bool by_bytes = members >= kByteScatterMin;
  if (by_bytes && bytes_.empty()) bytes_.assign(kBlockRows, 0);
  uint8_t* __restrict bytes = bytes_.data();
  for (size_t j = 0; j < parts_.size(); ++j) {
    prefetch_start(j + 1);
    const uint8_t* p = parts_[j].data;
    const uint32_t card = parts_[j].card;
    if (parts_[j].kind == kBitmap) {
      const auto* bm = reinterpret_cast<const uint64_t*>(p);
      for (size_t w = 0; w < nw_; w += 64) {  // 8 lines at a time, fetched ahead
        for (size_t b = 0; b < 512; b += 64) __builtin_prefetch(reinterpret_cast<const char*>(bm + w) + kContainerPrefetch + b);
        or_words(acc + w, bm + w, std::min<size_t>(64, nw_ - w));
      }
      continue;
    }
    if (parts_[j].kind == kSparse) {
#ifdef SEG_AVX512
      if (vbmi2_) {  // all of them together below
        sparse_.push_back(p);
        continue;
      }
#endif
      sparse_words<SparseInto::Or>(p, acc);
      continue;
    }
    const auto* a = parts_[j].kind == kBucketed ? bucketed_rows(p, card) : reinterpret_cast<const uint16_t*>(p);
    for (uint32_t i = 0; i < card; i += 32) {
      __builtin_prefetch(a + i + kContainerPrefetch / 2);
      uint32_t e = std::min(card, i + 32);
      if (by_bytes) {
        // Eight stores a step: independent stores, so the loop's own instructions were the limit.
        uint32_t q = i;
        for (; q + 8 <= e; q += 8)
          bytes[a[q]] = bytes[a[q + 1]] = bytes[a[q + 2]] = bytes[a[q + 3]] = bytes[a[q + 4]] = bytes[a[q + 5]] =
              bytes[a[q + 6]] = bytes[a[q + 7]] = 0xFF;
        for (; q < e; ++q) bytes[a[q]] = 0xFF;
      } else {
        for (uint32_t q = i; q < e; ++q) acc[a[q] >> 6] |= uint64_t{1} << (a[q] & 63);
      }
    }
  }
#ifdef SEG_AVX512
  for (size_t j = 0; j < sparse_.size(); j += kernel::kSparseOrBatch)
    kernel::or_sparse_vbmi2(sparse_.data() + j, std::min(kernel::kSparseOrBatch, sparse_.size() - j), acc, nw_);
#endif
  // Many members: setting bits one by one is a load-or-store per member, and members in
  // the same word chain through memory. Plain byte stores have no such chain; one pass
  // then packs the 65536 bytes into bits (and clears them for the next block).
  if (by_bytes) {
#ifdef SEG_AVX512
    if (kernel::avx512()) {
      kernel::take_byte_bits_avx512(bytes, acc, nw_);
      return;
    }
#endif
    for (size_t w = 0; w < nw_; ++w) acc[w] |= kernel::take_byte_bits(bytes + 64 * w);
  }
}

// A bucketed container's rows as the uint16 array the loops above read (decision 66).
// Decoded whole, then read: handing each word's rows to the loop as they were decoded made
// the byte stores' loop run once a word, and `any` of many tags 2x slower.
const uint16_t* BlockRunner::bucketed_rows(const uint8_t* p, uint32_t card) {
  // As long as the container needs: a whole block's (128 KB, which malloc maps afresh and
  // resize zeroes) cost each evaluation 0.3 ms of page faults on this VM.
  if (rows_.size() < card + 64) rows_.resize(card + 64);
#ifdef SEG_AVX512
  if (vbmi2_) {
    kernel::decode_buckets_vbmi2(p, card, rows_.data());
    return rows_.data();
  }
#endif
  decode_buckets(p, card, rows_.data());
  return rows_.data();
}

// A sparse-bytes container's bitmap words ORed or ANDed into `out` (decision 69); whether a
// bit is left.
template <SparseInto M>
uint64_t BlockRunner::sparse_words(const uint8_t* p, uint64_t* out) {
#ifdef SEG_AVX512
  if (vbmi2_) return kernel::expand_sparse_vbmi2<M>(p, out, nw_);
  if (bmi2_) return expand_sparse_bmi2<M>(p, out, nw_);
#endif
  return expand_sparse_best<M>(p, out, nw_);
}

// out = in & the rows of one tag's container (`negate`: in & ~them); whether a row is left.
// A bitmap or sparse bytes are read straight into the selection; a list's rows are cleared
// from it for `negate`, or set in a scratch bitmap (`one`) that is then ANDed.
bool BlockRunner::and_container(const Column& c, const Container& k, const uint64_t* in, uint64_t* out, bool negate, uint64_t* one) {
  const uint8_t* p = c.tag_data + k.offset;
  if (k.kind == kBitmap) return and_into(out, in, reinterpret_cast<const uint64_t*>(p), nw_, negate);
  if (in != out) std::memcpy(out, in, nw_ * 8);
  if (k.kind == kSparse) return (negate ? sparse_words<SparseInto::AndNot>(p, out) : sparse_words<SparseInto::And>(p, out)) != 0;
  const auto* a = k.kind == kBucketed ? bucketed_rows(p, k.card) : reinterpret_cast<const uint16_t*>(p);
  if (negate) {
    for (uint32_t i = 0; i < k.card; ++i) out[a[i] >> 6] &= ~(uint64_t{1} << (a[i] & 63));
    return any_word(out, nw_);
  }
  std::memset(one, 0, nw_ * 8);
  for (uint32_t i = 0; i < k.card; ++i) one[a[i] >> 6] |= uint64_t{1} << (a[i] & 63);
  return and_words(out, one, nw_) != 0;
}

bool BlockRunner::tag_any(const PlanNode& n, const uint64_t* in, uint64_t* out, bool none) {
  // One tag with rows here (`tag any (REGISTERED)`, `tag none (BLOCKED)`): its container goes
  // straight into the selection; gathered into a bitmap first, it cost two more passes over
  // the block's words (zeroing, ORing) for nothing.
  const Column& c = store_.column(n.field);
  const Container* one = nullptr;
  for (uint32_t t : n.tags) {
    const Container& k = c.container(t, block_);
    if (k.kind == kEmpty) continue;
    if (one) {
      one = nullptr;
      break;
    }
    one = &k;
  }
  uint64_t* acc = scratch(n.depth, 0);
  if (one) return and_container(c, *one, in, out, none, acc);
  gather_tags(n, acc);
  return and_into(out, in, acc, nw_, none);
}

bool BlockRunner::tag_all(const PlanNode& n, const uint64_t* in, uint64_t* out) {
  const Column& c = store_.column(n.field);
  const uint64_t* from = in;  // the first tag reads the selection, the others narrow `out`
  for (uint32_t t : n.tags) {
    const Container& k = c.container(t, block_);
    if (k.kind == kEmpty) return zero(out);
    if (!and_container(c, k, from, out, false, scratch(n.depth, 0))) return false;
    from = out;
  }
  if (from != out && in != out) std::memcpy(out, in, nw_ * 8);  // (no tags)
  return true;
}

}  // namespace seg::rt::detail
