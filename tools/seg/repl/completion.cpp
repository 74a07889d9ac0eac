// Tab completion for the REPL (see completion.hpp).
#include "tools/seg/repl/completion.hpp"

namespace seg::repl {
namespace detail {

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

std::string value_text(std::string_view key, char quote) {
  if (quote == 0 && is_identifier(key) && !is_keyword(key)) return std::string(key);
  if (quote == 0) quote = '"';
  std::string out(1, quote);
  for (char c : key) {
    if (c == quote || c == '\\') out += '\\';
    out += c;
  }
  return out + quote;
}

std::vector<Tok> tokenize(std::string_view t) {
  std::vector<Tok> out;
  size_t i = 0;
  while (i < t.size()) {
    char c = t[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < t.size() && t[i + 1] == '-') {
      while (i < t.size() && t[i] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      size_t b = i++;
      while (i < t.size() && t[i] != c) i += (t[i] == '\\' && i + 1 < t.size()) ? 2 : 1;
      if (i < t.size()) ++i;
      out.push_back({TokKind::String, std::string(t.substr(b, i - b))});
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t b = i;
      // Numbers, dates, timestamps and durations: 12, 10.25, 2026-10-01T12:30:00Z, 30d.
      while (i < t.size() && (is_word_char(t[i]) || t[i] == '.' || t[i] == ':' ||
                              (t[i] == '-' && i + 1 < t.size() && std::isdigit(static_cast<unsigned char>(t[i + 1])))))
        ++i;
      out.push_back({TokKind::Number, std::string(t.substr(b, i - b))});
    } else if (is_word_char(c)) {
      size_t b = i;
      while (i < t.size() && is_word_char(t[i])) ++i;
      out.push_back({TokKind::Word, std::string(t.substr(b, i - b))});
    } else if ((c == '!' || c == '<' || c == '>') && i + 1 < t.size() && t[i + 1] == '=') {
      out.push_back({TokKind::Punct, std::string(t.substr(i, 2))});
      i += 2;
    } else {
      out.push_back({TokKind::Punct, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

RulePos rule_position(const std::vector<Tok>& toks, const Schema& schema) {
  RulePos r;
  ValueMode mode = ValueMode::Single;
  bool after_single_value = false;
  auto kw = [](const Tok& t, const char* k) { return t.kind == TokKind::Word && iequals(t.text, k); };
  for (const Tok& t : toks) {
    bool was_single = after_single_value;
    after_single_value = false;
    switch (r.pos) {
      case Pos::Field:
        if (kw(t, "not") || t.text == "(") break;
        if (kw(t, "true") || kw(t, "false")) {
          r.pos = Pos::Connective;
        } else if (t.kind == TokKind::Word) {
          r.field = schema.find(t.text);
          r.pos = Pos::AfterField;
        } else {
          r.pos = Pos::Unknown;
        }
        break;
      case Pos::AfterField:
        if (kw(t, "in") || kw(t, "any") || kw(t, "all") || kw(t, "none")) {
          r.pos = Pos::ListOpen;
        } else if (kw(t, "not")) {
          r.pos = Pos::NotIn;
        } else if (kw(t, "between")) {
          r.pos = Pos::Value;
          mode = ValueMode::BetweenLow;
        } else if (kw(t, "is")) {
          r.pos = Pos::IsNull;
        } else if (t.kind == TokKind::Punct && (t.text == "=" || t.text == "!=" || t.text == "<" || t.text == "<=" ||
                                                t.text == ">" || t.text == ">=")) {
          r.pos = Pos::Value;
          mode = ValueMode::Single;
        } else {
          r.pos = Pos::Unknown;
        }
        break;
      case Pos::NotIn: r.pos = kw(t, "in") ? Pos::ListOpen : Pos::Unknown; break;
      case Pos::IsNull:
        if (kw(t, "null")) r.pos = Pos::Connective;
        else if (!kw(t, "not")) r.pos = Pos::Unknown;
        break;
      case Pos::ListOpen:
        if (t.text == "(") {
          r.pos = Pos::Value;
          mode = ValueMode::List;
        } else {
          r.pos = Pos::Unknown;
        }
        break;
      case Pos::Value:
        if (t.kind == TokKind::Punct && t.text != "-" && t.text != "+") {
          r.pos = Pos::Unknown;
          break;
        }
        if (t.kind == TokKind::Punct) break;  // a sign before a number
        if (mode == ValueMode::List) {
          r.pos = Pos::ListNext;
        } else if (mode == ValueMode::BetweenLow) {
          r.pos = Pos::BetweenAnd;
        } else {
          r.pos = Pos::Connective;
          after_single_value = true;
        }
        break;
      case Pos::ListNext:
        if (t.text == ",") r.pos = Pos::Value;
        else if (t.text == ")") r.pos = Pos::Connective;
        else r.pos = Pos::Unknown;
        break;
      case Pos::BetweenAnd:
        if (kw(t, "and")) {
          r.pos = Pos::Value;
          mode = ValueMode::BetweenHigh;
        } else if (t.text == "-" || t.text == "+") {
          r.pos = Pos::Value;  // now - 30d as the low bound
          mode = ValueMode::BetweenLow;
        } else {
          r.pos = Pos::Unknown;
        }
        break;
      case Pos::Connective:
        if (kw(t, "and") || kw(t, "or")) {
          r.pos = Pos::Field;
          r.field = -1;
        } else if (t.text == ")") {
          // closing a group
        } else if (was_single && (t.text == "-" || t.text == "+")) {
          r.pos = Pos::Value;  // now - 30d
          mode = ValueMode::Single;
        } else {
          r.pos = Pos::Unknown;
        }
        break;
      case Pos::Unknown: break;
    }
  }
  return r;
}

void add_keywords(std::vector<std::string>& out, std::initializer_list<const char*> kws) {
  for (const char* k : kws) out.emplace_back(k);
}

std::vector<std::string> file_matches(const std::string& word) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  size_t slash = word.rfind('/');
  std::string dir = slash == std::string::npos ? "" : word.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? word : word.substr(slash + 1);
  std::error_code ec;
  fs::directory_iterator it(dir.empty() ? fs::path(".") : fs::path(dir), ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || (name[0] == '.' && (base.empty() || base[0] != '.'))) continue;
    if (name.compare(0, base.size(), base) != 0) continue;
    std::error_code dec;
    out.push_back(dir + name + (it->is_directory(dec) ? "/" : ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace detail

Completions complete(std::string_view line, const CompletionContext& ctx) {
  using namespace detail;
  Completions c;
  const Schema& schema = *ctx.schema;

  // A dot-command and its arguments (only at the start of an entry).
  size_t first = line.find_first_not_of(" \t");
  if (ctx.earlier.empty() && first != std::string_view::npos && line[first] == '.') {
    size_t ws = line.find_last_of(" \t");
    if (ws == std::string_view::npos || ws < first) {
      c.start = first;
      c.word = std::string(line.substr(first));
      if (ctx.commands)
        for (const auto& cmd : *ctx.commands)
          if (starts_with_ci(cmd.name, c.word)) c.matches.push_back(cmd.name);
      return c;
    }
    // Which argument: count the words before the cursor.
    std::string_view head = line.substr(first);
    size_t cmd_end = head.find_first_of(" \t");
    std::string name(head.substr(0, cmd_end));
    const CommandInfo* info = nullptr;
    if (ctx.commands)
      for (const auto& cmd : *ctx.commands)
        if (iequals(cmd.name, name)) info = &cmd;
    c.start = ws + 1;
    c.word = std::string(line.substr(c.start));
    if (!info) return c;
    size_t words = 0;
    bool in_word = false;
    for (size_t i = first + cmd_end; i < c.start; ++i) {
      bool sp = line[i] == ' ' || line[i] == '\t';
      if (!sp && !in_word) ++words;
      in_word = !sp;
    }
    if (words >= info->args.size()) return c;
    switch (info->args[words]) {
      case Arg::File:
        c.matches = file_matches(c.word);
        c.add_space = !(c.matches.size() == 1 && c.matches[0].back() == '/');
        break;
      case Arg::Field:
        for (const auto& f : schema.fields)
          if (starts_with_ci(f.name, c.word)) c.matches.push_back(f.name);
        break;
      case Arg::Segment:
        for (const auto& s : ctx.segments)
          if (starts_with_ci(s, c.word)) c.matches.push_back(s);
        break;
      case Arg::OnOff:
        for (const char* v : {"on", "off"})
          if (starts_with_ci(v, c.word)) c.matches.emplace_back(v);
        break;
      case Arg::Command:
        if (ctx.commands)
          for (const auto& cmd : *ctx.commands)
            if (starts_with_ci(cmd.name, c.word) || starts_with_ci(cmd.name.substr(1), c.word))
              c.matches.push_back(c.word.empty() || c.word[0] == '.' ? cmd.name : cmd.name.substr(1));
        break;
      case Arg::Rule: break;
    }
    return c;
  }

  // Inside a comment nothing completes.
  {
    std::string all = ctx.earlier.empty() ? std::string(line) : ctx.earlier + "\n" + std::string(line);
    char quote = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if (quote) {
        if (all[i] == '\\') ++i;
        else if (all[i] == quote) quote = 0;
      } else if (all[i] == '"' || all[i] == '\'') {
        quote = all[i];
      } else if (all[i] == '-' && i + 1 < all.size() && all[i + 1] == '-') {
        size_t nl = all.find('\n', i);
        if (nl == std::string::npos) {
          c.start = line.size();
          return c;
        }
        i = nl;
      }
    }
  }

  // The word being typed: an unterminated string from its quote, or a run of identifier
  // characters.
  char quote = 0;
  size_t quote_at = 0;
  {
    char q = 0;
    size_t i = 0;
    // Strings never span lines in practice; look at this line only.
    for (; i < line.size(); ++i) {
      if (q) {
        if (line[i] == '\\') ++i;
        else if (line[i] == q) q = 0;
      } else if (line[i] == '"' || line[i] == '\'') {
        q = line[i];
        quote_at = i;
      } else if (line[i] == '-' && i + 1 < line.size() && line[i + 1] == '-') {
        break;
      }
    }
    quote = q;
  }
  size_t start = line.size();
  if (quote) {
    start = quote_at;
  } else {
    while (start > 0 && is_word_char(line[start - 1])) --start;
  }
  c.start = start;
  c.word = std::string(line.substr(start));
  // A word starting with a digit is a number: nothing to complete.
  if (!quote && !c.word.empty() && std::isdigit(static_cast<unsigned char>(c.word[0]))) return c;

  std::string before = ctx.earlier.empty() ? std::string(line.substr(0, start))
                                           : ctx.earlier + "\n" + std::string(line.substr(0, start));
  RulePos rp = rule_position(tokenize(before), schema);
  const Field* field = rp.field >= 0 ? &schema.fields[static_cast<size_t>(rp.field)] : nullptr;

  std::vector<std::string> candidates;
  bool values = false;
  switch (rp.pos) {
    case Pos::Field:
      for (const auto& f : schema.fields) {
        candidates.push_back(f.name);
        for (const auto& a : f.aliases) candidates.push_back(a);
      }
      add_keywords(candidates, {"not", "true", "false"});
      break;
    case Pos::AfterField:
      if (field && field->type == FieldType::Set) add_keywords(candidates, {"any", "all", "none", "is"});
      else add_keywords(candidates, {"in", "not", "between", "is"});
      break;
    case Pos::NotIn: add_keywords(candidates, {"in"}); break;
    case Pos::IsNull: add_keywords(candidates, {"null", "not"}); break;
    case Pos::BetweenAnd: add_keywords(candidates, {"and"}); break;
    case Pos::Connective: add_keywords(candidates, {"and", "or"}); break;
    case Pos::Value:
      values = true;
      if (field && field->is_dictionary()) {
        for (const auto& v : field->dict.values()) candidates.push_back(v.key);
      } else if (field && field->type == FieldType::Bool) {
        add_keywords(candidates, {"true", "false"});
        values = false;
      } else if (field && field->type == FieldType::Timestamp) {
        add_keywords(candidates, {"now"});
        values = false;
      }
      break;
    case Pos::ListOpen:
    case Pos::ListNext:
    case Pos::Unknown: break;
  }

  std::string typed = quote ? c.word.substr(1) : c.word;
  std::string folded = fold_value(typed);
  for (const auto& cand : candidates) {
    bool hit = starts_with_ci(cand, typed) || (values && fold_value(cand).rfind(folded, 0) == 0);
    if (!hit) continue;
    if (values) c.matches.push_back(value_text(cand, quote));
    else if (!quote) c.matches.push_back(cand);
  }
  if (values) c.add_space = false;
  return c;
}

std::string common_prefix(const std::vector<std::string>& matches) {
  if (matches.empty()) return "";
  size_t n = matches[0].size();
  for (const auto& m : matches) {
    size_t i = 0;
    while (i < n && i < m.size() &&
           std::tolower(static_cast<unsigned char>(m[i])) == std::tolower(static_cast<unsigned char>(matches[0][i])))
      ++i;
    n = i;
  }
  return matches[0].substr(0, n);
}

}  // namespace seg::repl
