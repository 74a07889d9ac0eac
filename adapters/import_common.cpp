// The comparisons both importers make, as IR JSON nodes (see import_common.hpp).
#include "adapters/import_common.hpp"

#include "base/time_util.hpp"
#include "compiler/ir_json.hpp"
#include "compiler/value_text.hpp"

namespace seg::import_detail {

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

}  // namespace

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

}  // namespace seg::import_detail
