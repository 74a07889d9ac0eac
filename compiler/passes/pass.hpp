// Optimizer passes over the IR: each is one function in its own file, switchable by name,
// reporting whether it changed anything.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostics.hpp"
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
  // Called after each pass that changed the IR, with the round (1-based) and the IR as it is
  // then: `seg ir --trace-passes` watches the optimizer's own driver through this.
  std::function<void(const PassInfo& pass, size_t round, const ir::Node& root)> after_change;
};

// Runs the enabled passes to a fixed point (bounded number of rounds).
void optimize(ir::Node& root, const Schema& schema, Diagnostics& diags, const PassOptions& options = {});

}  // namespace seg
