// The front end in one call: rule text (or IR JSON) -> parse -> check -> lower -> optimize -> IR,
// and the limits every way in shares.
#pragma once
#include <optional>
#include <string_view>

#include "base/diagnostics.hpp"
#include "compiler/ir.hpp"
#include "base/limits.hpp"
#include "compiler/passes/pass.hpp"
#include "schema/schema.hpp"

namespace seg {

struct CompileOptions {
  Limits limits;
  PassOptions passes;  // default: every pass on
};

struct Compiled {
  std::optional<ir::Node> ir;  // set when there is no error (warnings allowed)
  Diagnostics diags;
};

Compiled compile_rule(std::string_view text, const Schema& schema, const CompileOptions& options = {});

// An IR JSON document (docs/ir.md) the same way: read and checked, its parts that never or
// always match warned about at their paths, and optimized. Not yet held to check_rule_limits:
// the caller prints the canonical text it checks them on (Rule::compile, `seg ir`).
Compiled compile_ir_json(std::string_view document, const Schema& schema, const CompileOptions& options = {});

// The limits of rule text for a rule that came another way (a form, IR JSON, an import), on its
// optimized IR and canonical text: a rule is saved and evaluated as that text, so one whose
// text would be too long (E401) or have too many conditions (E403) is refused where it comes
// in, not when a saved segment is read back. `from_text`: only E401, at no span (the parser
// has held the text itself to the rest); otherwise at the document's root.
void check_rule_limits(const ir::Node& optimized, std::string_view canonical_text, bool from_text, Diagnostics& diags,
                       const Limits& limits = {});

}  // namespace seg
