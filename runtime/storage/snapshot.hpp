// Binary snapshots: a store written once (`seg convert`) in its in-memory layout, so opening
// is one read and the checksums, no parsing. Layout and checks in docs/runtime.md.
#pragma once
#include <cstdint>
#include <string>

#include "runtime/storage/load.hpp"
#include "runtime/storage/store.hpp"

namespace seg::rt {

inline constexpr char kSnapshotMagic[8] = {'S', 'E', 'G', 'S', 'N', 'A', 'P', '\0'};
// Version 2 added value indexes (their sections and ColumnMeta fields, zero in version 1);
// version 1 snapshots still open, without indexes (a few-ids rule then scans). Version 3
// added byte-sliced columns (kSliced); older snapshots open with their offsets whole. Version
// 4 added frequent-value bitmaps (SectionKind::Frequent); older snapshots open without them.
// Version 5 added bit-plane columns (kPlanes); older snapshots open with 1-byte offsets whole.
// Version 6 added packed slices (ColumnMeta::packed); older ones open with slices of every row.
// Version 7 lists a value index's rows in 3 bytes up to 2^24 rows, and keeps a dense index
// without its directory (ColumnMeta::index_row_bytes, index_dense); older indexes open as they are.
// Version 8's dense index lists each offset's block of rows in 12 or 16 bits
// (ColumnMeta::index_entry_bits, index_shift); version 7's dense indexes open as blocks of a row.
// Version 8 also keeps the last bits of sliced offsets past their whole bytes as bit planes
// (ColumnMeta::slice_tail).
// Version 9 added tag containers of bucketed bytes (kBucketed, runtime/storage/tag_buckets.hpp).
// Version 10 gives packed slices a tail too (a bit for each byte of a slice, decision 67).
// Version 11 added tag containers of sparse bytes (kSparse, runtime/storage/tag_sparse.hpp).
// Version 12 added columns of arithmetic runs (kRuns, runtime/storage/runs.hpp, decision 85).
inline constexpr uint32_t kSnapshotVersion = 12;
inline constexpr uint32_t kOldestSnapshotVersion = 1;

// Writes `store` to `path` atomically: a temporary file of its own in the target's folder,
// fsynced, renamed over the target, and the folder fsynced. A reader sees the old snapshot or
// the complete new one; a killed writer leaves the target as it was. "-" writes to stdout.
// False with `error` set on an I/O problem.
bool write_snapshot(const Store& store, const std::string& path, std::string& error);

// Reads a snapshot into private memory (a file, or "-" for stdin). The header, schema,
// section table, column descriptions, tag directories and string offsets are always checked
// (so a damaged file cannot make reads go astray); the data sections' checksums too unless
// options.verify is false (storage that is trusted). Bytes after the last section are an error.
LoadResult open_snapshot(const std::string& path, const LoadOptions& options = {});
// Whether the file at `path` starts as a snapshot does (its magic); false when it cannot be read.
bool is_snapshot_file(const std::string& path);
LoadResult open_snapshot(Input& in, const LoadOptions& options = {});

}  // namespace seg::rt
