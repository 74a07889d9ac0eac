// The reference evaluator: the IR's meaning (docs/ir.md, compiler/ir.hpp) spelt out one row
// at a time with names and plain integers, as directly as it can be written.
#include "tests/support/reference_eval.hpp"

#include <algorithm>
#include <cstdlib>

namespace seg::testing {
namespace {

int64_t bound(const ir::Bound& b, int64_t now) {
  if (!b.now_relative) return b.value;
  // Saturating now + offset.
  if (b.value > 0 && now > ir::kMax - b.value) return ir::kMax;
  if (b.value < 0 && now < ir::kMin - b.value) return ir::kMin;
  return now + b.value;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Names a set/enum rule term stands for: its codes' keys plus the unknown names.
std::vector<std::string> names_of(const ir::Node& n, const Field& f) {
  std::vector<std::string> out;
  for (int64_t code : n.values.codes) out.push_back(f.dict[static_cast<uint32_t>(code)].key);
  for (const auto& u : n.values.unknown) out.push_back(u);
  return out;
}

}  // namespace

bool ref_matches(const ir::Node& n, const Schema& schema, const RefRow& row, int64_t now) {
  switch (n.kind) {
    case ir::Kind::Const: return n.value;
    case ir::Kind::And:
      for (const auto& c : n.children)
        if (!ref_matches(c, schema, row, now)) return false;
      return true;
    case ir::Kind::Or:
      for (const auto& c : n.children)
        if (ref_matches(c, schema, row, now)) return true;
      return false;
    case ir::Kind::Not: return !ref_matches(n.children.at(0), schema, row, now);
    case ir::Kind::In:
    case ir::Kind::Range:
    case ir::Kind::IsNull:
    case ir::Kind::SetAny:
    case ir::Kind::SetAll:
    case ir::Kind::SetNone: break;  // predicates, below (the oracle names every kind, as the engine must)
  }
  const Field& f = schema.fields.at(static_cast<size_t>(n.field));
  const RefCell& cell = row.at(static_cast<size_t>(n.field));
  if (f.type == FieldType::Set) {
    // A set is never null: `is null` means it is empty.
    std::vector<std::string> want = names_of(n, f);
    size_t have = 0;
    for (const auto& w : want) have += contains(cell.tags, w);
    switch (n.kind) {
      case ir::Kind::IsNull: return cell.tags.empty() != n.negated;
      case ir::Kind::SetAny: return have > 0;
      case ir::Kind::SetAll: return have == want.size();
      case ir::Kind::SetNone: return have == 0;
      case ir::Kind::In:
      case ir::Kind::Range: return false;  // scalar operators on a set: refused by the checker
      case ir::Kind::Const:
      case ir::Kind::And:
      case ir::Kind::Or:
      case ir::Kind::Not: break;
    }
    return false;
  }
  if (n.kind == ir::Kind::IsNull) return cell.null != n.negated;
  if (cell.null) return false;  // every comparison with a null is false, negated ones too
  bool hit = false;
  if (n.kind == ir::Kind::In) {
    if (f.type == FieldType::String) hit = contains(n.values.names, cell.text);
    else if (f.is_dictionary()) hit = contains(names_of(n, f), cell.text);
    else hit = std::find(n.values.codes.begin(), n.values.codes.end(), cell.num) != n.values.codes.end();
  } else if (n.kind == ir::Kind::Range) {
    int64_t v = cell.num;
    if (f.type == FieldType::Enum) {
      auto code = f.dict.find_key(cell.text);  // ordered enums: compare positions
      if (!code) return false;
      v = *code;
    }
    hit = bound(n.lo, now) <= v && v <= bound(n.hi, now);
  } else if (n.is_set_predicate()) {
    return false;  // set operators on a non-set field match nobody
  } else {
    std::abort();  // a kind the oracle does not know: it must not answer for it
  }
  return hit != n.negated;
}

std::vector<int64_t> ref_select(const ir::Node& rule, const RefTable& t, int64_t now) {
  std::vector<int64_t> ids;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (!ref_matches(rule, t.schema, t.rows[r], now)) continue;
    ids.push_back(t.schema.id_field >= 0 ? t.rows[r][static_cast<size_t>(t.schema.id_field)].num
                                         : static_cast<int64_t>(r + 1));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace seg::testing
