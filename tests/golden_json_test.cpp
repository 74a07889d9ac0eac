// Golden files for the IR JSON reader (tests/golden/json/*.txt): a JSON document, a line
// `----`, then the exact diagnostics (with JSON paths) and, when it reads, `=> canonical text`.
// Run by the shared driver (tests/support/golden.hpp): SEG_UPDATE_GOLDEN=1 rewrites the expected part.
#include <gtest/gtest.h>

#include <filesystem>

#include "compiler/compile.hpp"
#include "compiler/ir_json.hpp"
#include "tests/support/golden.hpp"

namespace seg {
namespace {

const std::filesystem::path kJsonGoldenDir = std::filesystem::path(SEG_SOURCE_DIR) / "tests/golden/json";

std::string actual_output(const std::string& doc) {
  Diagnostics d;
  auto ir = ir_from_json(doc, crm_schema(), d);
  std::string out = render_text(d.list(), "ir.json", "");
  if (ir) {
    optimize(*ir, crm_schema(), d);
    out += "=> " + ir::print_rule(*ir, crm_schema()) + "\n";
  }
  return out;
}

class GoldenJson : public ::testing::TestWithParam<golden::Case> {};

TEST_P(GoldenJson, ReaderDiagnostics) {
  golden::File file;
  ASSERT_TRUE(golden::read(GetParam(), file));
  EXPECT_TRUE(golden::matches(GetParam(), file, actual_output(file.input)));
}

INSTANTIATE_TEST_SUITE_P(Files, GoldenJson, ::testing::ValuesIn(golden::cases(kJsonGoldenDir)), golden::test_name);

TEST(GoldenJsonFiles, EveryFileIsWellFormed) { EXPECT_TRUE(golden::well_formed(kJsonGoldenDir, 20)); }

// Whatever the bytes, the reader answers with a document or diagnostics, never a crash.
TEST(IrJsonReader, TruncationsAndByteFlipsNeverCrash) {
  std::string doc = R"({"version":1,"rule":{"and":[{"field":"stage","op":"in","values":["NotProcessed"]},)"
                    R"({"field":"deposit_total","op":"range","min":"10.5","max":{"now":5}},{"not":{"const":false}}]}})";
  for (size_t cut = 0; cut < doc.size(); ++cut) {
    Diagnostics d;
    auto ir = ir_from_json(doc.substr(0, cut), crm_schema(), d);
    EXPECT_FALSE(ir.has_value());
    EXPECT_TRUE(d.has_errors());
  }
  for (size_t i = 0; i < doc.size(); ++i)
    for (char c : {'"', '{', ']', '1', 'x', '\0', ','}) {
      std::string m = doc;
      m[i] = c;
      Diagnostics d;
      auto ir = ir_from_json(m, crm_schema(), d);
      EXPECT_TRUE(ir.has_value() || d.has_errors()) << m;
    }
}

TEST(IrJsonReader, ErrorPathPointsIntoTheDocument) {
  Diagnostics d;
  auto ir = ir_from_json(R"({"version":1,"rule":{"and":[{"const":true},{"const":true},{"field":"spot","op":"in","values":["x"]}]}})",
                         crm_schema(), d);
  EXPECT_FALSE(ir);
  ASSERT_EQ(d.list().size(), 1u);
  EXPECT_EQ(d.list()[0].json_path, "/rule/and/2/values/0");
  EXPECT_EQ(d.list()[0].code, "E302");
}

}  // namespace
}  // namespace seg
