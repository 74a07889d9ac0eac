// Golden files for rule diagnostics (tests/golden/check/*.txt), each its own test: the rule,
// a line `----`, then exactly what a person sees: the rendered diagnostics and, when the rule
// compiles, `=> ` and its canonical text; run by the shared driver (tests/support/golden.hpp),
// so SEG_UPDATE_GOLDEN=1 rewrites the expected part. See docs/testing.md for the format (and the
// `-- schema: NAME` first line). Also: the examples of docs/diagnostics.md and docs/language.md.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "compiler/compile.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/files.hpp"

namespace seg {
namespace {

namespace fs = std::filesystem;
using testing::slurp;

const fs::path kCheckGoldenDir = fs::path(SEG_SOURCE_DIR) / "tests/golden/check";
constexpr std::string_view kSchemaLine = "-- schema: ";

// The schema a case runs against: the bundled CRM schema, or tests/golden/check/schemas/NAME.json
// when the rule's first line is `-- schema: NAME` (a comment, so the rule text stays valid).
const Schema* schema_for(const std::string& rule, std::string& error) {
  if (rule.rfind(kSchemaLine, 0) != 0) return &crm_schema();
  std::string name = rule.substr(kSchemaLine.size(), rule.find('\n') - kSchemaLine.size());
  static std::map<std::string, Schema> cache;
  if (auto it = cache.find(name); it != cache.end()) return &it->second;
  fs::path path = kCheckGoldenDir / "schemas" / (name + ".json");
  Diagnostics d;
  auto s = parse_schema_json(slurp(path), d);
  if (!s) {
    error = "schema " + path.string() + " does not load:\n" + render_text(d.list(), path.string(), "");
    return nullptr;
  }
  return &cache.emplace(name, std::move(*s)).first->second;
}

// What `seg fmt` shows for the rule (source name `<rule>`, no color), and `=> ` before the canonical text.
std::string actual_output(const std::string& rule, const Schema& schema) {
  Compiled c = compile_rule(rule, schema);
  std::string out = render_text(c.diags.list(), "<rule>", rule);
  if (c.ir) out += "=> " + ir::print_rule(*c.ir, schema) + "\n";
  return out;
}

class GoldenCheck : public ::testing::TestWithParam<golden::Case> {};

TEST_P(GoldenCheck, Diagnostics) {
  golden::File file;
  ASSERT_TRUE(golden::read(GetParam(), file));
  const std::string& rule = file.input;
  std::string error;
  const Schema* schema = schema_for(rule, error);
  ASSERT_TRUE(schema) << error;
  EXPECT_TRUE(golden::matches(GetParam(), file, actual_output(rule, *schema)));
  // Every diagnostic comes with a suggestion (a code, a place, a caret and what to do: the
  // project's rule for a wrong rule; a review found eleven without one).
  const Compiled checked = compile_rule(rule, *schema);
  for (const auto& d : checked.diags.list())
    EXPECT_FALSE(d.suggestion.empty()) << d.code << " without a suggestion: " << d.message;

  // The canonical text is a fixed point: it compiles without errors to itself.
  Compiled c = compile_rule(rule, *schema);
  if (!c.ir) return;
  std::string canonical = ir::print_rule(*c.ir, *schema);
  Compiled again = compile_rule(canonical, *schema);
  ASSERT_TRUE(again.ir) << "canonical text does not compile: " << canonical << "\n"
                        << render_text(again.diags.list(), "canonical", canonical);
  EXPECT_EQ(ir::print_rule(*again.ir, *schema), canonical) << "formatting is not idempotent";
}

// Full names are Golden/GoldenCheck.Diagnostics/<file>, so --gtest_filter='Golden*' selects them.
INSTANTIATE_TEST_SUITE_P(Golden, GoldenCheck, ::testing::ValuesIn(golden::cases(kCheckGoldenDir)), golden::test_name);

// A broken file fails loudly instead of being skipped; fewer cases than the diagnostic codes
// need means files went missing.
TEST(GoldenCheckFiles, EveryFileIsWellFormed) { EXPECT_TRUE(golden::well_formed(kCheckGoldenDir, 45)); }

// ---- the examples of the docs ----
// In docs/diagnostics.md and docs/language.md a ```seg block is a rule; when a ```text block
// follows it (blank lines between allowed), that is exactly what `seg fmt` prints for it, as in
// a golden file; a ```seg block on its own must compile without errors.

struct DocExample {
  size_t line = 0;  // of the rule's first line, 1-based
  std::string rule;
  std::optional<std::string> expected;
  size_t text_begin = 0, text_end = 0;  // 0-based lines of the ```text body, [begin, end)
};

std::vector<DocExample> doc_examples(const std::string& doc) {
  std::vector<std::string> lines;
  std::stringstream ss(doc);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  // The lines of the fenced block opening at `i`, up to its closing fence; `i` ends after it.
  auto block = [&](size_t& i) {
    std::vector<std::string> body;
    for (++i; i < lines.size() && lines[i] != "```"; ++i) body.push_back(lines[i]);
    ++i;
    return body;
  };
  std::vector<DocExample> out;
  for (size_t i = 0; i < lines.size();) {
    if (lines[i] != "```seg") {
      if (lines[i].rfind("```", 0) == 0 && lines[i] != "```") block(i);  // skip other blocks whole
      else ++i;
      continue;
    }
    DocExample ex;
    ex.line = i + 2;
    auto body = block(i);
    for (size_t k = 0; k < body.size(); ++k) {
      if (k) ex.rule += '\n';
      ex.rule += body[k];
    }
    size_t j = i;
    while (j < lines.size() && lines[j].empty()) ++j;
    if (j < lines.size() && lines[j] == "```text") {
      i = j;
      ex.text_begin = j + 1;
      std::string text;
      auto text_lines = block(i);
      ex.text_end = ex.text_begin + text_lines.size();
      for (const auto& l : text_lines) {
        text += l;
        text += '\n';
      }
      ex.expected = text;
    }
    out.push_back(std::move(ex));
  }
  return out;
}

void check_doc(const std::string& name, size_t at_least) {
  fs::path path = fs::path(SEG_SOURCE_DIR) / "docs" / name;
  std::string doc = slurp(path);
  auto examples = doc_examples(doc);
  EXPECT_GE(examples.size(), at_least) << path;
  if (golden::updating()) {
    // Rewrite each ```text block with what seg prints now, last first so line numbers hold.
    std::vector<std::string> lines;
    std::stringstream ss(doc);
    for (std::string l; std::getline(ss, l);) lines.push_back(l);
    for (auto it = examples.rbegin(); it != examples.rend(); ++it) {
      if (!it->expected) continue;
      std::string error;
      const Schema* schema = schema_for(it->rule, error);
      if (!schema) continue;
      std::string actual = actual_output(it->rule, *schema);
      std::vector<std::string> fresh;
      std::stringstream as(actual);
      for (std::string l; std::getline(as, l);) fresh.push_back(l);
      lines.erase(lines.begin() + static_cast<ptrdiff_t>(it->text_begin), lines.begin() + static_cast<ptrdiff_t>(it->text_end));
      lines.insert(lines.begin() + static_cast<ptrdiff_t>(it->text_begin), fresh.begin(), fresh.end());
    }
    std::ofstream out(path);
    for (const auto& l : lines) out << l << '\n';
    return;
  }
  for (const auto& ex : examples) {
    std::string where = name + ":" + std::to_string(ex.line);
    std::string error;
    const Schema* schema = schema_for(ex.rule, error);
    ASSERT_TRUE(schema) << where << ": " << error;
    std::string actual = actual_output(ex.rule, *schema);
    if (ex.expected)
      EXPECT_EQ(actual, *ex.expected) << where << ": the example's output is not what seg prints";
    else
      EXPECT_EQ(actual.rfind("=> ", 0), 0u) << where << ": the example does not compile cleanly:\n" << actual;
  }
}

TEST(GoldenDocs, DiagnosticsExamplesAreWhatSegPrints) { check_doc("diagnostics.md", 60); }
TEST(GoldenDocs, LanguageExamplesAreWhatSegPrints) { check_doc("language.md", 15); }

}  // namespace
}  // namespace seg
