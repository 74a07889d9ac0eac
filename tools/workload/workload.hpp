// The reference workload (shared/workload/README.md): the deterministic CRM data generator
// and the rules Q1-Q6 every benchmark and cross-check uses.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "runtime/storage/store.hpp"

namespace seg::rt {

inline constexpr uint64_t kWorkloadSeed = 42;
inline constexpr int64_t kEpoch2024 = 1704067200;   // 2024-01-01T00:00:00Z
inline constexpr int64_t kEnd = 1704067200 + 89424000;  // 2026-11-01T00:00:00Z

uint64_t splitmix64(uint64_t x);
// u(r,c,k) and unit(r,c,k) of the README.
uint64_t workload_u(uint64_t seed, uint64_t r, uint64_t c, uint64_t k);
double workload_unit(uint64_t seed, uint64_t r, uint64_t c, uint64_t k);

// One generated row. Tags are indices into workload_tag_names(), in the README's order.
struct WorkloadRow {
  int64_t client_id = 0, player_id = 0, spot = 0;
  int stage = 0;  // index into workload_stage_names()
  int ntags = 0;
  uint16_t tags[16] = {};
  int64_t deposit_cents = 0;
  int64_t registered_at = 0;
  bool has_last_active = false;
  int64_t last_active_at = 0;
  int country = -1;  // index into workload_countries(), -1 = null
};
void workload_row(uint64_t seed, uint64_t rows, uint64_t r, WorkloadRow& out);

const std::vector<std::string>& workload_stage_names();
const std::vector<std::string>& workload_tag_names();  // REGISTERED, NOT REGISTERED, Top-up, VIP, BLOCKED, T000..T255
const std::vector<std::string>& workload_countries();

// Writes the CSV (header and rows) to `out`; false on a write error. `progress` (may be
// empty) is called now and then with the rows written so far.
bool write_workload_csv(std::FILE* out, uint64_t rows, uint64_t seed,
                        const std::function<void(uint64_t)>& progress = {});
// Appends row r's CSV line (with '\n') to `buf`; returns the bytes written (buf needs 512).
size_t format_workload_row(const WorkloadRow& row, char* buf);

// The workload in memory, straight into a store over `schema` (normally crm_schema()),
// without CSV text; the same values a load of the CSV gives.
Store generate_workload_store(const Schema& schema, uint64_t rows, uint64_t seed = kWorkloadSeed);

// What a rule selects from the generated workload (seed 42) at a number of rows.
struct Pinned {
  uint64_t rows, count, checksum;
};

struct WorkloadRule {
  const char* id;
  std::string text;
  // The README's "Expected results (seed 42)", the one copy: `seg bench` and the tests check
  // against these.
  Pinned at_1m, at_10m;
  const Pinned* pinned(uint64_t rows) const { return rows == at_1m.rows ? &at_1m : rows == at_10m.rows ? &at_10m : nullptr; }
};
// Q1-Q6 as rule text, exactly as the README lists them (Q2's 100 players spelt out).
const std::vector<WorkloadRule>& workload_rules();

}  // namespace seg::rt
