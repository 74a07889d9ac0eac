// The reference data generator, implemented literally from the workload README (double
// arithmetic with std::pow/std::exp, as written there) so every machine writes the same bytes.
#include "tools/workload/workload.hpp"

#include <cmath>
#include <cstring>

#include "runtime/storage/store_builder.hpp"
#include "runtime/storage/values.hpp"

namespace seg::rt {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t workload_u(uint64_t seed, uint64_t r, uint64_t c, uint64_t k) {
  return splitmix64(seed * 0x100000001B3ull + r * 0x10000ull + c * 0x100ull + k);
}

double workload_unit(uint64_t seed, uint64_t r, uint64_t c, uint64_t k) {
  return static_cast<double>(workload_u(seed, r, c, k) >> 11) * 0x1.0p-53;
}

const std::vector<std::string>& workload_stage_names() {
  static const std::vector<std::string> v{"NotProcessed", "Ignored", "Registration", "MadeFirstSale",
                                          "Deposit",      "Active",  "Churned",      "Blocked"};
  return v;
}

const std::vector<std::string>& workload_tag_names() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> t{"REGISTERED", "NOT REGISTERED", "Top-up", "VIP", "BLOCKED"};
    char buf[8];
    for (int i = 0; i < 256; ++i) {
      std::snprintf(buf, sizeof buf, "T%03d", i);
      t.emplace_back(buf);
    }
    return t;
  }();
  return v;
}

const std::vector<std::string>& workload_countries() {
  static const std::vector<std::string> v{"DE", "AT", "CH", "FR", "IT", "ES", "PT", "NL", "BE", "PL",
                                          "CZ", "SK", "HU", "RO", "BG", "GR", "SE", "NO", "DK", "FI",
                                          "IE", "GB", "US", "CA", "BR", "MX", "AR", "TR", "UA", "KZ"};
  return v;
}

void workload_row(uint64_t seed, uint64_t rows, uint64_t r, WorkloadRow& o) {
  auto unit = [&](uint64_t c, uint64_t k) { return workload_unit(seed, r, c, k); };
  o.client_id = static_cast<int64_t>(r + 1);
  o.player_id = static_cast<int64_t>(1000000 + (r * 7919) % rows + 1);
  o.spot = 1 + static_cast<int64_t>(std::floor(100 * std::pow(unit(2, 0), 2)));
  static const double stage_cum[] = {0.30, 0.45, 0.65, 0.75, 0.85, 0.93, 0.98, 1.00};
  double us = unit(3, 0);
  o.stage = 7;
  for (int i = 0; i < 8; ++i)
    if (us < stage_cum[i]) {
      o.stage = i;
      break;
    }
  o.ntags = 0;
  if (unit(4, 0) < 0.40) o.tags[o.ntags++] = 0;
  else if (unit(4, 1) < 0.60) o.tags[o.ntags++] = 1;
  if (unit(4, 2) < 0.12) o.tags[o.ntags++] = 2;
  if (unit(4, 3) < 0.02) o.tags[o.ntags++] = 3;
  if (unit(4, 4) < 0.01) o.tags[o.ntags++] = 4;
  int n = static_cast<int>(std::floor(9 * std::pow(unit(4, 5), 2)));
  int first_generic = o.ntags;
  for (int j = 0; j < n; ++j) {
    uint16_t t = static_cast<uint16_t>(5 + static_cast<int>(std::floor(256 * std::pow(unit(4, 10 + j), 3))));
    bool repeat = false;
    for (int k = first_generic; k < o.ntags; ++k) repeat |= o.tags[k] == t;
    if (!repeat) o.tags[o.ntags++] = t;
  }
  if (unit(5, 0) < 0.5) o.deposit_cents = 0;
  else o.deposit_cents = static_cast<int64_t>(std::llround(10 * std::exp(6 * unit(5, 1)) * 100));
  o.registered_at = kEpoch2024 + static_cast<int64_t>(std::floor(unit(6, 0) * 89424000));
  o.has_last_active = !(unit(7, 0) < 0.10);
  o.last_active_at =
      o.has_last_active
          ? o.registered_at + static_cast<int64_t>(std::floor(unit(7, 1) * static_cast<double>(kEnd - o.registered_at)))
          : 0;
  o.country = unit(8, 0) < 0.02 ? -1 : static_cast<int>(std::floor(30 * std::pow(unit(8, 1), 1.5)));
}

size_t format_workload_row(const WorkloadRow& w, char* buf) {
  char* p = buf;
  p += format_int(w.client_id, p);
  *p++ = ',';
  p += format_int(w.player_id, p);
  *p++ = ',';
  p += format_int(w.spot, p);
  *p++ = ',';
  const std::string& st = workload_stage_names()[static_cast<size_t>(w.stage)];
  std::memcpy(p, st.data(), st.size());
  p += st.size();
  *p++ = ',';
  for (int i = 0; i < w.ntags; ++i) {
    if (i) *p++ = '|';
    const std::string& t = workload_tag_names()[w.tags[i]];
    std::memcpy(p, t.data(), t.size());
    p += t.size();
  }
  *p++ = ',';
  p += format_decimal(w.deposit_cents, 2, p);
  *p++ = ',';
  p += format_timestamp(w.registered_at, p);
  *p++ = ',';
  if (w.has_last_active) p += format_timestamp(w.last_active_at, p);
  *p++ = ',';
  if (w.country >= 0) {
    const std::string& c = workload_countries()[static_cast<size_t>(w.country)];
    std::memcpy(p, c.data(), c.size());
    p += c.size();
  }
  *p++ = '\n';
  return static_cast<size_t>(p - buf);
}

bool write_workload_csv(std::FILE* out, uint64_t rows, uint64_t seed, const std::function<void(uint64_t)>& progress) {
  static const char header[] =
      "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n";
  if (std::fwrite(header, 1, sizeof header - 1, out) != sizeof header - 1) return false;
  std::vector<char> buf(1 << 20);
  size_t used = 0;
  WorkloadRow w;
  for (uint64_t r = 0; r < rows; ++r) {
    workload_row(seed, rows, r, w);
    used += format_workload_row(w, buf.data() + used);
    if (used > buf.size() - 512) {
      if (std::fwrite(buf.data(), 1, used, out) != used) return false;
      used = 0;
    }
    if (progress && (r & 0xFFFFF) == 0xFFFFF) progress(r + 1);
  }
  if (used && std::fwrite(buf.data(), 1, used, out) != used) return false;
  if (progress) progress(rows);
  return std::fflush(out) == 0;
}

Store generate_workload_store(const Schema& schema, uint64_t rows, uint64_t seed) {
  StoreBuilder b(schema);
  Schema& s = b.schema();
  int f_client = s.find("client_id"), f_player = s.find("player_id"), f_spot = s.find("spot"),
      f_stage = s.find("stage"), f_tags = s.find("tags"), f_dep = s.find("deposit_total"),
      f_reg = s.find("registered_at"), f_last = s.find("last_active_at"), f_country = s.find("country");
  // Codes through the schema's dictionaries (appending tags it lacks, as a CSV load would).
  std::vector<uint32_t> stage_code, tag_code, country_code;
  for (const auto& n : workload_stage_names()) stage_code.push_back(s.fields[f_stage].dict.add(n));
  for (const auto& n : workload_tag_names()) tag_code.push_back(s.fields[f_tags].dict.add(n));
  for (const auto& n : workload_countries()) country_code.push_back(s.fields[f_country].dict.add(n));
  WorkloadRow w;
  for (uint64_t r = 0; r < rows; ++r) {
    workload_row(seed, rows, r, w);
    b.set_value(f_client, w.client_id);
    b.set_value(f_player, w.player_id);
    b.set_value(f_spot, w.spot);
    b.set_value(f_stage, stage_code[static_cast<size_t>(w.stage)]);
    for (int i = 0; i < w.ntags; ++i) b.add_tag(f_tags, tag_code[w.tags[i]]);
    b.set_value(f_dep, w.deposit_cents);
    b.set_value(f_reg, w.registered_at);
    if (w.has_last_active) b.set_value(f_last, w.last_active_at);
    if (w.country >= 0) b.set_value(f_country, country_code[static_cast<size_t>(w.country)]);
    b.commit_row();
  }
  return b.finish();
}

const std::vector<WorkloadRule>& workload_rules() {
  static const std::vector<WorkloadRule> rules = [] {
    std::string players;
    for (int i = 0; i < 100; ++i) players += (i ? ", " : "") + std::to_string(1000001 + 97 * i);
    return std::vector<WorkloadRule>{
        {"Q1", "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12",
         {1000000, 2873, 1413818963ull},
         {10000000, 29840, 149747522995ull}},
        {"Q2", "stage in (NotProcessed, Ignored, MadeFirstSale, Registration) and tag any (REGISTERED, \"NOT "
               "REGISTERED\") and spot = 3 and player_id in (" +
                   players + ")",
         {1000000, 1, 755274ull},
         {10000000, 2, 9172878ull}},
        {"Q3", "(stage in (Deposit, Active) or deposit_total > 500) and tag all (VIP, \"Top-up\") and tag none "
               "(BLOCKED) and last_active_at >= 2026-10-01 and country in (DE, AT, CH)",
         {1000000, 15, 5554508ull},
         {10000000, 192, 1021537350ull}},
        {"Q4", [] {
           std::string t = "tag any (";
           char buf[8];
           for (int i = 0; i < 32; ++i) {
             std::snprintf(buf, sizeof buf, "T%03d", i);
             t += (i ? ", " : "") + std::string(buf);
           }
           return t + ")";
         }(),
         {1000000, 551178, 275711948211ull},
         {10000000, 5510342, 27545510250207ull}},
        {"Q5", "not spot = 1 and not tag any (BLOCKED)", {1000000, 890325, 445166101018ull},
         {10000000, 8909975, 44550592558399ull}},
        {"Q6", "registered_at between 2025-01-01 and 2025-12-31 and deposit_total = 0 and stage != Blocked",
         {1000000, 172465, 86272123817ull},
         {10000000, 1727199, 8639617649447ull}},
    };
  }();
  return rules;
}

}  // namespace seg::rt
