// Reading REPL input: rule continuation, comments, history entries (see input.hpp).
#include "tools/seg/repl/input.hpp"

namespace seg::repl {
Scan scan_rule(std::string_view text) {
  Scan s;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == '\\' && i + 1 < text.size()) {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      s.last_is_word = false;
      continue;
    }
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      size_t b = i;
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) ++i;
      s.last_word.assign(text.substr(b, i - b));
      s.last_is_word = true;
      --i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    s.last_is_word = false;
    s.last_symbol = c;
    if (c == '(') ++s.open_parens;
    if (c == ')') --s.open_parens;
  }
  s.in_string = quote != 0;
  return s;
}

bool needs_more(std::string_view text) {
  Scan s = scan_rule(text);
  if (s.in_string) return false;  // let the parser report the unterminated string
  if (s.open_parens > 0) return true;
  if (!s.last_is_word) return s.last_symbol == '=' || s.last_symbol == '<' || s.last_symbol == '>';
  for (const char* w : {"and", "or", "not", "in", "between", "is", "any", "all", "none"})
    if (iequals(s.last_word, w)) return true;
  return false;
}

bool continues_rule(std::string_view line) {
  std::string t = trim(strip_comment(line));
  size_t end = 0;
  while (end < t.size() && std::isalpha(static_cast<unsigned char>(t[end]))) ++end;
  if (end < t.size() && (std::isalnum(static_cast<unsigned char>(t[end])) || t[end] == '_')) return false;
  std::string_view w(t.data(), end);
  return iequals(w, "and") || iequals(w, "or");
}

std::string strip_comment(std::string_view line) {
  char quote = 0;
  size_t end = line.size();
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == '\\' && i + 1 < line.size()) ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '-' && i + 1 < line.size() && line[i + 1] == '-') {
      end = i;
      break;
    }
  }
  while (end > 0 && std::isspace(static_cast<unsigned char>(line[end - 1]))) --end;
  return std::string(line.substr(0, end));
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string history_entry(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    std::string t = trim(strip_comment(l));
    if (t.empty()) continue;
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    std::string w;
    if (line[i] == '"' || line[i] == '\'') {
      char q = line[i++];
      while (i < line.size() && line[i] != q) w += line[i++];
      if (i < line.size()) ++i;
    } else {
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) w += line[i++];
    }
    out.push_back(std::move(w));
  }
  return out;
}

std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace seg::repl
