// Writes the seed corpora of the fuzz targets: seg_fuzz_seeds SOURCE_DIR OUT_DIR makes
// OUT_DIR/<target>/ from the golden tests (rule parts of tests/golden/check/*.txt, documents of
// tests/golden/json/*.txt), the workload rules Q1-Q6 and their JSON, forms and CSV, random rules
// (tests/support/random_rules), react-querybuilder and JsonLogic documents, random schemas and
// tables (tests/support/random_ir) and valid snapshots. tools/fuzz.sh runs it before fuzzing;
// docs/fuzzing.md.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/compile.hpp"
#include "adapters/form.hpp"
#include "compiler/ir_json.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/snapshot.hpp"
#include "tools/workload/workload.hpp"
#include "tests/fuzz/fuzz.hpp"
#include "tests/support/random_ir.hpp"
#include "tests/support/random_rules.hpp"

namespace fs = std::filesystem;
using namespace seg;

namespace {

fs::path out_root;
int written = 0;

void seed(const std::string& target, const std::string& name, std::string_view bytes) {
  fs::path dir = out_root / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ++written;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The part of a golden file before its `----` line.
std::string golden_input(const fs::path& p) {
  std::string s = read(p);
  size_t sep = s.find("\n----\n");
  return sep == std::string::npos ? s : s.substr(0, sep);
}

std::string u64(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

std::string file_bytes(const fs::path& p) { return read(p); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: seg_fuzz_seeds SOURCE_DIR OUT_DIR\n";
    return 2;
  }
  fs::path src = argv[1];
  out_root = argv[2];
  const Schema& crm = crm_schema();

  // Rules: golden check files, Q1-Q6, random rules and their canonical text.
  for (const char* sub : {"tests/golden/check", "tests/golden/cli"}) {
    if (!fs::is_directory(src / sub)) continue;
    for (const auto& e : fs::directory_iterator(src / sub))
      if (e.path().extension() == ".txt" && std::string(sub).ends_with("check"))
        seed("rule", "golden_" + e.path().stem().string(), golden_input(e.path()));
  }
  for (const auto& q : rt::workload_rules()) {
    seed("rule", q.id, q.text);
    Compiled c = compile_rule(q.text, crm);
    if (!c.ir) continue;
    seed("rule", std::string(q.id) + "_canonical", ir::print_rule(*c.ir, crm));
    seed("ir_json", q.id, ir_to_json(*c.ir, crm));
    seed("ir_json", std::string(q.id) + "_pretty", ir_to_json(*c.ir, crm, 2));
    std::string why;
    if (auto f = ir_to_form(*c.ir, crm, why)) seed("form_json", q.id, form_to_json(*f));
  }
  for (uint64_t s = 0; s < 160; ++s) {
    testing::RuleGen gen(s + 9000);
    std::string text = gen.rule(1 + static_cast<int>(s % 5));
    seed("rule", "random_" + std::to_string(s), text);
    Compiled c = compile_rule(text, crm);
    if (c.ir && s % 4 == 0) seed("ir_json", "random_" + std::to_string(s), ir_to_json(*c.ir, crm, s % 8 ? -1 : 2));
    if (s < 40) seed("form_json", "random_" + std::to_string(s), form_to_json(gen.form(), s % 2 ? -1 : 2));
  }
  // IR JSON: the golden reader files.
  if (fs::is_directory(src / "tests/golden/json"))
    for (const auto& e : fs::directory_iterator(src / "tests/golden/json"))
      if (e.path().extension() == ".txt") seed("ir_json", "golden_" + e.path().stem().string(), golden_input(e.path()));
  seed("form_json", "empty", "{}");
  seed("form_json", "full", R"({"title": "VIP", "stages": ["Registration", "Made first sale"], "players": [1000001, 1000098],)"
                            R"( "spot": 12, "tags": ["VIP", "NOT REGISTERED"]})");

  // Imports (tests/fuzz/fuzz_import.cpp): byte 0 the format (0 react-querybuilder, 1 JsonLogic),
  // then the document: those of tests/import_test.cpp and the CLI goldens, and every operator.
  const char* querybuilder[] = {
      R"({"combinator":"and","rules":[{"field":"stage","operator":"in","value":"NotProcessed,Registration"},)"
      R"({"field":"tags","operator":"in","value":["REGISTERED"]},{"field":"spot","operator":"=","value":"12"}]})",
      R"({"combinator":"or","not":true,"rules":[{"field":"deposit_total","operator":"between","value":["10","20.5"]},)"
      R"({"field":"country","operator":"null"},{"combinator":"and","rules":[{"field":"spot","operator":">","value":"3"},)"
      R"({"field":"tags","operator":"notIn","value":"VIP"}]}]})",
      R"({"combinator":"and","rules":[{"field":"deposit_total","operator":">","value":"500"},)"
      R"({"field":"last_active_at","operator":">=","value":"2026-10-01"}]})",
      R"({"id":"g1","combinator":"and","rules":[{"id":"r1","field":"player_id","operator":"notBetween","value":"1000001,1000098"},)"
      R"({"field":"registered_at","operator":"=","value":"2025-03-01","valueSource":"value"},)"
      R"({"field":"stage","operator":"!=","value":"Deposit"},{"field":"country","operator":"notNull"},)"
      R"({"field":"spot","operator":"<","value":"7"},{"field":"deposit_total","operator":"<=","value":"99.5"}]})",
      R"({"combinator":"or","rules":[]})",
      R"({"rules":[{"field":"stage","operator":"contains","value":"x"}]})",
      R"({"combinator":"and","rules":[{"field":"spot","operator":"=","value":"12"},{"field":"stage","operator":"in","value":"Deposit,Actve"}]})",
      // What the builders really send (issue 13): match modes, disabled parts, independent
      // combinators, numbers for decimals, JavaScript's times.
      R"({"combinator":"and","rules":[{"field":"tags","operator":"=","match":{"mode":"atLeast","threshold":2},)"
      R"("value":{"combinator":"or","rules":[{"field":"","operator":"in","value":["VIP","REGISTERED","T001"]},)"
      R"({"field":"","operator":"=","value":"BLOCKED"}]}},{"field":"spot","operator":"=","value":3,"disabled":true}]})",
      R"({"rules":[{"field":"spot","operator":"=","value":1},"or",{"field":"deposit_total","operator":"between","value":[10,100.5]},)"
      R"("and",{"field":"registered_at","operator":">","value":"2026-10-01T10:00:00.500+02:00"}]})",
      R"({"combinator":"and","rules":[{"field":"tags","operator":"contains","value":"VIP"},)"
      R"({"field":"tags","operator":"=","match":{"mode":"exactly","threshold":0},"value":{"combinator":"and","rules":[{"field":"","operator":"=","value":"X"}]}},)"
      R"({"field":"last_active_at","operator":"=","value":"2026-10-01T00:00:00.000Z"},{"field":"spot","operator":"=","value":"player_id","valueSource":"field"}]})",
  };
  const char* jsonlogic[] = {
      R"({"and":[{"in":[{"var":"stage"},["NotProcessed","Registration"]]},{"in":["REGISTERED",{"var":"tags"}]},)"
      R"({"==":[{"var":"spot"},12]}]})",
      R"({"and":[{"or":[{"in":[{"var":"stage"},["Deposit","Active"]]},{">":[{"var":"deposit_total"},"500"]}]},)"
      R"({"all":[{"var":"tags"},{"in":[{"var":""},["VIP","Top-up"]]}]},{"none":[{"var":"tags"},{"in":[{"var":""},["BLOCKED"]]}]},)"
      R"({">=":[{"var":"last_active_at"},"2026-10-01T00:00:00Z"]},{"in":[{"var":"country"},["DE","AT","CH"]]}]})",
      R"({"<=":[10,{"var":"spot"},20]})",
      R"({">":[20,{"var":"spot"},10]})",
      R"({"!":{"==":[{"var":"last_active_at"},null]}})",
      R"({"<":[5,{"var":"spot"}]})",
      R"({"some":[{"var":"tag"},{"in":[{"var":""},["VIP"]]}]})",
      R"({"or":[{"===":[{"var":["stage"]},"Deposit"]},{"!==":[{"var":"country"},"DE"]},{"!=":[{"var":"registered_at"},"2025-03-01T00:00:00Z"]},)"
      R"({"!":[{"<":[{"var":"deposit_total"},0]}]},true]})",
      R"({"and":[{"=":[{"var":"spot"},1]}]})",
      R"({"or":[{"==":[{"var":"spot"},1]},{"in":[{"var":"country"},["DE","Atlantis"]]}]})",
      R"({"and":[{"in":[{"var":"stgae"},["Deposit"]]},{"==":[{"var":"spot"},3]}]})",
      R"({"==":[{"var":["country","DE"]},"DE"]})",
      R"({"and":[{"<=":[{"var":"deposit_total"},1e2]},{">":[{"var":"deposit_total"},0.105]},{"!=":[{"var":"country"},"DE"]},)"
      R"({"none":[{"var":"tags"},{"==":[{"var":""},"VIP"]}]},{"all":[{"var":"tags"},{"in":[{"var":""},["VIP"]]}]},)"
      R"({"<":["2026-01-01",{"var":"registered_at"},"2026-02-01T00:00"]}]})",
  };
  int n = 0;
  for (const char* doc : querybuilder) seed("import", "querybuilder_" + std::to_string(n++), std::string(1, '\0') + doc);
  n = 0;
  for (const char* doc : jsonlogic) seed("import", "jsonlogic_" + std::to_string(n++), std::string(1, '\1') + doc);

  // SQL: mode byte (dialect, field, inline), then a value that tries to leave its literal.
  {
    const char* values[] = {"x", "it's", "a\\b", "' OR 1=1 --", "\\'; DROP TABLE clients; --", "$1", "?1", "{p1:String}",
                            "/* c */", "E'\\x41'", "caf\xc3\xa9 \xe2\x82\xac", "tab\there", "line\nbreak", ""};
    int k = 0;
    for (const char* v : values) {
      for (int mode : {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15})
        seed("sql", "value_" + std::to_string(k) + "_" + std::to_string(mode), std::string(1, static_cast<char>(mode)) + v);
      ++k;
    }
    seed("sql", "nul", std::string("\x09a\0b", 4));
  }

  // Service requests: endpoint byte (tests/fuzz/fuzz_service.cpp), then a body.
  {
    struct Req {
      int endpoint;
      const char* body;
    } reqs[] = {
        {0, R"j({"rule": "stage in (Deposit, Active) and tag any (VIP)"})j"},
        {0, R"j({"form": {"title": "t", "stages": ["Active"], "tags": ["VIP"], "spot": 3}})j"},
        {0, R"j({"jsonlogic": {"in": ["VIP", {"var": "tags"}]}})j"},
        {1, R"j({"rule": "last_active_at >= now - 30d", "now": "2026-10-01"})j"},
        {1, R"j({"querybuilder": {"combinator": "and", "rules": [{"field": "spot", "operator": "=", "value": 3}]}})j"},
        {2, R"j({"rule": "tag all (VIP, "Top-up")", "dialect": "clickhouse", "inline": true, "shape": "count"})j"},
        {2, R"j({"rule": "spot = 1", "mapping": {"fields": {"tags": {"storage": "join"}}}})j"},
        {3, R"j({"text": "stage = Active and sp", "cursor": 21})j"},
        {4, R"j({"title": "VIP in spot 3", "rule": "tag any (VIP) and spot = 3"})j"},
        {5, R"j({"version": 1, "rule": "tag any (VIP) and spot = 4"})j"},
        {6, "format=csv&columns=stage,tags"},
        {7, ""},
        {8, ""},
        {9, "stgae = Active"},
        {10, "since=0&limit=2"},
        {10, "since=1&skip=1&limit=1"},
        {11, R"j({"rows": "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n900,1,12,Active,VIP,1.00,2025-01-01T00:00:00Z,,DE\n", "deletes": [1]})j"},
        {11, R"j({"now": "2027-01-01", "deletes": [2, 3]})j"},
        {12, "since=0"},
        {13, R"j({"before": {"rule": "spot = 12"}, "after": {"form": {"spot": 12, "tags": ["VIP"]}}, "sample": 2})j"},
        {14, "from=1&to=1&sample=2"},
    };
    int k = 0;
    for (const auto& r : reqs) seed("service", "request_" + std::to_string(k++), std::string(1, static_cast<char>(r.endpoint)) + r.body);
  }

  // Schemas: the bundled one and random ones.
  seed("schema_json", "crm", crm_schema_json());
  for (uint64_t s = 0; s < 24; ++s) {
    testing::Rng rng(s + 300);
    seed("schema_json", "random_" + std::to_string(s), schema_to_json(testing::random_schema(rng)));
  }

  // CSV: mode byte, then the data. The workload's first rows (CRM), random tables (mode 1: a
  // seed for the schema), bad rows, the file loader with 128-byte lines (mode bits 3 and 5).
  std::string tmp = (fs::temp_directory_path() / ("seg-fuzz-seeds-" + std::to_string(::getpid()))).string();
  fs::create_directories(tmp);
  {
    std::string path = tmp + "/workload.csv";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    rt::write_workload_csv(f, 16, rt::kWorkloadSeed);
    std::fclose(f);
    std::string csv = read(path);
    seed("csv", "workload", std::string(1, '\0') + csv);
    seed("csv", "workload_file_skip", std::string(1, '\x0c') + csv);
    seed("csv", "workload_bad_row", std::string(1, '\x04') + csv + "7,Nowhere,,x,y,z,,,,\n");
    seed("csv", "workload_file_short_lines", std::string(1, '\x28') + csv);
  }
  for (uint64_t s = 0; s < 16; ++s) {
    testing::Rng schema_rng(s + 500);
    Schema schema = testing::random_schema(schema_rng);
    testing::Rng rng(s + 700);
    testing::RefTable t = testing::random_table(schema, 1 + s * 2, rng);
    std::string mode(1, static_cast<char>(1 | (s % 2 ? 8 : 0) | (s % 4 == 3 ? 32 : 0)));
    seed("csv", "random_" + std::to_string(s), mode + u64(s + 500) + testing::table_csv(t, rng));
  }
  seed("csv", "every_type", std::string(1, '\x02') +
                                "id,n,d,t,b,s,e,o,tags,fixed\n"
                                "1,5,1.250,2025-01-01,true,alpha,Low,x,A|B b,P\n"
                                "2,,,,,,High,new,,\n"
                                "3,-7,-0.001,2025-06-30T12:00:00Z,false,\"say \"\"hi\"\"\",Mid,,C|A|new tag,P|Q\n");

  seed("csv", "every_type_jsonl", std::string(1, '\x12') +
                                      R"({"id": 1, "n": 5, "d": "1.250", "t": "2025-01-01", "b": true, "s": "alpha", "e": "Low", "tags": ["A", "B b"]})" "\n"
                                      R"({"id": 2, "e": "High", "o": null, "tags": [], "fixed": ["P", "Q"]})" "\n"
                                      R"({"id": 3, "n": -7, "d": -0.001, "t": "2025-06-30T12:00:00Z", "b": false, "s": "", "e": "Mid", "o": "new"})" "\n");
  seed("csv", "workload_jsonl", std::string(1, '\x18') +
                                    R"({"client_id": 1, "stage": "Registration", "tags": ["VIP"], "spot": 12, "player_id": 1000001,)"
                                    R"( "deposit_total": "10.50", "registered_at": "2025-03-01T10:00:00Z"})" "\n");

  // Snapshots: mode byte, then a valid file (the workload, random tables).
  auto snapshot_seed = [&](const std::string& name, const rt::Store& store) {
    std::string path = tmp + "/" + name + ".seg", error;
    if (!rt::write_snapshot(store, path, error)) {
      std::cerr << error << "\n";
      std::exit(1);
    }
    std::string bytes = file_bytes(path);
    for (char mode : {'\0', '\x01', '\x03', '\x07'}) seed("snapshot", name + "_mode" + std::to_string(int(mode)), mode + bytes);
  };
  snapshot_seed("workload", rt::generate_workload_store(crm, 70));
  for (uint64_t s = 0; s < 6; ++s) {
    testing::Rng rng(s + 900);
    Schema schema = testing::random_schema(rng);
    testing::RefTable t = testing::random_table(schema, s * 7, rng);
    auto loaded = rt::load_csv_text(testing::table_csv(t, rng), "t.csv", schema);
    if (loaded.ok()) snapshot_seed("random_" + std::to_string(s), *loaded.store);
  }
  {
    // The newest forms, which the tables above are too small for: a tag on more than 2,048 rows
    // of a chunk (sparse bytes, decision 69) and one on a few (bucketed bytes), and a column
    // with a frequent value whose other values take 19 bits, each on about 10 rows, so that it
    // gets no value index and is sliced (packed slices with a tail, 67).
    Schema schema;
    schema.name = "newest";
    schema.fields.resize(3);
    schema.fields[0].name = "id";
    schema.fields[1].name = "tags";
    schema.fields[1].type = FieldType::Set;
    schema.fields[1].dict.add("a");
    schema.fields[1].dict.add("b");
    schema.fields[2].name = "v";
    schema.id_field = 0;
    std::string csv = "id,tags,v\n";
    for (uint64_t r = 0; r < 2100; ++r)
      csv += std::to_string(r + 1) + (r % 40 == 0 ? ",a|b," : ",a,") + std::to_string(r % 2 ? r % 97 * 3001 : 0) + "\n";
    auto loaded = rt::load_csv_text(csv, "newest.csv", schema);
    if (!loaded.ok()) {
      std::cerr << "the newest forms' seed did not load\n";
      std::exit(1);
    }
    snapshot_seed("newest", *loaded.store);
  }
  fs::remove_all(tmp);

  // Interpreter (tests/fuzz/fuzz_interpreter.cpp): byte 0 the schema (bits 4-6) and size class
  // (bits 0-3), byte 1 the table variant, then (depth, rule seed) pairs: every schema and size
  // class, and the large table (byte 1 = 0xff). (Inputs with explicit seeds, byte 0 = 0xff, are
  // the regression inputs.)
  for (uint64_t s = 0; s < 48; ++s) {
    auto t = static_cast<uint8_t>(((s % 8) << 4) | (s * 5 % 16));
    std::string b = std::string(1, static_cast<char>(t)) + std::string(1, static_cast<char>(s % 2));
    for (uint64_t k = 0; k < 1 + s % 3; ++k) b += std::string(1, static_cast<char>(k * 37 + s)) + u64(s * 100 + k);
    seed("interpreter", "random_" + std::to_string(s), b);
  }
  // The large table: byte 1 = 0xff, and a rule seed that makes the input's hash pick it.
  for (uint64_t rule_seed = 77, found = 0; found < 2; ++rule_seed) {
    std::string b = std::string("\x00\xff", 2) + std::string(1, '\x03') + u64(rule_seed);
    if (!fuzz::large_input(reinterpret_cast<const uint8_t*>(b.data()), b.size())) continue;
    seed("interpreter", "large_table_" + std::to_string(found++), b);
  }
  std::cout << "seg_fuzz_seeds: " << written << " seed inputs in " << out_root.string() << "\n";
  return 0;
}
