// Lowering: a checked AST becomes the IR, applying the language's meaning once (whole-day
// dates, now-relative bounds, scaled decimals, dictionary codes, null-aware negations).
#pragma once
#include "compiler/ir.hpp"
#include "schema/schema.hpp"
#include "grammar/ast.hpp"

namespace seg {

// `e` must have passed check_rule without errors.
ir::Node lower(const ast::Expr& e, const Schema& schema);

}  // namespace seg
