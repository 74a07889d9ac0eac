// Arithmetic runs (ColumnMeta::encoding kRuns; decision 85): a number column kept as the rows
// where a new step begins, each with its first offset and the step to the next row. A test
// solves each run for the rows it holds (a range is one span of a run's rows, a value at most
// one row) instead of reading a value a row.
#pragma once
#include <algorithm>
#include <cstdint>
#include <utility>

namespace seg::rt {

// Rows [row, next run's row) hold offset + step * (r - row): exact in two's complement,
// since every one of them is a stored offset. The last entry is a sentinel, {rows, 0, 0}.
struct Run {
  uint64_t row = 0;
  uint64_t offset = 0;
  int64_t step = 0;
};
static_assert(sizeof(Run) == 24);

// A column becomes runs where they average at least this many rows (one selection word): a
// run costs a few instructions to solve, about what a word of values costs to compare.
inline constexpr uint64_t kMinRunRows = 64;
// Offsets below this only: a step between two of them then fits an int64 with room to negate.
inline constexpr uint64_t kMaxRunOffset = uint64_t{1} << 62;

// How many runs rows [0, n) of `at(r)` (an offset) make.
template <class At>
uint64_t count_runs(uint64_t n, At&& at) {
  if (n == 0) return 0;
  uint64_t runs = 1, start = 0, step = 0;
  for (uint64_t r = 1; r < n; ++r) {
    const uint64_t d = at(r) - at(r - 1);
    if (r == start + 1) step = d;
    else if (d != step) ++runs, start = r;
  }
  return runs;
}

// Writes the runs of rows [0, n) of `at(r)` and the sentinel: count_runs(n, at) + 1 entries.
template <class At>
void make_runs(uint64_t n, At&& at, Run* out) {
  uint64_t k = 0;
  for (uint64_t r = 0; r < n; ++r) {
    const uint64_t v = at(r);
    if (r > 0 && r == out[k - 1].row + 1) {
      out[k - 1].step = static_cast<int64_t>(v - at(r - 1));
    } else if (r == 0 || v - at(r - 1) != static_cast<uint64_t>(out[k - 1].step)) {
      out[k++] = {r, v, 0};
    }
  }
  out[k] = {n, 0, 0};
}

// Positions j in [0, len) of a run (first offset f, step s) whose offset f + s*j lies in
// [lo, hi]: the span [first, last), empty when first >= last.
inline std::pair<uint64_t, uint64_t> run_span(uint64_t f, int64_t s, uint64_t len, uint64_t lo, uint64_t hi) {
  if (len == 0 || lo > hi) return {0, 0};
  const auto ceil_div = [](uint64_t x, uint64_t d) { return x / d + (x % d != 0); };
  uint64_t first = 0, last = len;  // last exclusive
  if (s == 0) return f >= lo && f <= hi ? std::pair<uint64_t, uint64_t>{0, len} : std::pair<uint64_t, uint64_t>{0, 0};
  if (s > 0) {
    const auto d = static_cast<uint64_t>(s);
    if (f > hi) return {0, 0};
    if (f < lo) first = ceil_div(lo - f, d);
    last = std::min(last, (hi - f) / d + 1);
  } else {
    const uint64_t d = uint64_t{0} - static_cast<uint64_t>(s);
    if (f < lo) return {0, 0};
    if (f > hi) first = ceil_div(f - hi, d);
    last = std::min(last, (f - lo) / d + 1);
  }
  return first < last ? std::pair<uint64_t, uint64_t>{first, last} : std::pair<uint64_t, uint64_t>{0, 0};
}

// Per 65536-row block (`shift` bits of rows), the run holding its first row: blocks + 1 entries,
// the last `count` (the sentinel's).
inline void run_blocks(const Run* runs, uint64_t count, uint64_t blocks, unsigned shift, uint32_t* out) {
  uint64_t i = 0;
  for (uint64_t b = 0; b < blocks; ++b) {
    const uint64_t row = b << shift;
    while (i + 1 < count && runs[i + 1].row <= row) ++i;
    out[b] = static_cast<uint32_t>(i);
  }
  out[blocks] = static_cast<uint32_t>(count);
}

// Whether `count` runs (and their sentinel) describe `rows` rows of offsets in [0, max]:
// rows strictly increasing from 0 to the sentinel's, each run's first and last offset within
// range (so every offset between is), steps that can be negated. Reads trust this.
inline bool runs_well_formed(const Run* runs, uint64_t count, uint64_t rows, uint64_t max) {
  if (count == 0 || count > rows || runs[0].row != 0 || runs[count].row != rows || runs[count].offset ||
      runs[count].step || max >= kMaxRunOffset)
    return false;
  for (uint64_t i = 0; i < count; ++i) {
    const Run& r = runs[i];
    if (runs[i + 1].row <= r.row || r.offset > max || r.step >= static_cast<int64_t>(kMaxRunOffset) ||
        r.step <= -static_cast<int64_t>(kMaxRunOffset))
      return false;
    const uint64_t more = runs[i + 1].row - r.row - 1;  // steps after the first row
    if (r.step > 0 && (max - r.offset) / static_cast<uint64_t>(r.step) < more) return false;
    if (r.step < 0 && r.offset / (uint64_t{0} - static_cast<uint64_t>(r.step)) < more) return false;
  }
  return true;
}

// Sets bits [from, to) of `w`.
inline void set_bit_span(uint64_t* w, uint64_t from, uint64_t to) {
  if (from >= to) return;
  const uint64_t a = from >> 6, b = (to - 1) >> 6;
  const uint64_t head = ~uint64_t{0} << (from & 63), tail = ~uint64_t{0} >> (63 - ((to - 1) & 63));
  if (a == b) {
    w[a] |= head & tail;
    return;
  }
  w[a] |= head;
  std::fill(w + a + 1, w + b, ~uint64_t{0});
  w[b] |= tail;
}

}  // namespace seg::rt
