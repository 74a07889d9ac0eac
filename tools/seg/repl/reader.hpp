// The REPL's reader of entries: a dot-command line, or a rule over as many lines as it needs,
// the library deciding when a rule goes on (api::rule_is_unfinished, line_continues_rule); from
// a terminal (libedit, completion, history) or a script.
#pragma once
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/seg/repl/line_editor.hpp"
#include "tools/seg/repl/session.hpp"

namespace seg::repl {

// One entry: a dot-command line, or a rule over as many lines as it needs. `first_line` is
// the input line it starts on.
struct Entry {
  std::vector<std::string> lines;
  uint32_t first_line = 1;
  bool command = false;
  bool dropped_rule = false;  // an unfinished rule before this command was dropped (a script's problem)
  std::string text() const {
    std::string t;
    for (size_t i = 0; i < lines.size(); ++i) t += (i ? "\n" : "") + lines[i];
    return t;
  }
};

class Reader {
 public:
  // A script from a file (`.read`): no terminal, no prompts.
  explicit Reader(std::istream& in) : tty_(false), plain_(in) {}
  // Standard input: with line editing and completion over `s` when `tty`.
  Reader(bool tty, Session& s);
  // The next entry; false at the end of input.
  bool next(Entry& e);

 private:
  ReadStatus read(const char* prompt, std::string& line);
  ReadStatus take(const char* prompt, std::string& line);
  bool next_line_continues();

  bool tty_;
  std::unique_ptr<LineEditor> editor_;
  PlainReader plain_;
  std::string earlier_;  // the rule so far, for completing a continuation line
  std::optional<std::string> ahead_;  // a line read to see whether it continues the rule
  ReadStatus ahead_status_ = ReadStatus::Line;
};

}  // namespace seg::repl
