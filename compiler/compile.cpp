// The front end in one call (parse, check, lower, optimize) and the never/always-match warnings.
#include "compiler/compile.hpp"

#include "compiler/check.hpp"
#include "compiler/lower.hpp"
#include "compiler/report_constant.hpp"
#include "grammar/parse.hpp"

namespace seg {

Compiled compile_rule(std::string_view text, const Schema& schema, const CompileOptions& options) {
  Compiled out;
  auto ast = parse_rule(text, out.diags, options.limits);
  if (!ast) return out;
  if (!check_rule(*ast, schema, text, out.diags)) return out;
  ir::Node node = lower(*ast, schema);
  report_constant_parts(node, schema, out.diags);
  optimize(node, schema, out.diags, options.passes);
  out.ir = std::move(node);
  return out;
}

}  // namespace seg
