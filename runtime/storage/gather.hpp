// A new store of chosen rows of several stores of one schema: a membership's base and its
// batches compacted into one snapshot (docs/membership.md, "Compaction").
#pragma once
#include <cstdint>
#include <unordered_map>
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
  // A set column's values for the rows of one 65536-row chunk, decoded from its containers
  // at once: looking each row up in every value's container (Store::tags_at) made compacting
  // 10M clients with 250 tags take 80 s.
  struct ChunkTags {
    uint64_t chunk = UINT64_MAX;
    std::vector<uint32_t> start;  // rows of the chunk + 1 entries into `tags`, by row offset
    std::vector<uint32_t> tags;   // the new store's codes
  };
  // What is kept per store rows come from: its dictionary codes as the new store's, by field,
  // and its set columns' current chunks.
  struct Source {
    std::vector<std::vector<uint32_t>> codes;
    std::vector<ChunkTags> chunks;
  };
  Source& source(const Store& from);
  const ChunkTags& chunk_tags(const Store& from, Source& src, int field, uint64_t chunk);
  StoreBuilder builder_;
  std::unordered_map<const Store*, Source> sources_;
};

}  // namespace seg::rt
