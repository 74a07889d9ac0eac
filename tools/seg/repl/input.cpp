// Reading REPL input: history entries, dot-command words, number grouping (see input.hpp).
#include "tools/seg/repl/input.hpp"


#include <seg/seg.hpp>

namespace seg::repl {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string history_entry(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    std::string t = trim(api::without_comments(l));
    if (t.empty()) continue;
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

std::vector<std::string> split_words(std::string_view line, size_t* unclosed) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    std::string w;
    if (line[i] == '"' || line[i] == '\'') {
      const size_t open = i;
      char q = line[i++];
      // A backslash takes the next character as it is: a title with both quotes, `\"`, can be
      // named (found by a review).
      while (i < line.size() && line[i] != q) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        w += line[i++];
      }
      if (i < line.size()) ++i;
      else if (unclosed && *unclosed == std::string_view::npos)
        *unclosed = open;
    } else {
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) w += line[i++];
    }
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace seg::repl
