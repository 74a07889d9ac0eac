// IR -> react-querybuilder and IR -> JsonLogic. Both builders read a negation as true for a
// client with no value (JsonLogic's `!=` and `!`, and the querybuilder's `!=` and notIn, which
// its JsonLogic export writes as those), and JsonLogic's JavaScript reads a null in an
// ordering as 0 (so the querybuilder's notBetween, `!(a <= x <= b)` there, is not true for
// every null); seg's `!=`, `not in` and ranges are false on null. So on a
// nullable field those are written with an explicit "is not null" beside them, which the
// importers (and the optimizer) read back as the same IR.
#include "adapters/export.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/numbers.hpp"
#include "base/text_util.hpp"
#include "base/time_util.hpp"
#include "compiler/value_text.hpp"

namespace seg {

namespace {

using OJson = nlohmann::ordered_json;
using ir::Kind;
using ir::Node;

class Exporter {
 public:
  Exporter(const Schema& s, Diagnostics& d, const ExportOptions& o, ExportFormat f)
      : schema_(s), diags_(d), options_(o), format_(f) {}

  // A whole number as the builders' JavaScript reads it: a JSON number while a double holds
  // it exactly (|v| <= 2^53), a string past that (9007199254740993 read as a number is
  // ...992 there: another client); both importers read numbers given as strings.
  static OJson whole(int64_t v) {
    constexpr int64_t kExact = int64_t{1} << 53;
    if (v >= -kExact && v <= kExact) return v;
    return std::to_string(v);
  }

  OJson value(const Field& f, int64_t v) const {
    switch (f.type) {
      case FieldType::Int: return whole(v);
      case FieldType::Decimal: {
        // A JSON number, as the builders send decimals, when its shortest form reads back as
        // this decimal (every value of up to 15 digits, 1e-09 too: a string there never
        // equalled a number in the builders' `in`, found by a review); a string otherwise,
        // which both builders' importers here read exactly.
        int64_t unit = 1;
        for (int i = 0; i < f.scale; ++i) unit *= 10;
        if (v % unit == 0) return whole(v / unit);  // 100, not 100.0
        std::string text = decimal_text(v, f.scale);
        OJson number = std::strtod(text.c_str(), nullptr);
        int64_t back = 0;
        if (parse_decimal(plain_decimal(number.dump()), f.scale, back) == DecimalError::None && back == v) return number;
        return text;
      }
      case FieldType::Timestamp: return format_timestamp(v);
      case FieldType::Bool: return v != 0;
      case FieldType::Enum:
      case FieldType::Set: return f.dict[static_cast<uint32_t>(v)].key;
      case FieldType::String: break;
    }
    return nullptr;
  }

  // Where a `now` bound falls at this `now`: before every timestamp (0000-01-01), after every
  // one (9999-12-31), or between. Rules take offsets that reach past those years, where no
  // value is: such a bound is open on its side, or leaves nothing (it was refused, E620; found
  // by a review).
  enum class Past { No, Below, Above };
  Past past_the_years(const Field& f, ir::Bound b) const {
    if (!b.now_relative || !options_.now || f.type != FieldType::Timestamp) return Past::No;
    const int64_t now = *options_.now;
    const int64_t at = now > 0 && b.value > INT64_MAX - now   ? INT64_MAX
                       : now < 0 && b.value < INT64_MIN - now ? INT64_MIN
                                                              : now + b.value;
    return writable_second(at) ? Past::No : at < 0 ? Past::Below : Past::Above;
  }
  // A range's sides at this `now`: each open or bounded, and whether it leaves no value at all.
  struct Sides {
    bool lo_open = false, hi_open = false, empty = false;
  };
  Sides sides(const Field& f, const Node& n) const {
    const Past lo = past_the_years(f, n.lo), hi = past_the_years(f, n.hi);
    Sides s;
    s.lo_open = (!n.lo.now_relative && n.lo.value == ir::kMin) || lo == Past::Below;
    s.hi_open = (!n.hi.now_relative && n.hi.value == ir::kMax) || hi == Past::Above;
    s.empty = lo == Past::Above || hi == Past::Below;
    return s;
  }

  std::optional<OJson> bound(const Field& f, ir::Bound b, const Node& n) {
    if (!b.now_relative) return value(f, b.value);
    if (!options_.now) {
      refuse(n, fmt::format("{} has no clock: `now` cannot be said in it", target()),
             "export at a fixed time (--now, or the `now` of the call): the bound is then that time and no longer moves");
      return std::nullopt;
    }
    // At this `now` the bound may leave the years a timestamp is written in (0000-9999):
    // written anyway (`-7959-…`), the import refused its own export (found by a review).
    const int64_t at = *options_.now > 0 && b.value > INT64_MAX - *options_.now   ? INT64_MAX
                       : *options_.now < 0 && b.value < INT64_MIN - *options_.now ? INT64_MIN
                                                                                  : *options_.now + b.value;
    if (f.type == FieldType::Timestamp && !writable_second(at)) {
      refuse(n, "at this `now` the bound is outside the years 0000-9999, which a timestamp is written in",
             "export at another --now, or give the rule a bound inside those years");
      return std::nullopt;
    }
    return value(f, at);
  }

  OJson values(const Field& f, const Node& n) const {
    OJson out = OJson::array();
    for (int64_t v : n.values.codes) out.push_back(value(f, v));
    for (const auto& v : n.values.names) out.push_back(v);
    for (const auto& v : n.values.unknown) out.push_back(v);
    return out;
  }

  const char* target() const { return format_ == ExportFormat::JsonLogic ? "JsonLogic" : "react-querybuilder"; }

  void refuse(const Node& n, const std::string& why, const std::string& help) {
    // The part is named in canonical text, and its span (when it came from rule text) puts a
    // caret under it there.
    diags_.error("E620", n.origin.span, fmt::format("`{}`: {}", ir::print_rule(n, schema_), why), help);
  }

  // The children of an and/or as the builders say them best: under or, `x is null` beside
  // `x != v` is the builders' own negation (`{"!=": …}` holds for null), so the pair becomes
  // `not x = v`. Returns copies only where it rewrites.
  std::vector<Node> spoken(const Node& n) const {
    std::vector<Node> kids = n.children;
    if (n.kind != Kind::Or) return kids;
    for (size_t i = 0; i < kids.size(); ++i) {
      if (kids[i].kind != Kind::IsNull || kids[i].negated) continue;
      for (size_t j = 0; j < kids.size(); ++j) {
        const Node& p = kids[j];
        if (j == i || (p.kind != Kind::In && p.kind != Kind::Range) || !p.negated || p.field != kids[i].field) continue;
        Node positive = p;
        positive.negated = false;
        kids[j] = Node::negate(std::move(positive));
        kids.erase(kids.begin() + static_cast<long>(i));
        return kids;  // one is_null per field after optimization
      }
    }
    return kids;
  }

  // The exported children of an and/or; a child that comes back as the same junction (a
  // predicate written as an and, inside an and) is spliced in (`inner` finds its list).
  // nullopt when any child cannot be said.
  template <class One, class Inner>
  static std::optional<OJson> junction(const std::vector<Node>& children, One one, Inner inner) {
    OJson kids = OJson::array();
    bool ok = true;
    for (const auto& c : children) {
      std::optional<OJson> k = one(c);
      if (!k) {
        ok = false;
      } else if (OJson* list = inner(*k)) {
        for (auto& g : *list) kids.push_back(std::move(g));
      } else {
        kids.push_back(std::move(*k));
      }
    }
    if (!ok) return std::nullopt;
    return kids;
  }

  // ---- JsonLogic ----
  static OJson var(const Field& f) { return OJson{{"var", f.name}}; }
  static OJson jl(const char* op, OJson args) { return OJson{{op, std::move(args)}}; }
  static OJson not_null(const Field& f) { return jl("!=", OJson::array({var(f), nullptr})); }
  // `test` holds only for a value: on a nullable field, say so beside it.
  static OJson known(const Field& f, OJson test) {
    if (!f.nullable) return test;
    return jl("and", OJson::array({not_null(f), std::move(test)}));
  }

  std::optional<OJson> jsonlogic(const Node& n) {
    switch (n.kind) {
      case Kind::Const: {
        // A literal true/false is JsonLogic, but react-querybuilder's parseJsonLogic reads both
        // as an empty group: say it with the id, which is never null, when there is one.
        if (schema_.id_field < 0) return OJson(n.value);
        return jl(n.value ? "!=" : "==", OJson::array({var(schema_.fields.at(static_cast<size_t>(schema_.id_field))), nullptr}));
      }
      case Kind::And:
      case Kind::Or: {
        const char* op = n.kind == Kind::And ? "and" : "or";
        std::vector<Node> children = spoken(n);
        if (children.size() == 1) return jsonlogic(children[0]);
        auto kids = junction(
            children, [&](const Node& c) { return jsonlogic(c); },
            [&](OJson& k) { return k.is_object() && k.contains(op) ? &k[op] : nullptr; });
        if (!kids) return std::nullopt;
        return jl(op, std::move(*kids));
      }
      case Kind::Not: {
        const Node& c = n.children.at(0);
        if (c.kind == Kind::In && !c.negated && c.values.size() == 1) {
          // JsonLogic's != is this: true for a client with no value.
          const Field& f = schema_.fields.at(static_cast<size_t>(c.field));
          return jl("!=", OJson::array({var(f), values(f, c)[0]}));
        }
        auto k = jsonlogic(c);
        if (!k) return std::nullopt;
        return jl("!", std::move(*k));
      }
      case Kind::In:
      case Kind::Range:
      case Kind::IsNull:
      case Kind::SetAny:
      case Kind::SetAll:
      case Kind::SetNone: break;
    }
    const Field& f = schema_.fields.at(static_cast<size_t>(n.field));
    switch (n.kind) {
      case Kind::IsNull: return jl(n.negated ? "!=" : "==", OJson::array({var(f), nullptr}));
      case Kind::In: {
        OJson vs = values(f, n);
        OJson test = vs.size() == 1 ? jl("==", OJson::array({var(f), vs[0]})) : jl("in", OJson::array({var(f), vs}));
        // A list react-querybuilder's parseJsonLogic would change (see trims) is one `==` a value.
        if (vs.size() > 1 && std::any_of(vs.begin(), vs.end(), trims)) {
          OJson each = OJson::array();
          for (auto& v : vs) each.push_back(jl("==", OJson::array({var(f), std::move(v)})));
          test = jl("or", std::move(each));
        }
        return n.negated ? known(f, jl("!", std::move(test))) : test;
      }
      case Kind::Range: {
        const Sides side = sides(f, n);
        // No value in it: nobody, or (negated) every client with a value.
        if (side.empty) return n.negated ? not_null(f) : jsonlogic(Node::constant(false));
        std::optional<OJson> lo, hi;
        if (!side.lo_open && !(lo = bound(f, n.lo, n))) return std::nullopt;
        if (!side.hi_open && !(hi = bound(f, n.hi, n))) return std::nullopt;
        OJson test = lo && hi ? jl("<=", OJson::array({*lo, var(f), *hi}))
                     : lo     ? jl(">=", OJson::array({var(f), *lo}))
                     : hi     ? jl("<=", OJson::array({var(f), *hi}))
                              : not_null(f);
        return known(f, n.negated ? jl("!", std::move(test)) : std::move(test));
      }
      case Kind::SetAny:
      case Kind::SetNone:
        return jl(n.kind == Kind::SetAny ? "some" : "none",
                  OJson::array({var(f), jl("in", OJson::array({OJson{{"var", ""}}, values(f, n)}))}));
      case Kind::SetAll: {
        // JsonLogic's own `all` is a subset test; "has every one" is one membership per value.
        OJson each = OJson::array();
        for (auto& v : values(f, n)) each.push_back(jl("in", OJson::array({v, var(f)})));
        return each.size() == 1 ? each[0] : jl("and", std::move(each));
      }
      case Kind::Const:
      case Kind::And:
      case Kind::Or:
      case Kind::Not: break;
    }
    return std::nullopt;
  }

  // ---- react-querybuilder ----
  static OJson group(const char* combinator, OJson rules, bool negate = false) {
    OJson g{{"combinator", combinator}};
    if (negate) g["not"] = true;
    g["rules"] = std::move(rules);
    return g;
  }
  static OJson rule(const Field& f, const char* op, OJson value) {
    return OJson{{"field", f.name}, {"operator", op}, {"value", std::move(value)}};
  }
  static OJson known_rule(const Field& f, OJson test) {
    if (!f.nullable) return test;
    return group("and", OJson::array({rule(f, "notNull", nullptr), std::move(test)}));
  }
  // Whether a value cannot stand in a list as the builder's code handles lists, though it can
  // alone: react-querybuilder trims each value of a list (its formatQuery writes `["a ", "  "]`
  // as `["a", ""]`; found by a review), and its parseJsonLogic joins a list into one string
  // with commas, which drops an empty value and splits one holding a comma. So: empty, a comma,
  // or a first or last character that is a space of Unicode's (Zs), a line or tab break, or a
  // byte order mark.
  static bool trims(const OJson& v) {
    if (!v.is_string()) return false;
    const std::string& t = v.get_ref<const std::string&>();
    if (t.empty() || t.find(',') != std::string::npos) return true;
    auto space = [](uint32_t c) {
      return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
             c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
    };
    size_t first = 0, last = t.size() - 1;
    while (last > 0 && (static_cast<unsigned char>(t[last]) & 0xC0) == 0x80) --last;  // the last character's start
    return space(next_code_point(t, first)) || space(next_code_point(t, last));
  }
  // A list in the builder: `op` over all of them, or one `one` a value joined by `join` when
  // a value would be trimmed.
  static OJson list_rule(const Field& f, const char* op, const char* one, const char* join, OJson vs) {
    if (std::none_of(vs.begin(), vs.end(), trims)) return rule(f, op, std::move(vs));
    OJson each = OJson::array();
    for (auto& v : vs) each.push_back(rule(f, one, std::move(v)));
    return group(join, std::move(each));
  }

  // A set field's v7 match mode over `values`.
  static OJson match(const Field& f, const char* mode, OJson values) {
    OJson r{{"field", f.name}, {"operator", "="}, {"match", OJson{{"mode", mode}}}};
    r["value"] = group("and", OJson::array({OJson{{"field", ""}, {"operator", "in"}, {"value", std::move(values)}}}));
    return r;
  }

  std::optional<OJson> querybuilder(const Node& n) {
    switch (n.kind) {
      case Kind::Const: {
        // The builder's empty group means everyone to its UI and SQL but `false` to its
        // JsonLogic export: say it with the id, which is never null, when there is one.
        if (schema_.id_field < 0) return group(n.value ? "and" : "or", OJson::array());
        const Field& id = schema_.fields.at(static_cast<size_t>(schema_.id_field));
        return rule(id, n.value ? "notNull" : "null", nullptr);
      }
      case Kind::And:
      case Kind::Or: {
        const char* comb = n.kind == Kind::And ? "and" : "or";
        std::vector<Node> children = spoken(n);
        if (children.size() == 1) return querybuilder(children[0]);
        auto kids = junction(
            children, [&](const Node& c) { return querybuilder(c); },
            [&](OJson& k) { return k.contains("rules") && !k.contains("not") && k["combinator"] == comb ? &k["rules"] : nullptr; });
        if (!kids) return std::nullopt;
        return group(comb, std::move(*kids));
      }
      case Kind::Not: {
        const Node& c = n.children.at(0);
        if ((c.kind == Kind::In || c.kind == Kind::Range) && !c.negated) {
          // The builder's negated operators hold for a client with no value (its JsonLogic
          // export writes them as != and !), which is what `not` means here.
          const Field& f = schema_.fields.at(static_cast<size_t>(c.field));
          bool lo_open = !c.lo.now_relative && c.lo.value == ir::kMin, hi_open = !c.hi.now_relative && c.hi.value == ir::kMax;
          if (c.kind == Kind::In) {
            OJson vs = values(f, c);
            return vs.size() == 1 ? rule(f, "!=", vs[0]) : list_rule(f, "notIn", "!=", "and", std::move(vs));
          }
          // notBetween is not one of those: the builder's JsonLogic writes it `!(a <= x <= b)`,
          // where JavaScript reads a null as 0, and its SQL `NOT BETWEEN`, false on null; so
          // on a nullable field the clients with no value are said beside it (a review found
          // them dropped whenever 0 lay in the range).
          if (!lo_open && !hi_open && !c.lo.now_relative && !c.hi.now_relative) {
            OJson outside = rule(f, "notBetween", OJson::array({value(f, c.lo.value), value(f, c.hi.value)}));
            if (!f.nullable) return outside;
            return group("or", OJson::array({rule(f, "null", nullptr), std::move(outside)}));
          }
        }
        auto k = querybuilder(c);
        if (!k) return std::nullopt;
        if (k->contains("rules") && !k->contains("not"))
          return group((*k)["combinator"].get<std::string>().c_str(), std::move((*k)["rules"]), true);
        return group("and", OJson::array({std::move(*k)}), true);
      }
      case Kind::In:
      case Kind::Range:
      case Kind::IsNull:
      case Kind::SetAny:
      case Kind::SetAll:
      case Kind::SetNone: break;
    }
    const Field& f = schema_.fields.at(static_cast<size_t>(n.field));
    switch (n.kind) {
      case Kind::IsNull: return rule(f, n.negated ? "notNull" : "null", nullptr);
      case Kind::In: {
        OJson vs = values(f, n);
        if (vs.size() == 1) return n.negated ? known_rule(f, rule(f, "!=", vs[0])) : rule(f, "=", vs[0]);
        return n.negated ? known_rule(f, list_rule(f, "notIn", "!=", "and", std::move(vs)))
                         : list_rule(f, "in", "=", "or", std::move(vs));
      }
      case Kind::Range: {
        const Sides side = sides(f, n);
        if (side.empty) return n.negated ? rule(f, "notNull", nullptr) : querybuilder(Node::constant(false));
        // Every value in it (both sides past the years): every client with one, or (negated) nobody.
        if (side.lo_open && side.hi_open) return n.negated ? querybuilder(Node::constant(false)) : rule(f, "notNull", nullptr);
        std::optional<OJson> lo, hi;
        if (!side.lo_open && !(lo = bound(f, n.lo, n))) return std::nullopt;
        if (!side.hi_open && !(hi = bound(f, n.hi, n))) return std::nullopt;
        OJson test = lo && hi ? rule(f, n.negated ? "notBetween" : "between", OJson::array({*lo, *hi}))
                     : lo     ? rule(f, n.negated ? "<" : ">=", *lo)   // a negated half: the other, strict
                     : hi     ? rule(f, n.negated ? ">" : "<=", *hi)   // (left so only at the years' ends)
                              : rule(f, "notNull", nullptr);
        return known_rule(f, std::move(test));
      }
      case Kind::SetAny: return match(f, "some", values(f, n));
      case Kind::SetNone: return match(f, "none", values(f, n));
      case Kind::SetAll: {
        // The builder's `all` mode is a subset test; "has every one" is one `some` per value.
        OJson each = OJson::array();
        for (auto& v : values(f, n)) each.push_back(match(f, "some", OJson::array({v})));
        return group("and", std::move(each));
      }
      case Kind::Const:
      case Kind::And:
      case Kind::Or:
      case Kind::Not: break;
    }
    return std::nullopt;
  }

 private:
  const Schema& schema_;
  Diagnostics& diags_;
  const ExportOptions& options_;
  ExportFormat format_;
};

}  // namespace

std::optional<std::string> export_rule(const ir::Node& rule, ExportFormat format, const Schema& schema,
                                       Diagnostics& diags, const ExportOptions& options) {
  Exporter ex(schema, diags, options, format);
  std::optional<OJson> doc;
  if (format == ExportFormat::JsonLogic) {
    doc = ex.jsonlogic(rule);
  } else {
    doc = ex.querybuilder(rule);
    // The builder's query is always a group.
    if (doc && !doc->contains("rules")) doc = OJson{{"combinator", "and"}, {"rules", OJson::array({std::move(*doc)})}};
  }
  if (!doc) return std::nullopt;
  return doc->dump(options.indent);
}

}  // namespace seg
