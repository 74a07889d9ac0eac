// The C++ half of the builders test (tools/test_builders.sh, docs/interop.md): random rules
// exported to react-querybuilder and JsonLogic, random rows, and seg's members of each rule;
// then, after the builders' own code has read and rewritten the exports (builders.test.mjs),
// a check that importing what the builders wrote gives back the same IR.
//
//   seg_builders_corpus make RULES SEED OUT_DIR   writes corpus.jsonl and rows.json
//   seg_builders_corpus check OUT_DIR             reads corpus.jsonl and builders.jsonl
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "adapters/export.hpp"
#include "adapters/import.hpp"
#include "base/time_util.hpp"
#include "compiler/compile.hpp"
#include "compiler/value_text.hpp"
#include "tests/support/random_rules.hpp"
#include "tests/support/reference_eval.hpp"

namespace seg {
namespace {

using Json = nlohmann::ordered_json;
constexpr int64_t kNow = 1790000000;  // the `now` every rule is exported and evaluated at
constexpr size_t kRows = 400;

// The rule as the builders see it: `now ± d` bounds fixed at kNow (neither builder has a
// clock), then optimized as any rule is.
ir::Node at_now(ir::Node n, const Schema& schema) {
  std::vector<ir::Node*> stack{&n};
  while (!stack.empty()) {
    ir::Node* x = stack.back();
    stack.pop_back();
    for (ir::Bound* b : {&x->lo, &x->hi})
      if (b->now_relative) *b = ir::shifted(ir::Bound{kNow, false}, b->value);
    for (auto& c : x->children) stack.push_back(&c);
  }
  Diagnostics d;
  optimize(n, schema, d);
  return n;
}

Json row_json(const testing::RefRow& row, const Schema& s) {
  Json j = Json::object();
  for (size_t i = 0; i < s.fields.size(); ++i) {
    const Field& f = s.fields[i];
    const testing::RefCell& c = row[i];
    if (f.type == FieldType::Set) {
      j[f.name] = c.tags;  // a set is never null: empty when the client has none
      continue;
    }
    if (c.null) {
      j[f.name] = nullptr;
      continue;
    }
    switch (f.type) {
      case FieldType::Int: j[f.name] = c.num; break;
      case FieldType::Decimal: j[f.name] = std::strtod(decimal_text(c.num, f.scale).c_str(), nullptr); break;
      case FieldType::Timestamp: j[f.name] = format_timestamp(c.num); break;
      case FieldType::Bool: j[f.name] = c.num != 0; break;
      case FieldType::Enum:
      case FieldType::String: j[f.name] = c.text; break;
      case FieldType::Set: break;
    }
  }
  return j;
}

int make(int rules, uint64_t seed, const std::string& dir) {
  const Schema& schema = crm_schema();
  testing::RefTable table{schema, {}};
  testing::RuleGen rows_gen(seed * 7919 + 1);
  int id_field = schema.id_field;
  Json rows = Json::array();
  for (size_t r = 0; r < kRows; ++r) {
    testing::RefRow row = testing::random_crm_row(rows_gen, schema);
    row[static_cast<size_t>(id_field)].null = false;
    row[static_cast<size_t>(id_field)].num = static_cast<int64_t>(r) + 1;  // unique ids
    rows.push_back(row_json(row, schema));
    table.rows.push_back(std::move(row));
  }
  std::ofstream(dir + "/rows.json") << rows.dump() << "\n";
  std::ofstream out(dir + "/corpus.jsonl");
  int written = 0, not_compiled = 0, failures = 0;
  for (int i = 0; written < rules; ++i) {
    testing::RuleGen gen(seed * 1000003 + static_cast<uint64_t>(i));
    std::string text = gen.rule();
    Compiled c = compile_rule(text, schema);
    if (!c.ir) {  // the generator also writes rules with errors (values out of range, ...)
      ++not_compiled;
      continue;
    }
    ir::Node expected = at_now(*c.ir, schema);
    Json line{{"i", written}, {"rule", ir::print_rule(*c.ir, schema)}, {"expected", ir::print_rule(expected, schema)}};
    ExportOptions eo;
    eo.now = kNow;
    for (auto [name, format, back] : {std::tuple{"querybuilder", ExportFormat::QueryBuilder, ImportFormat::QueryBuilder},
                                      std::tuple{"jsonlogic", ExportFormat::JsonLogic, ImportFormat::JsonLogic}}) {
      Diagnostics d;
      auto doc = export_rule(*c.ir, format, schema, d, eo);
      if (!doc) {
        std::cerr << fmt::format("rule {}: export to {} failed: {}\n  {}\n", written, name, line["rule"].get<std::string>(),
                                 render_text(d.list(), "export", ""));
        ++failures;
        continue;
      }
      line[name] = Json::parse(*doc);
      // Our own importer reads our own export back to the same IR.
      auto ir = import_rule(*doc, back, schema, d);
      if (ir) optimize(*ir, schema, d);
      if (!ir || !ir::equal(*ir, expected)) {
        std::cerr << fmt::format("rule {}: {} -> import differs\n  rule:     {}\n  export:   {}\n  imported: {}\n  {}\n", written,
                                 name, line["expected"].get<std::string>(), *doc, ir ? ir::print_rule(*ir, schema) : "(error)",
                                 render_text(d.list(), "import", ""));
        ++failures;
      }
    }
    line["members"] = testing::ref_select(*c.ir, table, kNow);
    out << line.dump() << "\n";
    ++written;
  }
  std::cout << fmt::format("corpus: {} rules ({} generated rules with errors not used), {} rows, now {}; {} failures\n",
                           written, not_compiled, kRows, format_timestamp(kNow), failures);
  return failures ? 1 : 0;
}

// builders.jsonl: per rule, what the builders' own code made of the exports:
//   rqb_from_jsonlogic: parseJsonLogic(exported JsonLogic)       -> import as querybuilder
//   jsonlogic_from_rqb: formatQuery(exported query, "jsonlogic") -> import as JsonLogic
int check(const std::string& dir) {
  const Schema& schema = crm_schema();
  std::ifstream corpus(dir + "/corpus.jsonl"), builders(dir + "/builders.jsonl");
  if (!corpus || !builders) {
    std::cerr << "check: corpus.jsonl or builders.jsonl missing in " << dir << "\n";
    return 2;
  }
  std::string a, b;
  int rules = 0, failures = 0;
  while (std::getline(corpus, a)) {
    if (!std::getline(builders, b)) {
      std::cerr << "check: builders.jsonl has fewer lines than corpus.jsonl\n";
      return 1;
    }
    Json c = Json::parse(a), o = Json::parse(b);
    if (c["i"] != o["i"]) {
      std::cerr << "check: the files are out of step at rule " << c["i"] << "\n";
      return 1;
    }
    ++rules;
    Compiled want = compile_rule(c["expected"].get<std::string>(), schema);
    for (auto [key, format] : {std::pair{"rqb_from_jsonlogic", ImportFormat::QueryBuilder},
                               std::pair{"jsonlogic_from_rqb", ImportFormat::JsonLogic}}) {
      std::string doc = o[key].dump();
      Diagnostics d;
      auto ir = import_rule(doc, format, schema, d);
      if (ir) optimize(*ir, schema, d);
      if (!want.ir || !ir || !ir::equal(*ir, *want.ir)) {
        std::cerr << fmt::format("rule {}: {} imports differently\n  rule:     {}\n  builder:  {}\n  imported: {}\n  {}\n",
                                 c["i"].get<int>(), key, c["expected"].get<std::string>(), doc,
                                 ir ? ir::print_rule(*ir, schema) : "(error)", render_text(d.list(), "import", ""));
        ++failures;
      }
    }
  }
  std::cout << fmt::format("check: {} rules, each through parseJsonLogic and formatQuery and back; {} failures\n", rules,
                           failures);
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace seg

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "make" && argc == 5) return seg::make(std::atoi(argv[2]), std::strtoull(argv[3], nullptr, 10), argv[4]);
  if (mode == "check" && argc == 3) return seg::check(argv[2]);
  std::cerr << "usage: seg_builders_corpus make RULES SEED OUT_DIR | check OUT_DIR\n";
  return 2;
}
