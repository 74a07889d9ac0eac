// IR -> SQL text: seg's two-valued meaning written in each dialect's three-valued SQL.
//
// SQL compares a NULL to unknown, and NOT of unknown is unknown, where seg's comparisons on a
// null are false and `not` is plain negation. The generator therefore never writes NOT over a
// comparison: it carries the polarity down the tree (De Morgan) and writes each predicate's
// own complement with its null case said outright (`not x in A` is `x IS NULL OR x NOT IN A`).
// What is left is a formula without negation over comparisons that are unknown only on a
// null, and in such a formula unknown behaves exactly as false: WHERE keeps a row iff seg
// selects it. Sets are never null (an empty array, or no join-table rows), so their tests can
// be negated plainly.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "base/time_util.hpp"
#include "sql/sql.hpp"

namespace seg::sql {

namespace {

using ir::Kind;
using ir::Node;

// A boolean expression as it will be printed: a leaf of text, or an AND/OR of parts.
// How deep a laid-out condition takes SQLite (Generator::measure says how it is counted).
struct SqliteDepth {
  int stack = 0, height = 0, parens = 0;
};

struct Expr {
  enum class Op { Leaf, And, Or } op = Op::Leaf;
  std::string text;
  std::vector<Expr> parts;
  int constant = -1;  // 0 or 1 for a constant leaf
  bool bare = false;  // (laid out) an AND printed inside an OR without parentheses (SQL's precedence)
  // measure()'s answer, kept: arranging each level measures the parts below it, which
  // measured again every level down (quadratic in depth). layout() clears it.
  mutable std::optional<SqliteDepth> depth;

  static Expr leaf(std::string t) { return Expr{Op::Leaf, std::move(t), {}, -1}; }
};

// PostgreSQL's first timestamp: 4714-11-24 00:00:00 BC (year -4713 counted astronomically).
constexpr int64_t kPostgresFirstSecond = days_from_civil(-4713, 11, 24) * kSecondsPerDay;
static_assert(kPostgresFirstSecond == -210866803200, "SELECT extract(epoch FROM TIMESTAMP '4714-11-24 BC')");

// Parameters per dialect: PostgreSQL and DuckDB cap how many one statement binds.
size_t max_params(Dialect d) {
  switch (d) {
    case Dialect::Postgres: return 65535;
    case Dialect::Sqlite: return 32766;  // SQLITE_MAX_VARIABLE_NUMBER's default since 3.32
    case Dialect::DuckDb: return 65535;
    case Dialect::ClickHouse: return 65535;
  }
  return 0;
}

class Generator {
 public:
  Generator(const Schema& s, const Mapping& m, const Options& o, Diagnostics& d)
      : schema_(s), map_(m), opt_(o), diags_(d) {}

  std::optional<Statement> run(const Node& rule) {
    Expr where = gen(rule, true);
    if (failed_) return std::nullopt;
    where = layout(std::move(where), false);
    if (lite() && !fits_sqlite(measure(where))) {
      // Too deep for SQLite's parser as written: the same condition in the shallowest form
      // (deepest part first, no parentheses around an AND inside an OR), else E631.
      where = layout(std::move(where), true);
      Depth depth = measure(where);
      if (!fits_sqlite(depth)) {
        too_deep_for_sqlite(depth);
        return std::nullopt;
      }
    }
    Statement st;
    std::string table = table_name();
    switch (opt_.shape) {
      case Shape::Where: st.text = render(where, 0, 0); break;
      case Shape::Count:
        st.text = fmt::format("SELECT count(*)\nFROM {}", table);
        if (where.constant != 1) st.text += "\nWHERE " + render(where, 6, 2);
        break;
      case Shape::Select: {
        if (schema_.id_field < 0) {
          error("the schema names no id field, so there are no member ids to select",
                "count the members (--count) or take the WHERE expression (--where)");
          return std::nullopt;
        }
        std::string id = column(static_cast<size_t>(schema_.id_field));
        st.text = fmt::format("SELECT {}\nFROM {}", id, table);
        if (where.constant != 1) st.text += "\nWHERE " + render(where, 6, 2);
        st.text += "\nORDER BY " + id;
        break;
      }
    }
    if (!params_.empty()) number_params(st);  // (inline text may hold \x01 in its strings)
    if (st.params.size() > max_params(opt_.dialect)) {
      error(fmt::format("the rule needs {} parameters, more than {} binds in one statement ({})", st.params.size(),
                        dialect_name(opt_.dialect), max_params(opt_.dialect)),
            "write the values into the statement with --inline");
      return std::nullopt;
    }
    return st;
  }

 private:
  const Schema& schema_;
  const Mapping& map_;
  const Options& opt_;
  Diagnostics& diags_;
  std::vector<Param> params_;
  std::map<bool, std::string> now_params_;  // the `now` parameter's placeholder, as epoch seconds or not
  bool failed_ = false;

  Dialect d() const { return opt_.dialect; }
  bool pg() const { return d() == Dialect::Postgres; }
  bool lite() const { return d() == Dialect::Sqlite; }
  bool duck() const { return d() == Dialect::DuckDb; }
  bool ch() const { return d() == Dialect::ClickHouse; }

  void error(std::string message, std::string help) {
    diags_.json_error("E631", "", fmt::format("{}: {}", dialect_name(d()), message), std::move(help));
    failed_ = true;
  }

  // ---- names -------------------------------------------------------------------------
  std::string ident(std::string_view s) const { return quote_identifier(s, d()); }
  std::string qualified(std::string_view s) const { return qualified_name(s, d()); }
  std::string table_name() const { return qualified(map_.table); }
  std::string column(size_t field) const { return ident(map_.fields[field].column); }

  // ---- literals and parameters -------------------------------------------------------
  // A parameter is written as a marker (\x01 index \x01) while the expression is built, and
  // numbered once the text is final: parts that folded away (an `or` with an always-true
  // part) take their parameters with them, and the numbers follow the text's order. Names
  // cannot hold \x01 (the mapping reader refuses control characters).
  std::string bind(std::string value, bool integer, const std::string& pg_type, const std::string& duck_type,
                   const std::string& ch_type) {
    Param p;
    p.placeholder = ch_type;  // until number_params
    p.type = pg() ? pg_type : duck() ? duck_type : ch() ? ch_type : integer ? "INTEGER" : "TEXT";
    p.value = std::move(value);
    p.is_integer = integer;
    params_.push_back(p);
    std::string marker = fmt::format("\x01{}\x01", params_.size() - 1);
    // Explicit casts: PostgreSQL would otherwise infer a parameter's type from the column
    // (an int4 `spot` refusing a 64-bit value), and a reader sees what is bound.
    if (pg()) return fmt::format("{}::{}", marker, pg_type);
    if (duck()) return fmt::format("{}::{}", marker, duck_type);
    return marker;
  }

  void number_params(Statement& st) const {
    std::string out;
    std::map<size_t, size_t> number;  // marker index -> parameter number (from 1)
    for (size_t i = 0; i < st.text.size();) {
      if (st.text[i] != '\x01') {
        out += st.text[i++];
        continue;
      }
      size_t end = st.text.find('\x01', i + 1);
      size_t index = std::stoul(st.text.substr(i + 1, end - i - 1));
      auto [it, fresh] = number.emplace(index, st.params.size() + 1);
      const Param& p = params_[index];
      size_t n = it->second;
      std::string placeholder = pg() || duck() ? fmt::format("${}", n)
                                : lite()       ? fmt::format("?{}", n)
                                               : fmt::format("{{p{}:{}}}", n, p.placeholder);
      if (fresh) {
        st.params.push_back(p);
        st.params.back().placeholder = placeholder;
      }
      out += placeholder;
      i = end + 1;
    }
    st.text = std::move(out);
  }

  static std::string int_text(int64_t v) {
    // The most negative value has no literal of its own in most dialects (its magnitude is
    // read first, and overflows).
    if (v == ir::kMin) return "(-9223372036854775807 - 1)";
    return std::to_string(v);
  }

  std::string integer(int64_t v) {
    if (opt_.inline_values) return int_text(v);
    return bind(std::to_string(v), true, "bigint", "BIGINT", "Int64");
  }

  std::string string_literal(std::string_view s) {
    if (pg() && s.find('\0') != std::string_view::npos) {
      error(fmt::format("a value holds a NUL character, which PostgreSQL text cannot (`{}`)", printable(s)),
            "no row of a PostgreSQL table can hold it either; remove the value from the rule");
      return "NULL";
    }
    if (!opt_.inline_values) return bind(std::string(s), false, "text", "VARCHAR", "String");
    return sql::string_literal(s, d());
  }

  static std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s) out += c < 0x20 ? fmt::format("\\x{:02X}", c) : std::string(1, static_cast<char>(c));
    return out;
  }

  static std::string decimal(int64_t v, int scale) {
    if (scale == 0) return std::to_string(v);
    uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    uint64_t p = 1;
    for (int i = 0; i < scale; ++i) p *= 10;
    return fmt::format("{}{}.{:0{}}", v < 0 ? "-" : "", u / p, u % p, scale);
  }

  std::string timestamp_text(int64_t t, FieldMapping::Time storage) const {
    Civil c = civil_from_seconds(t);
    return fmt::format("{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}{}", c.year, c.month, c.day,
                       storage == FieldMapping::Time::Text ? "T" : " ", c.hour, c.minute, c.second,
                       storage == FieldMapping::Time::Text ? "Z" : "");
  }

  // A value of field `f` as a literal or a parameter.
  std::string value(const Field& f, const FieldMapping& fm, int64_t v) {
    switch (f.type) {
      case FieldType::Int: return integer(v);
      case FieldType::Decimal: {
        if (fm.scaled_decimal) return integer(v);
        std::string text = decimal(v, f.scale);
        if (opt_.inline_values) return ch() ? fmt::format("toDecimal64('{}', {})", text, f.scale) : text;
        return bind(text, false, "numeric", fmt::format("DECIMAL(38, {})", f.scale), fmt::format("Decimal64({})", f.scale));
      }
      case FieldType::Timestamp: {
        if (fm.time == FieldMapping::Time::Epoch) return integer(v);
        if (fm.time == FieldMapping::Time::Text) return string_literal(timestamp_text(v, fm.time));
        // A native column: year 0 is PostgreSQL's 1 BC, as for `now`.
        std::string text = native_timestamp_text(v);
        if (ch()) {
          std::string s = opt_.inline_values ? fmt::format("'{}'", text) : bind(text, false, "", "", "String");
          return fmt::format("toDateTime({}, 'UTC')", s);
        }
        if (opt_.inline_values) return fmt::format("TIMESTAMP '{}'", text);
        return bind(text, false, "timestamp", "TIMESTAMP", "String");
      }
      case FieldType::Bool:
        if (fm.int_bool) return integer(v != 0);
        if (opt_.inline_values) return v ? "TRUE" : "FALSE";
        return bind(v ? "true" : "false", false, "boolean", "BOOLEAN", "UInt8");
      case FieldType::Enum:
      case FieldType::Set:
      case FieldType::String: break;
    }
    return "NULL";
  }

  // A timestamp as PostgreSQL and DuckDB read it. PostgreSQL has no year 0: seg's year 0
  // (astronomical, as ISO 8601 counts) is `0001-… BC` there, for literals and `now` alike.
  std::string native_timestamp_text(int64_t t) const {
    Civil c = civil_from_seconds(t);
    if (!pg() || c.year > 0) return timestamp_text(t, FieldMapping::Time::Native);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} BC", 1 - c.year, c.month, c.day, c.hour, c.minute, c.second);
  }

  // `now` as the column compares with it: one parameter per form (a timestamp, or seconds
  // since the epoch when `epoch`).
  std::string now_value(bool epoch) {
    if (opt_.inline_values) return epoch ? int_text(opt_.now) : fmt::format("TIMESTAMP '{}'", native_timestamp_text(opt_.now));
    auto it = now_params_.find(epoch);
    if (it != now_params_.end()) return it->second;
    std::string p = epoch ? bind(std::to_string(opt_.now), true, "bigint", "BIGINT", "Int64")
                          : bind(native_timestamp_text(opt_.now), false, "timestamp", "TIMESTAMP", "");
    params_.back().type += " (now)";
    now_params_[epoch] = p;
    return p;
  }

  // `now + offset`, in seconds since the epoch or (PostgreSQL, DuckDB) as a timestamp of a
  // column mapped as `fm`.
  std::string now_bound(bool epoch, int64_t offset, const FieldMapping& fm) {
    std::string n = now_value(epoch);
    if (offset == 0) return n;
    if (epoch) return fmt::format("({} {} {})", n, offset > 0 ? "+" : "-", std::to_string(offset).substr(offset < 0));
    if (!pg()) return fmt::format("({} + INTERVAL ({}) SECOND)", n, offset);  // DuckDB: 290,309 BC to 294,247 AD
    // PostgreSQL's timestamps start at 4714-11-24 BC: `now - 7000y` leaves them ("timestamp
    // out of range") for a `now` seg accepts (years 0 to 9999). There `now` is first raised to
    // (the column's first second - 1) - offset, so that the sum is max(now + offset, first - 1):
    // beside every value the column holds, the same comparisons as now + offset. Only for
    // such offsets, so that ordinary statements stay as they were.
    if (kFirstWritableSecond + offset < kPostgresFirstSecond) {
      int64_t floor = time_range(fm).first - 1 - offset;  // years 4713 to 10000: no overflow
      n = fmt::format("GREATEST({}, TIMESTAMP '{}')", n, native_timestamp_text(floor));
    }
    return fmt::format("({} + INTERVAL '{} seconds')", n, offset);
  }

  // The values a column of `f` can hold here, beyond which a literal is in no row and a
  // bound is open or never met: timestamps by the engine's type, and ClickHouse's decimals
  // (Decimal64: 18 digits; toDecimal64 refuses more).
  std::pair<int64_t, int64_t> value_range(const Field& f, const FieldMapping& fm) const {
    if (f.type == FieldType::Timestamp && fm.time != FieldMapping::Time::Epoch) return time_range(fm);
    if (f.type == FieldType::Decimal && !fm.scaled_decimal && ch()) return {-999999999999999999, 999999999999999999};
    return {ir::kMin, ir::kMax};
  }

  // The seconds a timestamp column can hold here: a bound beyond them is open (or never met).
  std::pair<int64_t, int64_t> time_range(const FieldMapping& fm) const {
    if (fm.time == FieldMapping::Time::Epoch) return {ir::kMin, ir::kMax};
    if (fm.time == FieldMapping::Time::Native) {
      if (ch()) return {0, days_from_civil(2106, 1, 1) * kSecondsPerDay - 1};  // DateTime is UInt32
      // PostgreSQL has no year 0, but seg's year 0 is its 1 BC (native_timestamp_text), which a
      // column holds: literals and `now` bounds go there alike (found by a review: a literal
      // in year 0 was FALSE while a `now` there was written as 1 BC).
    }
    return {kFirstWritableSecond, kLastWritableSecond};
  }

  // ---- expressions -------------------------------------------------------------------
  Expr constant(bool v) const {
    Expr e = Expr::leaf(pg() || duck() ? (v ? "TRUE" : "FALSE") : (v ? "1" : "0"));
    e.constant = v;
    return e;
  }

  static Expr group(Expr::Op op, std::vector<Expr> parts, const Generator& g) {
    std::vector<Expr> kept;
    for (auto& p : parts) {
      if (p.constant == (op == Expr::Op::And ? 1 : 0)) continue;             // neutral
      if (p.constant == (op == Expr::Op::And ? 0 : 1)) return g.constant(op == Expr::Op::Or);  // absorbing
      if (p.op == op) {
        for (auto& q : p.parts) kept.push_back(std::move(q));
      } else {
        kept.push_back(std::move(p));
      }
    }
    if (kept.empty()) return g.constant(op == Expr::Op::And);
    if (kept.size() == 1) return std::move(kept[0]);
    Expr e;
    e.op = op;
    e.parts = std::move(kept);
    return e;
  }

  Expr null_test(size_t field, bool is_null) const {
    const Field& f = schema_.fields[field];
    if (!f.nullable) return constant(!is_null);
    return Expr::leaf(fmt::format("{} IS {}NULL", column(field), is_null ? "" : "NOT "));
  }

  // `test` is a comparison that is unknown on a null. For a positive predicate the row must
  // also have a value; for a complement, null rows hold. `not_in_list`: the test is a NOT IN
  // of several values, which ClickHouse evaluates as true on a Nullable NULL, so there the
  // guard is said outright. (Told by the caller: the statement's shape never depends on
  // what its values hold; seg_fuzz_sql found a value containing " NOT IN " doing that.)
  Expr with_null_case(size_t field, Expr test, bool positive, bool not_in_list = false) const {
    const Field& f = schema_.fields[field];
    if (positive) {
      if (test.constant == 0) return test;
      if (test.constant == 1) return null_test(field, false);
      if (f.nullable && ch() && not_in_list)
        return group(Expr::Op::And, {null_test(field, false), std::move(test)}, *this);
      return test;
    }
    if (test.constant == 1) return test;
    if (test.constant == 0) return null_test(field, true);
    return group(Expr::Op::Or, {null_test(field, true), std::move(test)}, *this);
  }

  // The literals a dictionary predicate lists: keys (codes' keys and unknown names), or the
  // mapping's integer codes for them (a key without a code is in no row). `all_known` is
  // false when some listed value cannot be in any row.
  std::vector<std::string> dictionary_literals(const Field& f, const FieldMapping& fm, const ir::ValueList& vl,
                                               bool& all_known) {
    std::vector<std::string> keys;
    for (int64_t c : vl.codes) keys.push_back(f.dict[static_cast<uint32_t>(c)].key);
    for (const auto& u : vl.unknown) keys.push_back(u);
    all_known = true;
    std::vector<std::string> out;
    if (fm.codes) {
      std::vector<int64_t> codes;
      for (const auto& k : keys) {
        auto it = fm.code_of.find(k);
        if (it == fm.code_of.end()) {
          all_known = false;
          continue;
        }
        codes.push_back(it->second);
      }
      std::sort(codes.begin(), codes.end());
      codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
      for (int64_t c : codes) out.push_back(integer(c));
      return out;
    }
    for (const auto& k : keys) out.push_back(string_literal(k));
    return out;
  }

  // Literals of an In's values for a scalar field.
  std::vector<std::string> scalar_literals(const Field& f, const FieldMapping& fm, const ir::ValueList& vl) {
    std::vector<std::string> out;
    if (f.type == FieldType::String) {
      for (const auto& n : vl.names) out.push_back(string_literal(n));
      return out;
    }
    if (f.is_dictionary()) {
      bool all_known = true;
      return dictionary_literals(f, fm, vl, all_known);
    }
    auto [min, max] = value_range(f, fm);
    for (int64_t v : vl.codes)
      if (v >= min && v <= max) out.push_back(value(f, fm, v));  // others are in no row (and have no literal there)
    return out;
  }

  static std::string list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
  }

  // `c IN (...)` (in) or `c NOT IN (...)`; constant for an empty list.
  Expr membership(size_t field, const std::vector<std::string>& lits, bool in) const {
    if (lits.empty()) return constant(!in);
    std::string c = column(field);
    if (lits.size() == 1) return Expr::leaf(fmt::format("{} {} {}", c, in ? "=" : "<>", lits[0]));
    if (ch() && schema_.fields[field].type == FieldType::Decimal && !map_.fields[field].scaled_decimal) {
      // ClickHouse 18.16 refuses decimal literals in the IN list of a Nullable decimal
      // column ("Type mismatch in IN"); comparisons one by one it takes.
      std::vector<Expr> parts;
      for (const auto& l : lits) parts.push_back(Expr::leaf(fmt::format("{} {} {}", c, in ? "=" : "<>", l)));
      return group(in ? Expr::Op::Or : Expr::Op::And, std::move(parts), *this);
    }
    return Expr::leaf(fmt::format("{} {}IN ({})", c, in ? "" : "NOT ", list(lits)));
  }

  Expr gen(const Node& n, bool positive) {
    switch (n.kind) {
      case Kind::Const: return constant(n.value == positive);
      case Kind::And:
      case Kind::Or: {
        bool conj = (n.kind == Kind::And) == positive;
        std::vector<Expr> parts;
        for (const auto& c : n.children) parts.push_back(gen(c, positive));
        return group(conj ? Expr::Op::And : Expr::Op::Or, std::move(parts), *this);
      }
      case Kind::Not: return gen(n.children.at(0), !positive);
      case Kind::In:
      case Kind::Range:
      case Kind::IsNull:
      case Kind::SetAny:
      case Kind::SetAll:
      case Kind::SetNone: break;  // predicates, below
    }
    size_t field = static_cast<size_t>(n.field);
    const Field& f = schema_.fields.at(field);
    const FieldMapping& fm = map_.fields.at(field);
    if (f.type == FieldType::Set) return set_predicate(n, f, fm, positive);
    switch (n.kind) {
      case Kind::IsNull: return null_test(field, n.negated == !positive);
      case Kind::In: {
        // positive: has a value, and it is (not, when negated) in the list;
        // complement: null, or it is (when negated) / is not in the list.
        std::vector<std::string> lits = scalar_literals(f, fm, n.values);
        bool in = positive ? !n.negated : n.negated;
        return with_null_case(field, membership(field, lits, in), positive, !in && lits.size() > 1);
      }
      case Kind::Range: return range(n, f, fm, positive);
      case Kind::SetAny:
      case Kind::SetAll:
      case Kind::SetNone: return constant(!positive);  // a set operator on a scalar field matches nobody
      case Kind::Const:
      case Kind::And:
      case Kind::Or:
      case Kind::Not: break;  // answered above
    }
    return constant(!positive);
  }

  Expr range(const Node& n, const Field& f, const FieldMapping& fm, bool positive) {
    size_t field = static_cast<size_t>(n.field);
    bool inside = positive ? !n.negated : n.negated;
    if (f.type == FieldType::Enum) {
      // Ordered dictionaries: the keys whose positions are in [lo, hi], listed.
      ir::ValueList vl;
      int64_t lo = std::max<int64_t>(n.lo.value, 0), hi = std::min<int64_t>(n.hi.value, int64_t{f.dict.size()} - 1);
      for (int64_t c = lo; c <= hi; ++c) vl.codes.push_back(c);
      bool all_known = true;
      std::vector<std::string> lits = dictionary_literals(f, fm, vl, all_known);
      return with_null_case(field, membership(field, lits, inside), positive, !inside && lits.size() > 1);
    }
    ir::Bound lo = n.lo, hi = n.hi;
    // `now ± d` further than any two timestamps are apart (a rule's `now + 9999y`) lies beyond
    // every value, whatever `now` is: it is an open end or never met, as an absolute bound
    // past the edge would be. Keeps the engines' interval arithmetic in range.
    constexpr int64_t kSpan = kLastWritableSecond - kFirstWritableSecond + 1;
    for (ir::Bound* b : {&lo, &hi})
      if (b->now_relative && (b->value >= kSpan || b->value <= -kSpan)) *b = ir::Bound{b->value > 0 ? ir::kMax : ir::kMin, false};
    bool relative = lo.now_relative || hi.now_relative;
    // Compared in seconds since the epoch: epoch columns, and `now` bounds on ClickHouse's
    // DateTime (whose own arithmetic wraps around at its edges) and on SQLite's text.
    bool epoch = f.type == FieldType::Timestamp &&
                 (fm.time == FieldMapping::Time::Epoch ||
                  (relative && (fm.time == FieldMapping::Time::Text || ch())));
    // Absolute bounds beyond what the column holds are open (or unmeetable).
    int64_t min = ir::kMin, max = ir::kMax;
    if (!epoch) std::tie(min, max) = value_range(f, fm);
    bool lo_open = !lo.now_relative && lo.value <= min;
    bool hi_open = !hi.now_relative && hi.value >= max;
    bool never = (!lo.now_relative && lo.value > max) || (!hi.now_relative && hi.value < min) ||
                 (!lo.now_relative && !hi.now_relative && lo.value > hi.value);
    auto bound = [&](const ir::Bound& b) {
      if (b.now_relative) return now_bound(epoch, b.value, fm);
      return epoch ? integer(b.value) : value(f, fm, b.value);
    };
    std::string c = column(field);
    if (epoch && fm.time != FieldMapping::Time::Epoch) c = (ch() ? "toInt64(" : "unixepoch(") + c + ")";
    Expr test;
    if (never) {
      test = constant(!inside);
    } else if (lo_open && hi_open) {
      test = constant(inside);
    } else if (inside) {
      if (lo_open) test = Expr::leaf(fmt::format("{} <= {}", c, bound(hi)));
      else if (hi_open) test = Expr::leaf(fmt::format("{} >= {}", c, bound(lo)));
      else if (lo == hi) test = Expr::leaf(fmt::format("{} = {}", c, bound(lo)));
      else {
        std::string lo_text = bound(lo);
        test = Expr::leaf(fmt::format("{} BETWEEN {} AND {}", c, lo_text, bound(hi)));
      }
    } else {
      if (lo_open) test = Expr::leaf(fmt::format("{} > {}", c, bound(hi)));
      else if (hi_open) test = Expr::leaf(fmt::format("{} < {}", c, bound(lo)));
      else if (lo == hi) test = Expr::leaf(fmt::format("{} <> {}", c, bound(lo)));
      else {
        std::string lo_text = bound(lo);
        test = group(Expr::Op::Or, {Expr::leaf(fmt::format("{} < {}", c, lo_text)), Expr::leaf(fmt::format("{} > {}", c, bound(hi)))},
                     *this);
      }
    }
    return with_null_case(field, std::move(test), positive);
  }

  Expr set_predicate(const Node& n, const Field& f, const FieldMapping& fm, bool positive) {
    size_t field = static_cast<size_t>(n.field);
    if (n.kind == Kind::IsNull) {
      bool empty = n.negated != positive;
      return set_empty(field, fm, empty);
    }
    enum { Any, All } op = n.kind == Kind::SetAll ? All : Any;
    // SetNone is the complement of SetAny.
    bool holds = n.kind == Kind::SetNone ? !positive : positive;
    bool all_known = true;
    std::vector<std::string> lits = dictionary_literals(f, fm, n.values, all_known);
    if (op == All && !all_known) return constant(!holds);  // a value no row holds: never all
    if (lits.empty()) return constant(op == All ? holds : !holds);
    std::string test;
    std::string c = column(field);
    if (fm.join) {
      if (schema_.id_field < 0) {
        error("a set in a join table needs the schema's id field to join on", "map the set as an array column");
        return constant(false);
      }
      std::string key = ident(fm.join_key), jt = qualified(fm.join_table);
      std::string sub = fmt::format("SELECT {} FROM {} WHERE {} {}", key, jt, c,
                                    lits.size() == 1 ? "= " + lits[0] : "IN (" + list(lits) + ")");
      if (op == All && lits.size() > 1) sub += fmt::format(" GROUP BY {} HAVING count(DISTINCT {}) = {}", key, c, lits.size());
      return Expr::leaf(fmt::format("{} {}IN ({})", column(static_cast<size_t>(schema_.id_field)), holds ? "" : "NOT ", sub));
    }
    switch (d()) {
      case Dialect::Postgres:
        test = fmt::format("{} {} ARRAY[{}]::{}[]", c, op == All ? "@>" : "&&", list(lits), fm.codes ? "bigint" : "text");
        return Expr::leaf(holds ? test : "NOT (" + test + ")");
      case Dialect::DuckDb:
        test = fmt::format("{}({}, [{}])", op == All ? "list_has_all" : "list_has_any", c, list(lits));
        break;
      case Dialect::ClickHouse:
        test = fmt::format("{}({}, [{}])", op == All ? "hasAll" : "hasAny", c, list(lits));
        break;
      case Dialect::Sqlite: break;  // refused by the mapping reader
    }
    return Expr::leaf(holds ? test : "NOT " + test);
  }

  Expr set_empty(size_t field, const FieldMapping& fm, bool empty) {
    std::string c = column(field);
    if (fm.join) {
      if (schema_.id_field < 0) {
        error("a set in a join table needs the schema's id field to join on", "map the set as an array column");
        return constant(false);
      }
      return Expr::leaf(fmt::format("{} {}IN (SELECT {} FROM {})", column(static_cast<size_t>(schema_.id_field)),
                                    empty ? "NOT " : "", ident(fm.join_key), qualified(fm.join_table)));
    }
    switch (d()) {
      case Dialect::Postgres: return Expr::leaf(fmt::format("cardinality({}) {} 0", c, empty ? "=" : ">"));
      case Dialect::DuckDb: return Expr::leaf(fmt::format("len({}) {} 0", c, empty ? "=" : ">"));
      case Dialect::ClickHouse: return Expr::leaf(fmt::format("{}({})", empty ? "empty" : "notEmpty", c));
      case Dialect::Sqlite: break;
    }
    return constant(false);
  }

  // ---- layout and printing ---------------------------------------------------------
  // A long AND/OR is written as groups of at most kFlat: engines parse `a OR b OR …` as a
  // chain one level deeper per term, and SQLite stops at depth 1,000 (an `or` of 999
  // conjunctions failed; ClickHouse's AST limit comes later the same way; found by a review).
  // Groups of groups keep the depth near kFlat times log(n) / log(kFlat).
  static constexpr size_t kFlat = 64;

  // The tree as it will be printed: long parts lists in groups and, when `shallow`, each
  // AND/OR arranged for SQLite's parser (arrange). Only the printing changes: AND and OR
  // are commutative in SQL's three-valued logic too, and AND binds tighter than OR in every
  // dialect, so the condition keeps its exact meaning, nulls included.
  static Expr layout(Expr e, bool shallow) {
    if (e.op == Expr::Op::Leaf) return e;
    e.bare = false;
    e.depth.reset();
    if (e.parts.size() > kFlat) {
      std::vector<Expr> groups;
      const size_t per = (e.parts.size() + kFlat - 1) / kFlat;  // at most kFlat groups
      for (size_t i = 0; i < e.parts.size(); i += per) {
        Expr g;
        g.op = e.op;
        for (size_t j = i; j < std::min(e.parts.size(), i + per); ++j) g.parts.push_back(std::move(e.parts[j]));
        groups.push_back(g.parts.size() == 1 ? std::move(g.parts[0]) : std::move(g));
      }
      e.parts = std::move(groups);
    }
    for (auto& p : e.parts) p = layout(std::move(p), shallow);
    if (shallow) arrange(e);
    return e;
  }

  // SQLite's parser (an LALR automaton with a fixed stack: YYSTACKDEPTH 100 in 3.40) keeps
  // every part it has not finished: a part after an operator waits on two entries (the left
  // side and the operator), an open parenthesis on one. Written deepest part first, a nested
  // group costs only its parenthesis; the others follow it, together in one group when there
  // are several (so the deep part is one level down in the expression tree, not one per
  // part: SQLite also limits that tree's height). An AND inside an OR needs no parentheses.
  static void arrange(Expr& e) {
    for (auto& p : e.parts) p.bare = e.op == Expr::Op::Or && p.op == Expr::Op::And;
    auto cost = [](const Expr& p) { return measure(p).stack + wrapped(p); };
    std::vector<std::pair<int, size_t>> order;  // (cost, position): deepest first, else as written
    for (size_t i = 0; i < e.parts.size(); ++i) order.emplace_back(-cost(e.parts[i]), i);
    std::sort(order.begin(), order.end());
    std::vector<Expr> parts;
    for (const auto& [c, i] : order) parts.push_back(std::move(e.parts[i]));
    if (parts.size() >= 3 && parts[0].op != Expr::Op::Leaf) {
      Expr rest;
      rest.op = e.op;
      for (size_t i = 1; i < parts.size(); ++i) rest.parts.push_back(std::move(parts[i]));
      parts.resize(1);
      parts.push_back(std::move(rest));
    }
    e.parts = std::move(parts);
  }

  static bool wrapped(const Expr& p) { return p.op != Expr::Op::Leaf && !p.bare; }

  // How deep a laid-out condition takes SQLite, as a model of its parser measured against
  // SQLite 3.40.1 (tests/sql_test.cpp, SqlSqliteDepth): `stack` the parser entries it needs
  // at most (a comparison `a = 1` three, a parenthesis one, a part after an operator two
  // more), `height` its expression tree's height (SQLITE_MAX_EXPR_DEPTH: 1,000), `parens`
  // its nesting of parentheses (what the diagnostic reports).
  using Depth = SqliteDepth;

  static Depth measure(const Expr& e) {
    if (!e.depth) e.depth = measure_now(e);
    return *e.depth;
  }

  static Depth measure_now(const Expr& e) {
    if (e.op == Expr::Op::Leaf) return leaf_depth(e.text);
    Depth out;
    for (size_t i = 0; i < e.parts.size(); ++i) {
      Depth d = measure(e.parts[i]);
      int wrap = wrapped(e.parts[i]);
      out.stack = std::max(out.stack, (i ? 2 : 0) + wrap + d.stack);
      out.parens = std::max(out.parens, wrap + d.parens);
      out.height = i ? 1 + std::max(out.height, d.height) : d.height;  // SQLite's chains lean left
    }
    return out;
  }

  // A leaf's own depth, from its text, erring high: 5 entries, 5 more per level of
  // parentheses in it (an IN list, CAST(…), a subquery and its own list) and 6 per subquery
  // (`SELECT … FROM … WHERE`). Measured with SQLite 3.40.1: `a = 1` 3, an IN list 6,
  // `= CAST(X'…' AS TEXT)` 8, a tag's subquery 12 to 19; estimated 5, 10, 10 and 16 to 26.
  static Depth leaf_depth(std::string_view text) {
    int depth = 0, deepest = 0, selects = 0;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (quote) {
        if (c == quote) quote = 0;  // a doubled quote closes and opens again
        continue;
      }
      if (c == '\'' || c == '"') quote = c;
      else if (c == '(') deepest = std::max(deepest, ++depth);
      else if (c == ')') --depth;
      else if ((c == 'S' || c == 's') && (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]))) &&
               text.size() - i > 6 && (text.substr(i, 7) == "SELECT " || text.substr(i, 7) == "select "))
        ++selects;
    }
    Depth d;
    d.stack = 5 + 5 * deepest + 6 * selects;
    d.height = 3 + 2 * deepest + 3 * selects;
    d.parens = deepest;
    return d;
  }

  // SQLite 3.40.1 parses `SELECT count(*) FROM clients WHERE` and 90 parentheses around
  // `a = 1`, and not 91 ("parser stack overflow"): 93 entries in the model's count. Refused
  // from 10 below that (a --where condition goes inside a statement of the user's own, which
  // may take a few more), and 100 below the expression tree's 1,000.
  static constexpr int kSqliteStack = 93, kSqliteStackMargin = 10;
  static constexpr int kSqliteHeight = 1000, kSqliteHeightMargin = 100;

  static bool fits_sqlite(const Depth& d) {
    return d.stack <= kSqliteStack - kSqliteStackMargin && d.height <= kSqliteHeight - kSqliteHeightMargin;
  }

  void too_deep_for_sqlite(const Depth& d) {
    if (d.stack > kSqliteStack - kSqliteStackMargin)
      error(fmt::format("the condition nests {} levels of parentheses, deeper than SQLite's parser reads: its stack "
                        "has 100 entries (\"parser stack overflow\"), and written as shallow as SQLite allows, this "
                        "condition needs about {} where seg allows {} (leaving room for the statement around it)",
                        d.parens, d.stack, kSqliteStack - kSqliteStackMargin),
            "nest fewer and/or groups inside each other (SQLite reads about 75 levels of plain comparisons, "
            "55 to 60 with tag tests at the bottom; seg takes 128), or write the rule for postgres, duckdb or "
            "clickhouse, which read seg's deepest rules");
    else
      error(fmt::format("the condition's expression tree is about {} levels high, past SQLite's limit of {} "
                        "(SQLITE_MAX_EXPR_DEPTH) less a margin of {}",
                        d.height, kSqliteHeight, kSqliteHeightMargin),
            "nest fewer and/or groups inside each other, or write the rule for postgres, duckdb or clickhouse");
  }

  // `first` is the column the first part starts at, `pad` where continuation lines put their
  // AND/OR; a group in parentheses puts its own continuations under its first part, up to
  // kMaxIndent: beyond it, deeper groups stay at that column (a rule nested 128 levels deep
  // took 274 KB of spaces, past ClickHouse's max_query_size of 256 KiB).
  static constexpr size_t kMaxIndent = 40;

  static std::string render(const Expr& e, size_t first, size_t pad) {
    if (e.op == Expr::Op::Leaf) return e.text;
    const char* op = e.op == Expr::Op::And ? "AND" : "OR";
    std::string out;
    for (size_t i = 0; i < e.parts.size(); ++i) {
      size_t at = first;
      if (i) {
        out += fmt::format("\n{:{}}{} ", "", pad, op);
        at = pad + std::string_view(op).size() + 1;
      }
      const Expr& p = e.parts[i];
      if (p.op == Expr::Op::Leaf) out += p.text;
      else if (p.bare) out += render(p, at, pad);
      else fmt::format_to(std::back_inserter(out), "({})", render(p, at + 1, std::min(at + 1, kMaxIndent)));  // (GCC 12 -Wrestrict on "(" + s)
    }
    return out;
  }
};

}  // namespace

std::optional<Statement> generate(const ir::Node& rule, const Schema& schema, const Mapping& mapping,
                                  const Options& options, Diagnostics& diags) {
  return Generator(schema, mapping, options, diags).run(rule);
}

std::string script_text(const Statement& s) {
  std::string out = s.text + ";\n";
  for (const auto& p : s.params) {
    std::string v;
    for (char c : p.value) {
      if (c == '\n') v += "\\n";
      else if (static_cast<unsigned char>(c) < 0x20) v += fmt::format("\\x{:02X}", static_cast<unsigned char>(c));
      else v += c;
    }
    out += fmt::format("-- {} {} = {}\n", p.placeholder, p.type, p.is_integer ? v : "'" + v + "'");
  }
  return out;
}

}  // namespace seg::sql
