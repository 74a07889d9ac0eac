// Conventions shared by every `seg` subcommand: rule input, schema, --format, --now, output.
#include "tools/seg/common.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/time_util.hpp"
#include "tools/seg/command.hpp"

namespace seg::cli {

void add_rule_options(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("rule", o.rule, "The rule text (or use -f FILE, or stdin when neither is given)")->type_name("RULE");
  cmd.add_option("-f,--file", o.rule_file, "Read the rule from FILE (- for stdin)")->type_name("FILE");
}
void add_schema_option(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--schema", o.schema_file, "Schema JSON file (default: the bundled CRM schema)")->type_name("FILE");
}
void add_format_option(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--format", o.format, "Output format")->check(CLI::IsMember({"text", "json"}))->default_val("text");
}
void add_now_option(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--now", o.now, "Fix `now` (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ) for reproducible results")
      ->type_name("TIMESTAMP");
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    error = fmt::format("{}: no such file", path);
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    error = fmt::format("{}: is a directory, not a file", path);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = fmt::format("{}: cannot be read", path);
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = fmt::format("{}: read error", path);
    return std::nullopt;
  }
  return ss.str();
}

std::optional<std::string> read_document(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::string err;
  auto text = read_file(path, err);
  if (!text) {
    fmt::print(stderr, "seg: {}\n", err);
    set_exit(2);
  }
  return text;
}

std::optional<std::string> read_rule(const CommonOptions& o, std::string& source_name) {
  if (!o.rule.empty() && !o.rule_file.empty()) {
    fmt::print(stderr, "seg: give the rule as an argument or with -f, not both\n");
    set_exit(2);
    return std::nullopt;
  }
  if (!o.rule.empty()) {
    source_name = "<rule>";
    return o.rule;
  }
  if (!o.rule_file.empty() && o.rule_file != "-") {
    source_name = o.rule_file;
    std::string err;
    auto text = read_file(o.rule_file, err);
    if (!text) {
      fmt::print(stderr, "seg: {}\n", err);
      set_exit(2);
    }
    return text;
  }
  source_name = "<stdin>";
  if (o.rule_file.empty() && ::isatty(0)) {
    fmt::print(stderr, "seg: no rule given (pass it as an argument, with -f FILE, or on stdin)\n");
    set_exit(2);
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << std::cin.rdbuf();
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::optional<Schema> load_schema(const CommonOptions& o) {
  if (o.schema_file.empty()) return crm_schema();
  std::string err;
  auto text = read_file(o.schema_file, err);
  if (!text) {
    fmt::print(stderr, "seg: {}\n", err);
    set_exit(2);
    return std::nullopt;
  }
  Diagnostics d;
  auto s = parse_schema_json(*text, d);
  if (!s) {
    fmt::print(stderr, "{}", render_text(d.list(), o.schema_file, "", use_color(2)));
    set_exit(2);
  }
  return s;
}

std::optional<int64_t> resolve_now(const CommonOptions& o) {
  if (o.now.empty())
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  auto t = parse_timestamp(o.now);
  if (!t) {
    fmt::print(stderr, "seg: --now `{}` is not a date or timestamp (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)\n", o.now);
    set_exit(2);
  }
  return t;
}

bool use_color(int fd) {
  const char* nc = std::getenv("NO_COLOR");
  if (nc && *nc) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string_view(term) == "dumb") return false;
  return ::isatty(fd);
}

void print_diagnostics(const Diagnostics& d, std::string_view source_name, std::string_view text, Format f) {
  if (f == Format::Json) {
    fmt::print("{}\n", render_json(d.list(), text));
  } else if (!d.empty()) {
    fmt::print(stderr, "{}", render_text(d.list(), source_name, text, use_color(2)));
  }
}

}  // namespace seg::cli
