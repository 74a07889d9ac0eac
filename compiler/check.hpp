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

// Resolves a dictionary value the way rules do: exact key, then ignoring case, spaces, `_`
// and `-` against keys and labels. Returns the code, or nullopt with `candidates` set to the
// ambiguous matches (two or more) or left empty when nothing matches.
std::optional<uint32_t> resolve_dictionary_value(const Dictionary& dict, std::string_view value,
                                                 std::vector<uint32_t>& candidates);

// The same for many values of one dictionary: the loose forms of its keys and labels are
// gathered once, at the first value that is not a key. (The function above folds the whole
// dictionary for each such value: a list of thousands of unknown tags over a dictionary of
// hundreds of thousands took minutes; found by a review of how things scale.)
class DictionaryResolver {
 public:
  explicit DictionaryResolver(const Dictionary& dict) : dict_(dict) {}
  std::optional<uint32_t> resolve(std::string_view value, std::vector<uint32_t>& candidates);

 private:
  const Dictionary& dict_;
  bool folded_made_ = false;
  std::unordered_map<std::string, std::vector<uint32_t>> folded_;  // loose form: codes, ascending
};

// E202's message for a dictionary value no client can hold (blank_name): rule text and IR JSON
// say it alike.
std::string blank_value_message(std::string_view field, std::string_view value);

}  // namespace seg
