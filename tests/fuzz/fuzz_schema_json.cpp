// Schema JSON (schema/schema.hpp, parse_schema_json). Whatever the bytes: no crash, a schema
// or an error. A schema that reads: written back and read again it is the same (same JSON);
// rules on each of its fields compile or are refused with diagnostics; a CSV with its header
// and a row of empty cells loads or is refused with an error.
#include "compiler/compile.hpp"
#include "schema/schema.hpp"
#include "runtime/storage/load.hpp"
#include "tests/fuzz/fuzz.hpp"

SEG_FUZZ_TARGET(schema_json) {
  using namespace seg;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Diagnostics d;
  auto schema = parse_schema_json(text, d);
  (void)render_text(d.list(), "schema.json", "");
  if (!schema) {
    SEG_FUZZ_CHECK(d.has_errors(), "no schema and no error");
    return 0;
  }
  std::string j1 = schema_to_json(*schema);
  Diagnostics d2;
  auto again = parse_schema_json(j1, d2);
  SEG_FUZZ_CHECK(again, "a written schema does not read back\n" + j1 + "\n" + render_text(d2.list(), "schema", j1));
  std::string j2 = schema_to_json(*again);
  SEG_FUZZ_CHECK(j1 == j2, "schema -> JSON -> schema differs\n" + j1 + "\n" + j2);
  SEG_FUZZ_CHECK(again->id_field == schema->id_field && again->fields.size() == schema->fields.size(),
                 "the schema read back has other fields");

  std::string header, nulls;
  for (size_t i = 0; i < schema->fields.size() && i < 64; ++i) {
    const Field& f = schema->fields[i];
    SEG_FUZZ_CHECK(schema->find(f.name) == static_cast<int>(i), "field " + f.name + " is not found by its name");
    std::vector<std::string> rules = {f.name + " is null", f.name + " is not null"};
    if (f.is_dictionary() && f.dict.size() > 0) {
      std::string v = f.dict[0].key, quoted = "\"";
      for (char c : v) quoted += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
      quoted += "\"";
      rules.push_back(f.name + (f.type == FieldType::Set ? " any (" : " in (") + quoted + ")");
      if (!f.dict[0].label.empty()) rules.push_back(f.name + " in (\"" + f.dict[0].label + "\")");
    } else if (f.type == FieldType::String) {
      rules.push_back(f.name + " = \"x\"");
    } else if (f.type == FieldType::Bool) {
      rules.push_back(f.name + " = true");
    } else if (!f.is_dictionary()) {
      rules.push_back(f.name + " between 1 and 2");
    }
    for (const std::string& r : rules) {
      Compiled c = compile_rule(r, *schema);
      SEG_FUZZ_CHECK(c.ir || c.diags.has_errors(), "no IR and no error: " + r);
      if (c.ir) (void)ir::print_rule(*c.ir, *schema);
    }
    header += (i ? "," : "") + f.name;
    nulls += i ? "," : "";
  }
  auto loaded = rt::load_csv_text(header + "\n" + nulls + "\n", "schema.csv", *schema);
  SEG_FUZZ_CHECK(loaded.ok() || !loaded.errors.empty(), "no store and no error");
  return 0;
}
