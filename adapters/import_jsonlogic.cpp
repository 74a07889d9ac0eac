// JsonLogic -> IR JSON (import.cpp reads it on into the IR).
#include <fmt/format.h>

#include "adapters/import_common.hpp"
#include "compiler/ir_json.hpp"

namespace seg::import_detail {

namespace {

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

}  // namespace

// JsonLogic's {"var": [name, default]} gives the default only when the member is missing,
// not when it is null; a column store cannot tell the two apart, so the meaning cannot be
// kept. Refused with the path of each, never silently read without its default.
bool refuse_var_defaults(const Json& j, const std::string& src, Translation& tr, int depth) {
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

namespace {

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

// One JsonLogic node being read: its operator, its arguments and where it is, with a function
// for each family of operators.
struct JlOp {
  const std::string& op;
  const Json& args;
  const std::string& src;  // the node
  std::string asrc;        // its operator's member
  const std::string& ir;
  Translation& tr;

  std::optional<Json> fail(std::string msg, std::string help = "") const {
    tr.diags.json_error("E606", asrc, std::move(msg), std::move(help));
    return std::nullopt;
  }

  // and, or: a non-empty array of rules.
  std::optional<Json> and_or() const {
    if (!args.is_array() || args.empty()) return fail(fmt::format("'{}' takes a non-empty array", op));
    Json kids = Json::array();
    bool ok = true;
    for (size_t i = 0; i < args.size(); ++i) {
      auto k = jsonlogic_node(args[i], json_path(asrc, i), json_path(json_path(ir, op), i), tr);
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

  // !: one argument, bare or in an array of one.
  std::optional<Json> negation() const {
    // One argument, bare or in an array of one (a second one was blamed on the first: found by a review).
    if (args.is_array() && args.size() != 1) return fail("'!' takes one argument");
    const Json& inner = args.is_array() ? args[0] : args;
    auto k = jsonlogic_node(inner, args.is_array() ? json_path(asrc, 0) : asrc, json_path(ir, "not"), tr);
    if (!k) return std::nullopt;
    return negated(std::move(*k));
  }

  // some, all, none over a set field, with an element test.
  std::optional<Json> quantifier() const {
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

  // in: a field in a list, or a value in a set field.
  std::optional<Json> membership() const {
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

  // == === != !== < <= > >=: a field against a value (null: a null test), or between two.
  std::optional<Json> comparison_node() const {
    bool eq = op == "==" || op == "===", ne = op == "!=" || op == "!==";
    bool ordering = op == "<" || op == "<=" || op == ">" || op == ">=";
    if (!eq && !ne && !ordering) return unsupported();
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

  // What is not supported, said with what is meant instead.
  std::optional<Json> unsupported() const {
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
};

}  // namespace

std::optional<Json> jsonlogic_node(const Json& j, const std::string& src, const std::string& ir, Translation& tr) {
  Translation::Level level(tr);
  if (level.too_deep(src)) return std::nullopt;
  tr.map(ir, src);
  if (j.is_boolean()) return Json{{"const", j.get<bool>()}};
  if (!j.is_object() || j.size() != 1) {
    tr.diags.json_error("E603", src, "a JsonLogic rule is an object with one operator, e.g. {\"==\": [{\"var\": \"spot\"}, 12]}");
    return std::nullopt;
  }
  const std::string op = j.begin().key();
  const JlOp o{op, j.begin().value(), src, json_path(src, op), ir, tr};
  if (op == "and" || op == "or") return o.and_or();
  if (op == "!") return o.negation();
  // A bare field as a condition is JavaScript truthiness of its value, as `!!` is (seg writes
  // `var` in comparisons, never alone): said so, not that `var` takes an array (it does not;
  // found by a review).
  if (op == "var")
    return o.fail("a field alone ({\"var\": ...}) is not a condition: it is JavaScript truthiness (false for null, 0 and \"\" alike)",
                  "compare it: {\"==\": [{\"var\": \"b\"}, true]}, or test for a value: {\"!=\": [{\"var\": \"b\"}, null]}");
  if (!o.args.is_array()) return o.fail(fmt::format("'{}' takes an array of arguments", op));
  if (op == "some" || op == "all" || op == "none") return o.quantifier();
  if (op == "in") return o.membership();
  return o.comparison_node();
}

}  // namespace seg::import_detail
