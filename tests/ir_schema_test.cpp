// docs/ir.schema.json against seg's IR JSON: every document seg writes is valid under the
// published schema, and a document the schema refuses, seg's reader refuses too (with an error
// at its JSON path). The schema is read from the docs, so it cannot drift from the code unseen.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "compiler/compile.hpp"
#include "compiler/ir_json.hpp"
#include "tests/support/json_schema_check.hpp"
#include "tests/support/property_scale.hpp"
#include "tests/support/random_ir.hpp"
#include "tests/support/random_rules.hpp"
#include "tests/support/schema.hpp"

namespace seg {
namespace {

using nlohmann::json;
using seg::testing::S;

const seg::testing::JsonSchemaCheck& ir_schema() {
  static const seg::testing::JsonSchemaCheck check = [] {
    std::ifstream in(SEG_SOURCE_DIR "/docs/ir.schema.json");
    std::stringstream text;
    text << in.rdbuf();
    return seg::testing::JsonSchemaCheck(json::parse(text.str()));
  }();
  return check;
}

// IR JSON of random rules: text over the CRM schema (every operator and value spelling), and
// random IR over random schemas (every field type, open and closed dictionaries, now bounds).
std::vector<std::pair<std::string, Schema>> documents() {
  std::vector<std::pair<std::string, Schema>> docs;
  seg::testing::RuleGen g(4242);
  const size_t n = seg::testing::property_scaled(1500);
  for (size_t i = 0; i < n; ++i) {
    Compiled c = compile_rule(i % 2 ? g.rule(5) : g.shaped(), S());
    if (c.ir) docs.emplace_back(ir_to_json(*c.ir, S(), i % 3 ? -1 : 2), S());
  }
  seg::testing::Rng rng(777);
  for (size_t i = 0; i < n / 3; ++i) {
    Schema schema = seg::testing::random_schema(rng);
    auto table = seg::testing::random_table(schema, 20, rng);
    docs.emplace_back(ir_to_json(seg::testing::random_rule(table, rng, 5), schema), schema);
  }
  return docs;
}

TEST(IrJsonSchema, EveryDocumentSegWritesIsValid) {
  size_t checked = 0;
  for (const auto& [doc, schema] : documents()) {
    EXPECT_EQ(ir_schema().check(json::parse(doc)), "") << doc;
    ++checked;
  }
  EXPECT_GT(checked, 1000u * seg::testing::property_scaled(1500) / 1500);
}

// One change to one node of a valid document, of the kinds a hand-written or generated
// document gets wrong.
void mutate(json& node, seg::testing::Rng& rng) {
  std::vector<json*> nodes;
  std::vector<json*> stack{&node};
  while (!stack.empty()) {
    json* n = stack.back();
    stack.pop_back();
    if (!n->is_object()) continue;
    nodes.push_back(n);
    for (const char* k : {"and", "or"})
      if (n->contains(k))
        for (auto& c : (*n)[k]) stack.push_back(&c);
    if (n->contains("not")) stack.push_back(&(*n)["not"]);
  }
  json& n = *nodes[rng.below(nodes.size())];
  switch (rng.below(10)) {
    case 0: n["extra"] = 1; break;                                   // a member no node has
    case 1: if (!n.empty()) n.erase(n.begin()); break;               // a required member gone
    case 2: if (n.contains("op")) n["op"] = "between"; break;        // an operator seg has no name for
    case 3: for (const char* k : {"and", "or", "values"}) if (n.contains(k)) n[k] = json::array(); break;
    case 4: if (n.contains("not")) n["not"] = json::array({n["not"]}); break;
    case 5: if (n.contains("values")) n["values"].push_back(json::array({1})); break;  // a list in a list
    case 6: if (n.contains("min")) n["min"] = json::object({{"now", "1d"}}); break;   // now as text
    case 7: if (n.contains("const")) n["const"] = "true"; break;
    case 8: n.erase("min"), n.erase("max"); break;                    // a range without bounds
    default: if (n.contains("field")) n["field"] = 7; break;
  }
}

TEST(IrJsonSchema, WhatTheSchemaRefusesTheReaderRefuses) {
  seg::testing::Rng rng(99);
  size_t refused = 0, tried = 0;
  for (const auto& [text, schema] : documents()) {
    json doc = json::parse(text);
    if (rng.below(8) == 0) doc["version"] = 2;
    else mutate(doc["rule"], rng);
    if (ir_schema().check(doc).empty()) continue;
    ++tried;
    Diagnostics d;
    auto read = ir_from_json(doc.dump(), schema, d);
    EXPECT_FALSE(read) << doc.dump() << "\nschema: " << ir_schema().check(doc);
    // An error at a JSON path: E6xx for the shape, E302 for a value of the wrong type.
    bool at_path = false;
    for (const auto& x : d.list()) at_path |= x.severity == Severity::Error && x.json && !x.json_path.empty();
    EXPECT_TRUE(at_path) << doc.dump() << "\n" << render_text(d.list(), "json", "");
    refused += !read;
  }
  EXPECT_GT(tried, 500u * seg::testing::property_scaled(1500) / 1500);
  EXPECT_EQ(refused, tried);
}

// IR built in code, or lowered but not optimized (`seg ir --passes none`), can hold what the
// passes fold away: an enum range off its dictionary or open at both ends, an empty and/or.
// The writer crashed on the first (a range open at both ends named its `max`, a code past the
// dictionary), wrote `[]` for the second, which the reader refuses (E608), and the printer wrote
// `stage <= <code -1>`. Each is now written as what it means, and reads back.
TEST(IrJsonSchema, WhatOnlyTheOptimizerFoldsIsWrittenAsWhatItMeans) {
  const int stage = S().find("stage");
  auto range = [&](int64_t lo, int64_t hi, bool negated) {
    ir::Node n;
    n.kind = ir::Kind::Range;
    n.field = stage;
    n.lo = ir::Bound{lo, false};
    n.hi = ir::Bound{hi, false};
    n.negated = negated;
    return n;
  };
  struct Case {
    ir::Node node;
    const char* json;
    const char* text;
  };
  const int64_t last = static_cast<int64_t>(S().fields[static_cast<size_t>(stage)].dict.size()) - 1;
  std::vector<Case> cases = {
      {range(ir::kMin, ir::kMax, false), R"({"field":"stage","op":"is_not_null"})", "stage is not null"},
      {range(ir::kMin, ir::kMax, true), R"({"const":false})", "false"},
      {range(-5, last + 3, false), R"({"field":"stage","op":"is_not_null"})", "stage is not null"},
      {range(ir::kMin, -1, false), R"({"const":false})", "false"},
      {range(ir::kMin, -1, true), R"({"field":"stage","op":"is_not_null"})", "stage is not null"},
      {range(last + 1, ir::kMax, false), R"({"const":false})", "false"},
      {ir::Node::conj(ir::Kind::And, {}), R"({"const":true})", "true"},
      {ir::Node::conj(ir::Kind::Or, {}), R"({"const":false})", "false"},
  };
  for (const auto& c : cases) {
    const std::string doc = ir_to_json(c.node, S());
    EXPECT_EQ(json::parse(doc)["rule"], json::parse(c.json)) << ir::dump_tree(c.node, S());
    EXPECT_EQ(ir_schema().check(json::parse(doc)), "") << doc;
    Diagnostics d;
    EXPECT_TRUE(ir_from_json(doc, S(), d)) << doc << "\n" << render_text(d.list(), "json", "");
    EXPECT_EQ(ir::print_rule(c.node, S()), c.text) << doc;
  }
}

// The checker itself: each keyword refuses what it should, and an unknown keyword is an error.
TEST(IrJsonSchema, TheCheckerKnowsItsKeywords) {
  EXPECT_EQ(ir_schema().check(json::parse(R"({"version": 1, "rule": {"const": true}})")), "");
  EXPECT_NE(ir_schema().check(json::parse(R"({"version": 1, "rule": {"and": []}})")), "");          // minItems
  EXPECT_NE(ir_schema().check(json::parse(R"({"version": 1, "rule": {"const": 1}})")), "");         // type
  EXPECT_NE(ir_schema().check(json::parse(R"({"version": 1})")), "");                               // required
  EXPECT_NE(ir_schema().check(json::parse(R"({"version": 1, "rule": {"const": true}, "x": 1})")), "");  // additional
  EXPECT_NE(ir_schema().check(json::parse(R"({"version": 1, "rule": {"field": "spot", "op": "range"}})")), "");  // anyOf
  EXPECT_EQ(ir_schema().check(json::parse(R"({"version": 1, "rule": {"field": "spot", "op": "range", "min": {"now": -5}}})")), "");
  EXPECT_NE(ir_schema().check(json::parse(R"({"version": 1, "rule": {"field": "spot", "op": "in", "values": [[1]]}})")), "");
  EXPECT_THROW(seg::testing::JsonSchemaCheck(json::parse(R"({"pattern": "x"})")), std::runtime_error);
  EXPECT_THROW(seg::testing::JsonSchemaCheck(json::parse(R"({"properties": {"a": {"maxItems": 2}}})")), std::runtime_error);
}

}  // namespace
}  // namespace seg
