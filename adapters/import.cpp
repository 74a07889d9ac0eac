// react-querybuilder and JsonLogic -> IR JSON -> IR. The translation keeps a map from each
// generated IR path to the imported document's path so that every diagnostic of the IR reader
// names the place in the document the person (or their tool) wrote. docs/interop.md has the
// mapping tables and the reasons for each meaning.
#include "adapters/import.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "base/json_reader.hpp"
#include "base/numbers.hpp"
#include "base/time_util.hpp"
#include "base/text_util.hpp"
#include "compiler/check.hpp"
#include "compiler/ir_json.hpp"
#include "compiler/report_constant.hpp"
#include "compiler/value_text.hpp"

namespace seg {

namespace {

// A builder's time as the seconds it covers: a date (`2026-10-01`) is its whole day (UTC), as
// in rule text; a timestamp is that second, with JavaScript's milliseconds (`.000Z`) and UTC
// offsets (`+02:00`) as toISOString() and date pickers send them, and `YYYY-MM-DDTHH:MM` as an
// HTML datetime-local input sends it. A time between two seconds (`.500`) covers none: the
// data holds whole seconds, so `>=` it starts at the next second and `<=` it ends at this one.
struct TimeSpan {
  int64_t first;  // the first second at or after the time
  int64_t last;   // the last second at or before it
  bool date;
};
std::optional<TimeSpan> time_span(std::string text) {
  if (text.size() == 10) {
    auto t = parse_timestamp(text);
    if (!t) return std::nullopt;
    return TimeSpan{*t, *t + kSecondsPerDay - 1, true};
  }
  if (text.size() >= 16 && (text.size() == 16 || text[16] != ':') && (text[10] == 'T' || text[10] == 't'))
    text.insert(16, ":00");  // no seconds
  bool fraction = false;
  if (text.size() > 19 && text[19] == '.') {
    size_t end = 20;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
      fraction |= text[end] != '0';
      ++end;
    }
    if (end == 20) return std::nullopt;
    text.erase(19, end - 19);
  }
  auto t = parse_timestamp(text);
  if (!t || text.size() <= 10) return std::nullopt;
  if (fraction) return TimeSpan{*t + 1, *t, false};
  return TimeSpan{*t, *t, false};
}

struct Translation {
  Diagnostics& diags;
  const Schema& schema;
  const NumberTexts& numbers;
  int max_depth;  // every node is at least one JSON level, so the JSON depth limit bounds this
  std::map<std::string, std::string> paths;  // IR JSON path -> source path
  std::set<std::string> whole;               // IR paths whose parts have no place of their own
  int depth = 0;  // of the rule or group being read: the groups around it, and itself

  void map(const std::string& ir, const std::string& src) { paths[ir] = src; }
  // `ir` is made of nodes the document does not spell (an or of alls for a count): a problem
  // anywhere inside it is at `src`, the document's own node.
  void map_whole(const std::string& ir, const std::string& src) {
    paths[ir] = src;
    whole.insert(ir);
  }
  // Rewrites an IR path to the source path of its longest mapped prefix.
  std::string source_path(const std::string& ir) const {
    std::string probe = ir;
    while (true) {
      auto it = paths.find(probe);
      if (it != paths.end()) return whole.count(probe) ? it->second : it->second + ir.substr(probe.size());
      size_t slash = probe.rfind('/');
      if (slash == std::string::npos || slash == 0) return ir;
      probe.resize(slash);
    }
  }
  // One level deeper while a rule or group is read, given back when it is done (counting
  // every node instead refused a flat list of 520 conditions as nested 520 deep).
  struct Level {
    Translation& tr;
    explicit Level(Translation& t) : tr(t) { ++tr.depth; }
    ~Level() { --tr.depth; }
    Level(const Level&) = delete;
    Level& operator=(const Level&) = delete;
    bool too_deep(const std::string& src) {
      if (tr.depth <= tr.max_depth) return false;
      tr.diags.json_error("E406", src, fmt::format("the document nests deeper than {} levels", tr.max_depth));
      return true;
    }
  };
  const Field* field(const std::string& name) const {
    int idx = schema.find(name);
    return idx < 0 ? nullptr : &schema.fields[static_cast<size_t>(idx)];
  }

  // A literal as the IR reader wants it for `f`: builders send numbers as strings ("12"),
  // decimals as JSON numbers (read from their text at `src`, never through a double).
  Json literal(const Json& v, const std::string& src, const Field* f) const {
    if (!f) return v;
    if (v.is_number_float()) {
      auto it = numbers.find(src);
      if (f->type == FieldType::Decimal && it != numbers.end()) return plain_decimal(it->second);
      // JSON has one kind of number: 12.0 and 1e1 are the integers the strings "12.0" and
      // "10" and the rule text `spot = 12.0` are (12.5 stays a number the reader refuses).
      int64_t x = 0;
      if (f->type == FieldType::Int && it != numbers.end() && parse_decimal(plain_decimal(it->second), 0, x) == DecimalError::None)
        return x;
      return v;
    }
    if (!v.is_string()) return v;
    const std::string& t = v.get<std::string>();
    if (f->type == FieldType::Int) {
      int64_t x = 0;
      if (parse_decimal(t, 0, x) == DecimalError::None) return x;
    }
    // A number written as a string keeps its exponent ("1e-9": react-querybuilder's
    // parseJsonLogic writes a list's numbers into one string): read as the decimal it spells.
    if (f->type == FieldType::Decimal && t.find_first_of("eE") != std::string::npos) {
      int64_t x = 0;
      const std::string plain = plain_decimal(t);
      if (parse_decimal(plain, f->scale, x) == DecimalError::None) return plain;
    }
    if (f->type == FieldType::Bool && (t == "true" || t == "false")) return t == "true";
    return v;
  }
};

// ---- Comparisons, shared by both builders ----
// Every comparison becomes an inclusive range, which is what the IR has: `x > 5` on integers is
// `x >= 6`, on decimals one step of the scale up, on times the second after; a strict bound
// that cannot step (an enum, a value the reader will refuse) stays `not (x <= v)` minus nulls,
// the IR's not_range.
struct Bounds {
  Json at_least, at_most;     // the min of `>=` and the max of `<=`
  std::optional<Json> above;  // the min of `>`
  std::optional<Json> below;  // the max of `<`
  bool empty = false;         // `=` holds for no value (a time between two seconds)
  bool time_of_day = false;   // a full timestamp, not a date
};

Bounds bounds_of(const Json& raw, const std::string& src, const Field* f, const Translation& tr) {
  Json v = tr.literal(raw, src, f);
  Bounds b{v, v, std::nullopt, std::nullopt};
  if (!f) return b;
  if (f->type == FieldType::Timestamp && v.is_string()) {
    if (auto span = time_span(v.get<std::string>())) {
      b.at_least = format_timestamp(span->first);
      b.at_most = format_timestamp(span->last);
      // Past years 0000-9999 there is no time to write: `>` the last second is `not <=` it.
      if (writable_second(span->last + 1)) b.above = format_timestamp(span->last + 1);
      if (writable_second(span->first - 1)) b.below = format_timestamp(span->first - 1);
      b.empty = span->first > span->last;
      b.time_of_day = !span->date;
    }
    return b;
  }
  int64_t x = 0;
  bool fits = v.is_number_integer() && (!v.is_number_unsigned() || v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX));
  if (f->type == FieldType::Int && fits) x = v.get<int64_t>();
  else if (f->type == FieldType::Decimal && (v.is_string() || v.is_number_integer()) &&
           parse_decimal(v.is_string() ? v.get<std::string>() : v.dump(), f->scale, x) == DecimalError::None) {
  } else {
    return b;
  }
  auto write = [&](int64_t y) -> Json { return f->type == FieldType::Int ? Json(y) : Json(decimal_text(y, f->scale)); };
  if (x != INT64_MAX) b.above = write(x + 1);
  if (x != INT64_MIN) b.below = write(x - 1);
  return b;
}

Json negated(Json node) { return Json{{"not", std::move(node)}}; }

// An and of one-value memberships of one set field is how both builders say "has every one of
// them" (their own `all` is a subset test): read it as seg's `all`, so that its negation
// stays `not tag all (…)` instead of turning into an or of nones.
std::optional<Json> every_one_of(const Json& kids) {
  if (kids.size() < 2) return std::nullopt;
  Json values = Json::array();
  for (const auto& k : kids) {
    if (!k.contains("op") || k["op"] != "any" || k["values"].size() != 1 || k["field"] != kids[0]["field"]) return std::nullopt;
    values.push_back(k["values"][0]);
  }
  return Json{{"field", kids[0]["field"]}, {"op", "all"}, {"values", std::move(values)}};
}

// `x op v` for op one of = < <= > >= on a single-valued field.
Json comparison(const std::string& field, const std::string& op, const Bounds& b, const std::string& ir,
                const std::string& vsrc, Translation& tr, const Field* f) {
  Json node{{"field", field}};
  auto range = [&](const Json* lo, const Json* hi, bool negate = false) {
    node["op"] = negate ? "not_range" : "range";
    if (lo) {
      node["min"] = *lo;
      tr.map(json_path(ir, "min"), vsrc);
    }
    if (hi) {
      node["max"] = *hi;
      tr.map(json_path(ir, "max"), vsrc);
    }
    return node;
  };
  if (op == "=") {
    if (f && f->type == FieldType::Timestamp) {
      if (b.empty) {
        // A time between two seconds (toISOString()'s `.500Z`): no client's time is it, and
        // the const below leaves no place for report_constant's W501 to point at (found by a
        // review: the whole rule became `false` without a word).
        tr.diags.json_warning("W501", vsrc,
                              fmt::format("`{} =` a time between two seconds can never match: times in the data are whole seconds", field),
                              fmt::format("compare with the second: \"{}\", or a range", b.at_most.get<std::string>()));
        return Json{{"const", false}};
      }
      // A date picker that sends midnight as a timestamp would select almost nobody.
      if (b.time_of_day)
        tr.diags.json_warning("W504", vsrc,
                              fmt::format("`{} = {}` matches only clients at that one second", field, b.at_least.get<std::string>()),
                              fmt::format("for the whole day, send the date: \"{}\"", b.at_least.get<std::string>().substr(0, 10)));
      return range(&b.at_least, &b.at_most);
    }
    node["op"] = "in";
    node["values"] = Json::array({b.at_least});
    tr.map(json_path(ir, "values"), vsrc);
    tr.map(json_path(json_path(ir, "values"), 0), vsrc);
    return node;
  }
  if (op == ">=") return range(&b.at_least, nullptr);
  if (op == "<=") return range(nullptr, &b.at_most);
  if (op == ">") return b.above ? range(&*b.above, nullptr) : range(nullptr, &b.at_most, true);
  return b.below ? range(nullptr, &*b.below) : range(&b.at_least, nullptr, true);  // "<"
}

// `lo <= x <= hi`, each end inclusive or strict.
Json between(const std::string& field, const Bounds& lo, bool lo_strict, const Bounds& hi, bool hi_strict,
             const std::string& ir, const std::string& lo_src, const std::string& hi_src, Translation& tr,
             std::string* refusal) {
  const Json* min = lo_strict ? (lo.above ? &*lo.above : nullptr) : &lo.at_least;
  const Json* max = hi_strict ? (hi.below ? &*hi.below : nullptr) : &hi.at_most;
  if (!min || !max) {
    *refusal = "a strict comparison between two values is supported on integers, decimals and times";
    return Json();
  }
  tr.map(json_path(ir, "min"), lo_src);
  tr.map(json_path(ir, "max"), hi_src);
  return Json{{"field", field}, {"op", "range"}, {"min", *min}, {"max", *max}};
}

// ---- react-querybuilder ----
// {"combinator": "and"|"or", "not": bool, "rules": [rule | group]}, or the independent-
// combinators form {"rules": [rule, "and", rule, "or", rule]}; `disabled` (read-only in the
// builder's UI) is read as any rule, `muted: true` refused (below). rule: {"field": f,
// "operator": op, "value": v}; list values are arrays or comma-separated strings. Set fields
// also take v7's match modes.

// The builder (8.24) keeps a `disabled` rule in every format it writes; a `muted` one it leaves
// out, but its JsonLogic and SQL then disagree on what the rest means (`A or muted and B` is
// `A or B` in one and `A and B` in the other; a group of muted rules is false in one and true
// in the other), so seg does not guess: E605 (found by a review, which had seen `disabled`
// skipped while the builder sends it on).
bool refuse_muted(const Json& j, const std::string& src, Translation& tr) {
  if (!j.is_object() || !j.contains("muted") || j["muted"] == false) return false;
  tr.diags.json_error("E605", json_path(src, "muted"),
                      "a muted rule or group: the builder's own JsonLogic and SQL disagree on what the rest then means",
                      "unmute it, or remove it from the query");
  return true;
}

// A list value as react-querybuilder's own toArray reads a string: split at commas not escaped
// as `\,` (which stands for a comma in the value), each item trimmed of whitespace, empty items
// dropped (found by a review: `"a\,b,VIP"` was three values, `"12,,13"` an error, and
// `"VIP,,Top-up"` held an empty tag).
Json split_list(const Json& v) {
  if (v.is_array()) return v;
  if (v.is_string()) {
    Json out = Json::array();
    const std::string& text = v.get_ref<const std::string&>();
    std::string item;
    auto finish = [&] {
      const size_t b = item.find_first_not_of(" \t\r\n"), e = item.find_last_not_of(" \t\r\n");
      if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
      item.clear();
    };
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == ',') {
        item += ',';
        ++i;
      } else if (text[i] == ',') {
        finish();
      } else {
        item += text[i];
      }
    }
    finish();
    return out;
  }
  return Json::array({v});
}
// The source path of element i of a value split by split_list.
std::string element_path(const Json& value, const std::string& vsrc, size_t i) {
  return value.is_array() ? json_path(vsrc, i) : vsrc;
}

std::optional<Json> rqb_node(const Json& j, const std::string& src, const std::string& ir, Translation& tr);

// The values a match mode's subquery accepts for each element: one rule `=`/`in`, or an `or`
// group (or a one-rule group) of them. Anything else tests elements in ways seg cannot say.
bool match_values(const Json& q, const std::string& src, Json& values, std::vector<std::string>& srcs, Translation& tr,
                  const Field* f) {
  // The subquery is held to what a group and a rule are held to elsewhere: a member or a
  // negation it ignored made `some` of "not VIP" read as `any (VIP)`, the opposite clients
  // (found by a review). Errors here are at their own paths; false without one is the
  // caller's general refusal.
  if (q.is_object() && q.contains("rules") && q["rules"].is_array()) {
    if (refuse_muted(q, src, tr)) return false;
    check_members(q, src, {"id", "path", "combinator", "not", "rules", "disabled"}, tr.diags);
    if (q.contains("not") && q["not"] != false) {
      tr.diags.json_error("E606", json_path(src, "not"), "a negated match subquery: seg has no test of values other than listed ones",
                          "use the match mode `none` for clients holding none of the values");
      return false;
    }
    std::string comb = q.contains("combinator") && q["combinator"].is_string() ? q["combinator"].get<std::string>() : "and";
    if (comb != "and" && comb != "or") {
      tr.diags.json_error("E606", json_path(src, "combinator"), fmt::format("unknown combinator '{}'", comb), "use \"and\" or \"or\"");
      return false;
    }
    if (comb != "or" && q["rules"].size() > 1) return false;
    for (size_t i = 0; i < q["rules"].size(); ++i)
      if (!match_values(q["rules"][i], json_path(json_path(src, "rules"), i), values, srcs, tr, f)) return false;
    return !values.empty();
  }
  if (!q.is_object() || !q.contains("operator") || !q["operator"].is_string() || !q.contains("value")) return false;
  if (refuse_muted(q, src, tr)) return false;
  check_members(q, src, {"id", "path", "field", "operator", "value", "valueSource", "disabled"}, tr.diags);
  if (q.contains("field") && q["field"] != "") {
    // The builder reads a named field of each element ({"var": "name"}): a test seg's values do not have.
    tr.diags.json_error("E606", json_path(src, "field"), "a match subquery's rules test the element itself: 'field' must be \"\"");
    return false;
  }
  std::string op = q["operator"].get<std::string>();
  if (op != "=" && op != "in") return false;
  std::string vsrc = json_path(src, "value");
  Json list = op == "=" ? Json::array({q["value"]}) : split_list(q["value"]);
  for (size_t i = 0; i < list.size(); ++i) {
    std::string at = op == "=" ? vsrc : element_path(q["value"], vsrc, i);
    values.push_back(tr.literal(list[i], at, f));
    srcs.push_back(at);
  }
  return true;
}

// |tags ∩ values| >= n, as seg says it: an any, an all, or an or of alls over the n-subsets.
constexpr size_t kMaxMatchCombinations = 256;
std::optional<Json> at_least(const std::string& field, const Json& values, long long n) {
  size_t k = values.size();
  if (n <= 0) return Json{{"const", true}};
  if (static_cast<size_t>(n) > k) return Json{{"const", false}};
  if (n == 1) return Json{{"field", field}, {"op", "any"}, {"values", values}};
  if (static_cast<size_t>(n) == k) return Json{{"field", field}, {"op", "all"}, {"values", values}};
  // C(k, n), stopping once past the cap.
  double combos = 1;
  for (long long i = 0; i < n; ++i) combos = combos * static_cast<double>(k - static_cast<size_t>(i)) / static_cast<double>(i + 1);
  if (combos > kMaxMatchCombinations) return std::nullopt;
  Json terms = Json::array();
  std::vector<size_t> pick(static_cast<size_t>(n));
  for (size_t i = 0; i < pick.size(); ++i) pick[i] = i;
  while (true) {
    Json subset = Json::array();
    for (size_t i : pick) subset.push_back(values[i]);
    terms.push_back(Json{{"field", field}, {"op", "all"}, {"values", std::move(subset)}});
    size_t i = pick.size();
    while (i > 0 && pick[i - 1] == k - pick.size() + (i - 1)) --i;
    if (i == 0) break;
    ++pick[i - 1];
    for (size_t j = i; j < pick.size(); ++j) pick[j] = pick[j - 1] + 1;
  }
  return Json{{"or", std::move(terms)}};
}

// Every value the client holds is one of `values`, and it holds one (react-querybuilder's and
// JsonLogic's `all`, false on an empty set). Only a closed dictionary has a complement.
std::optional<Json> subset_of(const std::string& field, const Json& values, const Field& f) {
  if (f.dict.open) return std::nullopt;
  Json everything = Json::array(), rest = Json::array();
  for (const auto& d : f.dict.values()) {
    everything.push_back(d.key);
    bool listed = false;
    for (const auto& v : values) listed |= v.is_string() && f.dict.find_key(v.get<std::string>()) == f.dict.find_key(d.key);
    if (!listed) rest.push_back(d.key);
  }
  Json some{{"field", field}, {"op", "any"}, {"values", std::move(everything)}};
  if (rest.empty()) return some;
  return Json{{"and", Json::array({some, Json{{"field", field}, {"op", "none"}, {"values", std::move(rest)}}})}};
}

std::optional<Json> rqb_match(const Json& j, const std::string& src, const std::string& ir, Translation& tr,
                              const std::string& field, const Field* f) {
  std::string msrc = json_path(src, "match");
  const Json& m = j["match"];
  auto refuse = [&](const std::string& at, std::string msg, std::string help = "") -> std::optional<Json> {
    tr.diags.json_error("E606", at, std::move(msg), std::move(help));
    return std::nullopt;
  };
  if (!m.is_object() || !m.contains("mode") || !m["mode"].is_string())
    return refuse(msrc, "'match' needs a 'mode': some, none, all, atLeast, atMost or exactly");
  if (!f || f->type != FieldType::Set)
    return refuse(msrc, fmt::format("a match mode applies to a field with several values; `{}` holds one", field));
  std::string mode = m["mode"].get<std::string>();
  bool counted = mode == "atLeast" || mode == "atMost" || mode == "exactly";
  if (!counted && mode != "some" && mode != "none" && mode != "all")
    return refuse(json_path(msrc, "mode"), fmt::format("unknown match mode '{}'", mode),
                  "use some, none, all, atLeast, atMost or exactly");
  long long threshold = 0;
  if (counted) {
    std::string tsrc = json_path(msrc, "threshold");
    if (!m.contains("threshold")) return refuse(msrc, fmt::format("mode '{}' needs a 'threshold'", mode));
    const Json& t = m["threshold"];
    if (t.is_number() && !t.is_number_integer() && t.get<double>() > 0 && t.get<double>() < 1)
      return refuse(tsrc, "a threshold between 0 and 1 is a share of the client's values, which seg does not count",
                    "give a number of values (a whole number)");
    if (!t.is_number_integer() || (!t.is_number_unsigned() && t.get<long long>() < 0))
      return refuse(tsrc, "'threshold' must be a whole number, 0 or more");
    threshold = t.is_number_unsigned() && t.get<uint64_t>() > 1000000 ? 1000000 : t.get<long long>();
  }
  Json values = Json::array();
  std::vector<std::string> srcs;
  std::string vsrc = json_path(src, "value");
  const size_t errors_before = tr.diags.error_count();
  const bool read = j.contains("value") && match_values(j["value"], vsrc, values, srcs, tr, f);
  if (tr.diags.error_count() > errors_before) return std::nullopt;  // said at its own path
  if (!read)
    return refuse(vsrc, "a match subquery is supported as rules `=` or `in` on the element, under 'or' (or one rule)",
                  "e.g. {\"combinator\": \"and\", \"rules\": [{\"field\": \"\", \"operator\": \"in\", \"value\": [\"VIP\"]}]}");
  // One value once: the count is of the client's distinct values that match. Values are the
  // same when the dictionary reads them as one (`"VIP"` and `"vip"`, as rules match them), not
  // only when spelt alike: counted apart, `atLeast 2` of them became `tag any (VIP)` (found by a
  // review). Values the dictionary does not have are the same only when spelt alike, as rule
  // text keeps them: data may hold `Foo` and `foo` as two tags, and folding them made
  // `tag any (Foo, foo)` read back as `tag any (Foo)` (found by another review).
  auto as_read = [&](const Json& v) -> Json {
    if (!f || !f->is_dictionary() || !v.is_string()) return v;
    std::vector<uint32_t> candidates;
    if (auto code = resolve_dictionary_value(f->dict, v.get<std::string>(), candidates)) return Json(*code);
    return v;
  };
  Json distinct = Json::array();
  std::vector<Json> seen;
  for (size_t i = 0; i < values.size(); ++i) {
    Json key = as_read(values[i]);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(std::move(key));
    // Where the one-list forms (any, all, none) put it; deeper forms name the rule.
    tr.map(json_path(json_path(ir, "values"), distinct.size()), srcs[i]);
    distinct.push_back(values[i]);
  }
  tr.map(ir, src);
  std::optional<Json> node;
  auto beyond = [&] {
    return refuse(msrc, fmt::format("'{} {}' over {} values would take more than {} conditions in seg", mode, threshold,
                                    distinct.size(), kMaxMatchCombinations),
                  "use fewer values, or some/none");
  };
  if (mode == "some") return at_least(field, distinct, 1);
  if (mode == "none") return Json{{"field", field}, {"op", "none"}, {"values", distinct}};
  // The other modes become or/and/not of alls the document does not spell.
  tr.map_whole(ir, src);
  if (mode == "all") {
    if (auto sub = subset_of(field, distinct, *f)) return sub;
    return refuse(json_path(msrc, "mode"),
                  "the builder's 'all' means every value a client has matches (a subset test), which seg cannot say "
                  "over an open dictionary; seg's `tag all (…)` means the client has every one of them",
                  fmt::format("for 'has every one of them', use atLeast {}", distinct.size()));
  }
  auto least = at_least(field, distinct, threshold);
  auto more = at_least(field, distinct, threshold + 1);
  if (mode == "atLeast") return least ? least : beyond();
  if (!more) return beyond();
  if (mode == "atMost") return negated(std::move(*more));
  if (!least) return beyond();
  return Json{{"and", Json::array({std::move(*least), negated(std::move(*more))})}};  // exactly
}

std::optional<Json> rqb_group(const Json& j, const std::string& src, const std::string& ir, Translation& tr) {
  if (refuse_muted(j, src, tr)) return std::nullopt;
  check_members(j, src, {"id", "path", "combinator", "not", "rules", "disabled", "muted"}, tr.diags);
  const Json* rules = member(j, src, "rules", Json::value_t::array, true, tr.diags);
  if (!rules) return std::nullopt;
  bool neg = false;
  if (auto n = member(j, src, "not", Json::value_t::boolean, false, tr.diags)) neg = n->get<bool>();
  std::string inner_ir = neg ? json_path(ir, "not") : ir;
  std::string rsrc = json_path(src, "rules");
  // Independent combinators: rules alternate with "and"/"or"; and binds tighter than or.
  bool independent = !j.contains("combinator") && !rules->empty() && rules->size() > 1 && (*rules)[1].is_string();
  std::string comb = "and";
  if (!independent)
    if (auto c = member(j, src, "combinator", Json::value_t::string, false, tr.diags)) comb = c->get<std::string>();
  if (comb != "and" && comb != "or") {
    tr.diags.json_error("E606", json_path(src, "combinator"), fmt::format("unknown combinator '{}'", comb),
                        "use \"and\" or \"or\"");
    return std::nullopt;
  }
  // Terms of an or of ands (independent) or one list (a plain group).
  std::vector<Json> ors;
  Json ands = Json::array();
  bool ok = true;
  size_t kid = 0, or_index = 0;
  for (size_t i = 0; i < rules->size(); ++i) {
    const Json& r = (*rules)[i];
    std::string at = json_path(rsrc, i);
    if (independent && i % 2 == 1) {
      std::string c = r.is_string() ? r.get<std::string>() : "";
      if (c != "and" && c != "or") {
        tr.diags.json_error("E606", at, "between rules of an independent-combinators group: \"and\" or \"or\"");
        return std::nullopt;
      }
      if (c == "or") {
        ors.push_back(std::move(ands));
        ands = Json::array();
        ++or_index;
        kid = 0;
      }
      continue;
    }
    std::string kid_ir = independent ? json_path(json_path(json_path(json_path(inner_ir, "or"), or_index), "and"), kid)
                                     : json_path(json_path(inner_ir, comb), kid);
    if (auto k = rqb_node(r, at, kid_ir, tr)) {
      ands.push_back(std::move(*k));
      ++kid;
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  if (independent && rules->size() % 2 == 0) {
    tr.diags.json_error("E606", json_path(rsrc, rules->size() - 1), "an independent-combinators group ends with a rule, not a combinator");
    return std::nullopt;
  }
  Json node;
  if (independent) {
    ors.push_back(std::move(ands));
    Json terms = Json::array();
    for (auto& a : ors) terms.push_back(a.empty() ? Json{{"const", true}} : Json{{"and", std::move(a)}});
    node = Json{{"or", std::move(terms)}};
  } else {
    // An empty group matches everyone under `and` and nobody under `or`, as the builder shows it.
    // The builder's own formats, though, read an empty group as true or leave it out (JsonLogic
    // drops it, SQL writes 1 = 1): an empty `or` would have made the segment nobody without a
    // word, so it is refused, inside the query or as the query itself (the top level was let
    // through as `false`; found by a review). An empty `and` is true either way (W502 says so).
    if (ands.empty() && comb == "or") {
      tr.diags.json_error("E606", src,
                          src.empty() ? "the query is an empty `or` group: seg would read it as nobody, the builder as true"
                                      : "an empty `or` group inside the query: seg would read it as nobody, the builder as true",
                          src.empty() ? "add a rule to the query" : "add a rule to the group, or remove it");
      return std::nullopt;
    }
    auto all = comb == "and" ? every_one_of(ands) : std::nullopt;
    if (all)
      for (size_t i = 0; i < ands.size(); ++i)
        tr.map(json_path(json_path(inner_ir, "values"), i),
               tr.source_path(json_path(json_path(json_path(json_path(inner_ir, comb), i), "values"), 0)));
    node = ands.empty() ? Json{{"const", comb == "and"}} : all ? std::move(*all) : Json{{comb, std::move(ands)}};
  }
  if (neg) {
    tr.map(inner_ir, src);
    return negated(std::move(node));
  }
  return node;
}

std::optional<Json> rqb_node(const Json& j, const std::string& src, const std::string& ir, Translation& tr) {
  Translation::Level level(tr);
  if (level.too_deep(src)) return std::nullopt;
  tr.map(ir, src);
  if (!j.is_object()) {
    tr.diags.json_error("E603", src, fmt::format("a rule or group must be an object, not {}", json_type_name(j)));
    return std::nullopt;
  }
  if (j.contains("rules")) return rqb_group(j, src, ir, tr);
  if (refuse_muted(j, src, tr)) return std::nullopt;
  check_members(j, src, {"id", "path", "field", "operator", "value", "valueSource", "match", "disabled", "muted"}, tr.diags);
  const Json* fj = member(j, src, "field", Json::value_t::string, true, tr.diags);
  const Json* o = member(j, src, "operator", Json::value_t::string, true, tr.diags);
  if (!fj || !o) return std::nullopt;
  std::string field = fj->get<std::string>(), op = o->get<std::string>();
  const Field* f = tr.field(field);
  if (j.contains("valueSource") && j["valueSource"] != "value") {
    tr.diags.json_error("E606", json_path(src, "valueSource"),
                        fmt::format("valueSource {}: seg compares a field with values, not with another field",
                                    j["valueSource"].dump()),
                        "use valueSource \"value\" (or leave it out)");
    return std::nullopt;
  }
  // Every operator but null/notNull compares with a value: a rule without one is refused at
  // the rule (found by fuzzing: it was read as null, and the diagnostic named
  // `/value/0`, a path the document does not have).
  if (op != "null" && op != "notNull" && !j.contains("value")) {
    tr.diags.json_error("E604", src, fmt::format("missing member 'value' (operator `{}` compares with a value)", op));
    return std::nullopt;
  }
  if (j.contains("match")) return rqb_match(j, src, ir, tr, field, f);
  const Json value = j.contains("value") ? j["value"] : Json();
  std::string vsrc = json_path(src, "value");
  bool is_set = f && f->type == FieldType::Set;
  bool is_time = f && f->type == FieldType::Timestamp;
  // The negated operators mean what the builder's own JsonLogic export makes of them (`!=` is
  // `{"!=": …}`, notIn `{"!": {"in": …}}`): true for a client with no value. docs/interop.md.
  bool neg = op == "!=" || op == "notIn" || op == "notBetween" || op == "doesNotContain";
  std::string pos_ir = neg ? json_path(ir, "not") : ir;
  if (neg) tr.map(pos_ir, src);
  auto done = [&](Json node) { return neg ? negated(std::move(node)) : node; };
  if (op == "null" || op == "notNull") return Json{{"field", field}, {"op", op == "null" ? "is_null" : "is_not_null"}};
  if ((op == "contains" || op == "doesNotContain") && is_set) {
    // On a set, contains is membership (the builder's JsonLogic: {"in": [v, {"var": f}]}).
    tr.map(json_path(json_path(pos_ir, "values"), 0), vsrc);
    return done(Json{{"field", field}, {"op", "any"}, {"values", Json::array({tr.literal(value, vsrc, f)})}});
  }
  if (op == "in" || op == "notIn" || op == "=" || op == "!=") {
    Json list = op == "=" || op == "!=" ? Json::array({value}) : split_list(value);
    if (list.empty()) {
      tr.diags.json_error("E608", vsrc, fmt::format("'{}' needs at least one value", op));
      return std::nullopt;
    }
    if (is_time) {
      // A time is a range of seconds (a date its whole day): each value its own.
      Json terms = Json::array();
      for (size_t i = 0; i < list.size(); ++i) {
        std::string at = op == "=" || op == "!=" ? vsrc : element_path(value, vsrc, i);
        std::string term_ir = list.size() == 1 ? pos_ir : json_path(json_path(pos_ir, "or"), i);
        terms.push_back(comparison(field, "=", bounds_of(list[i], at, f, tr), term_ir, at, tr, f));
      }
      return done(terms.size() == 1 ? terms[0] : Json{{"or", std::move(terms)}});
    }
    Json values = Json::array();
    for (size_t i = 0; i < list.size(); ++i) {
      std::string at = op == "=" || op == "!=" ? vsrc : element_path(value, vsrc, i);
      values.push_back(tr.literal(list[i], at, f));
      tr.map(json_path(json_path(pos_ir, "values"), i), at);
    }
    tr.map(json_path(pos_ir, "values"), vsrc);
    return done(Json{{"field", field}, {"op", is_set ? "any" : "in"}, {"values", std::move(values)}});
  }
  if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    if (is_set) {
      tr.diags.json_error("E301", json_path(src, "operator"),
                          fmt::format("`{}` holds several values: ordering does not apply", field));
      return std::nullopt;
    }
    return comparison(field, op, bounds_of(value, vsrc, f, tr), ir, vsrc, tr, f);
  }
  if (op == "between" || op == "notBetween") {
    Json l = split_list(value);
    if (l.size() != 2) {
      tr.diags.json_error("E608", vsrc, fmt::format("'{}' needs two values, not {}", op, l.size()));
      return std::nullopt;
    }
    std::string lo_src = element_path(value, vsrc, 0), hi_src = element_path(value, vsrc, 1);
    std::string why;
    Json node = between(field, bounds_of(l[0], lo_src, f, tr), false, bounds_of(l[1], hi_src, f, tr), false, pos_ir,
                        lo_src, hi_src, tr, &why);
    return done(std::move(node));
  }
  tr.diags.json_error("E606", json_path(src, "operator"), fmt::format("operator '{}' has no meaning in seg", op),
                      "supported: =, !=, <, <=, >, >=, in, notIn, between, notBetween, null, notNull; contains and "
                      "doesNotContain on a set field; match modes on a set field");
  return std::nullopt;
}

// ---- JsonLogic ----
// and/or/!, ==/===/!=/!== (against null: null tests), < <= > >= (two arguments, or three for a
// between), in (a var in a list, or a literal in a set var), some/none over a set var with
// {"in": [{"var": ""}, [...]]} or {"==": [{"var": ""}, v]}. Meanings as json-logic-js gives
// them, nulls included, except ordering, where JavaScript reads null as 0 (docs/interop.md).

std::optional<std::string> var_name(const Json& j) {
  if (j.is_object() && j.size() == 1 && j.contains("var")) {
    const Json& v = j["var"];
    if (v.is_string()) return v.get<std::string>();
    // {"var": ["country"]}; a default ({"var": ["country", "DE"]}) is refused by
    // refuse_var_defaults before, never dropped.
    if (v.is_array() && v.size() == 1 && v[0].is_string()) return v[0].get<std::string>();
  }
  return std::nullopt;
}

// JsonLogic's {"var": [name, default]} gives the default only when the member is missing,
// not when it is null; a column store cannot tell the two apart, so the meaning cannot be
// kept. Refused with the path of each, never silently read without its default.
bool refuse_var_defaults(const Json& j, const std::string& src, Translation& tr, int depth = 0) {
  if (depth > tr.max_depth) return true;  // jl_node reports the depth (E406)
  bool ok = true;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string at = json_path(src, it.key());
      if (it.key() == "var" && it.value().is_array() && it.value().size() > 1) {
        std::string name = it.value()[0].is_string() ? it.value()[0].get<std::string>() : "field";
        tr.diags.json_error("E606", at,
                            "a default in {\"var\": [name, default]} is not supported: JsonLogic uses it when the "
                            "member is missing, which seg's data does not tell apart from null",
                            fmt::format("write the null case out: {{\"or\": [..., {{\"==\": [{{\"var\": \"{}\"}}, null]}}]}}",
                                        name));
        ok = false;
        continue;
      }
      ok = refuse_var_defaults(it.value(), at, tr, depth + 1) && ok;
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) ok = refuse_var_defaults(j[i], json_path(src, i), tr, depth + 1) && ok;
  }
  return ok;
}

// The element test of some/none: {"in": [{"var": ""}, [...]]} or {"==": [{"var": ""}, v]}.
// The values an element test of `some`/`none`/`all` names, each with its path: `in` a list,
// `==` one value, or an `or` of those (what react-querybuilder writes for a match subquery:
// one `==` rule per value; found refused by a review).
struct ElementValues {
  Json values = Json::array();
  std::vector<std::string> paths;  // of each value
  std::string list;                // the whole test: where the IR's list maps
};
bool add_element_values(const Json& pred, const std::string& src, ElementValues& out, bool top) {
  if (!pred.is_object() || pred.size() != 1) return false;
  std::string op = pred.begin().key();
  const Json& a = pred.begin().value();
  if (op == "or" && top && a.is_array() && !a.empty()) {
    for (size_t i = 0; i < a.size(); ++i)
      if (!add_element_values(a[i], json_path(json_path(src, op), i), out, false)) return false;
    return true;
  }
  if (!a.is_array() || a.size() != 2 || var_name(a[0]) != std::string("")) return false;
  std::string at = json_path(json_path(src, op), 1);
  if (op == "in" && a[1].is_array()) {
    for (size_t i = 0; i < a[1].size(); ++i) out.values.push_back(a[1][i]), out.paths.push_back(json_path(at, i));
    return true;
  }
  if ((op == "==" || op == "===") && (a[1].is_string() || a[1].is_number())) {
    out.values.push_back(a[1]), out.paths.push_back(at);
    return true;
  }
  return false;
}
std::optional<ElementValues> element_values(const Json& pred, const std::string& src) {
  ElementValues out;
  if (!add_element_values(pred, src, out, true)) return std::nullopt;
  const std::string op = pred.begin().key();
  out.list = op == "or" ? src : json_path(json_path(src, op), 1);
  return out;
}

std::optional<Json> jl_node(const Json& j, const std::string& src, const std::string& ir, Translation& tr) {
  Translation::Level level(tr);
  if (level.too_deep(src)) return std::nullopt;
  tr.map(ir, src);
  if (j.is_boolean()) return Json{{"const", j.get<bool>()}};
  if (!j.is_object() || j.size() != 1) {
    tr.diags.json_error("E603", src, "a JsonLogic rule is an object with one operator, e.g. {\"==\": [{\"var\": \"spot\"}, 12]}");
    return std::nullopt;
  }
  std::string op = j.begin().key();
  const Json& args = j.begin().value();
  std::string asrc = json_path(src, op);
  auto fail = [&](std::string msg, std::string help = "") -> std::optional<Json> {
    tr.diags.json_error("E606", asrc, std::move(msg), std::move(help));
    return std::nullopt;
  };
  if (op == "and" || op == "or") {
    if (!args.is_array() || args.empty()) return fail(fmt::format("'{}' takes a non-empty array", op));
    Json kids = Json::array();
    bool ok = true;
    for (size_t i = 0; i < args.size(); ++i) {
      auto k = jl_node(args[i], json_path(asrc, i), json_path(json_path(ir, op), i), tr);
      if (k) kids.push_back(std::move(*k));
      else ok = false;
    }
    if (!ok) return std::nullopt;
    if (op == "and")
      if (auto all = every_one_of(kids)) {
        // Each value's place is the place of the membership test it came from.
        for (size_t i = 0; i < kids.size(); ++i)
          tr.map(json_path(json_path(ir, "values"), i),
                 tr.source_path(json_path(json_path(json_path(json_path(ir, op), i), "values"), 0)));
        return all;
      }
    return Json{{op, std::move(kids)}};
  }
  if (op == "!") {
    // One argument, bare or in an array of one (a second one was blamed on the first: found by a review).
    if (args.is_array() && args.size() != 1) return fail("'!' takes one argument");
    const Json& inner = args.is_array() ? args[0] : args;
    auto k = jl_node(inner, args.is_array() ? json_path(asrc, 0) : asrc, json_path(ir, "not"), tr);
    if (!k) return std::nullopt;
    return negated(std::move(*k));
  }
  // A bare field as a condition is JavaScript truthiness of its value, as `!!` is (seg writes
  // `var` in comparisons, never alone): said so, not that `var` takes an array (it does not;
  // found by a review).
  if (op == "var")
    return fail("a field alone ({\"var\": ...}) is not a condition: it is JavaScript truthiness (false for null, 0 and \"\" alike)",
                "compare it: {\"==\": [{\"var\": \"b\"}, true]}, or test for a value: {\"!=\": [{\"var\": \"b\"}, null]}");
  if (!args.is_array()) return fail(fmt::format("'{}' takes an array of arguments", op));
  if (op == "some" || op == "all" || op == "none") {
    // {"some": [{"var": "tags"}, {"in": [{"var": ""}, ["VIP", "Top-up"]]}]}
    auto field = args.size() == 2 ? var_name(args[0]) : std::nullopt;
    auto elements = field ? element_values(args[1], json_path(asrc, 1)) : std::nullopt;
    if (!elements)
      return fail(fmt::format("'{}' is supported over a set field as {{\"{}\": [{{\"var\": \"tags\"}}, {{\"in\": [{{\"var\": \"\"}}, [...]]}}]}}", op, op));
    const Field* f = tr.field(*field);
    if (f && f->type != FieldType::Set)  // said in the document's words, at its place (it had no path)
      return fail(fmt::format("'{}' tests the values of a field with several; `{}` holds one", op, *field),
                  fmt::format("use {{\"in\": [{{\"var\": \"{}\"}}, [...]]}}", *field));
    if (op == "all" && f && f->type == FieldType::Set) {
      Json vals = elements->values;
      for (size_t i = 0; i < vals.size(); ++i) vals[i] = tr.literal(vals[i], elements->paths[i], f);
      if (auto sub = subset_of(*field, vals, *f)) {
        tr.map_whole(ir, asrc);
        return sub;
      }
    }
    if (op == "all")
      return fail("JsonLogic's 'all' holds when every tag a client has is in the list (a subset test; false for none), "
                  "which seg cannot say over an open dictionary; seg's `tag all (…)` means the client has every one",
                  "for 'has every one of them': {\"and\": [{\"in\": [\"VIP\", {\"var\": \"tags\"}]}, …]}");
    Json vals = elements->values;
    for (size_t i = 0; i < vals.size(); ++i) {
      vals[i] = tr.literal(vals[i], elements->paths[i], f);
      tr.map(json_path(json_path(ir, "values"), i), elements->paths[i]);
    }
    tr.map(json_path(ir, "values"), elements->list);
    tr.map(json_path(ir, "field"), json_path(json_path(asrc, 0), "var"));
    return Json{{"field", *field}, {"op", op == "some" ? "any" : "none"}, {"values", std::move(vals)}};
  }
  if (op == "in") {
    if (args.size() != 2) return fail("'in' takes two arguments");
    if (auto f = var_name(args[0]); f && args[1].is_array()) {
      const Field* fd = tr.field(*f);
      std::string lsrc = json_path(asrc, 1);
      tr.map(json_path(ir, "field"), json_path(json_path(asrc, 0), "var"));
      if (fd && fd->type == FieldType::Timestamp) {
        Json terms = Json::array();
        for (size_t i = 0; i < args[1].size(); ++i) {
          std::string at = json_path(lsrc, i);
          terms.push_back(comparison(*f, "=", bounds_of(args[1][i], at, fd, tr), json_path(json_path(ir, "or"), i), at, tr, fd));
        }
        if (terms.size() == 1) return terms[0];
        return Json{{"or", std::move(terms)}};
      }
      Json vals = args[1];
      for (size_t i = 0; i < vals.size(); ++i) vals[i] = tr.literal(vals[i], json_path(lsrc, i), fd);
      bool is_set = fd && fd->type == FieldType::Set;
      tr.map(json_path(ir, "values"), lsrc);
      return Json{{"field", *f}, {"op", is_set ? "any" : "in"}, {"values", std::move(vals)}};
    }
    if (auto f = var_name(args[1]); f && !args[0].is_object()) {
      // json-logic-js reads `{"in": ["VI", {"var": "country"}]}` as a substring test of a
      // text: seg has none, and as a membership it holds only for a multi-valued field (the
      // IR's own error named an `any` nobody wrote; found by a review).
      if (const Field* fd = tr.field(*f); fd && fd->type != FieldType::Set)
        return fail(fmt::format("'in' with a value first tests a multi-valued field (a tag), and `{}` holds one value: "
                                "for one of several values write {{\"in\": [{{\"var\": \"{}\"}}, [...]]}}, for equality '=='",
                                *f, *f));
      tr.map(json_path(ir, "values"), asrc);
      tr.map(json_path(json_path(ir, "values"), 0), json_path(asrc, 0));
      return Json{{"field", *f}, {"op", "any"}, {"values", Json::array({tr.literal(args[0], json_path(asrc, 0), tr.field(*f))})}};
    }
    return fail("'in' is supported as {\"in\": [{\"var\": \"stage\"}, [...]]} or {\"in\": [\"VIP\", {\"var\": \"tags\"}]}");
  }
  bool eq = op == "==" || op == "===", ne = op == "!=" || op == "!==";
  bool ordering = op == "<" || op == "<=" || op == ">" || op == ">=";
  if (!eq && !ne && !ordering) {
    // Operators people reach for to mean "has a value" or "has none": JavaScript truthiness
    // and `missing` differ from a null test (0 and "" are falsy), so seg does not read them as
    // one; the help writes the test that is meant (a review found "did you mean '!='?").
    if (op == "!!" || op == "missing" || op == "missing_some")
      return fail(fmt::format("'{}' is not supported: {}", op,
                              op == "!!" ? "it is JavaScript truthiness (false for null, 0 and \"\" alike)"
                                         : "it lists missing members rather than testing a field"),
                  "for a field that has a value: {\"!=\": [{\"var\": \"country\"}, null]}; that has none: "
                  "{\"==\": [{\"var\": \"country\"}, null]}");
    auto near = nearest(op, {"==", "!=", "<=", ">=", "<", ">", "and", "or", "!", "in", "some", "none"}, 1);
    return fail(fmt::format("unknown or unsupported operator '{}'", op),
                near.empty() ? "" : fmt::format("did you mean '{}'?", near[0]));
  }
  if (ordering && args.size() == 3) {
    // {"<=": [lo, {"var": x}, hi]}: a between; {">": [hi, {"var": x}, lo]} the other way round.
    auto f = var_name(args[1]);
    if (!f) return fail("a three-argument comparison needs the variable in the middle");
    const Field* fd = tr.field(*f);
    bool down = op == ">" || op == ">=";
    bool strict = op == "<" || op == ">";
    std::string lo_src = json_path(asrc, down ? 2 : 0), hi_src = json_path(asrc, down ? 0 : 2);
    tr.map(json_path(ir, "field"), json_path(json_path(asrc, 1), "var"));
    std::string why;
    Json node = between(*f, bounds_of(args[down ? 2 : 0], lo_src, fd, tr), strict, bounds_of(args[down ? 0 : 2], hi_src, fd, tr),
                        strict, ir, lo_src, hi_src, tr, &why);
    if (node.is_null()) return fail(why, "use <= with the inclusive bounds");
    return node;
  }
  if (args.size() != 2) return fail(fmt::format("'{}' takes two arguments", op));
  bool var_left = var_name(args[0]).has_value();
  auto f = var_name(args[var_left ? 0 : 1]);
  if (!f) return fail(fmt::format("'{}' needs a {{\"var\": …}} on one side", op));
  const Field* fd = tr.field(*f);
  const Json& lit = args[var_left ? 1 : 0];
  std::string lsrc = json_path(asrc, var_left ? 1 : 0);
  tr.map(json_path(ir, "field"), json_path(json_path(asrc, var_left ? 0 : 1), "var"));
  if (lit.is_null()) {
    if (ordering) return fail("ordering against null has no meaning");
    return Json{{"field", *f}, {"op", eq ? "is_null" : "is_not_null"}};
  }
  Bounds b = bounds_of(lit, lsrc, fd, tr);
  // The IR's `op` is this node's operator: a problem with it (`==` on a set field) is said at
  // the operator's member, not at the rule's place or nowhere (found by a review).
  tr.map(json_path(ir, "op"), asrc);
  tr.map(json_path(json_path(ir, "not"), "op"), asrc);
  // != is json-logic-js's: true for a client with no value (null != "DE").
  if (ne) {
    tr.map(json_path(ir, "not"), src);
    return negated(comparison(*f, "=", b, json_path(ir, "not"), lsrc, tr, fd));
  }
  if (eq) return comparison(*f, "=", b, ir, lsrc, tr, fd);
  // Normalise to "var OP literal".
  std::string o = op;
  if (!var_left) o = op == "<" ? ">" : op == "<=" ? ">=" : op == ">" ? "<" : "<=";
  return comparison(*f, o, b, ir, lsrc, tr, fd);
}

}  // namespace

std::optional<ir::Node> import_rule(std::string_view text, ImportFormat format, const Schema& schema,
                                    Diagnostics& diags, const Limits& limits) {
  NumberTexts numbers;
  auto doc = parse_json(text, diags, limits, &numbers);
  if (!doc) return std::nullopt;
  Translation tr{diags, schema, numbers, limits.max_json_depth, {}};
  size_t before = diags.error_count();
  if (format == ImportFormat::JsonLogic && !refuse_var_defaults(*doc, "", tr)) return std::nullopt;
  // A JsonLogic document given as react-querybuilder's (the default) is said as that, once,
  // rather than as its members one by one (E605 for the operator, E604 for field, operator).
  if (format == ImportFormat::QueryBuilder && doc->is_object() && doc->size() == 1 && !doc->contains("rules") &&
      !doc->contains("field")) {
    static const char* const kLogic[] = {"and", "or", "!", "!!", "==", "===", "!=", "!==", "<", "<=", ">", ">=",
                                         "in", "some", "none", "all", "var", "missing", "if"};
    const std::string key = doc->begin().key();
    if (std::any_of(std::begin(kLogic), std::end(kLogic), [&](const char* k) { return key == k; })) {
      diags.json_error("E606", "", fmt::format("this looks like JsonLogic (one operator, '{}'), not react-querybuilder JSON", key),
                       "import it as JsonLogic: --from jsonlogic (the service: {\"jsonlogic\": …})");
      return std::nullopt;
    }
  }
  auto node = format == ImportFormat::QueryBuilder ? rqb_node(*doc, "", "/rule", tr) : jl_node(*doc, "", "/rule", tr);
  if (!node || diags.error_count() > before) return std::nullopt;
  Json ir_doc{{"version", kIrJsonVersion}, {"rule", std::move(*node)}};
  Diagnostics inner;
  auto ir = ir_from_json(ir_doc.dump(), schema, inner, limits);
  // Parts that can never match (or always do: an empty group) are said, as rule text says them.
  if (ir && !inner.has_errors()) report_constant_parts(*ir, schema, inner);
  for (auto& d : inner.list()) {
    const bool at_op = d.json_path.ends_with("/op");
    d.json_path = tr.source_path(d.json_path);
    // The IR's `op` is the builder's `operator` (react-querybuilder) or the JsonLogic node's one
    // key (the node itself), and the help speaks the builder's words.
    if (at_op && d.json_path.ends_with("/op")) {
      d.json_path.resize(d.json_path.size() - 3);
      if (format == ImportFormat::QueryBuilder) d.json_path += "/operator";
    }
    if (at_op && d.suggestion == "use op 'in'")
      d.suggestion = format == ImportFormat::QueryBuilder ? "use operator `in` or `=`" : "use `in` or `==`";
    // The IR's words for a set field's tests are the builder's own in JsonLogic.
    if (format == ImportFormat::JsonLogic)
      if (auto at = d.message.find("use op any, all or none"); at != std::string::npos)
        d.message.replace(at, std::string("use op any, all or none").size(),
                          "test it with some, all or none ({\"some\": [{\"var\": \"tags\"}, {\"in\": [{\"var\": \"\"}, [\"VIP\"]]}]})");
    // A value the document gives once may stand in several generated nodes: say it once.
    bool said = std::any_of(diags.list().begin(), diags.list().end(), [&](const Diagnostic& e) {
      return e.code == d.code && e.json_path == d.json_path && e.message == d.message;
    });
    if (!said) diags.list().push_back(d);
  }
  return ir;
}

}  // namespace seg
