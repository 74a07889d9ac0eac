// IR <-> JSON (version 1, docs/ir.schema.json): what the form UI sends and a segment catalog stores.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "base/diagnostics.hpp"
#include "compiler/ir.hpp"
#include "base/limits.hpp"
#include "schema/schema.hpp"

namespace seg {

inline constexpr int kIrJsonVersion = 1;

// {"version": 1, "rule": NODE}; `indent` < 0 gives one line.
std::string ir_to_json(const ir::Node& root, const Schema& schema, int indent = -1);

// Strict reader: every problem is a diagnostic with its JSON path (E6xx for the document's
// shape; the rule codes E201/E202/E203/E302/E303/E305 for fields and values; W204 for a
// value an open dictionary does not know). Returns nullopt when there is an error.
std::optional<ir::Node> ir_from_json(std::string_view text, const Schema& schema, Diagnostics& diags,
                                     const Limits& limits = {});

}  // namespace seg
