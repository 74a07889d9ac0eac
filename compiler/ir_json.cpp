// IR JSON writer and strict reader with JSON-path diagnostics.
#include "compiler/ir_json.hpp"

#include <fmt/format.h>

#include <cmath>

#include "compiler/check.hpp"
#include "base/json_reader.hpp"
#include "base/text_util.hpp"
#include "base/time_util.hpp"
#include "compiler/value_text.hpp"

namespace seg {

using OJson = nlohmann::ordered_json;
using ir::Kind;
using ir::Node;

namespace {

OJson value_json(const Field& f, int64_t v) {
  switch (f.type) {
    case FieldType::Int: return v;
    case FieldType::Decimal: return decimal_text(v, f.scale);
    case FieldType::Timestamp: return format_timestamp(v);
    case FieldType::Bool: return v != 0;
    case FieldType::Enum:
    case FieldType::Set: return f.dict[static_cast<uint32_t>(v)].key;
    case FieldType::String: break;
  }
  return nullptr;
}

OJson bound_json(const Field& f, ir::Bound b) {
  if (b.now_relative) return OJson{{"now", b.value}};
  return value_json(f, b.value);
}

const char* op_name(const Node& n) {
  switch (n.kind) {
    case Kind::In: return n.negated ? "not_in" : "in";
    case Kind::Range: return n.negated ? "not_range" : "range";
    case Kind::IsNull: return n.negated ? "is_not_null" : "is_null";
    case Kind::SetAny: return "any";
    case Kind::SetAll: return "all";
    case Kind::SetNone: return "none";
    case Kind::Const:
    case Kind::And:
    case Kind::Or:
    case Kind::Not: break;  // structure, not an op
  }
  return "?";
}

OJson node_json(const Node& n, const Schema& s) {
  switch (n.kind) {
    case Kind::Const: return OJson{{"const", n.value}};
    case Kind::And:
    case Kind::Or: {
      // An empty and/or (IR built in code; the passes fold them) is written as the constant it
      // is: the schema and the reader take only non-empty lists (E608).
      if (n.children.empty()) return OJson{{"const", n.kind == Kind::And}};
      OJson arr = OJson::array();
      for (const auto& c : n.children) arr.push_back(node_json(c, s));
      return OJson{{n.kind == Kind::And ? "and" : "or", std::move(arr)}};
    }
    case Kind::Not: return OJson{{"not", node_json(n.children.at(0), s)}};
    case Kind::In:
    case Kind::Range:
    case Kind::IsNull:
    case Kind::SetAny:
    case Kind::SetAll:
    case Kind::SetNone: break;
  }
  const Field& f = s.fields.at(n.field);
  OJson j;
  j["field"] = f.name;
  j["op"] = op_name(n);
  if (n.kind == Kind::Range) {
    ir::Bound lo = n.lo, hi = n.hi;
    if (f.type == FieldType::Enum) {
      // No key to write for a code off the dictionary (value_text.hpp): a range holding none
      // of its codes is no value, and one open at both ends (which the writer names with the
      // largest int64 on other types) is any value.
      auto on = enum_range_on_dictionary(f, lo, hi);
      const bool any = on && !on->lo.now_relative && on->lo.value == ir::kMin && !on->hi.now_relative && on->hi.value == ir::kMax;
      if (!on || any) {
        if (n.negated == !on) return OJson{{"field", f.name}, {"op", "is_not_null"}};
        return OJson{{"const", false}};
      }
      lo = on->lo;
      hi = on->hi;
    }
    const bool open_below = !lo.now_relative && lo.value == ir::kMin, open_above = !hi.now_relative && hi.value == ir::kMax;
    if (!open_below) j["min"] = bound_json(f, lo);
    // Open at both ends (a document's `max` of the largest int64 is no bound in the IR), it
    // still names that `max`: a range without either is E604, so the document did not read
    // back (seg_fuzz_ir_json).
    if (!open_above || open_below) j["max"] = bound_json(f, hi);
  } else if (n.kind != Kind::IsNull) {
    OJson vals = OJson::array();
    for (int64_t v : n.values.codes) vals.push_back(value_json(f, v));
    for (const auto& v : n.values.names) vals.push_back(v);
    for (const auto& v : n.values.unknown) vals.push_back(v);
    j["values"] = std::move(vals);
  }
  return j;
}

class Reader {
 public:
  Reader(const Schema& s, Diagnostics& d, const Limits& l) : schema_(s), diags_(d), limits_(l) {}

  std::optional<Node> node(const Json& j, const std::string& path) {
    if (++nodes_ > limits_.max_predicates * 2 + 16) {
      if (!too_many_) diags_.json_error("E403", path, fmt::format("the rule has more than {} nodes", limits_.max_predicates * 2 + 16));
      too_many_ = true;
      return std::nullopt;
    }
    if (!j.is_object()) {
      diags_.json_error("E603", path, fmt::format("a rule node must be an object, not {}", json_type_name(j)),
                        "for example {\"field\": \"spot\", \"op\": \"in\", \"values\": [12]}");
      return std::nullopt;
    }
    for (const char* k : {"and", "or", "not", "const"}) {
      if (!j.contains(k)) continue;
      if (j.size() != 1) {
        for (auto it = j.begin(); it != j.end(); ++it)
          if (it.key() != k)
            diags_.json_error("E605", json_path(path, it.key()),
                              fmt::format("a `{}` node has no member '{}'", k, it.key()), "");
        return std::nullopt;
      }
      return structural(k, j.at(k), json_path(path, k), path);
    }
    if (!j.contains("field") && !j.contains("op")) {
      std::string first = j.empty() ? "" : j.begin().key();
      auto near = nearest(first, {"and", "or", "not", "const", "field", "op"}, 1);
      diags_.json_error("E606", j.empty() ? path : json_path(path, first),
                        j.empty() ? "empty rule node" : fmt::format("unknown node kind '{}'", first),
                        near.empty() ? "a node is {\"and\": [...]}, {\"or\": [...]}, {\"not\": {...}}, {\"const\": true} "
                                       "or {\"field\": ..., \"op\": ..., ...}"
                                     : fmt::format("did you mean '{}'?", near[0]));
      return std::nullopt;
    }
    return predicate(j, path);
  }

 private:
  std::optional<Node> structural(std::string_view k, const Json& v, const std::string& vpath, const std::string& path) {
    Node n;
    n.origin.json_path = path;
    if (k == "const") {
      if (!v.is_boolean()) {
        diags_.json_error("E603", vpath, fmt::format("'const' must be a boolean, not {}", json_type_name(v)));
        return std::nullopt;
      }
      n.kind = Kind::Const;
      n.value = v.get<bool>();
      return n;
    }
    if (k == "not") {
      auto c = node(v, vpath);
      if (!c) return std::nullopt;
      return Node::negate(std::move(*c), n.origin);
    }
    if (!v.is_array()) {
      diags_.json_error("E603", vpath, fmt::format("'{}' must be an array of nodes, not {}", k, json_type_name(v)));
      return std::nullopt;
    }
    if (v.empty()) {
      diags_.json_error("E608", vpath, fmt::format("'{}' needs at least one node", k),
                        fmt::format("use {{\"const\": {}}} for a rule that is always {}", k == "and" ? "true" : "false",
                                    k == "and" ? "true" : "false"));
      return std::nullopt;
    }
    n.kind = k == "and" ? Kind::And : Kind::Or;
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
      auto c = node(v[i], json_path(vpath, i));
      if (c) n.children.push_back(std::move(*c));
      else ok = false;
    }
    if (!ok) return std::nullopt;
    return n;
  }

  std::optional<Node> predicate(const Json& j, const std::string& path) {
    check_members(j, path, {"field", "op", "values", "min", "max"}, diags_);
    const Json* fj = member(j, path, "field", Json::value_t::string, true, diags_);
    const Json* oj = member(j, path, "op", Json::value_t::string, true, diags_);
    if (!fj || !oj) return std::nullopt;
    std::string fname = fj->get<std::string>();
    int idx = schema_.find(fname);
    if (idx < 0) {
      auto near = nearest(fname, schema_.all_names(), 1);
      diags_.json_error("E201", json_path(path, "field"), fmt::format("unknown field `{}`", fname),
                        near.empty() ? "" : fmt::format("did you mean `{}`?", near[0]));
      return std::nullopt;
    }
    const Field& f = schema_.fields[idx];
    std::string op = oj->get<std::string>();
    Node n;
    n.field = idx;
    n.origin.json_path = path;
    static const std::vector<std::string> ops = {"in", "not_in", "range", "not_range", "is_null",
                                                 "is_not_null", "any", "all", "none"};
    if (std::find(ops.begin(), ops.end(), op) == ops.end()) {
      auto near = nearest(op, ops, 1);
      diags_.json_error("E606", json_path(path, "op"), fmt::format("unknown op '{}'", op),
                        near.empty() ? fmt::format("one of: {}", fmt::join(ops, ", "))
                                     : fmt::format("did you mean '{}'?", near[0]));
      return std::nullopt;
    }
    bool set_op = op == "any" || op == "all" || op == "none";
    bool is_set = f.type == FieldType::Set;
    if (set_op != is_set) {
      diags_.json_error("E301", json_path(path, "op"),
                        is_set ? fmt::format("`{}` holds several values: use op any, all or none", f.name)
                               : fmt::format("op '{}' applies only to multi-valued fields; `{}` holds one value", op, f.name),
                        is_set ? "" : "use op 'in'");
      return std::nullopt;
    }
    bool ranged = op == "range" || op == "not_range";
    if (ranged && !f.is_ordered() && f.type != FieldType::Bool) {
      diags_.json_error("E301", json_path(path, "op"), fmt::format("`{}` is not ordered: ranges do not apply", f.name),
                        "use op 'in'");
      return std::nullopt;
    }
    if (!ranged && f.type == FieldType::Timestamp && (op == "in" || op == "not_in")) {
      diags_.json_error("E301", json_path(path, "op"), "timestamps are compared with ranges",
                        "use op 'range' with min and max (a whole day is min YYYY-MM-DDT00:00:00Z, max …T23:59:59Z)");
      return std::nullopt;
    }
    bool wants_values = !ranged && op != "is_null" && op != "is_not_null";
    for (const char* k : {"values", "min", "max"}) {
      bool allowed = std::string_view(k) == "values" ? wants_values : ranged;
      if (j.contains(k) && !allowed)
        diags_.json_error("E605", json_path(path, k), fmt::format("op '{}' takes no '{}'", op, k));
    }
    if (op == "is_null" || op == "is_not_null") {
      n.kind = Kind::IsNull;
      n.negated = op == "is_not_null";
      return n;
    }
    if (ranged) {
      n.kind = Kind::Range;
      n.negated = op == "not_range";
      if (!j.contains("min") && !j.contains("max")) {
        diags_.json_error("E604", path, "a range needs 'min', 'max' or both");
        return std::nullopt;
      }
      bool ok = true;
      if (j.contains("min")) ok &= bound(f, j["min"], json_path(path, "min"), n.lo);
      if (j.contains("max")) ok &= bound(f, j["max"], json_path(path, "max"), n.hi);
      if (!ok) return std::nullopt;
      // Bounds the wrong way round, as rule text's `between 5 and 1` says it (W503): a builder's
      // `between [9, 7]` had only the constant part's W501 (a review).
      if (j.contains("min") && j.contains("max") && n.lo.now_relative == n.hi.now_relative && n.lo.value > n.hi.value)
        diags_.json_warning("W503", path,
                            n.negated ? "'min' is after 'max': the range is empty, so this holds for every value"
                                      : "'min' is after 'max': this range matches nobody",
                            "swap the two bounds");
      return n;
    }
    n.kind = op == "in" || op == "not_in" ? Kind::In : op == "any" ? Kind::SetAny : op == "all" ? Kind::SetAll : Kind::SetNone;
    n.negated = op == "not_in";
    const Json* vj = member(j, path, "values", Json::value_t::array, true, diags_);
    if (!vj) return std::nullopt;
    if (vj->empty()) {
      diags_.json_error("E608", json_path(path, "values"), "'values' needs at least one value");
      return std::nullopt;
    }
    if (vj->size() > limits_.max_list_values) {
      diags_.json_error("E404", json_path(path, "values"),
                        fmt::format("the list has more than {} values", limits_.max_list_values));
      return std::nullopt;
    }
    bool ok = true;
    for (size_t i = 0; i < vj->size(); ++i) ok &= list_value(f, (*vj)[i], json_path(json_path(path, "values"), i), n);
    if (!ok) return std::nullopt;
    n.values.normalize();
    return n;
  }

  bool type_error(const Field& f, const Json& v, const std::string& path, std::string_view want) {
    diags_.json_error("E302", path, fmt::format("`{}` takes {}, not {}", f.name, want, json_type_name(v)));
    return false;
  }

  // A scalar of the field's type; `out` is the resolved int64.
  bool scalar(const Field& f, const Json& v, const std::string& path, int64_t& out) {
    switch (f.type) {
      case FieldType::Int:
        // A whole number past 64 bits written with an exponent (1e30) is read as a double: it
        // is out of range, as 9223372036854775808 is, not of another type (found by a review).
        if (v.is_number_float() && std::isfinite(v.get<double>()) && std::trunc(v.get<double>()) == v.get<double>() &&
            std::fabs(v.get<double>()) >= 9223372036854775808.0) {
          diags_.json_error("E305", path, "the number does not fit in 64 bits");
          return false;
        }
        if (!v.is_number_integer()) return type_error(f, v, path, "integers");
        if (!is_int64(v)) {
          diags_.json_error("E305", path, "the number does not fit in 64 bits");
          return false;
        }
        out = v.get<int64_t>();
        return true;
      case FieldType::Decimal: {
        std::string text;
        if (v.is_string()) text = v.get<std::string>();
        else if (v.is_number_integer()) text = v.dump();
        else return type_error(f, v, path, "decimals written as strings (\"10.25\") or integers");
        switch (parse_decimal(text, f.scale, out)) {
          case DecimalError::None: return true;
          case DecimalError::Digits:
            diags_.json_error("E303", path, fmt::format("`{}` has {} digits after the point; \"{}\" has more", f.name, f.scale, text));
            return false;
          case DecimalError::Range: diags_.json_error("E305", path, "the number does not fit in 64 bits"); return false;
          case DecimalError::Syntax: diags_.json_error("E302", path, fmt::format("\"{}\" is not a decimal number", text)); return false;
        }
        return false;
      }
      case FieldType::Timestamp: {
        if (!v.is_string()) return type_error(f, v, path, "timestamps (\"2026-10-01T00:00:00Z\")");
        auto t = parse_timestamp(v.get<std::string>());
        if (!t || v.get<std::string>().size() <= 10) {
          diags_.json_error("E302", path, fmt::format("\"{}\" is not a timestamp", v.get<std::string>()),
                            "write YYYY-MM-DDTHH:MM:SSZ");
          return false;
        }
        out = *t;
        return true;
      }
      case FieldType::Bool:
        if (!v.is_boolean()) return type_error(f, v, path, "true or false");
        out = v.get<bool>();
        return true;
      case FieldType::Enum:
      case FieldType::Set: {
        if (!v.is_string()) return type_error(f, v, path, "dictionary keys (strings)");
        std::vector<uint32_t> cands;
        std::string key = v.get<std::string>();
        if (blank_name(key)) {  // no client holds one: as the checker says of rule text
          diags_.json_error("E202", path, blank_value_message(print_name(f), key),
                            "write its name, or remove the empty value");
          return false;
        }
        if (auto c = resolve_dictionary_value(f.dict, key, cands)) {
          out = *c;
          return true;
        }
        if (!cands.empty()) {
          std::vector<std::string> names;
          for (auto c : cands) names.push_back(f.dict[c].key);
          diags_.json_error("E203", path, fmt::format("\"{}\" matches several {} values: {}", key, f.name, fmt::join(names, ", ")));
          return false;
        }
        std::vector<std::string> keys;
        for (const auto& d : f.dict.values()) keys.push_back(d.key);
        auto near = nearest(key, keys, 3);
        std::string help = near.empty() ? "" : fmt::format("did you mean \"{}\"?", near[0]);
        if (f.dict.open) {
          diags_.json_warning("W204", path, fmt::format("no client has the {} \"{}\" yet: it matches nobody", print_name(f), key), help);
          out = -1;
          return true;
        }
        diags_.json_error("E202", path, fmt::format("unknown {} \"{}\"", f.name, key), help);
        return false;
      }
      case FieldType::String: break;
    }
    return false;
  }

  bool list_value(const Field& f, const Json& v, const std::string& path, Node& n) {
    // Rule text cannot hold a NUL (E106), and IR must print as rule text (found by QA).
    if (v.is_string() && v.get_ref<const std::string&>().find('\0') != std::string::npos) {
      diags_.json_error("E106", path, "a value with a NUL character cannot be written in a rule",
                        "remove the \\u0000");
      return false;
    }
    if (f.type == FieldType::String) {
      if (!v.is_string()) return type_error(f, v, path, "strings");
      n.values.names.push_back(v.get<std::string>());
      return true;
    }
    int64_t x;
    if (!scalar(f, v, path, x)) return false;
    if (f.is_dictionary() && x < 0) n.values.unknown.push_back(v.get<std::string>());
    else n.values.codes.push_back(x);
    return true;
  }

  bool bound(const Field& f, const Json& v, const std::string& path, ir::Bound& out) {
    if (v.is_object()) {
      if (f.type != FieldType::Timestamp) {
        diags_.json_error("E304", path, fmt::format("`now` applies only to timestamp fields; `{}` is not one", f.name));
        return false;
      }
      check_members(v, path, {"now"}, diags_);
      const Json* nj = member(v, path, "now", Json::value_t::number_integer, true, diags_);
      if (!nj) return false;
      if (nj->is_number_unsigned() ? nj->get<uint64_t>() > static_cast<uint64_t>(kMaxNowOffset)
                                   : (nj->get<int64_t>() > kMaxNowOffset || nj->get<int64_t>() < -kMaxNowOffset)) {
        // (Not llabs: llabs(INT64_MIN) overflows, and INT64_MIN got through; found by QA.)
        diags_.json_error("E109", json_path(path, "now"), "the offset from now is longer than 10000 years");
        return false;
      }
      out = ir::Bound{nj->get<int64_t>(), true};
      return true;
    }
    int64_t x;
    if (!scalar(f, v, path, x)) return false;
    if (f.is_dictionary() && x < 0) {
      diags_.json_error("E202", path, "a range bound must be a known value");
      return false;
    }
    out = ir::Bound{x, false};
    return true;
  }

  const Schema& schema_;
  Diagnostics& diags_;
  const Limits& limits_;
  size_t nodes_ = 0;
  bool too_many_ = false;
};

}  // namespace

std::string ir_to_json(const ir::Node& root, const Schema& schema, int indent) {
  OJson j;
  j["version"] = kIrJsonVersion;
  j["rule"] = node_json(root, schema);
  return j.dump(indent);
}

std::optional<ir::Node> ir_from_json(std::string_view text, const Schema& schema, Diagnostics& diags,
                                     const Limits& limits) {
  auto doc = parse_json(text, diags, limits);
  if (!doc) return std::nullopt;
  size_t before = diags.error_count();
  if (!doc->is_object()) {
    diags.json_error("E603", "", fmt::format("the document must be an object, not {}", json_type_name(*doc)),
                     "write {\"version\": 1, \"rule\": {...}}");
    return std::nullopt;
  }
  check_members(*doc, "", {"version", "rule"}, diags);
  const Json* v = member(*doc, "", "version", Json::value_t::number_integer, true, diags);
  if (v && (!v->is_number_integer() || v->get<int64_t>() != kIrJsonVersion)) {
    diags.json_error("E607", "/version", fmt::format("unsupported version {}; this seg reads version {}", v->dump(), kIrJsonVersion),
                     "export the rule again with a matching seg, or convert it");
    return std::nullopt;
  }
  auto it = doc->find("rule");
  if (it == doc->end()) {
    diags.json_error("E604", "", "missing member 'rule'");
    return std::nullopt;
  }
  auto node = Reader(schema, diags, limits).node(*it, "/rule");
  if (!node || diags.error_count() > before) return std::nullopt;
  // IR is written as rule text (seg fmt, the catalog): refuse what that text could not be.
  if (size_t depth = ir::printed_depth(*node, schema); depth > limits.max_depth) {
    diags.json_error("E402", "/rule",
                     fmt::format("as rule text this nests {} levels deep; the limit is {}", depth, limits.max_depth),
                     "split it into simpler conditions");
    return std::nullopt;
  }
  return node;
}

}  // namespace seg
