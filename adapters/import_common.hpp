// What the two importers (import_querybuilder.cpp, import_jsonlogic.cpp) share: the
// translation state that maps each generated IR path to the document's path, and the
// comparisons both builders make, as IR JSON nodes. Private to adapters/.
#pragma once
#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <string>

#include "base/diagnostics.hpp"
#include "base/json_reader.hpp"
#include "base/numbers.hpp"
#include "schema/schema.hpp"

namespace seg::import_detail {

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
Bounds bounds_of(const Json& raw, const std::string& src, const Field* f, const Translation& tr);
Json negated(Json node);
// An and of one-value memberships of one set field is how both builders say "has every one of
// them" (their own `all` is a subset test): read as seg's `all`.
std::optional<Json> every_one_of(const Json& kids);
// `x op v` for op one of = < <= > >= on a single-valued field.
Json comparison(const std::string& field, const std::string& op, const Bounds& b, const std::string& ir,
                const std::string& vsrc, Translation& tr, const Field* f);
// `lo <= x <= hi`, each end inclusive or strict; null with `refusal` said when it cannot be.
Json between(const std::string& field, const Bounds& lo, bool lo_strict, const Bounds& hi, bool hi_strict,
             const std::string& ir, const std::string& lo_src, const std::string& hi_src, Translation& tr,
             std::string* refusal);
// Every value the client holds is one of `values`, and it holds one (both builders' `all`);
// nullopt over an open dictionary, which has no complement.
std::optional<Json> subset_of(const std::string& field, const Json& values, const Field& f);

// The two builders' documents, read into IR JSON under `ir` (errors said at `src`).
std::optional<Json> querybuilder_node(const Json& j, const std::string& src, const std::string& ir, Translation& tr);
std::optional<Json> jsonlogic_node(const Json& j, const std::string& src, const std::string& ir, Translation& tr);
// JsonLogic's {"var": [name, default]}, refused with the path of each (import_jsonlogic.cpp).
bool refuse_var_defaults(const Json& j, const std::string& src, Translation& tr, int depth = 0);

}  // namespace seg::import_detail
