// RowSet over CRoaring 0.2.66. append_block builds containers directly (the container API is
// part of that version's installed headers): converting a block of words through
// roaring_bitmap_add_many costs a call per member, 5M calls for a segment of half of 10M.
#include "runtime/membership/row_set.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

#include <roaring/roaring.h>
#include <roaring/containers/containers.h>

#include "runtime/storage/bits.hpp"

namespace seg::rt {
namespace {

roaring_bitmap_t* must(roaring_bitmap_t* r) {
  if (!r) throw std::bad_alloc();
  return r;
}

}  // namespace

RowSet::RowSet() : r_(must(roaring_bitmap_create())) {}
RowSet::~RowSet() {
  if (r_) roaring_bitmap_free(r_);
}
RowSet::RowSet(const RowSet& o) : r_(must(roaring_bitmap_copy(o.r_))) {}
RowSet& RowSet::operator=(const RowSet& o) {
  if (this != &o) {
    roaring_bitmap_t* c = must(roaring_bitmap_copy(o.r_));
    roaring_bitmap_free(r_);
    r_ = c;
  }
  return *this;
}
RowSet::RowSet(RowSet&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
RowSet& RowSet::operator=(RowSet&& o) noexcept {
  std::swap(r_, o.r_);
  return *this;
}

void RowSet::append_block(uint64_t b, const uint64_t* words, size_t nw) {
  uint64_t card = popcount_words(words, nw);
  if (card == 0) return;
  // Containers hold up to 4096 values as a sorted array, more as a 65536-bit bitmap
  // (Roaring's own threshold: the array is then no smaller).
  if (card > DEFAULT_MAX_SIZE) {
    bitset_container_t* c = bitset_container_create();
    if (!c) throw std::bad_alloc();
    std::memcpy(c->array, words, nw * 8);
    if (nw < kBlockWords) std::memset(c->array + nw, 0, (kBlockWords - nw) * 8);
    c->cardinality = static_cast<int32_t>(card);
    ra_append(&r_->high_low_container, static_cast<uint16_t>(b), c, BITSET_CONTAINER_TYPE_CODE);
    return;
  }
  array_container_t* c = array_container_create_given_capacity(static_cast<int32_t>(card));
  if (!c) throw std::bad_alloc();
  int32_t k = 0;
  for (size_t w = 0; w < nw; ++w)
    for (uint64_t m = words[w]; m; m &= m - 1)
      c->array[k++] = static_cast<uint16_t>(w * 64 + static_cast<uint64_t>(__builtin_ctzll(m)));
  c->cardinality = k;
  ra_append(&r_->high_low_container, static_cast<uint16_t>(b), c, ARRAY_CONTAINER_TYPE_CODE);
}

void RowSet::add(uint32_t row) { roaring_bitmap_add(r_, row); }
void RowSet::add_range(uint64_t first, uint64_t end) {
  if (first < end) roaring_bitmap_add_range(r_, first, end);
}
void RowSet::add_many(const std::vector<uint32_t>& rows) { roaring_bitmap_add_many(r_, rows.size(), rows.data()); }
void RowSet::remove(uint32_t row) { roaring_bitmap_remove(r_, row); }

// Through the container API, as append_block: a bitmap container's bits are cleared in place,
// an array container's values found by bisection and the rest closed up once, a run
// container's taken one by one. A container left with no values is dropped and a bitmap left
// with at most 4096 becomes an array (Roaring's own rule, which its other operations expect).
// In three passes over the containers the rows fall in, each fetching what the next reads: a
// batch spread over 10M rows has a row or two in each container, and one container after the
// other waited on a chain of misses (its key, its struct, its words) for each.
constexpr size_t kTakeAhead = 8;
void RowSet::take_all(const std::vector<uint32_t>& rows, std::vector<uint32_t>& taken) {
  roaring_array_t* ra = &r_->high_low_container;
  struct Group {
    size_t begin, end;  // rows[begin, end): the rows in the container
    int32_t at;         // its index
  };
  // Kept between calls (a batch calls this once a segment: a thousand times for one row).
  thread_local std::vector<Group> groups;
  thread_local std::vector<int32_t> gone;     // positions in an array container
  thread_local std::vector<int32_t> emptied;  // containers to drop, once no index is needed any more
  groups.clear();
  emptied.clear();
  int32_t at = -1;
  for (size_t i = 0, n = rows.size(); i < n;) {
    const auto key = static_cast<uint16_t>(rows[i] >> 16);
    size_t end = i + 1;
    while (end < n && rows[end] >> 16 == key) ++end;
    at = ra_advance_until(ra, key, at);  // the first index past `at` whose key is at least `key`
    if (at >= ra->size) break;
    if (ra->keys[at] == key) {
      groups.push_back({i, end, at});
      __builtin_prefetch(ra->containers[at]);
    } else {
      --at;  // that container is a later row's, maybe
    }
    i = end;
  }
  for (const Group& g : groups) {
    const void* c = ra->containers[g.at];
    if (ra->typecodes[g.at] == BITSET_CONTAINER_TYPE_CODE)
      __builtin_prefetch(static_cast<const bitset_container_t*>(c)->array + ((rows[g.begin] & 0xFFFF) >> 6), 1);
    else if (ra->typecodes[g.at] == ARRAY_CONTAINER_TYPE_CODE)
      __builtin_prefetch(static_cast<const array_container_t*>(c)->array + static_cast<const array_container_t*>(c)->cardinality / 2);
  }
  for (const Group& g : groups) {
    const uint8_t type = ra->typecodes[g.at];
    if (type == BITSET_CONTAINER_TYPE_CODE) {
      auto* b = static_cast<bitset_container_t*>(ra->containers[g.at]);
      for (size_t t = g.begin; t < g.end; ++t) {
        // Rows a few apart are lines apart: their loads are started ahead so that their misses
        // overlap.
        if (t + kTakeAhead < g.end) __builtin_prefetch(b->array + ((rows[t + kTakeAhead] & 0xFFFF) >> 6), 1);
        const uint32_t lo = rows[t] & 0xFFFF;
        const uint64_t bit = uint64_t{1} << (lo & 63);
        if (b->array[lo >> 6] & bit) b->array[lo >> 6] &= ~bit, --b->cardinality, taken.push_back(static_cast<uint32_t>(t));
      }
      if (b->cardinality == 0) {
        emptied.push_back(g.at);
      } else if (b->cardinality <= DEFAULT_MAX_SIZE) {
        array_container_t* a = array_container_from_bitset(b);  // (0.2.66 does not report a failed allocation)
        bitset_container_free(b);
        ra_set_container_at_index(ra, g.at, a, ARRAY_CONTAINER_TYPE_CODE);
      }
    } else if (type == ARRAY_CONTAINER_TYPE_CODE) {
      auto* a = static_cast<array_container_t*>(ra->containers[g.at]);
      uint16_t* v = a->array;
      const int32_t card = a->cardinality;
      gone.clear();
      int32_t from = 0;
      for (size_t t = g.begin; t < g.end && from < card; ++t) {
        const auto lo = static_cast<uint16_t>(rows[t]);
        from = static_cast<int32_t>(std::lower_bound(v + from, v + card, lo) - v);
        if (from < card && v[from] == lo) gone.push_back(from++), taken.push_back(static_cast<uint32_t>(t));
      }
      if (static_cast<int32_t>(gone.size()) == card) {
        emptied.push_back(g.at);
      } else if (!gone.empty()) {
        int32_t w = gone[0];
        for (size_t k = 0; k < gone.size(); ++k) {
          const int32_t next = k + 1 < gone.size() ? gone[k + 1] : card;
          std::memmove(v + w, v + gone[k] + 1, static_cast<size_t>(next - gone[k] - 1) * sizeof(uint16_t));
          w += next - gone[k] - 1;
        }
        a->cardinality = w;
      }
    } else if (type == RUN_CONTAINER_TYPE_CODE) {
      auto* r = static_cast<run_container_t*>(ra->containers[g.at]);
      for (size_t t = g.begin; t < g.end; ++t)
        if (run_container_remove(r, static_cast<uint16_t>(rows[t]))) taken.push_back(static_cast<uint32_t>(t));
      if (run_container_empty(r)) emptied.push_back(g.at);
    } else {
      throw std::logic_error("seg::rt::RowSet: a shared Roaring container (copy-on-write is never set here)");
    }
  }
  for (auto it = emptied.rbegin(); it != emptied.rend(); ++it) ra_remove_at_index_and_free(ra, *it);  // last first: no index moves
}
void RowSet::add_all(const RowSet& o) { roaring_bitmap_or_inplace(r_, o.r_); }
void RowSet::remove_all(const RowSet& o) { roaring_bitmap_andnot_inplace(r_, o.r_); }
RowSet RowSet::both(const RowSet& o) const {
  RowSet out;
  roaring_bitmap_free(out.r_);
  out.r_ = must(roaring_bitmap_and(r_, o.r_));
  return out;
}

bool RowSet::contains(uint32_t row) const { return roaring_bitmap_contains(r_, row); }
uint64_t RowSet::count() const { return roaring_bitmap_get_cardinality(r_); }
bool RowSet::empty() const { return roaring_bitmap_is_empty(r_); }
std::vector<uint32_t> RowSet::rows() const {
  std::vector<uint32_t> out(count());
  if (!out.empty()) roaring_bitmap_to_uint32_array(r_, out.data());
  return out;
}
std::vector<uint32_t> RowSet::missing(uint64_t end) const {
  roaring_bitmap_t* gaps = must(roaring_bitmap_flip(r_, 0, end));
  std::vector<uint32_t> out(roaring_bitmap_get_cardinality(gaps));
  if (!out.empty()) roaring_bitmap_to_uint32_array(gaps, out.data());
  roaring_bitmap_free(gaps);
  // The flip leaves the set's rows at or past `end` as they were: they are not gaps.
  out.erase(std::lower_bound(out.begin(), out.end(), end), out.end());
  return out;
}
size_t RowSet::bytes() const { return roaring_bitmap_portable_size_in_bytes(r_); }
bool RowSet::operator==(const RowSet& o) const { return roaring_bitmap_equals(r_, o.r_); }

}  // namespace seg::rt
