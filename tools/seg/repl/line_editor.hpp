// Line editing for the REPL on a terminal, with libedit (BSD licence, Debian's libedit-dev):
// emacs keys, history in a file, Tab bound to our completion; and a plain line reader for
// scripts (stdin not a terminal) with no prompts at all.
#pragma once
#include <fmt/format.h>
#include <histedit.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cwchar>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

#include "tools/seg/repl/completion.hpp"
#include "tools/seg/repl/table.hpp"

namespace seg::repl {

// Where history lives: $SEG_HISTORY, else ~/.seg_history; "" (no history) when neither works.
std::string history_path();

size_t terminal_width(int fd = 1);
size_t terminal_height(int fd = 1);

enum class ReadStatus { Line, Interrupted, End };

namespace detail {
inline volatile sig_atomic_t g_interrupted = 0;
void on_sigint(int);

// libedit's read of one character, with one change: Ctrl-C is noticed even when it comes
// before the read starts (libedit only sees a signal that interrupts its read). A UTF-8
// sequence is read byte by byte into one character, as libedit does.
int read_char(EditLine*, wchar_t* out);
}  // namespace detail

class LineEditor {
 public:
  using Completer = std::function<Completions(std::string_view before_cursor)>;

  LineEditor(const char* program, std::string history_file, Completer completer)
      : history_file_(std::move(history_file)), completer_(std::move(completer)) {
    // Ctrl-C cancels the line being typed instead of ending the session.
    struct sigaction sa {};
    sa.sa_handler = detail::on_sigint;
    sigemptyset(&sa.sa_mask);
    // SA_RESTART: a Ctrl-C during a load must not cut the loader's reads short; the key
    // reader polls, and poll() returns on a signal whatever the flag says.
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_sigint_);

    hist_ = history_init();
    history(hist_, &ev_, H_SETSIZE, 1000);
    history(hist_, &ev_, H_SETUNIQUE, 1);
    if (!history_file_.empty()) history(hist_, &ev_, H_LOAD, history_file_.c_str());

    el_ = el_init(program, stdin, stdout, stderr);
    el_set(el_, EL_CLIENTDATA, this);
    el_set(el_, EL_EDITOR, "emacs");
    el_set(el_, EL_SIGNAL, 1);
    el_set(el_, EL_PROMPT, &LineEditor::prompt_fn);
    el_set(el_, EL_GETCFN, &detail::read_char);
    el_set(el_, EL_HIST, history, hist_);
    el_set(el_, EL_ADDFN, "seg-complete", "Complete a field, keyword, value or command", &LineEditor::complete_fn);
    el_set(el_, EL_BIND, "^I", "seg-complete", nullptr);
    el_source(el_, nullptr);  // ~/.editrc, as every libedit program reads it
  }
  ~LineEditor() {
    el_end(el_);
    history_end(hist_);
    sigaction(SIGINT, &old_sigint_, nullptr);
  }
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  ReadStatus read(const std::string& prompt, std::string& line) {
    prompt_ = prompt;
    detail::g_interrupted = 0;
    int count = 0;
    const char* s = el_gets(el_, &count);
    if (detail::g_interrupted) {
      // Drop what was typed: the next prompt starts on an empty line.
      el_reset(el_);
      const LineInfo* li = el_line(el_);
      if (li->lastchar > li->buffer) {
        el_cursor(el_, static_cast<int>(li->lastchar - li->cursor));
        el_deletestr(el_, static_cast<int>(li->lastchar - li->buffer));
      }
      std::fputs("\n", stdout);
      std::fflush(stdout);
      return ReadStatus::Interrupted;
    }
    if (!s || count <= 0) return ReadStatus::End;
    line.assign(s, static_cast<size_t>(count));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return ReadStatus::Line;
  }

  // Adds an entry and writes the history file at once, so it survives a crash or a kill.
  void add_history(const std::string& entry) {
    if (entry.empty()) return;
    history(hist_, &ev_, H_ENTER, entry.c_str());
    if (!history_file_.empty()) history(hist_, &ev_, H_SAVE, history_file_.c_str());
  }

 private:
  static LineEditor* self(EditLine* el) {
    void* p = nullptr;
    el_get(el, EL_CLIENTDATA, &p);
    return static_cast<LineEditor*>(p);
  }
  static char* prompt_fn(EditLine* el) { return self(el)->prompt_.data(); }

  static size_t chars(std::string_view s) { return text_width(s); }

  static unsigned char complete_fn(EditLine* el, int) {
    LineEditor* me = self(el);
    const LineInfo* li = el_line(el);
    std::string_view before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
    Completions c = me->completer_(before);
    if (c.matches.empty()) return CC_ERROR;
    if (c.matches.size() == 1) {
      el_deletestr(el, static_cast<int>(chars(c.word)));
      std::string ins = c.matches[0] + (c.add_space ? " " : "");
      el_insertstr(el, ins.c_str());
      return CC_REFRESH;
    }
    std::string prefix = common_prefix(c.matches);
    if (chars(prefix) > chars(c.word)) {
      el_deletestr(el, static_cast<int>(chars(c.word)));
      el_insertstr(el, prefix.c_str());
      return CC_REFRESH;
    }
    // Several ways on: list them in columns under the line, then redraw it.
    size_t width = terminal_width(), longest = 0;
    for (const auto& m : c.matches) longest = std::max(longest, chars(m));
    size_t cols = std::max<size_t>(1, width / (longest + 2));
    const size_t shown = std::min<size_t>(c.matches.size(), 300);
    std::string out = "\n";
    for (size_t i = 0; i < shown; ++i) {
      std::string cell = c.matches[i];
      bool end = (i + 1) % cols == 0 || i + 1 == shown;
      if (!end) cell += std::string(longest + 2 - chars(cell), ' ');
      out += cell;
      if (end) out += "\n";
    }
    if (shown < c.matches.size()) out += fmt::format("... and {} more: type more letters\n", c.matches.size() - shown);
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    return CC_REDISPLAY;
  }

  EditLine* el_ = nullptr;
  History* hist_ = nullptr;
  HistEvent ev_{};
  std::string prompt_;
  std::string history_file_;
  Completer completer_;
  struct sigaction old_sigint_ {};
};

// Lines from stdin when it is not a terminal.
class PlainReader {
 public:
  explicit PlainReader(std::istream& in = std::cin) : in_(&in) {}
  // A line ends at LF, CRLF or a lone CR (a file saved with old Mac line ends was one line,
  // its rules run together, while diagnostics counted the CRs as lines: found by a review).
  ReadStatus read(std::string& line) {
    line.clear();
    std::streambuf* sb = in_->rdbuf();
    bool got = false;  // a last line without an end still counts
    for (int c; (c = sb->sbumpc()) != std::char_traits<char>::eof();) {
      got = true;
      if (c == '\n') break;
      if (c == '\r') {
        if (sb->sgetc() == '\n') sb->sbumpc();
        break;
      }
      line.push_back(static_cast<char>(c));
    }
    if (!got) return ReadStatus::End;
    ++line_no_;
    return ReadStatus::Line;
  }
  uint32_t line_no() const { return line_no_; }

 private:
  std::istream* in_;
  uint32_t line_no_ = 0;
};

}  // namespace seg::repl
