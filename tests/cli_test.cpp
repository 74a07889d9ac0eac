// Golden tests of what the `seg` command line shows: `seg --help`, every command's --help,
// and the --format json documents (and a few text outputs and exit codes) on fixed inputs.
// Each case is tests/golden/cli/NAME.txt: the command, its exit code, stdout and stderr.
// Times are normalised so the files are stable. SEG_UPDATE_GOLDEN=1 rewrites them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/repl/process.hpp"

namespace seg {
namespace {

namespace fs = std::filesystem;

struct CliCase {
  std::string name;
  std::vector<std::string> args;
  std::string input;  // stdin (a pipe); empty: none
};

const std::string kQ1 = "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12";

std::vector<CliCase> cases() {
  std::vector<CliCase> c = {
      {"help", {"--help"}, ""},
      {"version", {"--version"}, ""},
      {"no_command", {}, ""},
      {"unknown_option", {"check", "--colour", "spot = 1"}, ""},
      {"bad_format", {"check", "--format", "xml", "spot = 1"}, ""},
      // check
      {"check_text_ok", {"check", kQ1}, ""},
      {"check_text_typo", {"check", "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spto = 12"}, ""},
      {"check_json_ok", {"check", "--format", "json", kQ1}, ""},
      {"check_json_errors", {"check", "--format", "json", "stgae in (NotProcessed) and spot = \"abc\""}, ""},
      {"check_json_warning", {"check", "--format", "json", "tag any (T999)"}, ""},
      {"check_stdin", {"check", "--format", "json"}, "spot = 12 -- from stdin\n"},
      {"check_file_missing", {"check", "-f", "missing.rule"}, ""},
      // fmt
      {"fmt_text", {"fmt", "STAGE IN (notprocessed,\"Registration\") AND Tag Any (registered)"}, ""},
      {"fmt_json", {"fmt", "--format", "json", "tag any (\"Top-up\", VIP) and spot = 3 -- comment"}, ""},
      {"fmt_json_error", {"fmt", "--format", "json", "stage in ()"}, ""},
      // ir
      {"ir_text", {"ir", "stage >= Deposit and spot = 3"}, ""},
      {"ir_json", {"ir", "--format", "json", kQ1}, ""},
      {"ir_json_never", {"ir", "--format", "json", "spot = 1 and spot = 2"}, ""},
      // form
      {"form_json", {"form", "--format", "json", "-"},
       "{\"title\": \"Top-up\", \"stages\": [\"NotProcessed\", \"Registration\"], \"spot\": 12, \"tags\": [\"REGISTERED\"]}"},
      {"form_text", {"form", "-"}, "{\"title\": \"Deposit 3\", \"stages\": [\"Deposit\"], \"spot\": 3}"},
      {"form_json_error", {"form", "--format", "json", "-"}, "{\"stages\": [\"Depositt\"], \"spot\": \"3\"}"},
      {"form_from_rule_json", {"form", "--format", "json", "--from-rule", kQ1}, ""},
      {"form_from_rule_misfit", {"form", "--format", "json", "--from-rule", "deposit_total > 100"}, ""},
      // import
      {"import_querybuilder_json", {"import", "--format", "json", "-", "--from", "querybuilder"},
       "{\"combinator\": \"and\", \"rules\": [{\"field\": \"stage\", \"operator\": \"in\", \"value\": "
       "\"NotProcessed,Registration\"}, {\"field\": \"tags\", \"operator\": \"in\", \"value\": [\"REGISTERED\"]}, "
       "{\"field\": \"spot\", \"operator\": \"=\", \"value\": \"12\"}]}"},
      {"import_jsonlogic_error", {"import", "--format", "json", "-", "--from", "jsonlogic"},
       "{\"and\": [{\"in\": [{\"var\": \"stgae\"}, [\"Deposit\"]]}, {\"==\": [{\"var\": \"spot\"}, 3]}]}"},
      // eval
      {"eval_text", {"eval", kQ1, "--data", "clients.csv"}, ""},
      {"eval_count", {"eval", kQ1, "--data", "clients.csv", "--count"}, ""},
      {"eval_ids", {"eval", "spot = 12", "--data", "clients.csv", "--ids"}, ""},
      {"eval_rows", {"eval", "spot = 12", "--data", "clients.csv", "--rows", "2", "--offset", "1"}, ""},
      {"eval_json", {"eval", "--format", "json", kQ1, "--data", "clients.csv", "--now", "2026-11-01"}, ""},
      {"eval_json_rows", {"eval", "--format", "json", "country = DE", "--data", "clients.csv", "--rows", "5"}, ""},
      {"eval_json_ids", {"eval", "--format", "json", "last_active_at >= now - 60d", "--data", "clients.csv", "--now",
                         "2026-11-01", "--ids"},
       ""},
      {"eval_json_error", {"eval", "--format", "json", "spto = 12", "--data", "clients.csv"}, ""},
      {"eval_missing_data", {"eval", kQ1, "--data", "missing.csv"}, ""},
      {"eval_bad_now", {"eval", kQ1, "--data", "clients.csv", "--now", "yesterday"}, ""},
      {"eval_rows_negative", {"eval", "spot = 12", "--data", "clients.csv", "--rows", "-1"}, ""},
      {"eval_offset_past_end", {"eval", "spot = 12", "--data", "clients.csv", "--rows", "2", "--offset", "99"}, ""},
      {"ir_from_json_stdin_duplicate_member", {"ir", "--from-json", "-"},
       R"({"version":1,"rule":{"field":"spot","op":"in","values":[1],"values":[2]}})"},
      {"repl_values_without_dictionary", {"repl", "--data", "clients.csv"}, ".values spot\n.values deposit_total\n"},
      // explain
      {"explain_json", {"explain", "--format", "json", kQ1, "--data", "clients.csv"}, ""},
      // repl, scripted
      {"repl_script", {"repl", "--data", "clients.csv", "--now", "2026-11-01", "--rows", "3"},
       "-- a script\n" + kQ1 + "\n.save q1\n.segments\n.members q1\nstage in (Active,\n  Deposit)\nspto = 1\n.values country\n"},
  };
  for (const char* cmd : {"check", "fmt", "ir", "form", "import", "eval", "explain", "gen", "convert", "bench", "repl"})
    c.push_back({fmt::format("help_{}", cmd), {cmd, "--help"}, ""});
  return c;
}

// Times change from run to run: they become <ms>. The planner's estimates are its own to tune:
// explain's goldens pin the document's shape, not the figures.
std::string normalise(std::string s) {
  static const std::regex json_ms("\"(elapsed_ms|ms)\": [-0-9.e+]+");
  static const std::regex estimate("\"(estimated_selectivity|estimated_cost)\": [-0-9.e+]+");
  s = std::regex_replace(s, estimate, "\"$1\": \"<estimate>\"");
  static const std::regex text_ms("elapsed [0-9.]+ ms");
  static const std::regex summary_ms("\\) in [0-9.]+ ms");  // "4 clients (66.67% of 6) in 0.05 ms"
  s = std::regex_replace(s, json_ms, "\"$1\": \"<ms>\"");
  s = std::regex_replace(s, text_ms, "elapsed <ms> ms");
  s = std::regex_replace(s, summary_ms, ") in <ms> ms");
  return s;
}

std::string shell_quote(const std::string& a) {
  if (!a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,/=:") ==
                        std::string::npos)
    return a;
  std::string out = "'";
  for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  out += '\'';
  return out;
}

std::string describe(const CliCase& c, const process::RunResult& r) {
  std::string cmd = "$";
  if (!c.input.empty()) cmd = fmt::format("$ printf %s {} |", shell_quote(c.input));
  cmd += " seg";
  for (const auto& a : c.args) cmd += fmt::format(" {}", shell_quote(a));
  return fmt::format("{}\n--- exit {}\n--- stdout\n{}--- stderr\n{}", cmd, r.exit, normalise(r.out), normalise(r.err));
}

class CliGolden : public ::testing::TestWithParam<CliCase> {};

TEST_P(CliGolden, Output) {
  ASSERT_TRUE(process::seg_binary_exists()) << "build the seg binary first: " << process::seg_binary();
  const CliCase& c = GetParam();
  fs::path dir = fs::path(SEG_SOURCE_DIR) / "tests/golden/cli";
  fs::path path = dir / (c.name + ".txt");
  process::Env env{{"NO_COLOR", "1"}, {"SEG_HISTORY", "/dev/null"}, {"COLUMNS", "80"}};
  process::RunResult r = process::run_seg(c.args, c.input, env, dir.string());
  ASSERT_NE(r.exit, -2) << "seg timed out";
  std::string actual = describe(c, r);
  if (std::getenv("SEG_UPDATE_GOLDEN")) {
    std::ofstream(path) << actual;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "no golden file " << path << " (run with SEG_UPDATE_GOLDEN=1 to write it)";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(actual, ss.str()) << "golden file " << path << " (SEG_UPDATE_GOLDEN=1 rewrites it)";
}

INSTANTIATE_TEST_SUITE_P(Cases, CliGolden, ::testing::ValuesIn(cases()), [](const auto& info) { return info.param.name; });

// Every golden file belongs to a case (a renamed case leaves no stale file behind).
TEST(CliGoldenFiles, NoStaleFiles) {
  std::set<std::string> names;
  for (const auto& c : cases()) names.insert(c.name);
  for (const auto& e : fs::directory_iterator(fs::path(SEG_SOURCE_DIR) / "tests/golden/cli"))
    if (e.path().extension() == ".txt") {
      EXPECT_TRUE(names.count(e.path().stem().string())) << e.path();
    }
}

// Every command's --help has examples and exit codes (a new command must have them too).
TEST(CliHelp, EveryCommandHasExamplesAndExitCodes) {
  ASSERT_TRUE(process::seg_binary_exists());
  auto top = process::run_seg({"--help"});
  ASSERT_EQ(top.exit, 0);
  std::istringstream lines(top.out);
  bool in_commands = false;
  int commands = 0;
  for (std::string l; std::getline(lines, l);) {
    if (l == "Subcommands:") {
      in_commands = true;
      continue;
    }
    if (in_commands && l.empty()) break;
    if (!in_commands) continue;
    std::string name = l.substr(2, l.find(' ', 2) - 2);
    auto r = process::run_seg({name, "--help"});
    EXPECT_EQ(r.exit, 0) << name;
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << name << " --help has no examples";
    EXPECT_NE(r.out.find("Exit codes:"), std::string::npos) << name << " --help has no exit codes";
    ++commands;
  }
  EXPECT_GE(commands, 10);
}

}  // namespace
}  // namespace seg
