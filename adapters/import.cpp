// react-querybuilder and JsonLogic -> IR JSON -> IR. The translation keeps a map from each
// generated IR path to the imported document's path so that every diagnostic of the IR reader
// names the place in the document the person (or their tool) wrote.
#include "adapters/import.hpp"

#include <fmt/format.h>

#include <map>
#include <sstream>

#include "compiler/ir_json.hpp"
#include "base/json_reader.hpp"

namespace seg {

namespace {

struct Translation {
  Diagnostics& diags;
  int max_depth;  // every node is at least one JSON level, so the JSON depth limit bounds this
  std::map<std::string, std::string> paths;  // IR JSON path -> source path
  int depth = 0;

  void map(const std::string& ir, const std::string& src) { paths[ir] = src; }
  // Rewrites an IR path to the source path of its longest mapped prefix.
  std::string source_path(const std::string& ir) const {
    std::string probe = ir;
    while (true) {
      auto it = paths.find(probe);
      if (it != paths.end()) return it->second + ir.substr(probe.size());
      size_t slash = probe.rfind('/');
      if (slash == std::string::npos || slash == 0) return ir;
      probe.resize(slash);
    }
  }
};

// ---- react-querybuilder ----
// {"combinator": "and"|"or", "not": bool, "rules": [rule | group]}
// rule: {"field": f, "operator": op, "value": v}; list values are arrays or comma-separated strings.

Json split_list(const Json& v) {
  if (v.is_array()) return v;
  if (v.is_string()) {
    Json out = Json::array();
    std::stringstream ss(v.get<std::string>());
    std::string item;
    while (std::getline(ss, item, ',')) {
      size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
      out.push_back(b == std::string::npos ? "" : item.substr(b, e - b + 1));
    }
    return out;
  }
  return Json::array({v});
}

// The builder sends numbers as strings ("12"); the IR reader wants them typed by the field.
Json typed(const Json& v, const Schema& s, const std::string& field) {
  int idx = s.find(field);
  if (idx < 0 || !v.is_string()) return v;
  const Field& f = s.fields[idx];
  const std::string& t = v.get<std::string>();
  if (f.type == FieldType::Int) {
    try {
      size_t used = 0;
      long long x = std::stoll(t, &used);
      if (used == t.size()) return x;
    } catch (...) {
    }
  }
  if (f.type == FieldType::Bool && (t == "true" || t == "false")) return t == "true";
  if (f.type == FieldType::Timestamp && t.size() == 10) return t + "T00:00:00Z";
  return v;
}

std::optional<Json> rqb_node(const Json& j, const std::string& src, const std::string& ir, Translation& tr,
                             const Schema& schema) {
  if (++tr.depth > tr.max_depth) {
    tr.diags.json_error("E406", src, fmt::format("the document nests deeper than {} levels", tr.max_depth));
    return std::nullopt;
  }
  tr.map(ir, src);
  if (!j.is_object()) {
    tr.diags.json_error("E603", src, fmt::format("a rule or group must be an object, not {}", json_type_name(j)));
    return std::nullopt;
  }
  if (j.contains("rules")) {
    check_members(j, src, {"id", "combinator", "not", "rules"}, tr.diags);
    std::string comb = "and";
    if (auto c = member(j, src, "combinator", Json::value_t::string, false, tr.diags)) comb = c->get<std::string>();
    if (comb != "and" && comb != "or") {
      tr.diags.json_error("E606", json_path(src, "combinator"), fmt::format("unknown combinator '{}'", comb),
                          "use \"and\" or \"or\"");
      return std::nullopt;
    }
    bool neg = false;
    if (auto n = member(j, src, "not", Json::value_t::boolean, false, tr.diags)) neg = n->get<bool>();
    const Json* rules = member(j, src, "rules", Json::value_t::array, true, tr.diags);
    if (!rules) return std::nullopt;
    std::string inner_ir = neg ? json_path(ir, "not") : ir;
    Json kids = Json::array();
    bool ok = true;
    for (size_t i = 0; i < rules->size(); ++i) {
      auto k = rqb_node((*rules)[i], json_path(json_path(src, "rules"), i), json_path(json_path(inner_ir, comb), i), tr, schema);
      if (k) kids.push_back(std::move(*k));
      else ok = false;
    }
    if (!ok) return std::nullopt;
    // An empty group matches everyone under `and` and nobody under `or`, as the builder shows it.
    Json node = kids.empty() ? Json{{"const", comb == "and"}} : Json{{comb, std::move(kids)}};
    if (neg) {
      tr.map(inner_ir, src);
      return Json{{"not", std::move(node)}};
    }
    return node;
  }
  check_members(j, src, {"id", "field", "operator", "value", "valueSource"}, tr.diags);
  const Json* f = member(j, src, "field", Json::value_t::string, true, tr.diags);
  const Json* o = member(j, src, "operator", Json::value_t::string, true, tr.diags);
  if (!f || !o) return std::nullopt;
  std::string field = f->get<std::string>(), op = o->get<std::string>();
  int idx = schema.find(field);
  bool is_set = idx >= 0 && schema.fields[idx].type == FieldType::Set;
  // Every operator but null/notNull compares with a value: a rule without one is refused at
  // the rule (found by fuzzing: it was read as null, and the diagnostic named
  // `/value/0`, a path the document does not have).
  if (op != "null" && op != "notNull" && !j.contains("value")) {
    tr.diags.json_error("E604", src, fmt::format("missing member 'value' (operator `{}` compares with a value)", op));
    return std::nullopt;
  }
  Json value = j.contains("value") ? j["value"] : Json();
  std::string vsrc = json_path(src, "value");
  auto list = [&] {
    Json l = split_list(value);
    for (auto& x : l) x = typed(x, schema, field);
    return l;
  };
  Json node;
  node["field"] = field;
  static const std::map<std::string, std::string> cmp = {{"<", "max"}, {"<=", "max"}, {">", "min"}, {">=", "min"}};
  if (op == "null" || op == "notNull") {
    node["op"] = op == "null" ? "is_null" : "is_not_null";
  } else if (op == "in" || op == "notIn" || op == "=" || op == "!=") {
    bool neg = op == "notIn" || op == "!=";
    node["op"] = is_set ? (neg ? "none" : "any") : (neg ? "not_in" : "in");
    node["values"] = (op == "=" || op == "!=") ? Json::array({typed(value, schema, field)}) : list();
    tr.map(json_path(ir, "values"), vsrc);
    if (op == "=" || op == "!=") tr.map(json_path(json_path(ir, "values"), 0), vsrc);
    bool timestamp = idx >= 0 && schema.fields[idx].type == FieldType::Timestamp;
    if (timestamp && (op == "=" || op == "!=")) {
      node.erase("values");
      node["op"] = neg ? "not_range" : "range";
      node["min"] = typed(value, schema, field);
      node["max"] = typed(value, schema, field);
      tr.map(json_path(ir, "min"), vsrc);
      tr.map(json_path(ir, "max"), vsrc);
    }
  } else if (cmp.count(op)) {
    // Strict comparisons on integers step by one; elsewhere they are written as ranges of the
    // inclusive kind the IR has only when exact, so other types go through a not_range.
    node["op"] = "range";
    Json v = typed(value, schema, field);
    bool strict = op == "<" || op == ">";
    bool is_int = idx >= 0 && schema.fields[idx].type == FieldType::Int && v.is_number_integer();
    if (strict && is_int) {
      v = v.get<int64_t>() + (op == "<" ? -1 : 1);
    } else if (strict) {
      // x > v is "not null and not <= v"; x < v is "not null and not >= v".
      node["op"] = "not_range";
      node[op == ">" ? "max" : "min"] = v;
      tr.map(json_path(ir, op == ">" ? "max" : "min"), vsrc);
      return node;
    }
    node[cmp.at(op)] = v;
    tr.map(json_path(ir, cmp.at(op)), vsrc);
  } else if (op == "between" || op == "notBetween") {
    Json l = list();
    if (l.size() != 2) {
      tr.diags.json_error("E608", vsrc, fmt::format("'{}' needs two values, not {}", op, l.size()));
      return std::nullopt;
    }
    node["op"] = op == "between" ? "range" : "not_range";
    node["min"] = l[0];
    node["max"] = l[1];
    tr.map(json_path(ir, "min"), value.is_array() ? json_path(vsrc, 0) : vsrc);
    tr.map(json_path(ir, "max"), value.is_array() ? json_path(vsrc, 1) : vsrc);
  } else {
    tr.diags.json_error("E606", json_path(src, "operator"), fmt::format("operator '{}' has no meaning in seg", op),
                        "supported: =, !=, <, <=, >, >=, in, notIn, between, notBetween, null, notNull");
    return std::nullopt;
  }
  return node;
}

// ---- JsonLogic ----
// and/or/!, ==/===/!=/!==, < <= > >= (two arguments, or three for a between), in (a var in a
// list, or a literal in a set var), some/all/none over a set var with {"in": [{"var": ""}, [...]]},
// and comparisons with null for null tests.

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

std::optional<Json> jl_node(const Json& j, const std::string& src, const std::string& ir, Translation& tr,
                            const Schema& schema) {
  if (++tr.depth > tr.max_depth) {
    tr.diags.json_error("E406", src, fmt::format("the document nests deeper than {} levels", tr.max_depth));
    return std::nullopt;
  }
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
      auto k = jl_node(args[i], json_path(asrc, i), json_path(json_path(ir, op), i), tr, schema);
      if (k) kids.push_back(std::move(*k));
      else ok = false;
    }
    if (!ok) return std::nullopt;
    return Json{{op, std::move(kids)}};
  }
  if (op == "!") {
    const Json& inner = args.is_array() && args.size() == 1 ? args[0] : args;
    auto k = jl_node(inner, args.is_array() ? json_path(asrc, 0) : asrc, json_path(ir, "not"), tr, schema);
    if (!k) return std::nullopt;
    return Json{{"not", std::move(*k)}};
  }
  if (!args.is_array()) return fail(fmt::format("'{}' takes an array of arguments", op));
  if (op == "some" || op == "all" || op == "none") {
    // {"some": [{"var": "tags"}, {"in": [{"var": ""}, ["VIP", "Top-up"]]}]}
    auto field = args.size() == 2 ? var_name(args[0]) : std::nullopt;
    const Json* pred = args.size() == 2 ? &args[1] : nullptr;
    bool shape = field && pred->is_object() && pred->contains("in") && (*pred)["in"].is_array() &&
                 (*pred)["in"].size() == 2 && var_name((*pred)["in"][0]) == std::string("") && (*pred)["in"][1].is_array();
    if (!shape)
      return fail(fmt::format("'{}' is supported over a set field as {{\"{}\": [{{\"var\": \"tags\"}}, {{\"in\": [{{\"var\": \"\"}}, [...]]}}]}}", op, op));
    Json node{{"field", *field}, {"op", op == "some" ? "any" : op}, {"values", (*pred)["in"][1]}};
    tr.map(json_path(ir, "values"), json_path(json_path(json_path(asrc, 1), "in"), 1));
    tr.map(json_path(ir, "field"), json_path(json_path(asrc, 0), "var"));
    return node;
  }
  if (op == "in") {
    if (args.size() != 2) return fail("'in' takes two arguments");
    if (auto f = var_name(args[0]); f && args[1].is_array()) {
      Json vals = args[1];
      for (auto& v : vals) v = typed(v, schema, *f);
      int idx = schema.find(*f);
      bool is_set = idx >= 0 && schema.fields[idx].type == FieldType::Set;
      tr.map(json_path(ir, "values"), json_path(asrc, 1));
      tr.map(json_path(ir, "field"), json_path(json_path(asrc, 0), "var"));
      return Json{{"field", *f}, {"op", is_set ? "any" : "in"}, {"values", std::move(vals)}};
    }
    if (auto f = var_name(args[1]); f && !args[0].is_object()) {
      tr.map(json_path(ir, "values"), asrc);
      tr.map(json_path(json_path(ir, "values"), 0), json_path(asrc, 0));
      return Json{{"field", *f}, {"op", "any"}, {"values", Json::array({args[0]})}};
    }
    return fail("'in' is supported as {\"in\": [{\"var\": \"stage\"}, [...]]} or {\"in\": [\"VIP\", {\"var\": \"tags\"}]}");
  }
  bool eq = op == "==" || op == "===", ne = op == "!=" || op == "!==";
  bool ordering = op == "<" || op == "<=" || op == ">" || op == ">=";
  if (!eq && !ne && !ordering) {
    auto near = nearest(op, {"==", "!=", "<=", ">=", "<", ">", "and", "or", "!", "in", "some", "all", "none"}, 1);
    return fail(fmt::format("unknown or unsupported operator '{}'", op),
                near.empty() ? "" : fmt::format("did you mean '{}'?", near[0]));
  }
  if (ordering && args.size() == 3) {
    // {"<=": [lo, {"var": x}, hi]}: a between (strict forms only on integers).
    auto f = var_name(args[1]);
    if (!f) return fail("a three-argument comparison needs the variable in the middle");
    // a < x < b (or a > x > b): the smaller end is the first argument for < and <=.
    bool down = op == ">" || op == ">=";
    Json lo = typed(args[down ? 2 : 0], schema, *f), hi = typed(args[down ? 0 : 2], schema, *f);
    if (op == "<" || op == ">") {
      if (!lo.is_number_integer() || !hi.is_number_integer())
        return fail("a strict three-argument comparison is supported on integers only", "use <= with the inclusive bounds");
      lo = lo.get<int64_t>() + 1;
      hi = hi.get<int64_t>() - 1;
    }
    tr.map(json_path(ir, "min"), json_path(asrc, down ? 2 : 0));
    tr.map(json_path(ir, "max"), json_path(asrc, down ? 0 : 2));
    return Json{{"field", *f}, {"op", "range"}, {"min", lo}, {"max", hi}};
  }
  if (args.size() != 2) return fail(fmt::format("'{}' takes two arguments", op));
  bool var_left = var_name(args[0]).has_value();
  auto f = var_name(args[var_left ? 0 : 1]);
  if (!f) return fail(fmt::format("'{}' needs a {{\"var\": …}} on one side", op));
  const Json& lit = args[var_left ? 1 : 0];
  std::string lsrc = json_path(asrc, var_left ? 1 : 0);
  tr.map(json_path(ir, "field"), json_path(json_path(asrc, var_left ? 0 : 1), "var"));
  if (lit.is_null()) {
    if (ordering) return fail("ordering against null has no meaning");
    return Json{{"field", *f}, {"op", eq ? "is_null" : "is_not_null"}};
  }
  Json v = typed(lit, schema, *f);
  int idx = schema.find(*f);
  bool is_ts = idx >= 0 && schema.fields[idx].type == FieldType::Timestamp;
  if (eq || ne) {
    if (is_ts) {
      tr.map(json_path(ir, "min"), lsrc);
      tr.map(json_path(ir, "max"), lsrc);
      return Json{{"field", *f}, {"op", eq ? "range" : "not_range"}, {"min", v}, {"max", v}};
    }
    tr.map(json_path(json_path(ir, "values"), 0), lsrc);
    return Json{{"field", *f}, {"op", eq ? "in" : "not_in"}, {"values", Json::array({v})}};
  }
  // Normalise to "var OP literal".
  std::string o = op;
  if (!var_left) o = op == "<" ? ">" : op == "<=" ? ">=" : op == ">" ? "<" : "<=";
  bool strict = o == "<" || o == ">";
  bool upper = o == "<" || o == "<=";
  if (strict && v.is_number_integer()) {
    v = v.get<int64_t>() + (upper ? -1 : 1);
    strict = false;
  }
  std::string side = strict ? (upper ? "min" : "max") : (upper ? "max" : "min");
  tr.map(json_path(ir, side), lsrc);
  return Json{{"field", *f}, {"op", strict ? "not_range" : "range"}, {side, v}};
}

}  // namespace

std::optional<ir::Node> import_rule(std::string_view text, ImportFormat format, const Schema& schema,
                                    Diagnostics& diags, const Limits& limits) {
  auto doc = parse_json(text, diags, limits);
  if (!doc) return std::nullopt;
  Translation tr{diags, limits.max_json_depth};
  size_t before = diags.error_count();
  if (format == ImportFormat::JsonLogic && !refuse_var_defaults(*doc, "", tr)) return std::nullopt;
  auto node = format == ImportFormat::QueryBuilder ? rqb_node(*doc, "", "/rule", tr, schema)
                                                   : jl_node(*doc, "", "/rule", tr, schema);
  if (!node || diags.error_count() > before) return std::nullopt;
  Json ir_doc{{"version", kIrJsonVersion}, {"rule", std::move(*node)}};
  Diagnostics inner;
  auto ir = ir_from_json(ir_doc.dump(), schema, inner, limits);
  for (auto& d : inner.list()) {
    d.json_path = tr.source_path(d.json_path);
    diags.list().push_back(d);
  }
  return ir;
}

}  // namespace seg
