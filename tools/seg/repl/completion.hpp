// Tab completion for the REPL, independent of the line editor: given the text before the
// cursor, what the word being typed is and what it can become. In a rule: field names and
// aliases where a field goes, operators after a field, the dictionary values of the field
// being compared (quoted when a bare identifier would not do), `and`/`or` after a condition.
// After a dot-command: its arguments (files, fields, saved segments, on/off).
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

#include "schema/schema.hpp"
#include "base/text_util.hpp"

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
  const Schema* schema = nullptr;
  const std::vector<CommandInfo>* commands = nullptr;
  std::vector<std::string> segments;  // saved segment names
  std::string earlier;                // earlier lines of a rule being continued ("" if none)
};

namespace detail {

bool is_word_char(char c);

bool starts_with_ci(std::string_view s, std::string_view prefix);

// A dictionary value as rule text: bare when it is an identifier, quoted otherwise.
std::string value_text(std::string_view key, char quote = '"');

enum class TokKind { Word, Number, String, Punct };
struct Tok {
  TokKind kind;
  std::string text;
};

// Tokens of rule text, enough to know where in a condition the cursor is.
std::vector<Tok> tokenize(std::string_view t);

// Where in the grammar the next token goes.
enum class Pos { Field, AfterField, NotIn, IsNull, ListOpen, Value, ListNext, BetweenAnd, Connective, Unknown };
enum class ValueMode { Single, List, BetweenLow, BetweenHigh };

struct RulePos {
  Pos pos = Pos::Field;
  int field = -1;  // the field being compared, when known
};

RulePos rule_position(const std::vector<Tok>& toks, const Schema& schema);

void add_keywords(std::vector<std::string>& out, std::initializer_list<const char*> kws);

std::vector<std::string> file_matches(const std::string& word);

}  // namespace detail

// Completions for `line` (the text before the cursor) in `ctx`.
Completions complete(std::string_view line, const CompletionContext& ctx);

// The longest common prefix of the matches (case-insensitive, spelt as the first match);
// what one Tab inserts when several matches remain.
std::string common_prefix(const std::vector<std::string>& matches);

}  // namespace seg::repl
