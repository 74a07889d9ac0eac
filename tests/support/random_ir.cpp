// Random schemas, tables and IR for the differential test. Literals come mostly from the
// data (so rules select something) and sometimes from the edges (extremes, empty ranges).
#include <limits>
#include "tests/support/random_ir.hpp"

#include <algorithm>
#include <map>
#include <cstdio>

namespace seg::testing {

uint64_t Rng::next() {
  uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int64_t Rng::between(int64_t lo, int64_t hi) {
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  uint64_t r = span == ~uint64_t{0} ? next() : next() % (span + 1);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + r);
}

namespace {

// How a field's values are drawn (kept in the field's name suffix so tables follow it).
enum Style { Small, Wide, Offset };

Style style_of(const Field& f) {
  if (f.name.ends_with("_w")) return Wide;
  if (f.name.ends_with("_o")) return Offset;
  return Small;
}

const char* kWords[] = {"alpha", "Beta", "gamma ray", "d,elta", "say \"hi\"", "zeta"};

std::string civil(int64_t t) {
  // Days to Y-M-D (Hinnant), only for writing CSV cells.
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

std::string decimal(int64_t v, int scale) {
  if (scale == 0) return std::to_string(v);
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  uint64_t p = 1;
  for (int i = 0; i < scale; ++i) p *= 10;
  std::string frac = std::to_string(u % p);
  frac.insert(0, static_cast<size_t>(scale) - frac.size(), '0');
  // Appended piece by piece: GCC 12 misreports `"-" + std::string` as an overlapping copy
  // (-Wrestrict, GCC bug 105651) once this file inlines differently.
  std::string out = v < 0 ? "-" : "";
  out += std::to_string(u / p);
  out += '.';
  out += frac;
  return out;
}

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Field make_field(std::string name, FieldType t, bool nullable) {
  Field f;
  f.name = std::move(name);
  f.type = t;
  f.nullable = nullable;
  return f;
}

int64_t draw_number(const Field& f, Rng& rng) {
  switch (f.type) {
    case FieldType::Bool: return rng.between(0, 1);
    // Whole hours, or a few seconds past them: rows a few seconds apart share every byte
    // slice but their last bits (a tail of bit planes, decision 65, must decide them).
    case FieldType::Timestamp:
      return kRandomNow + rng.between(-400, 400) * 86400 + rng.between(-3, 3) * 3600 +
             (rng.chance(0.5) ? rng.between(0, 15) : 0);
    case FieldType::Decimal: return rng.between(-5, 5) * 1000 + rng.between(-3, 3);
    default:
      switch (style_of(f)) {
        case Wide: {
          int64_t edges[] = {ir::kMin, ir::kMin + 1, -1, 0, 1, ir::kMax - 1, ir::kMax};
          return rng.chance(0.5) ? edges[rng.below(7)] : static_cast<int64_t>(rng.next());
        }
        case Offset: return 1000000000000LL + rng.between(0, 300);
        default: return rng.between(-5, 5);
      }
  }
}

}  // namespace

Schema strings_schema() {
  Schema s;
  s.name = "strings";
  s.fields = {make_field("id", FieldType::Int, false), make_field("s", FieldType::String, true),
              make_field("tags", FieldType::Set, false)};
  s.fields[2].dict.open = true;
  s.id_field = 0;
  return s;
}

Schema random_schema(Rng& rng) {
  Schema s;
  s.name = "random";
  s.fields.push_back(make_field("id", FieldType::Int, false));
  s.id_field = 0;
  struct Kind {
    FieldType t;
    const char* suffix;
  };
  std::vector<Kind> kinds = {{FieldType::Int, ""},        {FieldType::Int, "_w"},       {FieldType::Int, "_o"},
                             {FieldType::Decimal, ""},    {FieldType::Timestamp, ""},   {FieldType::Bool, ""},
                             {FieldType::String, ""},     {FieldType::Enum, "_ord"},    {FieldType::Enum, "_open"},
                             {FieldType::Set, "_open"},   {FieldType::Set, "_closed"}};
  size_t extra = rng.below(4);
  for (size_t i = 0; i < extra; ++i) kinds.push_back(kinds[rng.below(kinds.size())]);
  int n = 1;
  for (const auto& k : kinds) {
    Field f = make_field(std::string("f").append(std::to_string(n++)).append(k.suffix), k.t, rng.chance(0.6));
    if (f.type == FieldType::Decimal) f.scale = static_cast<int>(rng.below(4));
    if (f.type == FieldType::Set) f.nullable = false;
    if (f.is_dictionary()) {
      std::string sfx(k.suffix);
      f.dict.ordered = sfx == "_ord";
      f.dict.open = sfx == "_open";
      size_t values = 1 + rng.below(f.type == FieldType::Set ? 40 : 7);
      for (size_t v = 0; v < values; ++v) f.dict.add((v % 3 == 2 ? "V " : "V") + std::to_string(v), "");
    }
    s.fields.push_back(std::move(f));
  }
  return s;
}

RefTable random_table(const Schema& schema, size_t rows, Rng& rng) {
  RefTable t;
  t.schema = schema;
  // (r * 7919 + 13) mod m is a permutation of [0, m) when 7919 (a prime) does not divide m:
  // with m = 2n + 1 (odd row counts) the ids leave gaps (a bucketed value index); with m = n
  // (even row counts) they are numbered without gaps (a dense value index, decision 62).
  const uint64_t spread = rows % 2 ? rows * 2 + 1 : rows;
  bool shuffled = rng.chance(0.3) && spread % 7919 != 0;
  // Auto-increment ids (1, 2, 3, ...): the store keeps them as a sequence, with no bytes.
  bool sequence = !shuffled && rng.chance(0.3);
  std::vector<double> null_share(schema.fields.size());
  for (auto& p : null_share) p = rng.chance(0.1) ? 1.0 : rng.chance(0.2) ? 0.0 : 0.2;
  // Some number columns have a frequent value (as deposit_total's zero), on 40% of the rows;
  // half of those hold no value below it (above it, a quarter), so it is the column's least
  // (greatest) value: the cases a frequent-value bitmap answers (ColumnMeta::has_frequent).
  struct Frequent {
    bool on = false;
    int64_t value = 0;
    int side = 0;  // +1: values at least it; -1: at most it
  };
  std::vector<Frequent> frequent(schema.fields.size());
  for (size_t f = 0; f < schema.fields.size(); ++f) {
    const FieldType t = schema.fields[f].type;
    if (static_cast<int>(f) == schema.id_field || !(t == FieldType::Int || t == FieldType::Decimal || t == FieldType::Timestamp))
      continue;
    if (!rng.chance(0.4)) continue;
    frequent[f] = {true, draw_number(schema.fields[f], rng), rng.chance(0.5) ? 1 : rng.chance(0.5) ? -1 : 0};
  }
  for (size_t r = 0; r < rows; ++r) {
    RefRow row(schema.fields.size());
    for (size_t f = 0; f < schema.fields.size(); ++f) {
      const Field& fd = schema.fields[f];
      RefCell& c = row[f];
      if (static_cast<int>(f) == schema.id_field) {
        c.null = false;
        c.num = shuffled   ? static_cast<int64_t>((r * 7919 + 13) % spread) - static_cast<int64_t>(rows)
                : sequence ? static_cast<int64_t>(r + 1)
                           : static_cast<int64_t>(r * 3 + 5);
        continue;
      }
      if (fd.type == FieldType::Set) {
        c.null = false;
        size_t k = rng.chance(0.3) ? 0 : rng.below(5);
        for (size_t i = 0; i < k; ++i) {
          std::string name = fd.dict.open && rng.chance(0.2) ? "new " + std::to_string(rng.below(4))
                                                             : fd.dict[static_cast<uint32_t>(rng.below(fd.dict.size()))].key;
          if (std::find(c.tags.begin(), c.tags.end(), name) == c.tags.end()) c.tags.push_back(name);
        }
        continue;
      }
      if (fd.nullable && rng.chance(null_share[f])) continue;
      c.null = false;
      if (fd.type == FieldType::String) {
        c.text = kWords[rng.below(6)];
      } else if (fd.type == FieldType::Enum) {
        c.text = fd.dict.open && rng.chance(0.2) ? "new" + std::to_string(rng.below(3))
                                                 : fd.dict[static_cast<uint32_t>(rng.below(fd.dict.size()))].key;
      } else if (frequent[f].on && rng.chance(0.4)) {
        c.num = frequent[f].value;
      } else {
        c.num = draw_number(fd, rng);
        if (frequent[f].side > 0) c.num = std::max(c.num, frequent[f].value);
        if (frequent[f].side < 0) c.num = std::min(c.num, frequent[f].value);
      }
    }
    t.rows.push_back(std::move(row));
  }
  // Tables of 500, 65,535 and 65,537 rows: the first integer column that is not the id holds ids
  // without gaps on its non-null rows (as the reference player ids do), so it gets a dense
  // value index and, being 2 bytes or more, byte slices beside it (decision 62). Drawn without
  // the generator, so every other value stays as the seed made it.
  if (rows >= 300 && rows / 100 % 2 == 1)
    for (size_t f = 0; f < schema.fields.size(); ++f) {
      if (static_cast<int>(f) == schema.id_field || schema.fields[f].type != FieldType::Int) continue;
      std::vector<RefCell*> present;
      for (auto& row : t.rows)
        if (!row[f].null) present.push_back(&row[f]);
      const uint64_t m = present.size();
      if (m % 7919 == 0) break;
      for (uint64_t i = 0; i < m; ++i) present[i]->num = 5000 + static_cast<int64_t>((i * 7919 + 13) % m);
      break;
    }
  // Tables of 64, 200, 1,000, 65,536 and 140,001 rows: the last number column that is not the id (nor
  // the one just numbered) holds runs of equal steps on every row (rising, falling, constant;
  // about 100 rows each), so the store keeps it as arithmetic runs (decision 85). Its own
  // generator, so every other value stays as the seed made it.
  if (rows >= 64 && (rows % 2 == 0 || rows > 100000)) {
    const int dense = rows >= 300 && rows / 100 % 2 == 1 ? [&] {
      for (size_t f = 0; f < schema.fields.size(); ++f)
        if (static_cast<int>(f) != schema.id_field && schema.fields[f].type == FieldType::Int) return static_cast<int>(f);
      return -1;
    }() : -1;
    for (size_t f = schema.fields.size(); f-- > 0;) {
      const Field& fd = schema.fields[f];
      if (static_cast<int>(f) == schema.id_field || static_cast<int>(f) == dense ||
          !(fd.type == FieldType::Int || fd.type == FieldType::Decimal || fd.type == FieldType::Timestamp) ||
          (fd.type == FieldType::Int && style_of(fd) == Wide))
        continue;
      Rng runs(rows * 31 + 7);
      const int64_t steps[] = {0, 1, -1, 3, -7, 60, -3600, 7919};
      int64_t v = 0, step = 0;
      for (size_t r = 0, left = 0; r < rows; ++r, --left, v += step) {
        if (left == 0) {
          left = 1 + runs.below(200);
          step = steps[runs.below(8)];
          v = fd.type == FieldType::Timestamp ? kRandomNow + runs.between(-100, 100) * 86400
              : fd.type == FieldType::Decimal ? runs.between(-5000, 5000)
              : style_of(fd) == Offset       ? 1000000000000LL + runs.between(0, 300)
                                             : runs.between(-5, 5);
        }
        t.rows[r][f].null = false;
        t.rows[r][f].num = v;
      }
      break;
    }
  }
  return t;
}

std::string table_csv(const RefTable& t, Rng& rng) {
  std::string out;
  const Schema& s = t.schema;
  for (size_t f = 0; f < s.fields.size(); ++f) {
    std::string name = s.fields[f].name;
    if (rng.chance(0.3))
      for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    out += (f ? "," : "") + name;
  }
  out += "\n";
  for (const auto& row : t.rows) {
    for (size_t f = 0; f < s.fields.size(); ++f) {
      if (f) out += ',';
      const Field& fd = s.fields[f];
      const RefCell& c = row[f];
      if (fd.type == FieldType::Set) {
        std::string joined;
        for (size_t i = 0; i < c.tags.size(); ++i) joined += (i ? "|" : "") + c.tags[i];
        out += csv_quote(joined);
        continue;
      }
      if (c.null) continue;
      switch (fd.type) {
        case FieldType::Decimal: out += decimal(c.num, fd.scale); break;
        case FieldType::Timestamp: out += civil(c.num); break;
        case FieldType::Bool: out += c.num ? (rng.chance(0.5) ? "true" : "TRUE") : "false"; break;
        case FieldType::String:
        case FieldType::Enum: out += csv_quote(c.text); break;
        default: out += std::to_string(c.num); break;
      }
    }
    out += '\n';
  }
  return out;
}

namespace {

// Every kind this generator makes, named in a switch: a new ir::Kind is a build error here
// (-Werror=switch) until IrGen makes it, since the round-trip, differential, SQL and fuzz
// tests see only what this generator makes (a maintainability review).
constexpr bool made_here(ir::Kind k) {
  switch (k) {
    case ir::Kind::In:
    case ir::Kind::Range:
    case ir::Kind::IsNull:
    case ir::Kind::SetAny:
    case ir::Kind::SetAll:
    case ir::Kind::SetNone:  // IrGen::leaf()
    case ir::Kind::Const:
    case ir::Kind::And:
    case ir::Kind::Or:
    case ir::Kind::Not: return true;  // IrGen::node(), around them
  }
  return false;
}
static_assert(made_here(ir::Kind::SetNone));

class IrGen {
 public:
  IrGen(const RefTable& t, Rng& rng) : t_(t), rng_(rng) {}

  ir::Node node(int depth) {
    if (depth <= 0 || rng_.chance(0.35)) return leaf();
    switch (rng_.below(8)) {
      case 0: return ir::Node::negate(node(depth - 1));
      case 1: return ir::Node::constant(rng_.chance(0.5));
      case 2:
      case 3:
      case 4: return junction(ir::Kind::And, depth);
      default: return junction(ir::Kind::Or, depth);
    }
  }

 private:
  ir::Node junction(ir::Kind k, int depth) {
    std::vector<ir::Node> kids;
    size_t n = rng_.below(4) + (rng_.chance(0.05) ? 0 : 1);
    for (size_t i = 0; i < n; ++i) kids.push_back(node(depth - 1));
    return ir::Node::conj(k, std::move(kids));
  }

  const RefCell* sample_cell(int f) {
    if (t_.rows.empty()) return nullptr;
    return &t_.rows[rng_.below(t_.rows.size())][static_cast<size_t>(f)];
  }

  int64_t some_number(int f) {
    const Field& fd = t_.schema.fields[static_cast<size_t>(f)];
    // A bool's values are 0 and 1: IR with others is not IR any front end makes (the optimizer
    // rightly takes `in (0, 1)` for every value; found by fuzzing the harness).
    if (fd.type == FieldType::Bool) return rng_.between(0, 1);
    const RefCell* c = sample_cell(f);
    if (c && !c->null && rng_.chance(0.7)) {
      int64_t near = c->num;
      if (rng_.chance(0.3) && __builtin_add_overflow(c->num, rng_.between(-1, 1), &near)) near = c->num;
      return near;
    }
    if (rng_.chance(0.1)) return rng_.chance(0.5) ? ir::kMin : ir::kMax;
    return draw_number(fd, rng_);
  }

  std::string some_name(int f) {
    const Field& fd = t_.schema.fields[static_cast<size_t>(f)];
    const RefCell* c = sample_cell(f);
    if (c && fd.type == FieldType::Set && !c->tags.empty() && rng_.chance(0.6)) return c->tags[rng_.below(c->tags.size())];
    if (c && !c->null && fd.type != FieldType::Set && rng_.chance(0.6)) return c->text;
    if (fd.type == FieldType::String) return rng_.chance(0.8) ? kWords[rng_.below(6)] : "nobody";
    if (rng_.chance(0.15)) return "nobody has this";
    return fd.dict[static_cast<uint32_t>(rng_.below(fd.dict.size()))].key;
  }

  // Splits names into dictionary codes and unknown names, both sorted and unique.
  void put_names(ir::Node& n, const Field& fd, const std::vector<std::string>& names) {
    for (const auto& nm : names) {
      if (auto code = fd.dict.find_key(nm)) n.values.codes.push_back(*code);
      else n.values.unknown.push_back(nm);
    }
    n.values.normalize();
  }

  ir::Node leaf() {
    int f = static_cast<int>(1 + rng_.below(t_.schema.fields.size() - 1));
    if (rng_.chance(0.05)) f = t_.schema.id_field;
    const Field& fd = t_.schema.fields[static_cast<size_t>(f)];
    ir::Node n;
    n.field = f;
    if (rng_.chance(0.08)) {
      n.kind = ir::Kind::IsNull;
      n.negated = rng_.chance(0.5);
      return n;
    }
    size_t count = rng_.chance(0.2) ? 9 + rng_.below(20) : 1 + rng_.below(4);
    if (fd.type == FieldType::Set) {
      ir::Kind kinds[] = {ir::Kind::SetAny, ir::Kind::SetAll, ir::Kind::SetNone};
      n.kind = kinds[rng_.below(3)];
      std::vector<std::string> names;
      for (size_t i = 0; i < std::min<size_t>(count, 6); ++i) names.push_back(some_name(f));
      put_names(n, fd, names);
      return n;
    }
    bool ordered = fd.is_ordered();
    if (ordered && rng_.chance(0.5)) {
      n.kind = ir::Kind::Range;
      n.negated = rng_.chance(0.3);
      if (fd.type == FieldType::Enum) {
        int64_t a = rng_.between(-1, fd.dict.size()), b = rng_.between(-1, fd.dict.size());
        n.lo = {std::min(a, b), false};
        n.hi = {rng_.chance(0.1) ? std::min(a, b) - 1 : std::max(a, b), false};
        return n;
      }
      int64_t a = some_number(f), b = some_number(f);
      if (rng_.chance(0.85) && a > b) std::swap(a, b);
      n.lo = {rng_.chance(0.2) ? ir::kMin : a, false};
      n.hi = {rng_.chance(0.2) ? ir::kMax : b, false};
      if (fd.type == FieldType::Timestamp && rng_.chance(0.4)) {
        // now-relative bounds, sometimes huge enough to saturate
        auto rel = [&] {
          return rng_.chance(0.05) ? (rng_.chance(0.5) ? ir::kMax : ir::kMin) : rng_.between(-400, 400) * 86400;
        };
        if (rng_.chance(0.7)) n.lo = {rel(), true};
        if (rng_.chance(0.7)) n.hi = {rel(), true};
      }
      return n;
    }
    n.kind = ir::Kind::In;
    n.negated = rng_.chance(0.3);
    if (fd.type == FieldType::String) {
      for (size_t i = 0; i < count; ++i) n.values.names.push_back(some_name(f));
      n.values.normalize();
    } else if (fd.type == FieldType::Enum) {
      std::vector<std::string> names;
      for (size_t i = 0; i < count; ++i) names.push_back(some_name(f));
      put_names(n, fd, names);
      if (!fd.dict.open) n.values.unknown.clear();  // unknown names exist only for open dictionaries
      if (n.values.empty()) n.values.codes.push_back(0);
    } else {
      for (size_t i = 0; i < count; ++i) n.values.codes.push_back(some_number(f));
      if (count > 8 && fd.type != FieldType::Bool && rng_.chance(0.5)) {
        // A run of consecutive values (becomes a range in the plan).
        int64_t start = std::min(some_number(f), ir::kMax - static_cast<int64_t>(count));
        n.values.codes.clear();
        for (size_t i = 0; i < count; ++i) n.values.codes.push_back(start + static_cast<int64_t>(i));
      }
      n.values.normalize();
    }
    return n;
  }

  const RefTable& t_;
  Rng& rng_;
};

}  // namespace

ir::Node random_rule(const RefTable& table, Rng& rng, int max_depth) {
  return IrGen(table, rng).node(max_depth);
}

ir::Node few_ids(const RefTable& table, Rng& rng, ir::Node rule) {
  std::vector<int> ints;
  for (size_t f = 0; f < table.schema.fields.size(); ++f)
    if (table.schema.fields[f].type == FieldType::Int) ints.push_back(static_cast<int>(f));
  ir::Node in;
  in.kind = ir::Kind::In;
  in.field = ints[rng.below(ints.size())];
  for (uint64_t k = 1 + rng.below(3); k > 0; --k) {
    const RefCell& c = table.rows[rng.below(table.rows.size())][static_cast<size_t>(in.field)];
    bool next = rng.chance(0.2) && c.num < std::numeric_limits<int64_t>::max();  // a value nobody may have
    in.values.codes.push_back(c.null ? 7 : c.num + (next ? 1 : 0));
  }
  in.values.normalize();
  std::vector<ir::Node> kids;
  kids.push_back(std::move(in));
  kids.push_back(std::move(rule));
  return ir::Node::conj(ir::Kind::And, std::move(kids));
}

ir::Node frequent_range(const RefTable& table, Rng& rng, ir::Node rule) {
  std::vector<int> numbers;
  for (size_t f = 0; f < table.schema.fields.size(); ++f) {
    const FieldType t = table.schema.fields[f].type;
    if (static_cast<int>(f) != table.schema.id_field && (t == FieldType::Int || t == FieldType::Decimal || t == FieldType::Timestamp))
      numbers.push_back(static_cast<int>(f));
  }
  if (numbers.empty() || table.rows.empty()) return rule;
  const int f = numbers[rng.below(numbers.size())];
  std::map<int64_t, size_t> seen;
  for (const auto& row : table.rows)
    if (!row[static_cast<size_t>(f)].null) ++seen[row[static_cast<size_t>(f)].num];
  if (seen.empty()) return rule;
  auto mode = std::max_element(seen.begin(), seen.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
  ir::Node r;
  r.kind = ir::Kind::Range;
  r.field = f;
  r.lo.value = ir::kMin;
  r.hi.value = ir::kMax;
  switch (rng.below(4)) {
    case 0: r.lo.value = r.hi.value = mode; break;                          // = v (negated: != v)
    case 1: r.lo.value = mode == ir::kMax ? mode : mode + 1; break;         // > v
    case 2: r.hi.value = mode == ir::kMin ? mode : mode - 1; break;         // < v
    default: (rng.chance(0.5) ? r.lo.value : r.hi.value) = mode; break;     // >= v, <= v
  }
  r.negated = rng.chance(0.3);
  if (rng.chance(0.3)) return r;
  std::vector<ir::Node> kids;
  kids.push_back(std::move(r));
  kids.push_back(std::move(rule));
  return ir::Node::conj(rng.chance(0.8) ? ir::Kind::And : ir::Kind::Or, std::move(kids));
}

}  // namespace seg::testing
