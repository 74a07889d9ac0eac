// Findings of an adversarial review of the command line (2026-11-29), one test each: input
// that was accepted silently or written back in a form that does not read again.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "adapters/form.hpp"
#include "compiler/ir.hpp"
#include "compiler/ir_json.hpp"
#include "schema/schema.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/snapshot.hpp"
#include "tools/workload/workload.hpp"

namespace seg {
namespace {

std::string first_error(const Diagnostics& d) {
  for (const Diagnostic& x : d.list())
    if (x.severity == Severity::Error) return x.code + " " + x.json_path;
  return "";
}

// nlohmann keeps the last of two equal members; the first value was lost without a word.
TEST(QaFindings, MemberGivenTwiceIsAnErrorWithItsPath) {
  Diagnostics ir, form;
  EXPECT_FALSE(ir_from_json(R"({"version":1,"rule":{"or":[{"const":true},)"
                            R"({"field":"spot","op":"in","values":[1],"values":[2]}]}})",
                            crm_schema(), ir));
  EXPECT_EQ(first_error(ir), "E613 /rule/or/1/values");
  EXPECT_FALSE(form_from_json(R"({"title":"t","stages":["NotProcessed"],"stages":["Blocked"]})", form));
  EXPECT_EQ(first_error(form), "E613 /stages");
  rt::LoadResult r = rt::load_jsonl_text(
      R"({"client_id":4,"player_id":5,"spot":2,"spot":3,"stage":"Active","deposit_total":1,"registered_at":"2025-01-01"})"
      "\n",
      "rows.jsonl", crm_schema());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors[0].code, "E709");
  EXPECT_NE(r.errors[0].message.find("/spot"), std::string::npos) << r.errors[0].to_string();
}

// A field named like a keyword printed rule text that does not parse (`and = X`).
TEST(QaFindings, KeywordsAreNotFieldNames) {
  for (const char* name : {"and", "NOT", "between", "now", "any"}) {
    Diagnostics d;
    std::string schema = std::string(R"({"fields":[{"name":"id","type":"int"},{"name":")") + name +
                         R"(","type":"int"}]})";
    EXPECT_FALSE(parse_schema_json(schema, d)) << name;
    EXPECT_EQ(first_error(d), "E610 /fields/1/name") << name;
  }
  Diagnostics alias;
  EXPECT_FALSE(parse_schema_json(R"({"fields":[{"name":"id","type":"int","aliases":["in"]}]})", alias));
  EXPECT_EQ(first_error(alias), "E610 /fields/0/aliases/0");
}

// llabs(INT64_MIN) overflowed, so the most negative offset passed the 10,000-year check.
TEST(QaFindings, NowOffsetAtInt64MinIsRefused) {
  Diagnostics d;
  EXPECT_FALSE(ir_from_json(R"({"version":1,"rule":{"field":"last_active_at","op":"range",)"
                            R"("min":{"now":-9223372036854775808}}})",
                            crm_schema(), d));
  EXPECT_EQ(first_error(d), "E109 /rule/min/now");
}

// Rule text cannot hold a NUL, so IR holding one could not be printed as a rule.
TEST(QaFindings, NulInAnIrJsonValueIsRefused) {
  Diagnostics d;
  EXPECT_FALSE(ir_from_json(R"({"version":1,"rule":{"field":"tags","op":"any","values":["a\u0000b"]}})",
                            crm_schema(), d));
  EXPECT_EQ(first_error(d), "E106 /rule/values/0");
}

// Epoch seconds outside years 0000-9999 loaded, and printed as digits no loader reads back.
TEST(QaFindings, JsonLinesEpochOutsideWritableYearsIsRefused) {
  auto row = [](const std::string& at) {
    return R"({"client_id":4,"player_id":5,"spot":2,"stage":"Active","deposit_total":1,"registered_at":)" + at +
           "}\n";
  };
  EXPECT_TRUE(rt::load_jsonl_text(row("253402300799"), "r.jsonl", crm_schema()).ok());
  EXPECT_TRUE(rt::load_jsonl_text(row("-62167219200"), "r.jsonl", crm_schema()).ok());
  for (const char* bad : {"253402300800", "-62167219201", "-9223372036854775808", "18446744073709551615"}) {
    rt::LoadResult r = rt::load_jsonl_text(row(bad), "r.jsonl", crm_schema());
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.errors[0].code, "E705") << bad;
  }
}

// A snapshot is written beside its path and renamed over it: that replaced /dev/full with a
// regular file. Non-regular targets are refused; a symlink is written through.
TEST(QaFindings, SnapshotNeverReplacesWhatIsNotARegularFile) {
  rt::Store s = rt::generate_workload_store(crm_schema(), 100);
  std::string error;
  EXPECT_FALSE(rt::write_snapshot(s, "/dev/null", error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("seg-qa-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::create_symlink(dir / "real.seg", dir / "link.seg");
  EXPECT_TRUE(rt::write_snapshot(s, (dir / "link.seg").string(), error)) << error;
  EXPECT_TRUE(fs::is_symlink(dir / "link.seg"));
  EXPECT_TRUE(rt::open_snapshot((dir / "real.seg").string()).ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace seg
