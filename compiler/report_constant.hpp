// Warnings for rules, or parts of rules, that can never match (W501) or always match (W502).
#pragma once
#include "base/diagnostics.hpp"
#include "compiler/ir.hpp"
#include "schema/schema.hpp"

namespace seg {

// Looks at the IR as lowered (before optimization): the outermost parts that fold to a
// constant get a warning at their span. Parts the checker already warned about (unknown tags)
// and `true`/`false` written literally are not reported again.
void report_constant_parts(const ir::Node& lowered, const Schema& schema, Diagnostics& diags);

}  // namespace seg
