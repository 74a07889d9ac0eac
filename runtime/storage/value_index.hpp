// The value index of a high-cardinality integer column (player ids): its rows in value order,
// so a rule naming a few values finds their rows without scanning (docs/runtime.md).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/storage/store.hpp"

namespace seg::rt {

// Builds the index of column `field` when it is worth one: an integer column (not the id
// column when ids grow with the row: that column is its own index) of at most 4-byte offsets
// whose values repeat on average at most kIndexMaxRepeat times. Its buffers join the store's
// sections (so snapshots keep them). Returns whether it built one.
inline constexpr uint64_t kIndexMaxRepeat = 4;
// FewIds: the planner's few-ids path, only where values rarely repeat (built at load).
// Ranges: any integer or timestamp column of at most 4-byte offsets, whatever its values, for
// finding the rows in a value range (a membership's clock step: the rows whose timestamp lies
// between a `now - 30d` bound's old and new instants). True when the column has one after.
enum class IndexFor : uint8_t { FewIds, Ranges };
bool build_value_index(Store& store, int field, IndexFor why = IndexFor::FewIds);

// Can the rows of `field` holding offsets in [lo, hi] be found without a scan (a value index,
// or the id column when ids grow with the row)?
bool has_row_lookup(const Store& store, int field);

// Appends to `out` the rows of `field` whose offset lies in [lo, hi] (unsorted). Stops and
// returns false as soon as more than `cap` rows would be appended in total (`out` is then
// left partly filled). Requires has_row_lookup(store, field).
bool lookup_rows(const Store& store, int field, uint64_t lo, uint64_t hi, uint64_t cap, std::vector<uint64_t>& out);

// How many rows of `field` hold an offset in [lo, hi], without listing them: a dense index's
// arithmetic, or two bisections. Requires has_row_lookup(store, field).
uint64_t count_rows(const Store& store, int field, uint64_t lo, uint64_t hi);

// Rows a lookup of `values` offsets of `field` reads: one each through a bucketed index or
// bisected ids, a dense index's whole block each (at most every row). Requires has_row_lookup.
uint64_t lookup_reads(const Store& store, int field, uint64_t values);

// The row holding id `id` in the store's id column, if any: through the column's row lookup
// (a value index, or bisection when ids grow with the row), else by a scan (ids that neither
// grow with the row nor fit 4-byte offsets have no index).
std::optional<uint64_t> row_of_id(const Store& store, int64_t id);

// Checks a snapshot's index sections against the column (every row in range, the directory
// non-decreasing and ending at the row count); an error message, or empty when sound.
const char* check_value_index(const Column& c, uint64_t rows);

}  // namespace seg::rt
