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
  std::string text;            // the canonical text of `ir`, when it is set
  Diagnostics diags;
};

// Every way a rule comes in ends in the same steps, here and nowhere else (Rule::compile, `seg
// ir` and `seg bench` call these): the optimized IR, its canonical text, and the limits of rule
// text held on both (docs/limits.md). A rule is saved and evaluated as that text, so one whose
// text would be too long (E401) or have too many conditions (E403) is refused where it comes
// in, not when a saved segment is read back. Any error leaves `ir` unset.

// Rule text: parsed, checked, lowered, its parts that never or always match warned about.
Compiled compile_rule(std::string_view text, const Schema& schema, const CompileOptions& options = {});

// An IR JSON document (docs/ir.md) the same way: read and checked, those parts warned about at
// their paths.
Compiled compile_ir_json(std::string_view document, const Schema& schema, const CompileOptions& options = {});

// A rule built another way (a segment form, an import), with the diagnostics of building it.
Compiled compile_built(std::optional<ir::Node> built, Diagnostics diags, const Schema& schema,
                       const CompileOptions& options = {});

}  // namespace seg
