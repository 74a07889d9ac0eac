// Random rule texts over the CRM schema, for round-trip and property tests.
#include "tests/support/random_rules.hpp"

#include "tests/support/reference_eval.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <optional>
#include <stdexcept>

namespace seg::testing {

namespace {
const char* kStages[][3] = {{"NotProcessed", "\"Not processed\"", "not_processed"},
                            {"Ignored", "'ignored'", "IGNORED"},
                            {"Registration", "\"Registration\"", "registration"},
                            {"MadeFirstSale", "\"Made first sale\"", "made_first_sale"},
                            {"Deposit", "deposit", "'Deposit'"},
                            {"Active", "active", "\"ACTIVE\""},
                            {"Churned", "churned", "\"Churned\""},
                            {"Blocked", "blocked", "'Blocked'"}};
const char* kCountries[] = {"DE", "AT", "CH", "FR", "IT", "US", "KZ", "gb", "\"UA\""};
const char* kTags[] = {"REGISTERED", "\"NOT REGISTERED\"", "\"Top-up\"", "top_up", "VIP", "vip",
                       "BLOCKED", "T000", "t001", "T047", "T255", "'T010'", "T999", "\"Brand new\""};
}  // namespace

uint64_t RuleGen::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string RuleGen::ws() {
  switch (below(12)) {
    case 0: return "  ";
    case 1: return "\n";
    case 2: return " -- note\n";
    case 3: return "\t";
    default: return " ";
  }
}

std::string RuleGen::kw(const char* k) {
  std::string s(k);
  if (chance(20))
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  else if (chance(10))
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string RuleGen::field(const char* name) {
  std::string s(name);
  if (s == "tags" && chance(60)) s = "tag";
  if (s == "player_id" && chance(40)) s = "player";
  if (chance(15)) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string RuleGen::stage_value() { return kStages[below(8)][chance(70) ? 0 : 1 + below(2)]; }
std::string RuleGen::country_value() { return kCountries[below(std::size(kCountries))]; }
std::string RuleGen::tag_value() { return kTags[below(std::size(kTags))]; }
std::string RuleGen::int_value(int64_t lo, int64_t hi) {
  return fmt::format("{}", lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1))));
}
std::string RuleGen::decimal_value() {
  int64_t cents = static_cast<int64_t>(below(100000)) - (chance(10) ? 5000 : 0);
  switch (below(3)) {
    case 0: return fmt::format("{}", cents / 100);
    case 1: return fmt::format("{}{}.{}", cents < 0 ? "-" : "", std::abs(cents) / 100, std::abs(cents) % 100 / 10);
    default: return fmt::format("{}{}.{:02}", cents < 0 ? "-" : "", std::abs(cents) / 100, std::abs(cents) % 100);
  }
}
std::string RuleGen::time_value() {
  switch (below(4)) {
    case 0: return fmt::format("now{}{} {}{}", chance(50) ? " " : "", chance(50) ? "-" : "+", below(400),
                               "smhdw"[below(5)]);
    case 1: return fmt::format("202{}-{:02}-{:02}T{:02}:{:02}:{:02}Z", 4 + below(3), 1 + below(12), 1 + below(28),
                               below(24), below(60), below(60));
    case 2: return "now";
    default: return fmt::format("202{}-{:02}-{:02}", 4 + below(3), 1 + below(12), 1 + below(28));
  }
}

template <typename F>
std::string RuleGen::list(F value, int max) {
  int n = 1 + static_cast<int>(below(static_cast<uint64_t>(max)));
  std::string out = "(";
  for (int i = 0; i < n; ++i) {
    if (i) out += chance(70) ? ", " : ",";
    out += value();
  }
  out += ')';
  return out;
}

std::string RuleGen::predicate() {
  const char* cmp[] = {"=", "!=", "<", "<=", ">", ">="};
  auto c = [&] { return std::string(" ") + cmp[below(6)] + " "; };
  auto eq = [&] { return std::string(chance(50) ? " = " : " != "); };
  switch (below(9)) {
    case 0: {  // stage (ordered enum, never null)
      std::string f = field("stage");
      switch (below(5)) {
        case 0: return f + " " + kw("in") + " " + list([&] { return stage_value(); }, 4);
        case 1: return f + " " + kw("not") + " " + kw("in") + " " + list([&] { return stage_value(); }, 3);
        case 2: return f + c() + stage_value();
        case 3: return f + " " + kw("between") + " " + stage_value() + " " + kw("and") + " " + stage_value();
        default: return f + " " + kw("is") + (chance(50) ? " not" : "") + " " + kw("null");
      }
    }
    case 1: {  // tags (open set)
      const char* ops[] = {"any", "all", "none"};
      return field("tags") + " " + kw(ops[below(3)]) + " " + list([&] { return tag_value(); }, 4);
    }
    case 2: {  // spot
      std::string f = field("spot");
      switch (below(4)) {
        case 0: return f + c() + int_value(-2, 101);
        case 1: return f + " " + kw(chance(70) ? "in" : "not in") + " " + list([&] { return int_value(1, 100); }, 5);
        case 2: return f + " " + kw("between") + " " + int_value(0, 60) + " " + kw("and") + " " + int_value(30, 100);
        default: return f + eq() + int_value(1, 100);
      }
    }
    case 3: {  // player
      std::string f = field("player_id");
      return chance(50) ? f + " " + kw("in") + " " + list([&] { return int_value(1000000, 1000050); }, 6)
                        : f + c() + int_value(1000000, 1000050);
    }
    case 4: {  // deposit_total decimal(2), never null
      std::string f = field("deposit_total");
      if (chance(25)) return f + " " + kw("between") + " " + decimal_value() + " " + kw("and") + " " + decimal_value();
      if (chance(20)) return f + " " + kw("in") + " " + list([&] { return decimal_value(); }, 3);
      return f + c() + decimal_value();
    }
    case 5:
    case 6: {  // timestamps
      std::string f = field(chance(50) ? "registered_at" : "last_active_at");
      switch (below(5)) {
        case 0: return f + " " + kw("between") + " " + time_value() + " " + kw("and") + " " + time_value();
        case 1: return f + " " + kw(chance(50) ? "in" : "not in") + " " + list([&] { return time_value(); }, 3);
        case 2: return f + " " + kw("is") + (chance(50) ? " not" : "") + " " + kw("null");
        default: return f + c() + time_value();
      }
    }
    case 7: {  // country: nullable closed enum
      std::string f = field("country");
      switch (below(4)) {
        case 0: return f + " " + kw("in") + " " + list([&] { return country_value(); }, 4);
        case 1: return f + " " + kw("not in") + " " + list([&] { return country_value(); }, 3);
        case 2: return f + " " + kw("is") + (chance(50) ? " not" : "") + " " + kw("null");
        default: return f + eq() + country_value();
      }
    }
    default: {  // client_id
      std::string f = field("client_id");
      return f + c() + int_value(1, 1000);
    }
  }
}

std::string RuleGen::expr(int depth) {
  if (depth <= 0 || chance(35)) {
    if (chance(3)) return kw(chance(50) ? "true" : "false");
    return predicate();
  }
  switch (below(5)) {
    case 0: return kw("not") + ws() + expr(depth - 1);
    case 1: return fmt::format("({})", expr(depth - 1));
    case 2: return fmt::format("not ({})", expr(depth - 1));
    default: {
      int n = 2 + static_cast<int>(below(3));
      const char* op = chance(50) ? "and" : "or";
      std::string out;
      for (int i = 0; i < n; ++i) {
        std::string part = expr(depth - 1);
        if (chance(50)) part = "(" + part + ")";
        out += (i ? ws() + kw(op) + ws() : "") + part;
      }
      return out;
    }
  }
}

std::string RuleGen::rule(int max_depth) { return expr(max_depth); }

std::string RuleGen::shaped() {
  const char* stages[] = {"NotProcessed", "Ignored", "Registration", "MadeFirstSale", "Deposit", "Active", "Churned", "Blocked"};
  const char* countries[] = {"DE", "AT", "CH", "FR", "IT", "ES", "PL", "GB", "US", "TR"};
  // Spots as the reference data skews them (a few large tenants), so the same spots recur.
  auto spot = [&] { return 1 + static_cast<int>(100.0 * std::pow(static_cast<double>(below(1000)) / 1000.0, 2)); };
  auto date = [&] { return fmt::format("202{}-{:02}-01", 4 + below(3), 1 + below(12)); };
  auto some = [&](const char* const* pool, size_t size, size_t max) {
    std::string out;
    for (size_t i = 0, n = 1 + below(max); i < n; ++i) out += (i ? ", " : "") + std::string(pool[below(size)]);
    return out;
  };
  switch (below(6)) {
    case 0:
    case 1: {  // the segment form (Q1, Q2), its rule as the product makes and prints it
      SegmentForm f = form();
      if (f.spot) f.spot = spot();
      Diagnostics diags;
      std::optional<ir::Node> ir = form_to_ir(f, crm_schema(), diags);
      if (!ir) throw std::logic_error("RuleGen::shaped: a form the CRM schema refuses: " + form_to_json(f));
      return ir::print_rule(*ir, crm_schema());
    }
    case 2:  // Q3
      return fmt::format("(stage in ({}) or deposit_total > {}) and tag all (VIP, \"Top-up\") and tag none (BLOCKED) and "
                         "last_active_at >= {} and country in ({})",
                         some(stages + 3, 4, 2), 100 * (1 + below(10)), date(), some(countries, std::size(countries), 3));
    case 3: {  // Q4: any of the generic tags T000..T255, the common ones more often
      std::string out = "tag any (";
      for (size_t i = 0, n = 1 + below(32); i < n; ++i)
        out += fmt::format("{}T{:03}", i ? ", " : "", static_cast<int>(256.0 * std::pow(static_cast<double>(below(1000)) / 1000.0, 3)));
      return out + ")";
    }
    case 4:  // Q5
      return fmt::format("not spot = {} and not tag any ({})", spot(), chance(70) ? "BLOCKED" : "BLOCKED, VIP");
    default: {  // Q6
      std::string a = date(), b = date();
      if (b < a) std::swap(a, b);
      return fmt::format("registered_at between {} and {} and deposit_total = 0 and stage != {}", a, b, stages[below(8)]);
    }
  }
}

SegmentForm RuleGen::form() {
  SegmentForm f;
  f.title = fmt::format("Segment {}", below(1000));
  const char* keys[] = {"NotProcessed", "Ignored", "Registration", "MadeFirstSale", "Deposit", "Active", "Churned", "Blocked"};
  for (int i = 0, n = static_cast<int>(below(4)); i < n; ++i) f.stages.push_back(keys[below(8)]);
  const char* tags[] = {"REGISTERED", "NOT REGISTERED", "Top-up", "VIP", "BLOCKED", "T000", "T012", "T999"};
  for (int i = 0, n = 1 + static_cast<int>(below(3)); i < n; ++i) f.tags.push_back(tags[below(8)]);  // at least one
  if (chance(70)) f.spot = 1 + static_cast<int64_t>(below(100));
  for (int i = 0, n = chance(40) ? static_cast<int>(below(5)) : 0; i < n; ++i)
    f.players.push_back(1000001 + static_cast<int64_t>(below(5000)));
  return f;
}

RefRow random_crm_row(RuleGen& g, const Schema& s) {
  RefRow row(s.fields.size());
  for (size_t i = 0; i < s.fields.size(); ++i) {
    const Field& f = s.fields[i];
    RefCell& c = row[i];
    c.null = f.nullable && g.chance(15);
    if (c.null) continue;
    switch (f.type) {
      case FieldType::Int:
        c.num = f.name == "player_id" ? 1000000 + static_cast<int64_t>(g.below(60)) : static_cast<int64_t>(g.below(110)) - 3;
        break;
      case FieldType::Decimal: c.num = static_cast<int64_t>(g.below(120000)) - 6000; break;
      case FieldType::Timestamp:
        // 2024-01-01 .. 2027-01-01, plus `now` neighbourhoods.
        c.num = g.chance(20) ? 1790000000 + static_cast<int64_t>(g.below(2000000)) - 1000000
                             : 1704067200 + static_cast<int64_t>(g.below(94694400));
        break;
      case FieldType::Enum: c.text = f.dict[static_cast<uint32_t>(g.below(f.dict.size()))].key; break;
      case FieldType::Set:
        for (int k = 0, n = static_cast<int>(g.below(4)); k < n; ++k) {
          uint32_t code = static_cast<uint32_t>(g.chance(70) ? g.below(8) : g.below(f.dict.size()));
          c.tags.push_back(f.dict[code].key);
        }
        // A tag the schema does not know yet, as new data brings them.
        if (g.chance(5)) c.tags.push_back("Brand new");
        break;
      default: break;
    }
  }
  return row;
}

}  // namespace seg::testing
