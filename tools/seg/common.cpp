// Conventions shared by every `seg` subcommand: rule input, schema, --format, --now, output.
#include "tools/seg/common.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "tools/seg/command.hpp"

namespace seg::cli {

void add_rule_options(CLI::App& cmd, CommonOptions& o) {
  o.rule_option =
      cmd.add_option("rule", o.rule, "The rule text (or use -f FILE, or stdin when neither is given)")->type_name("RULE");
  cmd.add_option("-f,--file", o.rule_file, "Read the rule from FILE (- for stdin)")->type_name("FILE");
}
void add_schema_option(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--schema", o.schema_file, "Schema JSON file (default: the bundled CRM schema)")->type_name("FILE");
}
CLI::Validator whole_number(const std::string& what, uint64_t min) {
  // A validator of its own: CLI::PositiveNumber's message prints its range as a 300-digit
  // float, CLI11 reads a number past 2^64 as the largest one instead of refusing it, and
  // "-1" into an unsigned option wraps to 2^64 - 1 (found by a review: `--since -1`).
  return CLI::Validator(
      [what, min](std::string& v) {
        const bool digits = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
        uint64_t n = 0;
        const bool fits = digits && std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc();
        return fits && n >= min ? std::string() : fmt::format("is {}, {} to 18446744073709551615", what, min);
      },
      "");
}
CLI::Validator count_at_least_one(const std::string& what) { return whole_number("a number of " + what, 1); }
void add_compact_after_option(CLI::App& cmd, uint64_t& rows, const std::string& help) {
  cmd.add_option("--compact-after", rows, help)->check(count_at_least_one("rows"))->type_name("ROWS");
}
void add_format_option(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--format", o.format, "Output format")->check(CLI::IsMember({"text", "json"}))->default_val("text");
}
CLI::Validator not_empty(const std::string& what) {
  // An empty value (an unset shell variable: `--now "$NOW"`) would read as the option not
  // given; it is a usage error instead, as an empty rule argument is (docs/cli.md).
  return CLI::Validator([what](std::string& v) { return v.empty() ? "is empty: give " + what : std::string(); }, "");
}
void add_now_option(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--now", o.now, "Fix `now` (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ) for reproducible results")
      ->type_name("TIMESTAMP")
      ->check(not_empty("a date or timestamp"));
}

// Reads at most `max_bytes + 1` bytes, so memory stays bounded whatever the input is
// (`/dev/zero`, a huge file, an endless pipe); the parser then sees more than its limit and
// reports that limit's own error (E401, E405).
static bool read_bounded(int fd, size_t max_bytes, std::string& out) {
  out.clear();
  const size_t cap = max_bytes + 1 > max_bytes ? max_bytes + 1 : max_bytes;
  char buf[1 << 16];
  while (out.size() < cap) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, cap - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return true;
}

std::optional<std::string> read_file(const std::string& path, std::string& error, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = errno == ENOENT ? fmt::format("{}: no such file", path) : fmt::format("{}: cannot be read: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    error = fmt::format("{}: is a directory, not a file", path);
    return std::nullopt;
  }
  std::string text;
  bool ok = read_bounded(fd, max_bytes, text);
  ::close(fd);
  if (!ok) {
    error = fmt::format("{}: read error: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  return text;
}

std::vector<RuleLine> read_rules_file(const std::string& path, Format format) {
  std::string error;
  // A rules file is a catalog's rules, each held to the rule limits where it is compiled (and
  // left out alone when it is not), so the file's own bound is a bound on memory, not a rule
  // limit: 256 rules of the largest size (4 MiB: lists of 100,000 ids), or hundreds of
  // thousands of ordinary ones. (It was the 16 MiB of a JSON document, so a file of ten
  // rules naming 100,000 players each was refused whole; a review.)
  const size_t max_bytes = kMaxRulesFileRules * api::limits().max_rule_bytes;
  auto text = read_file(path, error, max_bytes);
  if (!text) input_failure(path, error, format);
  if (text->size() > max_bytes)
    input_failure(path, fmt::format("{}: more than {} bytes (a rules file holds up to {} rules of the largest size)", path,
                                    max_bytes, kMaxRulesFileRules),
                  format);
  std::vector<RuleLine> out;
  size_t line = 0;
  for (size_t at = 0; at < text->size();) {
    size_t nl = text->find('\n', at);
    if (nl == std::string::npos) nl = text->size();
    std::string l = text->substr(at, nl - at);
    at = nl + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    // A UTF-8 byte-order mark an editor put before the first line is not part of its rule.
    if (line == 1 && l.rfind("\xEF\xBB\xBF", 0) == 0) l.erase(0, 3);
    // Blank lines, `#` lines and lines that are only a rule comment (`--`) are no segment.
    const size_t first = l.find_first_not_of(" \t");
    if (first == std::string::npos || l[first] == '#' || l.compare(first, 2, "--") == 0) continue;
    out.push_back({line, std::move(l)});
  }
  return out;
}

void claim_stdin(const std::string& what) {
  // stdin is read once: a second reader would find it empty and report that instead (an
  // empty rule's E110 when `--data -` had taken it, found by a review).
  static std::string holder;
  if (!holder.empty()) {
    fmt::print(stderr, "seg: stdin (-) is read once, and it holds {}: give {} as an argument or a file\n", holder, what);
    exit_with(2);
  }
  holder = what;
}

std::optional<std::string> read_stdin(size_t max_bytes, Format format) {
  std::string text;
  if (!read_bounded(0, max_bytes, text)) input_failure("<stdin>", fmt::format("<stdin>: read error: {}", std::strerror(errno)), format);
  return text;
}

void input_failure(const std::string& source, const std::string& message, Format format) {
  if (format == Format::Json) {
    // Under --format json every outcome is one JSON document on stdout, this one too.
    api::Diagnostic d;
    d.subject = api::Subject::Data;
    d.code = "E701";
    d.message = message;
    d.source = source;
    d.io = true;
    fmt::print("{{\n  \"ok\": false,\n  \"diagnostics\": {}\n}}\n", api::render_json({d}, ""));
  } else {
    fmt::print(stderr, "seg: {}\n", message);
  }
  exit_with(2);
}

std::optional<std::string> read_document(const std::string& path, Format format) {
  if (path == "-") {
    claim_stdin("a JSON document");
    return read_stdin(api::limits().max_json_bytes, format);
  }
  std::string err;
  auto text = read_file(path, err, api::limits().max_json_bytes);
  if (!text) input_failure(path, err, format);
  return text;
}

bool rule_argument_given(const CommonOptions& o) { return o.rule_option && o.rule_option->count() > 0; }

bool rule_from_stdin(const CommonOptions& o) {
  return o.rule_option && !rule_argument_given(o) && (o.rule_file.empty() || o.rule_file == "-");
}

void refuse_no_rule(const CommonOptions& o) {
  if (o.rule.empty() && o.rule_file.empty() && !rule_argument_given(o) && ::isatty(0)) {
    fmt::print(stderr, "seg: no rule given (pass it as an argument, with -f FILE, or on stdin)\n");
    exit_with(2);
  }
}

std::optional<RuleArgument> compile_rule_argument(const CommonOptions& o, const api::Schema& schema) {
  std::string name;
  auto text = read_rule(o, name);
  if (!text) return std::nullopt;
  api::Rule rule = api::Rule::compile(*text, schema, api::RuleFormat::Text, name);
  return RuleArgument{std::move(name), std::move(*text), std::move(rule)};
}

std::optional<std::string> read_rule(const CommonOptions& o, std::string& source_name) {
  // An empty argument is not "no argument": reading stdin instead would run another rule
  // than the one on the command line (a shell variable that was empty, say).
  if (rule_argument_given(o) && o.rule.empty()) {
    fmt::print(stderr, "seg: the rule argument is empty: give a rule, or leave the argument out to read stdin\n");
    exit_with(2);
  }
  if (!o.rule.empty() && !o.rule_file.empty()) {
    fmt::print(stderr, "seg: give the rule as an argument or with -f, not both\n");
    exit_with(2);
  }
  if (!o.rule.empty()) {
    source_name = "<rule>";
    return o.rule;
  }
  if (!o.rule_file.empty() && o.rule_file != "-") {
    source_name = o.rule_file;
    std::string err;
    auto text = read_file(o.rule_file, err, api::limits().max_rule_bytes);
    if (!text) input_failure(o.rule_file, err, o.fmt());
    return text;
  }
  source_name = "<stdin>";
  refuse_no_rule(o);
  claim_stdin("the rule");
  auto text = read_stdin(api::limits().max_rule_bytes, o.fmt());
  if (!text) return std::nullopt;
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
  return text;
}

std::optional<api::Schema> load_schema(const CommonOptions& o) {
  if (o.schema_file.empty()) return api::Schema::crm();
  std::string err;
  auto text = read_file(o.schema_file, err, api::limits().max_json_bytes);
  if (!text) input_failure(o.schema_file, err, o.fmt());
  std::vector<api::Diagnostic> diags;
  auto s = api::Schema::from_json(*text, diags);
  if (!s) {
    fmt::print(stderr, "{}", api::render_text(diags, o.schema_file, "", use_color(2)));
    exit_with(2);
  }
  return s;
}

std::optional<int64_t> resolve_now(const CommonOptions& o) {
  if (o.now.empty()) return api::clock_now();
  auto t = api::parse_timestamp(o.now);
  if (!t) {
    fmt::print(stderr, "seg: --now `{}` is not a date or timestamp (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)\n", o.now);
    exit_with(2);
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

void print_diagnostics(const std::vector<api::Diagnostic>& d, std::string_view source_name, std::string_view text,
                       size_t first_line) {
  if (!d.empty())
    fmt::print(stderr, "{}", api::render_text(d, source_name, text, use_color(2), static_cast<uint32_t>(first_line)));
}

}  // namespace seg::cli
