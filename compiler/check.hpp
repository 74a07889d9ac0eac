// The checker: resolves fields, operators and values of a parsed rule against a schema.
#pragma once
#include <unordered_map>
#include <string_view>

#include "base/diagnostics.hpp"
#include "base/numbers.hpp"
#include "schema/schema.hpp"
#include "grammar/ast.hpp"

namespace seg {

// Fills in field_index and each value's `resolved`/`unknown`/`name`; reports every problem
// in the rule (E2xx, E3xx; W204 for unknown open-dictionary values, W503 for empty ranges).
// `text` is the rule, used to quote what the person wrote in suggestions.
// Returns true when there is no error.
bool check_rule(ast::Expr& root, const Schema& schema, std::string_view text, Diagnostics& diags);

// The operators rule text may use on a field, as the checker decides them (set fields: any,
// all, none; others =, !=, in, not in, is null, and the ordering ones where the field is
// ordered): what an editor or a form offers. tests/api_surface_test.cpp compiles each one
// offered and each one withheld against every field of the CRM schema.
std::vector<std::string> operators_for(const Field& f);

// E202's message for a dictionary value no client can hold (blank_name): rule text and IR JSON
// say it alike.
std::string blank_value_message(std::string_view field, std::string_view value);

}  // namespace seg
