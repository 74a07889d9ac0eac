// Test helpers that run the `seg` binary: with pipes (stdout, stderr, exit code), or on a
// pseudo-terminal driven like a person at a keyboard. Every wait has a timeout, so a hang
// fails the test instead of blocking the suite.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace seg::process {

inline std::string seg_binary() { return std::string(SEG_BINARY_DIR) + "/seg"; }
inline bool seg_binary_exists() { return ::access(seg_binary().c_str(), X_OK) == 0; }

using Env = std::map<std::string, std::string>;  // "" value: unset the variable

namespace detail {
[[noreturn]] inline void exec_child(const std::vector<std::string>& args, const Env& env, const std::string& cwd) {
  for (const auto& [k, v] : env) {
    if (v.empty()) ::unsetenv(k.c_str());
    else ::setenv(k.c_str(), v.c_str(), 1);
  }
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
  std::vector<char*> argv;
  std::string bin = seg_binary();
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(bin.c_str(), argv.data());
  ::_exit(127);
}

inline int wait_exit(pid_t pid, int timeout_ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > until) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -2;  // timed out
    }
    ::usleep(2000);
  }
}
}  // namespace detail

struct RunResult {
  int exit = -1;  // -2: killed after the timeout
  std::string out, err;
};

// Runs seg with `args`, feeding `input` on stdin (a pipe, so not a terminal).
inline RunResult run_seg(const std::vector<std::string>& args, const std::string& input = "", const Env& env = {},
                         const std::string& cwd = "", int timeout_ms = 20000) {
  int in[2], out[2], err[2];
  if (::pipe(in) || ::pipe(out) || ::pipe(err)) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    detail::exec_child(args, env, cwd);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ::signal(SIGPIPE, SIG_IGN);
  RunResult r;
  size_t written = 0;
  int in_fd = in[1];
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  } else {
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out[0], POLLIN, 0});
    if (err_open) fds.push_back({err[0], POLLIN, 0});
    if (in_fd >= 0) fds.push_back({in_fd, POLLOUT, 0});
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count());
    if (left <= 0 || ::poll(fds.data(), fds.size(), left) <= 0) break;
    for (const auto& p : fds) {
      if (!p.revents) continue;
      if (p.fd == in_fd) {
        ssize_t n = ::write(in_fd, input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 || written == input.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n <= 0) {
        (p.fd == out[0] ? out_open : err_open) = false;
        continue;
      }
      (p.fd == out[0] ? r.out : r.err).append(buf, static_cast<size_t>(n));
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  ::close(out[0]);
  ::close(err[0]);
  int left = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count());
  r.exit = detail::wait_exit(pid, std::max(left, 100));
  return r;
}

// Terminal output as the screen shows it: a small terminal emulator for what libedit and seg
// send (carriage return, backspace, cursor moves within and between lines, erase to the end
// of the line); colors and other escape sequences are dropped.
inline std::string render_terminal(std::string_view s) {
  std::vector<std::string> lines(1);
  size_t row = 0, col = 0;
  auto put = [&](char c) {
    std::string& l = lines[row];
    if (l.size() < col) l.append(col - l.size(), ' ');
    if (col < l.size()) l[col] = c;
    else l += c;
    ++col;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\x1b') {
      if (i + 1 < s.size() && s[i + 1] == '[') {
        size_t j = i + 2;
        std::string params;
        while (j < s.size() && !(s[j] >= '@' && s[j] <= '~')) params += s[j++];
        if (j >= s.size()) break;
        char cmd = s[j];
        int n = params.empty() || params[0] == '?' ? 1 : std::atoi(params.c_str());
        if (n <= 0) n = 1;
        switch (cmd) {
          case 'G': col = static_cast<size_t>(n - 1); break;
          case 'C': col += static_cast<size_t>(n); break;
          case 'D': col -= std::min(col, static_cast<size_t>(n)); break;
          case 'A': row -= std::min(row, static_cast<size_t>(n)); break;
          case 'B':
            row += static_cast<size_t>(n);
            while (lines.size() <= row) lines.emplace_back();
            break;
          case 'K':
            if (lines[row].size() > col) lines[row].resize(col);
            break;
          case 'J':
            if (lines[row].size() > col) lines[row].resize(col);
            lines.resize(row + 1);
            break;
          default: break;  // colors, modes
        }
        i = j;
      } else if (i + 1 < s.size() && s[i + 1] == ']') {
        while (i < s.size() && s[i] != '\x07') ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (c == '\r') {
      col = 0;
    } else if (c == '\n') {
      ++row;
      col = 0;
      while (lines.size() <= row) lines.emplace_back();
    } else if (c == '\b') {
      if (col) --col;
    } else if (c == '\x07') {
    } else {
      put(c);
    }
  }
  std::string out;
  for (size_t r = 0; r < lines.size(); ++r) {
    out += lines[r];
    if (r + 1 < lines.size()) out += '\n';
  }
  return out;
}

// seg on a pseudo-terminal: send keys, wait for text to appear.
class Pty {
 public:
  Pty(const std::vector<std::string>& args, const Env& env, const std::string& cwd, unsigned short cols = 200) {
    struct winsize ws {};
    ws.ws_row = 50;
    ws.ws_col = cols;
    pid_ = ::forkpty(&fd_, nullptr, nullptr, &ws);
    if (pid_ == 0) detail::exec_child(args, env, cwd);
  }
  ~Pty() {
    if (fd_ >= 0) ::close(fd_);
    if (pid_ > 0 && !exited_) detail::wait_exit(pid_, 2000);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;

  bool started() const { return pid_ > 0 && fd_ >= 0; }

  void send(std::string_view keys) {
    while (!keys.empty()) {
      ssize_t n = ::write(fd_, keys.data(), keys.size());
      if (n <= 0) return;
      keys.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Waits until `text` shows up in the output after what earlier expects consumed, and
  // consumes through it. False after `timeout_ms` (or when the program ended without it).
  bool expect(std::string_view text, int timeout_ms = 5000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      std::string clean = render_terminal(raw_);
      size_t at = clean.find(text, pos_);
      if (at != std::string::npos) {
        pos_ = at + text.size();
        return true;
      }
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count());
      if (left <= 0 || !pump(left)) return false;
    }
  }

  // Waits until the screen ends in a prompt (`seg> ` or the continuation `...> `) and the
  // line editor has the terminal in its own mode (libedit shows the prompt a moment before it
  // switches: keys typed in between are echoed by the terminal, or dropped by the switch).
  bool prompt(int timeout_ms = 5000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      std::string screen = render_terminal(raw_);
      struct termios t {};
      bool editing = ::tcgetattr(fd_, &t) == 0 && !(t.c_lflag & ICANON);
      if (editing && (screen.ends_with("seg> ") || screen.ends_with("...> "))) return true;
      if (!editing && (screen.ends_with("seg> ") || screen.ends_with("...> "))) {
        if (std::chrono::steady_clock::now() > until) return false;
        pump(5);
        continue;
      }
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count());
      if (left <= 0 || !pump(left)) return false;
    }
  }
  // Types a line at the next prompt.
  bool line(std::string_view text) {
    if (!prompt()) return false;
    send(text);
    send("\r");
    return true;
  }

  // Everything shown so far, cleaned; and what came after the last expect.
  std::string screen() {
    pump(0);
    return render_terminal(raw_);
  }
  std::string rest() {
    std::string s = screen();
    return pos_ < s.size() ? s.substr(pos_) : "";
  }
  const std::string& raw() const { return raw_; }

  // Waits for the program to end (closing the terminal's input first if asked).
  int wait(int timeout_ms = 5000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (pump(50)) {
      if (std::chrono::steady_clock::now() > until) break;
    }
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count());
    exited_ = true;
    return detail::wait_exit(pid_, std::max(left, 100));
  }

 private:
  // Reads what is available within `timeout_ms`; false when the terminal closed.
  bool pump(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r <= 0) return r == 0;
    char buf[4096];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    raw_.append(buf, static_cast<size_t>(n));
    // Drain what else is there without waiting.
    while (::poll(&p, 1, 0) > 0 && (n = ::read(fd_, buf, sizeof buf)) > 0) raw_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  std::string raw_;
  size_t pos_ = 0;
};

}  // namespace seg::process
