// The CRM's segment form (title, stages, players, spot, tags) <-> IR, and the one-line summary
// of a segment's conditions for the segments table.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostics.hpp"
#include "compiler/ir.hpp"
#include "schema/schema.hpp"

namespace seg {

struct SegmentForm {
  std::string title;
  std::vector<std::string> stages;  // any of (stage keys or labels)
  std::vector<int64_t> players;     // optional
  std::optional<int64_t> spot;      // one
  std::vector<std::string> tags;    // the client has at least one
  bool operator==(const SegmentForm&) const = default;
};

// Reads the form's JSON ({"title", "stages", "players", "spot", "tags"}); errors have JSON paths.
std::optional<SegmentForm> form_from_json(std::string_view text, Diagnostics& diags);
std::string form_to_json(const SegmentForm& form, int indent = -1);

// `stage in (…) and tag any (…) and spot = S and player in (…)` without the empty sections,
// optimized. The schema must have the fields stage, tags, spot and player_id (the CRM schema).
// Origins name the form section (`stages`, …); a bad stage is reported at /stages/N.
std::optional<ir::Node> form_to_ir(const SegmentForm& form, const Schema& schema, Diagnostics& diags);

// The field a form's section fills ("stages", "tags", "spot", "players"): -1 when the schema
// has none, or `section` is not one.
int form_section_field(const Schema& schema, std::string_view section);

// The form for an IR that has its shape, in canonical order (stages in funnel order); otherwise
// nullopt, `why` names the part that does not fit and `at` (when given) gets that part's span
// in the rule text it came from (empty when it has none). The title is left empty.
std::optional<SegmentForm> ir_to_form(const ir::Node& root, const Schema& schema, std::string& why, Span* at = nullptr);

// `Stages: Not processed, Registration · Tags: any of REGISTERED · Spot: 12` (display labels);
// conditions that are not form sections are shown as rule text.
std::string summarize(const ir::Node& root, const Schema& schema);

}  // namespace seg
