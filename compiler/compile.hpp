// The front end in one call: rule text -> parse -> check -> lower -> optimize -> IR.
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

}  // namespace seg
