// Golden files for the IR JSON reader (tests/golden/json/*.txt): a JSON document, a line
// `----`, then the exact diagnostics (with JSON paths) and, when it reads, `=> canonical text`.
// SEG_UPDATE_GOLDEN=1 rewrites the expected part.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/compile.hpp"
#include "compiler/ir_json.hpp"

namespace seg {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> golden_files() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(SEG_SOURCE_DIR) / "tests/golden/json"))
    if (e.path().extension() == ".txt") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

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

class GoldenJson : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenJson, ReaderDiagnostics) {
  fs::path path = fs::path(SEG_SOURCE_DIR) / "tests/golden/json" / (GetParam() + ".txt");
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string content = ss.str();
  size_t sep = content.find("\n----\n");
  ASSERT_NE(sep, std::string::npos) << path << " has no ---- line";
  std::string doc = content.substr(0, sep), expected = content.substr(sep + 6);
  std::string actual = actual_output(doc);
  if (std::getenv("SEG_UPDATE_GOLDEN")) {
    std::ofstream(path) << doc << "\n----\n" << actual;
    return;
  }
  EXPECT_EQ(actual, expected) << "golden file " << path;
}

INSTANTIATE_TEST_SUITE_P(Files, GoldenJson, ::testing::ValuesIn(golden_files()),
                         [](const auto& info) { return info.param; });

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
