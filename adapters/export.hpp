// Exporters to other rule builders' JSON: IR -> react-querybuilder rule groups and IR ->
// JsonLogic, so a segment written as text opens in the builder. Each keeps seg's meaning,
// nulls included, under the builder's own reading (docs/interop.md has both tables); what a
// target cannot say is an error naming the part (E620), never an approximation.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "base/diagnostics.hpp"
#include "compiler/ir.hpp"
#include "schema/schema.hpp"

namespace seg {

enum class ExportFormat { QueryBuilder, JsonLogic };

struct ExportOptions {
  // Neither builder has a clock: a `now ± d` bound is exported at this time (seconds since the
  // epoch) when given, and refused (E620) otherwise.
  std::optional<int64_t> now;
  int indent = -1;  // JSON indentation; -1 for one line
};

// The document for `rule` (optimized IR); nullopt with E620 diagnostics when a part cannot be
// said in the target.
std::optional<std::string> export_rule(const ir::Node& rule, ExportFormat format, const Schema& schema,
                                       Diagnostics& diags, const ExportOptions& options = {});

}  // namespace seg
