// A set of store rows as a Roaring bitmap (CRoaring, Debian's libroaring-dev): a segment's
// members. Built a block at a time by the shared pass (a block of 65536 rows is exactly one
// Roaring container, so a block's selection words become one container with no per-row work),
// then updated row by row as batches arrive.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

struct roaring_bitmap_s;

namespace seg::rt {

class RowSet {
 public:
  RowSet();
  ~RowSet();
  RowSet(const RowSet& o);
  RowSet& operator=(const RowSet& o);
  RowSet(RowSet&& o) noexcept;
  RowSet& operator=(RowSet&& o) noexcept;

  // The selection of block b (nw words, bit i = row b * 65536 + i); blocks must come in
  // increasing order, after any row added one by one.
  void append_block(uint64_t b, const uint64_t* words, size_t nw);
  void add(uint32_t row);
  void add_range(uint64_t first, uint64_t end);  // rows [first, end)
  void add_many(const std::vector<uint32_t>& rows);  // fastest ascending
  void remove(uint32_t row);
  // Removes `rows` (ascending) and appends to `taken` the positions in `rows` of those that
  // were there, touching only the containers they fall in (`both` then `remove_all` went over
  // each twice and built a set between them).
  void take_all(const std::vector<uint32_t>& rows, std::vector<uint32_t>& taken);
  void add_all(const RowSet& o);     // union, in place
  void remove_all(const RowSet& o);  // difference, in place
  RowSet both(const RowSet& o) const;  // intersection

  bool contains(uint32_t row) const;
  uint64_t count() const;
  bool empty() const;
  std::vector<uint32_t> rows() const;  // ascending
  std::vector<uint32_t> missing(uint64_t end) const;  // rows in [0, end) not in the set, ascending
  size_t bytes() const;                // Roaring's portable serialized size (what it would take on disk)
  bool operator==(const RowSet& o) const;

 private:
  roaring_bitmap_s* r_;
};

}  // namespace seg::rt
