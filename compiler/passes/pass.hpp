// Optimizer passes over the IR: each is one function in its own file, switchable by name,
// reporting whether it changed anything.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "compiler/diagnostics.hpp"
#include "compiler/ir.hpp"

namespace seg {
struct Schema;

struct PassContext {
  const Schema& schema;
  Diagnostics& diags;  // passes may warn (never-matching parts, always-true rules)
};

using PassFn = bool (*)(ir::Node& root, PassContext& ctx);

struct PassInfo {
  const char* name;
  const char* description;
  PassFn run;
};

// All passes, in pipeline order.
const std::vector<PassInfo>& all_passes();

struct PassOptions {
  bool enabled = true;
  std::vector<std::string> only;  // empty: all passes; otherwise the named ones, in pipeline order
};

// Runs the enabled passes to a fixed point (bounded number of rounds).
void optimize(ir::Node& root, const Schema& schema, Diagnostics& diags, const PassOptions& options = {});

}  // namespace seg
