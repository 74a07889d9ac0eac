// The `seg` command line: one binary, one subcommand per cmd_*.cpp file.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <vector>

#include "base/text_util.hpp"
#include "seg/seg.hpp"
#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace {
std::vector<std::pair<int, CommandSetup>>& registry() {
  static std::vector<std::pair<int, CommandSetup>> r;
  return r;
}
}  // namespace

CommandRegistrar::CommandRegistrar(int order, CommandSetup setup) { registry().emplace_back(order, setup); }

namespace {
// Output that could not be written (a full disk, /dev/full) is an I/O error, exit 2, never a
// silent success: stdout is buffered, so a failed write may show only at this last flush (and
// a large one throws from fmt::print mid-way, caught in main). A closed pipe ends seg with
// SIGPIPE first, as it does any Unix filter.
int finish(int code) {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const std::string why = fmt::format("seg: cannot write the output: {}\n", std::strerror(errno ? errno : EIO));
    std::fputs(why.c_str(), stderr);
    return 2;
  }
  return code;
}
}  // namespace

// Every option and positional that takes a value refuses an empty one (docs/cli.md): an
// unset shell variable (`--schema "$SCHEMA"`) read as the option not given fell back to the
// bundled schema, stdin or a default mapping without a word (found by a review).
void refuse_empty_values(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    // (The `rule` argument has its own message: leave it out to read stdin.)
    for (CLI::Option* opt : sub->get_options([](CLI::Option* o) { return o->get_type_size() != 0 && o->get_name() != "rule"; })) {
      const std::string type = opt->get_type_name();
      const std::string what = type.empty() || type == "TEXT" ? std::string("a value") : type;
      opt->check(not_empty(what));
    }
}

// Every count, size and id is shown as N in --help, whatever its C++ type (it was UINT, INT or
// UINT:COUNT by the option; a review), with its range where one is checked.
void name_numbers(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    for (CLI::Option* opt : sub->get_options([](CLI::Option* o) { return o->get_type_size() != 0; })) {
      const std::string type = opt->get_type_name();
      if (type.rfind("UINT", 0) == 0 || type.rfind("INT", 0) == 0) opt->type_name(opt->get_name() == "--delete" ? "ID" : "N");
    }
}

// `seg help` and `seg help COMMAND`, as git and cargo take them: the same as `seg --help` and
// `seg COMMAND --help` (`help` was an unknown command; a new user types it first). `seg help
// nosuch` is `seg nosuch`: an unknown command, said so.
std::vector<char*> help_as_flag(const CLI::App& app, int argc, char** argv) {
  static char help_flag[] = "--help";
  std::vector<char*> args(argv, argv + argc);
  if (argc < 2 || std::strcmp(argv[1], "help") != 0) return args;
  args.erase(args.begin() + 1);
  bool known = argc == 2;
  try {
    known = known || app.get_subcommand(std::string(argv[2])) != nullptr;
  } catch (const CLI::OptionNotFound&) {  // CLI11's answer for no such command
  }
  if (known)
    args.insert(args.begin() + std::min<std::ptrdiff_t>(2, static_cast<std::ptrdiff_t>(args.size())), help_flag);
  return args;
}

// Words a command did not take (CLI11's ExtrasError, which lists them last first and without
// a hint): each unknown option with the command's nearest option name, and a stray word with
// why it may be there. Returns false when no command was chosen (CLI11's message then).
bool explain_extras(const CLI::App& app, int argc, char** argv) {
  const auto chosen = app.get_subcommands();
  if (chosen.empty()) return false;
  const CLI::App* sub = chosen[0];
  std::vector<std::string> extras = sub->remaining();
  if (extras.empty()) return false;
  std::vector<std::string> options;
  for (const CLI::Option* o : sub->get_options())
    for (const std::string& l : o->get_lnames()) options.push_back("--" + l);
  const std::string cmd = "seg " + sub->get_name();
  bool after_unknown_option = false;
  for (int i = 1; i < argc; ++i) {
    std::string w = argv[i];
    auto it = std::find(extras.begin(), extras.end(), w);
    if (it == extras.end()) {
      after_unknown_option = false;
      continue;
    }
    extras.erase(it);
    if (w.size() > 1 && w[0] == '-') {
      const std::string name = w.substr(0, w.find('='));
      auto near = w.rfind("--", 0) == 0 ? seg::api::nearest_names(name, options, 1) : std::vector<std::string>{};
      fmt::print(stderr, "{}: unknown option `{}`{}\n", cmd, visible_text(name),
                 near.empty() ? "" : fmt::format(" (did you mean `{}`?)", near[0]));
      after_unknown_option = w.find('=') == std::string::npos;
    } else if (after_unknown_option) {
      after_unknown_option = false;  // the unknown option's value, most likely: said once, above
    } else {
      const bool takes_rule = sub->get_option_no_throw("rule") != nullptr;
      fmt::print(stderr, "{}: unexpected argument `{}`{}\n", cmd, visible_text(w),
                 takes_rule ? " (a rule is one argument: quote it whole, its conditions joined by `and` or `or`)" : "");
    }
  }
  fmt::print(stderr, "Run `{} --help` for its options.\n", cmd);
  return true;
}

}  // namespace seg::cli

int main(int argc, char** argv) {
  using namespace seg::cli;
  // A file size limit (ulimit -f) is an I/O error at the write that crosses it (EFBIG), which
  // every writer reports (a membership's log: 503 `io` in the service, nothing acknowledged
  // lost), not SIGXFSZ ending the process: `seg serve` under a limit died at the batch that
  // crossed it (found by a review).
  ::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"seg: CRM audience segments: check, format, compile and evaluate segment rules.", "seg"};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 fine, 1 the rule or the data has errors, 2 usage or I/O error.\n"
      "Run `seg COMMAND --help` for a command's options and examples.");
  app.set_version_flag("--version", std::string("seg ") + seg::api::version());  // the library's: one number
  auto& reg = registry();
  std::stable_sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [order, setup] : reg) setup(app);
  name_numbers(app);
  refuse_empty_values(app);
  std::vector<char*> args = help_as_flag(app, argc, argv);
  argc = static_cast<int>(args.size());
  argv = args.data();
  try {
    app.parse(argc, argv);
  } catch (const Exit& e) {
    return finish(e.code);
  } catch (const std::system_error& e) {
    // fmt::print's failed write (std::system_error): the output is incomplete.
    std::fputs(fmt::format("seg: cannot write the output: {}\n", e.what()).c_str(), stderr);
    return 2;
  } catch (const std::bad_alloc&) {
    // Inputs are read within limits, so this is a machine short of memory for the data.
    fmt::print(stderr, "seg: out of memory\n");
    return 2;
  } catch (const CLI::CallForHelp& e) {
    return finish(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return finish(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return finish(app.exit(e));
  } catch (const CLI::ExtrasError& e) {
    if (explain_extras(app, argc, argv)) return 2;
    app.exit(e);
    return 2;
  } catch (const CLI::ParseError& e) {
    // CLI11 says "A subcommand is required" for `seg nosuch`: name the word and the commands.
    if (argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty()) {
      std::vector<std::string> names;
      for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
      auto near = seg::api::nearest_names(argv[1], names, 1);
      fmt::print(stderr, "seg: unknown command `{}`{}\ncommands: {}\nRun `seg --help` for what each does.\n", argv[1],
                 near.empty() ? "" : fmt::format(" (did you mean `{}`?)", near[0]), fmt::join(names, ", "));
      return 2;
    }
    app.exit(e);
    return 2;
  }
  return finish(0);
}
