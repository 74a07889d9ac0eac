// react-querybuilder's JSON -> IR JSON (import.cpp reads it on into the IR).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "adapters/import_common.hpp"
#include "base/text_util.hpp"
#include "compiler/ir_json.hpp"

namespace seg::import_detail {

namespace {

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
    if (auto k = querybuilder_node(r, at, kid_ir, tr)) {
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

}  // namespace

std::optional<Json> querybuilder_node(const Json& j, const std::string& src, const std::string& ir, Translation& tr) {
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

}  // namespace seg::import_detail
