// A new store of chosen rows of several stores of one schema: a membership's base and its
// batches compacted into one snapshot (docs/membership.md, "Compaction").
#pragma once
#include <cstdint>
#include <vector>

#include "runtime/storage/store_builder.hpp"

namespace seg::rt {

class StoreGatherer {
 public:
  // `schema`: the first store's; dictionary values only later stores have are added to it
  // (codes already given never change).
  explicit StoreGatherer(Schema schema);
  // Appends row `row` of `from` (cell by cell; dictionary values by their key). A client id
  // given twice is std::logic_error: compaction keeps one row per client.
  void add(const Store& from, uint64_t row);
  Store finish() { return builder_.finish(); }

 private:
  // Per field of the store last added from: its dictionary codes as the new store's.
  void map_codes(const Store& from);
  StoreBuilder builder_;
  const Store* mapped_ = nullptr;
  std::vector<std::vector<uint32_t>> codes_;
};

}  // namespace seg::rt
