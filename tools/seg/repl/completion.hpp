// Tab completion for the REPL, independent of the line editor: given the text before the
// cursor, what the word being typed is and what it can become. In a rule: field names and
// aliases where a field goes, operators after a field, the dictionary values of the field
// being compared (quoted when a bare identifier would not do), `and`/`or` after a condition:
// the library's completion (api::complete). After a dot-command: its arguments (files,
// fields, saved segments, on/off), which only the REPL knows.
// Matching is a case-insensitive prefix (`sta` -> `stage`), and for dictionary values also the
// language's loose form (`not_p` -> `NotProcessed`).
#pragma once
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/text_util.hpp"
#include "seg/seg.hpp"

namespace seg::repl {

// What a dot-command's arguments are, for completion.
enum class Arg { File, Field, Segment, OnOff, Command, Rule };
struct CommandInfo {
  std::string name;  // with the dot: ".load"
  std::vector<Arg> args;
};

struct Completions {
  size_t start = 0;                  // where the word being typed starts in the line
  std::string word;                  // line[start, cursor)
  std::vector<std::string> matches;  // what the word can become, in display order
  bool add_space = true;             // after a unique match (not after a directory or a value)
};

struct CompletionContext {
  const api::Schema* schema = nullptr;
  const std::vector<CommandInfo>* commands = nullptr;
  std::vector<std::string> segments;  // saved segment names
  std::string earlier;                // earlier lines of a rule being continued ("" if none)
};

namespace detail {

std::vector<std::string> file_matches(const std::string& word);

}  // namespace detail

// Completions for `line` (the text before the cursor) in `ctx`.
Completions complete(std::string_view line, const CompletionContext& ctx);

// The longest common prefix of the matches (case-insensitive, spelt as the first match);
// what one Tab inserts when several matches remain.
std::string common_prefix(const std::vector<std::string>& matches);

}  // namespace seg::repl
