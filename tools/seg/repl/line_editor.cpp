// The REPL line editor on libedit (see line_editor.hpp).
#include "tools/seg/repl/line_editor.hpp"

namespace seg::repl {
std::string history_path() {
  if (const char* p = std::getenv("SEG_HISTORY"); p && *p) return p;
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.seg_history";
  return "";
}

size_t terminal_width(int fd) {
  struct winsize ws;
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

size_t terminal_height(int fd) {
  struct winsize ws;
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return ws.ws_row;
  return 24;
}

namespace detail {

void on_sigint(int) { g_interrupted = 1; }

int read_char(EditLine*, wchar_t* out) {
  char buf[MB_LEN_MAX];
  size_t n = 0;
  for (;;) {
    if (g_interrupted) {
      errno = EINTR;
      return -1;
    }
    struct pollfd p {0, POLLIN, 0};
    int r = ::poll(&p, 1, 250);
    if (r < 0 && errno != EINTR) return -1;
    if (r <= 0) continue;
    ssize_t got = ::read(0, buf + n, 1);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -1;
    }
    if (got == 0) return 0;
    ++n;
    std::mbstate_t mbs{};
    size_t k = std::mbrtowc(out, buf, n, &mbs);
    if (k == static_cast<size_t>(-2) && n < MB_LEN_MAX) continue;  // more bytes of this character
    if (k == static_cast<size_t>(-1) || k == static_cast<size_t>(-2)) {
      n = 0;  // not a character: drop it
      continue;
    }
    return 1;
  }
}

}  // namespace detail

}  // namespace seg::repl
