// Completion of rule text (see complete.hpp): where in a condition the cursor is, read from
// the grammar's tokens, and the candidates the schema offers there.
#include "compiler/complete.hpp"

#include <cctype>
#include <span>

#include "base/text_util.hpp"
#include "compiler/check.hpp"
#include "compiler/value_text.hpp"
#include "grammar/lex.hpp"
#include "grammar/parse.hpp"

namespace seg {
namespace {

using grammar::Token;
using grammar::TokenKind;

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Keywords offered in each position, all from the language's one keyword table.
constexpr bool in_keyword_table(std::string_view k) {
  for (std::string_view t : kKeywords)
    if (t == k) return true;
  return false;
}
template <size_t N>
constexpr bool all_keywords(const std::string_view (&ks)[N]) {
  for (std::string_view k : ks)
    if (!in_keyword_table(k)) return false;
  return true;
}
constexpr std::string_view kAtField[] = {"not", "true", "false"};
constexpr std::string_view kAfterSetField[] = {"any", "all", "none", "is"};
constexpr std::string_view kAfterField[] = {"in", "not", "between", "is"};
constexpr std::string_view kAfterNot[] = {"in"};
constexpr std::string_view kAfterIs[] = {"null", "not"};
constexpr std::string_view kBetweenAnd[] = {"and"};
constexpr std::string_view kConnectives[] = {"and", "or"};
constexpr std::string_view kBools[] = {"true", "false"};
constexpr std::string_view kNow[] = {"now"};
static_assert(all_keywords(kAtField) && all_keywords(kAfterSetField) && all_keywords(kAfterField) &&
              all_keywords(kAfterNot) && all_keywords(kAfterIs) && all_keywords(kBetweenAnd) &&
              all_keywords(kConnectives) && all_keywords(kBools) && all_keywords(kNow));

template <size_t N>
void add(std::vector<std::string>& out, const std::string_view (&ks)[N]) {
  for (std::string_view k : ks) out.emplace_back(k);
}

// Where in the grammar the next token goes.
enum class Pos { Field, AfterField, NotIn, IsNull, ListOpen, Value, ListNext, BetweenAnd, Connective, Unknown };
enum class ValueMode { Single, List, BetweenLow, BetweenHigh };

struct RulePos {
  Pos pos = Pos::Field;
  int field = -1;  // the field being compared, when known
};

bool is_cmp(const Token& t) {
  return t.kind == TokenKind::Punct && (t.text == "=" || t.text == "!=" || t.text == "<>" || t.text == "<" ||
                                        t.text == "<=" || t.text == ">" || t.text == ">=");
}

RulePos rule_position(const std::vector<Token>& toks, const Schema& schema) {
  RulePos r;
  ValueMode mode = ValueMode::Single;
  bool after_single_value = false;
  auto kw = [](const Token& t, std::string_view k) { return t.kind == TokenKind::Word && iequals(t.text, k); };
  for (const Token& t : toks) {
    if (t.kind == TokenKind::Comment) continue;
    bool was_single = after_single_value;
    after_single_value = false;
    switch (r.pos) {
      case Pos::Field:
        if (kw(t, "not") || t.text == "(") break;
        if (kw(t, "true") || kw(t, "false")) {
          r.pos = Pos::Connective;
        } else if (t.kind == TokenKind::Word) {
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
        } else if (is_cmp(t)) {
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
        if (t.kind == TokenKind::Punct && t.text != "-" && t.text != "+") {
          r.pos = Pos::Unknown;
          break;
        }
        if (t.kind == TokenKind::Punct) break;  // a sign before a number
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

}  // namespace

// The printer's quoting (symbol_text), so a completed value reads back as the key: it escaped
// only the quote and `\`, and a key with a newline completed to a string that did not parse.
std::string value_as_rule_text(std::string_view key, char quote) {
  return quote == 0 ? symbol_text(key) : quote_string(key, quote);
}

RuleCompletion complete_rule(std::string_view text, const Schema& schema) {
  RuleCompletion c;
  c.start = text.size();
  std::vector<Token> toks = grammar::lex(text);
  // The word being typed: an unfinished string from its quote, or the identifier characters
  // before the cursor. Inside a comment nothing completes.
  char quote = 0;
  size_t start = text.size();
  if (!toks.empty() && toks.back().span.end == text.size()) {
    const Token& last = toks.back();
    if (last.kind == TokenKind::Comment) return c;
    if (last.kind == TokenKind::String && !last.closed) {
      quote = last.text[0];
      start = last.span.begin;
    }
  }
  if (!quote)
    while (start > 0 && is_word_char(text[start - 1])) --start;
  c.start = start;
  c.word = std::string(text.substr(start));
  // A word starting with a digit is a number: nothing to complete.
  if (!quote && !c.word.empty() && std::isdigit(static_cast<unsigned char>(c.word[0]))) return c;

  std::vector<Token> before;
  for (const Token& t : toks)
    if (t.span.end <= start) before.push_back(t);
  RulePos rp = rule_position(before, schema);
  const Field* field = rp.field >= 0 ? &schema.fields[static_cast<size_t>(rp.field)] : nullptr;

  std::vector<std::string> candidates;
  bool values = false;
  switch (rp.pos) {
    case Pos::Field:
      for (const auto& f : schema.fields) {
        candidates.push_back(f.name);
        for (const auto& a : f.aliases) candidates.push_back(a);
      }
      add(candidates, kAtField);
      break;
    case Pos::AfterField:
      if (!field) {
        add(candidates, kAfterField);
        break;
      }
      // Only what the field takes (the checker's own list): no `between` on an unordered
      // field, no `is null` on a set.
      for (std::string_view k : field->type == FieldType::Set ? std::span(kAfterSetField) : std::span(kAfterField))
        for (const auto& op : operators_for(*field))
          if (op == k || op.starts_with(std::string(k) + " ")) {
            candidates.emplace_back(k);
            break;
          }
      break;
    case Pos::NotIn: add(candidates, kAfterNot); break;
    case Pos::IsNull: add(candidates, kAfterIs); break;
    case Pos::BetweenAnd: add(candidates, kBetweenAnd); break;
    case Pos::Connective: add(candidates, kConnectives); break;
    case Pos::Value:
      values = true;
      if (field && field->is_dictionary()) {
        for (const auto& v : field->dict.values()) candidates.push_back(v.key);
        for (const auto& k : field->dict.known_elsewhere()) candidates.push_back(k);  // a membership's batches added them
      } else if (field && field->type == FieldType::Bool) {
        add(candidates, kBools);
        values = false;
      } else if (field && field->type == FieldType::Timestamp) {
        add(candidates, kNow);
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
    if (values) c.matches.push_back(value_as_rule_text(cand, quote));
    else if (!quote) c.matches.push_back(cand);
  }
  if (values) c.add_space = false;
  return c;
}

bool rule_is_unfinished(std::string_view text) { return rule_ends_too_soon(text); }

bool line_continues_rule(std::string_view line) {
  for (const grammar::Token& t : grammar::lex(line)) {
    if (t.kind == grammar::TokenKind::Comment) continue;
    return t.kind == grammar::TokenKind::Word && (iequals(t.text, "and") || iequals(t.text, "or"));
  }
  return false;
}

std::string without_comments(std::string_view text) {
  std::string out;
  size_t from = 0;
  for (const grammar::Token& t : grammar::lex(text)) {
    if (t.kind != grammar::TokenKind::Comment) continue;
    out.append(text.substr(from, t.span.begin - from));
    from = t.span.end;
  }
  out.append(text.substr(from));
  return out;
}

}  // namespace seg
