// Conventions shared by every `seg` subcommand: rule input, schema, --format, --now, output.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "seg/seg.hpp"
#include "tools/seg/figures.hpp"

namespace seg::cli {

enum class Format { Text, Json };

// Options most subcommands share; add the ones a command needs with the add_* helpers.
struct CommonOptions {
  std::string rule;       // positional RULE
  std::string rule_file;  // -f FILE ("-" = stdin)
  std::string schema_file;
  std::string format = "text";
  std::string now;  // --now TIMESTAMP
  CLI::Option* rule_option = nullptr;  // to tell an empty RULE argument from none
  Format fmt() const { return format == "json" ? Format::Json : Format::Text; }
};
void add_rule_options(CLI::App& cmd, CommonOptions& o);    // RULE, -f
void add_schema_option(CLI::App& cmd, CommonOptions& o);   // --schema
void add_format_option(CLI::App& cmd, CommonOptions& o);   // --format text|json
void add_now_option(CLI::App& cmd, CommonOptions& o);      // --now
// CLI::Range with its range shown as `N:1-256` in --help (CLI11 writes `UINT in [1 - 256]`);
// without thousands separators, as a value must be typed.
template <class T>
CLI::Validator in_range(T lo, T hi) {
  CLI::Range r(lo, hi);
  r.description(std::to_string(lo) + "-" + std::to_string(hi));
  return r;
}
// Refuses anything but a whole number from `min` to 2^64-1 ("is WHAT, MIN to ...").
CLI::Validator whole_number(const std::string& what, uint64_t min = 0);
// --compact-after ROWS of `seg apply` and `seg serve` (at least 1; 0 keeps the default).
// Refuses anything but a whole number from 1 to 2^64-1 ("is a number of WHAT, ...").
CLI::Validator count_at_least_one(const std::string& what);
// Refuses an empty value ("is empty: give WHAT"): an option given empty is not one left out.
CLI::Validator not_empty(const std::string& what);
void add_compact_after_option(CLI::App& cmd, uint64_t& rows, const std::string& help);

// Whether a RULE argument was given at all (it may be empty).
bool rule_argument_given(const CommonOptions& o);
// Reads the rule (argument, -f FILE, or stdin when neither). Prints an error and returns
// nullopt on I/O problems (exit code 2). `source_name` is "<rule>", the file name or "<stdin>".
// Exits 2 saying so when no rule is given and stdin is a terminal: commands that load data
// before they read the rule call it first, so the mistake is said before a long load.
void refuse_no_rule(const CommonOptions& o);
std::optional<std::string> read_rule(const CommonOptions& o, std::string& source_name);
// The rule argument (read_rule's) compiled against `schema`, with its source's name and text for
// printing its diagnostics; nullopt when it could not be read (said already).
struct RuleArgument {
  std::string name, text;
  api::Rule rule;
};
std::optional<RuleArgument> compile_rule_argument(const CommonOptions& o, const api::Schema& schema);
// Whether this command takes a rule and will read it from stdin (no argument, `-f -` or no -f).
bool rule_from_stdin(const CommonOptions& o);
// The schema named by --schema, or the bundled CRM schema; prints errors (exit 2) on failure.
std::optional<api::Schema> load_schema(const CommonOptions& o);
// --now as seconds since the epoch; the current time when not given. nullopt on a bad value.
std::optional<int64_t> resolve_now(const CommonOptions& o);

// A JSON document named on the command line: a file, or stdin for "-". Prints the error and
// sets exit 2 when it cannot be read. At most max_json_bytes + 1 bytes are read (E405 follows).
std::optional<std::string> read_document(const std::string& path, Format format = Format::Text);
// Reads at most `max_bytes + 1` bytes (the caller's parser reports the limit); nullopt (and
// `error` set) when missing, a directory or unreadable. Files, FIFOs and devices alike.
std::optional<std::string> read_file(const std::string& path, std::string& error, size_t max_bytes);
// Stdin, bounded the same way; prints the error and sets exit 2 on failure.
// Marks stdin as read for `what` ("the rule", "the data"); a second claim is a usage error
// (exit 2) naming both, rather than a reader finding it empty.
void claim_stdin(const std::string& what);
std::optional<std::string> read_stdin(size_t max_bytes, Format format = Format::Text);
// An input (rule file, document, schema) that cannot be read: exit 2 with the reason, as one
// JSON document on stdout under --format json (`{"ok": false, "diagnostics": [E701]}`).
[[noreturn]] void input_failure(const std::string& source, const std::string& message, Format format);
// A file of rules, one a line (blank lines and lines starting with # skipped): each rule with
// its line number. Exit 2 (E701) when it cannot be read.
struct RuleLine {
  size_t line = 0;
  std::string text;
};
// A rules file may be this many times the rule limit (max_rule_bytes): 1 GiB (docs/limits.md).
inline constexpr size_t kMaxRulesFileRules = 256;
std::vector<RuleLine> read_rules_file(const std::string& path, Format format);
// Colors only on a terminal and never with NO_COLOR.
bool use_color(int fd);
// Prints diagnostics as text to stderr (a command's JSON document carries them itself);
// `first_line`: the line of the file `source_name` the rule `text` starts on.
void print_diagnostics(const std::vector<api::Diagnostic>& d, std::string_view source_name, std::string_view text,
                       size_t first_line = 1);

}  // namespace seg::cli
