// Binary snapshots: a store written once (`seg convert`) and opened by mapping the file,
// so a 10M-row table opens in milliseconds. Layout and checks in docs/runtime.md.
#pragma once
#include <cstdint>
#include <string>

#include "runtime/load.hpp"
#include "runtime/store.hpp"

namespace seg::rt {

inline constexpr char kSnapshotMagic[8] = {'S', 'E', 'G', 'S', 'N', 'A', 'P', '\0'};
inline constexpr uint32_t kSnapshotVersion = 1;

// Writes `store` to `path` (through a temporary file renamed into place). False with
// `error` set on an I/O problem.
bool write_snapshot(const Store& store, const std::string& path, std::string& error);

// Maps a snapshot. The header, schema, section table, column descriptions, tag directories
// and string offsets are always checked (so a damaged file cannot make reads go astray);
// the data sections' checksums only with options.verify.
LoadResult open_snapshot(const std::string& path, const LoadOptions& options = {});

}  // namespace seg::rt
