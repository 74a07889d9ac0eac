// One table of diagnostic codes (base/diagnostic_codes.hpp): the docs list exactly its
// rows with its wording, every code the sources report is in it, and every code in it (but
// the retired ones) is reported somewhere.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "base/diagnostic_codes.hpp"
#include "tests/support/files.hpp"

namespace seg {
namespace {

using seg::testing::slurp;

namespace fs = std::filesystem;

TEST(DiagnosticCodes, TheDocsListExactlyTheTable) {
  std::map<std::string, std::string> documented;
  static const std::regex row(R"(^\| ([EW]\d{3}) \| (?:(?:error|warning) \| )?(.*?) \|\s*$)");
  for (const char* doc : {"docs/diagnostics.md", "docs/runtime.md"}) {
    std::istringstream in(slurp(fs::path(SEG_SOURCE_DIR) / doc));
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (std::regex_match(line, m, row)) {
        EXPECT_FALSE(documented.count(m[1])) << m[1] << " is documented twice";
        documented[m[1]] = m[2];
      }
    }
  }
  for (const auto& d : kDiagnosticCodes) {
    auto it = documented.find(std::string(d.code));
    ASSERT_NE(it, documented.end()) << d.code << " is not in docs/diagnostics.md or docs/runtime.md";
    EXPECT_EQ(it->second, d.meaning) << d.code;
  }
  for (const auto& [code, meaning] : documented)
    EXPECT_NE(find_diagnostic_code(code), nullptr) << code << " is documented but not in kDiagnosticCodes";
}

TEST(DiagnosticCodes, EveryCodeReportedIsInTheTableAndEveryCodeIsReported) {
  std::set<std::string> used;
  static const std::regex code(R"(\b[EW][1-9]\d{2}\b)");
  for (const char* dir : {"base", "grammar", "schema", "compiler", "adapters", "sql", "runtime", "api", "tools"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(SEG_SOURCE_DIR) / dir)) {
      if (!e.is_regular_file() || e.path().filename() == "diagnostic_codes.hpp") continue;
      std::string ext = e.path().extension().string();
      if (ext != ".cpp" && ext != ".hpp") continue;
      std::string text = slurp(e.path());
      for (std::sregex_iterator it(text.begin(), text.end(), code), end; it != end; ++it) {
        // A code in a string literal or a comment naming one: both must be real codes.
        std::string c = it->str();
        used.insert(c);
        EXPECT_NE(find_diagnostic_code(c), nullptr) << e.path().string() << " mentions " << c;
      }
    }
  }
  for (const auto& d : kDiagnosticCodes) {
    if (d.retired) continue;
    EXPECT_TRUE(used.count(std::string(d.code))) << d.code << " is in the table but never reported";
  }
}

}  // namespace
}  // namespace seg
