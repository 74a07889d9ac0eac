// The C++ half of the builders test (tools/test_builders.sh, docs/interop.md): random rules
// exported to react-querybuilder and JsonLogic, random rows, and seg's members of each rule;
// then, after the builders' own code has read and rewritten the exports (builders.test.mjs),
// a check that importing what the builders wrote gives back the same IR.
//
//   seg_builders_corpus make RULES SEED OUT_DIR   writes corpus.jsonl, rows.json and schema.json
//   seg_builders_corpus edges OUT_DIR             the same for hand-written edge rules and rows
//   seg_builders_corpus check OUT_DIR             reads corpus.jsonl and builders.jsonl
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <optional>
#include <iterator>

#include "adapters/export.hpp"
#include "adapters/import.hpp"
#include "base/time_util.hpp"
#include "compiler/compile.hpp"
#include "compiler/value_text.hpp"
#include "schema/schema.hpp"
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

// corpus.jsonl, rows.json and schema.json for `rules` (each compiles) over `table`'s rows.
int write_corpus(const testing::RefTable& table, const std::vector<std::string>& rules, const std::string& dir) {
  const Schema& schema = table.schema;
  Json rows = Json::array();
  for (const auto& row : table.rows) rows.push_back(row_json(row, schema));
  std::ofstream(dir + "/rows.json") << rows.dump() << "\n";
  std::ofstream(dir + "/schema.json") << schema_to_json(schema) << "\n";
  std::ofstream out(dir + "/corpus.jsonl");
  int written = 0, failures = 0;
  for (const std::string& text : rules) {
    Compiled c = compile_rule(text, schema);
    if (!c.ir) {
      std::cerr << fmt::format("rule `{}` does not compile\n", text);
      ++failures;
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
  std::cout << fmt::format("corpus: {} rules, {} rows, now {}; {} failures\n", written, table.rows.size(),
                           format_timestamp(kNow), failures);
  return failures ? 1 : 0;
}

int make(int rules, uint64_t seed, const std::string& dir) {
  const Schema& schema = crm_schema();
  testing::RefTable table{schema, {}};
  testing::RuleGen rows_gen(seed * 7919 + 1);
  int id_field = schema.id_field;
  for (size_t r = 0; r < kRows; ++r) {
    testing::RefRow row = testing::random_crm_row(rows_gen, schema);
    row[static_cast<size_t>(id_field)].null = false;
    row[static_cast<size_t>(id_field)].num = static_cast<int64_t>(r) + 1;  // unique ids
    table.rows.push_back(std::move(row));
  }
  std::vector<std::string> texts;
  int not_compiled = 0;
  for (int i = 0; static_cast<int>(texts.size()) < rules; ++i) {
    testing::RuleGen gen(seed * 1000003 + static_cast<uint64_t>(i));
    std::string text = gen.rule();
    if (!compile_rule(text, schema).ir) {  // the generator also writes rules with errors (values out of range, ...)
      ++not_compiled;
      continue;
    }
    texts.push_back(std::move(text));
  }
  std::cout << fmt::format("generated: {} rules with errors not used\n", not_compiled);
  return write_corpus(table, texts, dir);
}

// What the CRM's schema cannot show and the builders' own code misread (a review, 2026-12-06):
// a nullable int around 0 (notBetween is `!(a <= x <= b)` in the querybuilder's JsonLogic,
// where null reads as 0), decimals of scale 9 (1e-09 as a JSON number), strings with spaces
// at their ends (the querybuilder trims each value of a list), tags the dictionary lacks that
// differ only in case. Hand-written rules over hand-written rows, the same checks.
int edges(const std::string& dir) {
  Diagnostics d;
  auto schema = parse_schema_json(R"({"name":"edges","id_field":"client_id","fields":[
      {"name":"client_id","type":"int"},{"name":"n","type":"int","nullable":true},
      {"name":"d9","type":"decimal","scale":9,"nullable":true},{"name":"s","type":"string","nullable":true},
      {"name":"tags","type":"set","open":true,"values":["VIP"]}]})",
                                  d);
  if (!schema) {
    std::cerr << "edges: the schema does not load\n";
    return 2;
  }
  testing::RefTable table{*schema, {}};
  struct Row {
    std::optional<int64_t> n, d9;
    std::optional<std::string> s;
    std::vector<std::string> tags;
  };
  const std::vector<Row> rows = {
      {std::nullopt, std::nullopt, std::nullopt, {}},  {0, 1, "a ", {"Foo"}},         {-1, 33448, "a", {"foo"}},
      {1, 500000000, "  ", {"VIP", "Foo"}},           {5, 0, "", {"VIP"}},          {-7, 1000000001, "b c", {"foo", "VIP"}},
      {std::nullopt, 1, " b", {}},                    {2, std::nullopt, "a ", {"Foo", "foo"}}};
  int64_t id = 0;
  for (const Row& r : rows) {
    testing::RefRow row(schema->fields.size());
    row[0] = {false, ++id, "", {}};
    if (r.n) row[1] = {false, *r.n, "", {}};
    if (r.d9) row[2] = {false, *r.d9, "", {}};
    if (r.s) row[3] = {false, 0, *r.s, {}};
    row[4] = {false, 0, "", r.tags};
    table.rows.push_back(std::move(row));
  }
  return write_corpus(table,
                      {"not n between -1 and 1", "not (n between 0 and 5)", "n != 0", "not n = 0", "n < 1",
                       "not n in (0, 1)", "d9 in (0.000000001, 0.000033448)", "d9 not in (0.000000001, 0.000033448)",
                       "d9 > 0.00000001", "not d9 between 0.000000001 and 0.5", "d9 = 0.000033448",
                       R"(s in ("a ", "  "))", R"(s not in ("a ", "b c"))", R"(not s in ("a", "  "))", R"(s = "a ")",
                       R"(s in (" b", "b c", ""))", "tags any (Foo, foo)", "tags none (Foo, foo)", "tags all (Foo, VIP)",
                       "tags any (foo) and not n between -1 and 1"},
                      dir);
}

// builders.jsonl: per rule, what the builders' own code made of the exports:
//   rqb_from_jsonlogic: parseJsonLogic(exported JsonLogic)       -> import as querybuilder
//   jsonlogic_from_rqb: formatQuery(exported query, "jsonlogic") -> import as JsonLogic
int check(const std::string& dir) {
  // The corpus's own schema (schema.json), the CRM's when it has none.
  std::optional<Schema> own;
  if (std::ifstream in(dir + "/schema.json"); in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Diagnostics d;
    own = parse_schema_json(text, d);
    if (!own) {
      std::cerr << "check: " << dir << "/schema.json does not load\n";
      return 2;
    }
  }
  const Schema& schema = own ? *own : crm_schema();
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
  if (mode == "edges" && argc == 3) return seg::edges(argv[2]);
  if (mode == "check" && argc == 3) return seg::check(argv[2]);
  std::cerr << "usage: seg_builders_corpus make RULES SEED OUT_DIR | edges OUT_DIR | check OUT_DIR\n";
  return 2;
}
