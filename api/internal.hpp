// The engine objects behind the public API's handles, for seg's own developer tools (`seg
// bench`, `seg ir --trace-passes`) and tests; the test hooks below are for tests only. Not installed: hosts use
// include/seg/ only.
#pragma once
#include "runtime/storage/store.hpp"
#include "schema/schema.hpp"
#include "seg/seg.hpp"

namespace seg::api::internal {

const seg::Schema& schema(const Schema& s);
const rt::Store& store(const Store& s);
Schema wrap(seg::Schema s);
// Adds dictionary values known elsewhere (Dictionary::add_known_elsewhere) to `s` in place when
// nothing else holds it (a Rule, a View): false, changing nothing, otherwise. A membership
// replaying thousands of batches that bring tags copied its whole schema at each (found by a
// review of how things scale: opening grew with the square of the batches).
bool know_values_in_place(Schema& s, const std::vector<std::pair<size_t, std::string>>& values);
// Blocks a MemberCursor evaluates per batch (16 by default): tests make it small to cross
// many batch boundaries on small data.
void set_member_batch_blocks(uint64_t blocks);
// The most rows a membership's clock step tests one by one for a rule before it evaluates the
// rule over the whole base instead (0: the default, by share of the base): tests set 1 to run
// the whole-base path on small data.
void set_clock_rows_limit(uint64_t rows);
// The most rows of a membership's batch tested one at a time (64 by default); more are
// evaluated as blocks. Tests set 0 to run the block path on small batches.
void set_row_by_row_limit(uint64_t clients);
// The rows of batches since a membership's base after which apply() compacts (0: the
// default, a quarter of the base): tests set a few to compact small data often.
void set_compact_rows(uint64_t rows);
// While true, a compaction's thread waits before it ends: tests make changes arrive while one
// runs.
void set_compaction_hold(bool hold);
// The most rows a membership holds since its base (0: 2^32, Roaring's 32-bit rows): tests set a
// few to reach the limit (E810).
void set_max_rows(uint64_t rows);
// The next change a membership logs throws std::bad_alloc once applied, before its events
// are returned (as a failure part way would, with the version already moved): tests check
// that the membership then refuses changes until it is opened again, and that the service
// hands out no cursor past the events it gave.
void fail_next_apply();

}  // namespace seg::api::internal
