// The module graph of docs/architecture.md, checked: every engine file includes headers only
// from its own module and the modules its CMake target links (the table below mirrors
// CMakeLists.txt), so a folder can never quietly start depending on a layer above it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/support/files.hpp"

namespace fs = std::filesystem;

namespace {

using seg::testing::slurp;

// Module folder -> the module folders it may include from (its own included). Transitive
// dependencies are listed where a header of one module exposes another's types.
const std::map<std::string, std::set<std::string>>& allowed() {
  static const std::map<std::string, std::set<std::string>> table = {
      {"base", {"base"}},
      {"grammar", {"grammar", "base"}},
      {"schema", {"schema", "base"}},
      {"compiler", {"compiler", "grammar", "schema", "base"}},
      {"adapters", {"adapters", "compiler", "schema", "base"}},
      {"sql", {"sql", "compiler", "schema", "base"}},
      {"sources", {"sources", "sql", "runtime/storage", "compiler", "schema", "base"}},
      {"runtime/storage", {"runtime/storage", "schema", "base"}},
      // The JIT's interface is plain C++; only its own translation unit includes LLVM.
      {"runtime/jit", {"runtime/jit"}},
      {"runtime/exec", {"runtime/exec", "runtime/jit", "runtime/storage", "compiler", "schema", "base"}},
      {"runtime/membership", {"runtime/membership", "runtime/exec", "runtime/jit", "runtime/storage", "compiler", "schema", "base"}},
      {"tools/workload", {"tools/workload", "runtime/storage", "schema", "base"}},
      {"api", {"api", "seg", "adapters", "sql", "sources", "compiler", "runtime/membership", "runtime/exec", "runtime/storage", "schema", "base"}},
      // The service is a client: the public API only, like a host program.
      {"service", {"service", "seg"}},
  };
  return table;
}

// The module a project header belongs to: "runtime/exec/plan.hpp" -> "runtime/exec",
// "compiler/passes/pass.hpp" -> "compiler".
std::string module_of(const std::string& header) {
  for (const auto& [module, deps] : allowed()) {
    if (header.rfind(module + "/", 0) == 0) return module;
  }
  return header.substr(0, header.find('/'));
}

}  // namespace

TEST(Layering, EveryModuleIncludesOnlyTheModulesItLinks) {
  static const std::regex include(R"re(#include "([^"]+)")re");
  int files = 0;
  for (const auto& [module, deps] : allowed()) {
    fs::path dir = fs::path(SEG_SOURCE_DIR) / module;
    ASSERT_TRUE(fs::is_directory(dir)) << module;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".h")) continue;
      ++files;
      std::string text = slurp(e.path());
      for (std::sregex_iterator it(text.begin(), text.end(), include), end; it != end; ++it) {
        std::string header = (*it)[1];
        EXPECT_TRUE(deps.count(module_of(header)))
            << fs::relative(e.path(), SEG_SOURCE_DIR).string() << " (module " << module << ") includes " << header;
      }
    }
  }
  EXPECT_GT(files, 60);  // the walk found the engine, not an empty tree
}

// The CLI and the REPL are clients too (decision 26): the public API, the service's catalog
// (`seg refresh --catalog`, the REPL's .save), the workload generator (`seg gen`) and base's
// string helpers (case, trimming, the nearest name for a mistyped command). `seg bench` and
// `seg ir` are the two developer tools that look inside the engine.
TEST(Layering, TheCliUsesThePublicApi) {
  static const std::regex include(R"re(#include "([^"]+)")re");
  const std::set<std::string> inside = {"cmd_bench.cpp", "cmd_ir.cpp"};
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(SEG_SOURCE_DIR) / "tools/seg")) {
    std::string ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
    ++files;
    if (inside.count(e.path().filename().string())) continue;
    std::string text = slurp(e.path());
    for (std::sregex_iterator it(text.begin(), text.end(), include), end; it != end; ++it) {
      std::string h = (*it)[1];
      bool ok = h == "seg/seg.hpp" || h == "base/text_util.hpp" || h.rfind("tools/seg/", 0) == 0 ||
                h.rfind("service/", 0) == 0 || h.rfind("tools/workload/", 0) == 0;
      EXPECT_TRUE(ok) << fs::relative(e.path(), SEG_SOURCE_DIR).string() << " includes " << h;
    }
  }
  EXPECT_GT(files, 20);
}

TEST(Layering, NoFolderOfTheEngineIsOutsideTheTable) {
  // A new folder gets a row above (and a target in CMakeLists.txt) before it gets code.
  for (const char* top : {"base", "grammar", "schema", "compiler", "adapters", "sql", "sources", "runtime", "api", "service"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(SEG_SOURCE_DIR) / top)) {
      if (!e.is_regular_file()) continue;
      std::string ext = e.path().extension().string();
      if (ext != ".cpp" && ext != ".hpp") continue;
      std::string rel = fs::relative(e.path(), SEG_SOURCE_DIR).string();
      std::string module = module_of(rel);
      EXPECT_TRUE(allowed().count(module)) << rel << " is in no module of the table";
    }
  }
}
