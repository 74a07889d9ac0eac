// The REPL's reader of entries (see reader.hpp).
#include "tools/seg/repl/reader.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <seg/seg.hpp>

#include "tools/seg/repl/commands.hpp"
#include "tools/seg/repl/completion.hpp"
#include "tools/seg/repl/input.hpp"

namespace seg::repl {
namespace {
constexpr const char* kPrompt = "seg> ";
constexpr const char* kContinue = "...> ";

}  // namespace

Reader::Reader(bool tty, Session& s) : tty_(tty) {
  if (tty_) {
    editor_ = std::make_unique<LineEditor>("seg", history_path(), [this, &s](std::string_view before) {
      CompletionContext ctx;
      ctx.schema = &s.active_schema();
      ctx.commands = &command_infos();
      ctx.segments = s.segment_names();
      ctx.earlier = earlier_;
      return complete(before, ctx);
    });
  }
}

bool Reader::next(Entry& e) {
  e = Entry{};
  earlier_.clear();
  for (;;) {
    std::string line;
    ReadStatus st = take(e.lines.empty() ? kPrompt : kContinue, line);
    if (st == ReadStatus::Interrupted) {
      e = Entry{};
      earlier_.clear();
      continue;
    }
    if (st == ReadStatus::End) {
      // An unfinished rule still runs, and is kept in the history as one ended with an empty
      // line is (Ctrl-D at `...>` lost it; found by a review).
      if (e.lines.empty()) return false;
      if (editor_) editor_->add_history(history_entry(e.lines));
      return true;
    }
    if (e.lines.empty()) {
      // A byte-order mark an editor put at a script's start is not part of a dot-command
      // (rule text skips it too).
      if (line.rfind("\xEF\xBB\xBF", 0) == 0 && plain_.line_no() <= 1) line.erase(0, 3);
      std::string t = trim(line);
      if (t.empty() || trim(api::without_comments(t)).empty()) continue;
      e.first_line = plain_.line_no();
      if (t[0] == '.') {
        e.command = true;
        e.lines.push_back(t);
        if (editor_) editor_->add_history(t);
        return true;
      }
    } else if (trim(line).empty()) {
      break;  // an empty continuation line ends the rule as it stands
    } else if (std::string t = trim(line); t[0] == '.') {
      // A dot-command where the rule would go on (`.quit` after a trailing `and`): the
      // command runs and the unfinished rule is dropped, said so (it was read as rule text,
      // an E110; found by a review).
      fmt::print(stderr, "the unfinished rule was dropped: {}\n", trim(e.text()));
      e = Entry{};
      e.first_line = plain_.line_no();
      e.command = true;
      e.dropped_rule = true;
      e.lines.push_back(t);
      earlier_.clear();
      if (editor_) editor_->add_history(t);
      return true;
    }
    e.lines.push_back(line);
    earlier_ = e.text();
    if (api::rule_is_unfinished(e.text())) continue;
    if (!next_line_continues()) break;
  }
  if (editor_) editor_->add_history(history_entry(e.lines));
  return true;
}

ReadStatus Reader::read(const char* prompt, std::string& line) {
  if (editor_) return editor_->read(prompt, line);
  return plain_.read(line);
}
// The line read ahead, if there is one, else a new one.
ReadStatus Reader::take(const char* prompt, std::string& line) {
  if (!ahead_) return read(prompt, line);
  line = std::move(*ahead_);
  ahead_.reset();
  return ahead_status_;
}
// A complete rule may still go on: the next line starts with `and`/`or` (a rule pasted with
// a condition per line). A script can always look; a terminal only when the next line is
// already there (pasted), so a person typing is never kept waiting. A line read to look is
// kept for the next entry.
bool Reader::next_line_continues() {
  if (!ahead_) {
    if (tty_) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) return false;
    }
    std::string line;
    ahead_status_ = read(kPrompt, line);
    ahead_ = std::move(line);
  }
  // A line holding only a comment goes with the rule and the next one decides (docs/repl.md:
  // comments are allowed anywhere; a rule pasted with a comment line between its conditions
  // was cut there: found by a review). An empty line still ends the rule.
  if (ahead_status_ == ReadStatus::Line && !trim(*ahead_).empty() &&
      trim(api::without_comments(*ahead_)).empty())
    return true;
  return ahead_status_ == ReadStatus::Line && api::line_continues_rule(*ahead_);
}

}  // namespace seg::repl
