// Fixed random rows over the bundled CRM schema: the fuzz targets check that the optimizer
// never changes what a rule selects by running both IRs through the reference evaluator.
#pragma once
#include <vector>

#include "schema/schema.hpp"
#include "tests/support/random_ir.hpp"
#include "tests/support/reference_eval.hpp"

namespace seg::fuzz {

inline constexpr int64_t kCrmNow = 1790000000;  // 2026-09-21, within the data's timestamps

inline const std::vector<testing::RefRow>& crm_rows() {
  static const std::vector<testing::RefRow> rows = [] {
    const Schema& s = crm_schema();
    testing::Rng g(20240601);
    std::vector<testing::RefRow> out;
    for (int r = 0; r < 48; ++r) {
      testing::RefRow row(s.fields.size());
      for (size_t i = 0; i < s.fields.size(); ++i) {
        const Field& f = s.fields[i];
        testing::RefCell& c = row[i];
        c.null = f.nullable && g.chance(0.15);
        if (c.null) continue;
        switch (f.type) {
          case FieldType::Int:
            c.num = g.chance(0.3) ? 1000000 + g.between(0, 200) : g.between(-3, 40);
            break;
          case FieldType::Decimal: c.num = g.chance(0.2) ? 0 : g.between(-6000, 120000); break;
          case FieldType::Timestamp:
            c.num = g.chance(0.3) ? kCrmNow + g.between(-3000000, 3000000) : g.between(1704067200, 1798761600);
            break;
          case FieldType::Bool: c.num = g.chance(0.5); break;
          case FieldType::Enum: c.text = f.dict[static_cast<uint32_t>(g.below(f.dict.size()))].key; break;
          case FieldType::Set:
            for (int k = 0, n = static_cast<int>(g.below(4)); k < n; ++k)
              c.tags.push_back(f.dict[static_cast<uint32_t>(g.chance(0.7) ? g.below(8) : g.below(f.dict.size()))].key);
            if (g.chance(0.05)) c.tags.push_back("Brand new");
            break;
          case FieldType::String: c.text = g.chance(0.5) ? "alpha" : "beta"; break;
        }
      }
      out.push_back(std::move(row));
    }
    return out;
  }();
  return rows;
}

// Index of the first row where the two rules disagree, or -1.
inline int first_disagreement(const ir::Node& a, const ir::Node& b, const Schema& schema) {
  const auto& rows = crm_rows();
  for (size_t r = 0; r < rows.size(); ++r)
    if (testing::ref_matches(a, schema, rows[r], kCrmNow) != testing::ref_matches(b, schema, rows[r], kCrmNow))
      return static_cast<int>(r);
  return -1;
}

}  // namespace seg::fuzz
