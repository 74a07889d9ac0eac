// The checker: fields and aliases, operators per field type, literal types, dictionary values.
#include "compiler/check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>
#include <map>
#include <charconv>

#include "base/text_util.hpp"
#include "base/time_util.hpp"
#include "compiler/complete.hpp"
#include "compiler/value_text.hpp"

namespace seg {

using ast::Kind;
using ast::Value;
using ast::ValueKind;

std::string blank_value_message(std::string_view field, std::string_view value) {
  return fmt::format("an empty {}{}: no client has one", field, value.empty() ? "" : " (only spaces and tabs)");
}

namespace {

class Checker {
 public:
  Checker(const Schema& s, std::string_view text, Diagnostics& d) : schema_(s), text_(text), diags_(d) {}

  void expr(ast::Expr& e) {
    switch (e.kind) {
      case Kind::Or:
      case Kind::And:
      case Kind::Not:
        for (auto& c : e.children) expr(c);
        if (e.kind == Kind::Or) and_in_or(e);
        return;
      case Kind::Bool: return;
      case Kind::In:
      case Kind::NotIn:
      case Kind::Compare:
      case Kind::Between:
      case Kind::IsNull:
      case Kind::IsNotNull:
      case Kind::Any:
      case Kind::All:
      case Kind::None: predicate(e); return;
    }
  }

 private:
  std::string src(Span s) const { return std::string(text_.substr(s.begin, s.end - s.begin)); }
  std::string list_src(const ast::Expr& e) const {
    std::vector<std::string> parts;
    for (const auto& v : e.values) parts.push_back(src(v.span));
    return fmt::format("({})", fmt::join(parts, ", "));
  }

  // W505: `a or b and c` is `a or (b and c)`, and people who meant `(a or b) and c` write it
  // so (the form's "any of these stages, and this spot"). As compilers do for `&&` in `||`,
  // an `and` written without parentheses inside an `or` is pointed out; the fix writes the
  // parentheses that keep the meaning, and the canonical printer always writes them, so
  // canonical text never warns.
  // A help quotes the rule on one line: a rule written over lines has its breaks as spaces,
  // and its `--` comments left out (kept, a comment ran to the end of the quoted line and
  // hid the rest of the rule; found by a review).
  static std::string one_line(std::string_view written) {
    const std::string t = without_comments(written);
    std::string out;
    for (char c : t) {
      bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
      if (!space) out += c;
      else if (!out.empty() && out.back() != ' ') out += ' ';
    }
    return out;
  }
  void and_in_or(const ast::Expr& e) {
    std::vector<const ast::Expr*> bare;
    for (const auto& c : e.children)
      if (c.kind == Kind::And && !c.grouped) bare.push_back(&c);
    if (bare.empty()) return;
    // The `or` as written, each bare `and` in parentheses: the user's own spelling kept.
    std::string fixed;
    uint32_t at = e.span.begin;
    for (const ast::Expr* c : bare) {
      fixed += text_.substr(at, c->span.begin - at);
      fixed += fmt::format("({})", src(c->span));
      at = c->span.end;
    }
    fixed += text_.substr(at, e.span.end - at);
    std::string help;
    constexpr size_t kShown = 100;  // longer readings are left to the fix
    if (fixed.size() <= kShown) help = fmt::format("as written it is `{}`", one_line(fixed));
    else help = fmt::format("as written the `and` {} grouped first (the fix adds the parentheses)", bare.size() == 1 ? "part is" : "parts are");
    // `a or b and c` / `a and b or c`: the other reading, the one usually meant.
    if (e.children.size() == 2 && bare.size() == 1 && bare[0]->children.size() == 2) {
      const ast::Expr& other = bare[0] == &e.children[0] ? e.children[1] : e.children[0];
      const ast::Expr& first = bare[0]->children[0];
      const ast::Expr& second = bare[0]->children[1];
      std::string alt = bare[0] == &e.children[1]
                            ? fmt::format("({} or {}) and {}", src(other.span), src(first.span), src(second.span))
                            : fmt::format("{} and ({} or {})", src(first.span), src(second.span), src(other.span));
      if (e.grouped) alt = fmt::format("({})", alt);  // the `or`'s own parentheses, as in `fixed`
      if (alt.size() <= kShown) help += fmt::format("; for the other reading write `{}`", one_line(alt));
    }
    // One bare `and`: marked, and the fix puts it in parentheses; several: the whole `or`.
    const bool one = bare.size() == 1;
    readings_.push_back({one ? bare[0]->span : e.span, std::move(help), one ? fmt::format("({})", src(bare[0]->span)) : fixed});
  }

 public:
  // The W505s, given only to a rule without errors: how a rule reads matters once it means
  // something, and next to an unknown field it is noise.
  void report_readings() {
    for (auto& r : readings_) {
      diags_.warning("W505", r.span, "`and` binds tighter than `or`: parentheses would show which is meant", std::move(r.help));
      diags_.fix_last(std::move(r.fix));
    }
  }

 private:
  struct Reading {
    Span span;
    std::string help, fix;
  };
  std::vector<Reading> readings_;

  void predicate(ast::Expr& e) {
    int idx = schema_.find(e.field);
    if (idx < 0) {
      std::vector<size_t> scores;
      auto near = nearest(e.field, schema_.all_names(), 3, &scores);
      // Names as near as the nearest are all said, and none is put in as the fix: which one
      // was meant is the writer's to say (one was picked).
      while (near.size() > 1 && scores.back() > scores.front()) near.pop_back(), scores.pop_back();
      // A name and its alias (`tags`, `tag`) are one field: said once, by the nearer name.
      std::vector<std::string> fields;
      std::vector<int> seen;
      for (const auto& n : near)
        if (int at = schema_.find(n); std::find(seen.begin(), seen.end(), at) == seen.end())
          seen.push_back(at), fields.push_back(n);
      near = std::move(fields);
      std::string help;
      if (near.size() == 1) {
        help = fmt::format("did you mean `{}`?", near[0]);
      } else if (!near.empty()) {
        help = fmt::format("did you mean one of `{}`?", fmt::join(near, "`, `"));
      } else {
        std::vector<std::string> names;
        for (const auto& f : schema_.fields) names.push_back(f.name);
        help = fmt::format("fields are: {}", fmt::join(names, ", "));
      }
      diags_.error("E201", e.field_span, fmt::format("unknown field `{}`", e.field), help);
      if (near.size() == 1) diags_.fix_last(near[0]);
      return;
    }
    e.field_index = idx;
    const Field& f = schema_.fields[idx];
    if (!operator_applies(e, f)) return;
    bool ok = true;
    for (auto& v : e.values) ok &= value(e, f, v);
    if (ok && e.values.size() > 1) thousands_in_list(e);
    if (ok && e.kind == Kind::Between && !e.values[0].unknown && !e.values[1].unknown) {
      const Value &lo = e.values[0], &hi = e.values[1];
      bool rel = lo.kind == ValueKind::RelTime || hi.kind == ValueKind::RelTime;
      int64_t lo_v = lo.resolved, hi_v = hi.kind == ValueKind::Date ? hi.resolved + 86399 : hi.resolved;
      const std::string swapped = fmt::format("{} between {} and {}", src(e.field_span), src(hi.span), src(lo.span));
      if (!rel && lo_v > hi_v) {
        diags_.warning("W503", e.span, fmt::format("`{}` is after `{}`: this range matches nobody", src(lo.span), src(hi.span)),
                       fmt::format("did you mean `{} between {} and {}`?", e.field, src(hi.span), src(lo.span)));
        diags_.fix_last(swapped);
      }
      if (rel && lo.kind == ValueKind::RelTime && hi.kind == ValueKind::RelTime && lo.seconds > hi.seconds) {
        diags_.warning("W503", e.span, "the first bound is after the second: this range matches nobody",
                       fmt::format("swap the bounds: `{} between {} and {}`", e.field, src(hi.span), src(lo.span)));
        diags_.fix_last(swapped);
      }
    }
  }

  // W506: `player_id in (1,000,000)` is three values, 1, 000 and 000 (leading zeros are
  // allowed), where a spreadsheet's thousands separators were meant: the segment took other
  // clients without a word (found by a review). A number of one to three digits followed by
  // `,` and exactly three digits (the last may have a fraction: `1,000.50`), no space on either
  // side of the comma, is said once a run, when the thousands are the likely reading: the run
  // has three parts or more and a first shorter than three digits, or a fraction, or a group led by a zero (`1,000`, `12,050`: a
  // pasted "1,000" was players 0 and 1 without a word; a third review), or the list's other
  // values are apart by `, `.
  // `spot in (1,2,3,100)` and `player_id in (100,200)`, lists written without spaces, are
  // values (a second review: the fix merged them).
  void thousands_in_list(const ast::Expr& e) {
    auto digits = [](std::string_view t, size_t least, size_t most) {
      if (!t.empty() && t[0] == '-') t.remove_prefix(1);
      if (t.size() < least || t.size() > most) return false;
      return std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    auto fraction = [&](std::string_view t) {  // `000.50`: three digits, a point, digits
      const size_t point = t.find('.');
      return point == 3 && digits(t.substr(0, 3), 3, 3) && digits(t.substr(4), 1, 18);
    };
    auto adjacent = [&](size_t k) {
      const Value &a = e.values[k - 1], &b = e.values[k];
      return a.span.end + 1 == b.span.begin && text_.substr(a.span.end, 1) == ",";
    };
    auto group = [&](size_t k) {  // values[k] continues values[k - 1] as a thousands group
      const Value& b = e.values[k];
      return b.kind == ValueKind::Number && (digits(b.text, 3, 3) || fraction(b.text)) && adjacent(k) &&
             (e.values[k - 1].text.find('.') == std::string::npos);
    };
    bool spaced = false;  // some pair of the list's values is apart by more than a bare comma
    for (size_t k = 1; k < e.values.size() && !spaced; ++k) spaced = !adjacent(k);
    for (size_t i = 0; i < e.values.size(); ++i) {
      const Value& first = e.values[i];
      if (first.kind != ValueKind::Number || !digits(first.text, 1, 3)) continue;
      // A number's leading group has no leading zero: `(0,001)` and `(007,000)` are values
      // (merged they were `0001` and `007000`; a review of the zero-led rule).
      if (first.text[first.text[0] == '-' ? 1 : 0] == '0') continue;
      size_t j = i;
      while (j + 1 < e.values.size() && group(j + 1)) ++j;
      if (j == i) continue;
      bool zero_led = false;  // `000`, `050`: as separate values nobody writes the zeros
      for (size_t k = i + 1; k <= j; ++k) zero_led = zero_led || e.values[k].text[0] == '0';
      // Unspaced, three parts or more are thousands when the first is shorter than a group
      // (`1,234,567`); groups of three alike (`100,200,300`) are a list's values as easily,
      // and the fix merged them (a review).
      const size_t lead = first.text.size() - (first.text[0] == '-' ? 1 : 0);
      if ((j - i + 1 < 3 || lead == 3) && !spaced && !zero_led && !fraction(e.values[j].text)) {
        i = j;
        continue;
      }
      const Span run{first.span.begin, e.values[j].span.end};
      std::string joined;
      for (size_t k = i; k <= j; ++k) joined += e.values[k].text;
      diags_.warning("W506", run,
                     fmt::format("`{}` is {} values here, as `,` separates a list's values", src(run), j - i + 1),
                     fmt::format("if it is one number, write it without separators: `{}`; between values, a space after "
                                 "the comma says they are several",
                                 joined));
      diags_.fix_last(std::move(joined));
      i = j;
    }
  }

  // The operator as operators_for() spells it.
  static std::string_view spelling(const ast::Expr& e) {
    switch (e.kind) {
      case Kind::In: return "in";
      case Kind::NotIn: return "not in";
      case Kind::Compare: return ast::op_text(e.op);
      case Kind::Between: return "between";
      case Kind::IsNull: return "is null";
      case Kind::IsNotNull: return "is not null";
      case Kind::Any: return "any";
      case Kind::All: return "all";
      case Kind::None: return "none";
      case Kind::Or:
      case Kind::And:
      case Kind::Not:
      case Kind::Bool: break;
    }
    return {};
  }

  // Whether the field takes the operator is operators_for()'s answer, the list completion and
  // the schema's description offer; what is said when it does not depends on why.
  bool operator_applies(const ast::Expr& e, const Field& f) {
    const std::vector<std::string> ops = operators_for(f);
    if (std::find(ops.begin(), ops.end(), spelling(e)) != ops.end()) return true;
    bool set_op = e.kind == Kind::Any || e.kind == Kind::All || e.kind == Kind::None;
    if (f.type == FieldType::Set) {
      std::string help;
      if (e.kind == Kind::Compare && e.op == ast::Op::Eq)
        help = fmt::format("use `{} any ({})`", e.field, src(e.values[0].span));
      else if (e.kind == Kind::Compare && e.op == ast::Op::Ne)
        help = fmt::format("use `{} none ({})`", e.field, src(e.values[0].span));
      else if (e.kind == Kind::In)
        help = fmt::format("use `{} any {}` (at least one) or `{} all {}` (every one)", e.field, list_src(e), e.field,
                           list_src(e));
      else if (e.kind == Kind::NotIn)
        help = fmt::format("use `{} none {}`", e.field, list_src(e));
      else if (e.kind == Kind::IsNull || e.kind == Kind::IsNotNull)
        help = "a multi-valued field is never null: it holds zero or more values";
      else
        help = fmt::format("use `{} any (…)`, `{} all (…)` or `{} none (…)`", e.field, e.field, e.field);
      // `tag = VIP` and `tag != VIP` have one rewrite: the whole condition is marked and the
      // rewrite is its fix (the review found the suggestion without one).
      // `tag not in (…)` too (a review found it without its fix, where `tag != …` had one).
      const bool one_rewrite = (e.kind == Kind::Compare && (e.op == ast::Op::Eq || e.op == ast::Op::Ne)) || e.kind == Kind::NotIn;
      diags_.error("E301", one_rewrite ? e.span : Span{e.field_span.begin, e.op_span.end ? e.op_span.end : e.span.end},
                   fmt::format("`{}` holds several values; this operator does not apply to it", e.field), help);
      if (e.kind == Kind::NotIn) diags_.fix_last(fmt::format("{} none {}", src(e.field_span), list_src(e)));
      else if (one_rewrite)
        diags_.fix_last(fmt::format("{} {} ({})", src(e.field_span), e.op == ast::Op::Eq ? "any" : "none", src(e.values[0].span)));
      return false;
    }
    if (set_op) {
      std::string kw = lower(src(e.op_span));
      std::string help = kw == "none" ? fmt::format("use `{} not in {}`", e.field, list_src(e))
                                      : fmt::format("use `{} in {}`", e.field, list_src(e));
      diags_.error("E301", e.op_span,
                   fmt::format("`{}` applies only to multi-valued fields such as tags; `{}` holds one value", kw, e.field),
                   help);
      // `any` of one value is `in`, `none` is `not in`; `all` of several values of a
      // single-valued field is a contradiction, not a spelling.
      if (kw == "any" || kw == "none") diags_.fix_last(kw == "any" ? "in" : "not in");
      return false;
    }
    // What is left is an ordering (`<`, `between`) on a field without an order.
    std::string why = f.type == FieldType::Enum ? fmt::format("`{}` is not an ordered dictionary", e.field)
                                                : fmt::format("`{}` is a {} field", e.field, type_name(f.type));
    diags_.error("E301", e.op_span, fmt::format("ordering comparisons do not apply: {}", why),
                 fmt::format("compare with `=`, `!=`, `in` or `not in`"));
    return false;
  }

  // "write 12 or 13" for `12.5` on a whole-number field (the two whole numbers around it).
  static std::string whole_numbers_near(std::string_view text) {
    const size_t point = text.find('.');
    int64_t whole = 0;
    const std::string_view digits = text.substr(0, point);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), whole);
    if (ec != std::errc() || end != digits.data() + digits.size() || whole == INT64_MIN || whole == INT64_MAX)
      return "write a whole number";
    const bool negative = !text.empty() && text[0] == '-';
    const int64_t below = negative ? whole - 1 : whole, above = negative ? whole : whole + 1;
    return fmt::format("write a whole number: `{}` or `{}` (`< {}` is `<= {}`)", below, above, text, below);
  }

  bool type_error(const ast::Expr& e, const Field& f, const Value& v, std::string help = {},
                  std::optional<std::string> fix = std::nullopt) {
    std::string what = f.is_dictionary() ? fmt::format("{} values", e.field)
                       : f.type == FieldType::Int       ? "whole numbers"
                       : f.type == FieldType::Decimal   ? "numbers"
                       : f.type == FieldType::Timestamp ? "dates, timestamps and `now ± duration`"
                       : f.type == FieldType::Bool      ? "`true` or `false`"
                                                        : "strings";
    diags_.error("E302", v.span,
                 fmt::format("`{}` takes {}, not {} (`{}`)", e.field, what, ast::value_kind_name(v.kind), src(v.span)),
                 std::move(help));
    if (fix) diags_.fix_last(std::move(*fix));
    return false;
  }

  bool value(ast::Expr& e, const Field& f, Value& v) {
    if (v.kind == ValueKind::RelTime && f.type != FieldType::Timestamp) {
      std::string help;  // a timestamp field of the schema to show `now` with
      for (const auto& g : schema_.fields)
        if (g.type == FieldType::Timestamp) {
          help = fmt::format("`now` goes with a timestamp field, e.g. `{} >= now - 30d`", g.name);
          break;
        }
      diags_.error("E304", v.span,
                   fmt::format("`now` applies only to timestamp fields; `{}` is {} {}", e.field,
                               f.type == FieldType::Int ? "an" : "a", type_name(f.type)),
                   help);
      return false;
    }
    switch (f.type) {
      case FieldType::Int:
      case FieldType::Decimal: {
        if (v.kind != ValueKind::Number) {
          std::string help;
          int64_t tmp;
          if (v.kind == ValueKind::String && parse_decimal(v.text, f.scale, tmp) == DecimalError::None) {
            // (`"+5"`: the language writes no `+`.)
            const std::string number = !v.text.empty() && v.text[0] == '+' ? v.text.substr(1) : v.text;
            return type_error(e, f, v, fmt::format("write the number without quotes: `{}`", number), number);
          }
          help = f.type == FieldType::Int ? fmt::format("write a whole number, e.g. `{} = 12`", e.field)
                                          : fmt::format("write a number, e.g. `{} >= 100.50`", e.field);
          return type_error(e, f, v, help);
        }
        switch (parse_decimal(v.text, f.scale, v.resolved)) {
          case DecimalError::None: return true;
          case DecimalError::Digits:
            if (f.scale == 0)
              diags_.error("E303", v.span, fmt::format("`{}` is a whole number; `{}` has a fraction", e.field, v.text),
                           whole_numbers_near(v.text));
            else
              diags_.error("E303", v.span,
                           fmt::format("`{}` has {} digits after the point; `{}` has more", e.field, f.scale, v.text),
                           "round the value to the field's precision");
            return false;
          case DecimalError::Syntax:
          case DecimalError::Range:
            diags_.error("E305", v.span, fmt::format("`{}` is out of range for `{}`", v.text, e.field),
                         "values must fit in 64 bits");
            return false;
        }
        return false;
      }
      case FieldType::Timestamp:
        if (v.kind == ValueKind::Date || v.kind == ValueKind::Timestamp || v.kind == ValueKind::RelTime) {
          v.resolved = v.seconds;
          return true;
        }
        if (v.kind == ValueKind::String) {
          if (auto t = parse_timestamp(v.text)) {
            // `"2026-01-01 10:00:00"`: unquoted it is two words, and UTC or local? Only the person knows.
            if (v.text.find(' ') != std::string::npos)
              return type_error(e, f, v, "a timestamp is one word, in UTC with `Z` or with its offset, e.g. `2026-01-01T10:00:00Z`");
            return type_error(e, f, v, fmt::format("write the date without quotes: `{}`", v.text), v.text);
          }
        }
        return type_error(e, f, v, "for example `2026-10-01`, `2026-10-01T12:30:00Z` or `now - 30d`");
      case FieldType::Bool:
        if (v.kind != ValueKind::Bool) return type_error(e, f, v, fmt::format("write `{} = true` or `{} = false`", e.field, e.field));
        v.resolved = v.boolean ? 1 : 0;
        return true;
      case FieldType::String:
        if (v.kind != ValueKind::String && v.kind != ValueKind::Symbol)
          return type_error(e, f, v, fmt::format("quote it: `\"{}\"`", v.text));
        v.name = v.text;
        return true;
      case FieldType::Enum:
      case FieldType::Set: return dictionary_value(e, f, v);
    }
    return false;
  }

  bool dictionary_value(ast::Expr& e, const Field& f, Value& v) {
    if (v.kind != ValueKind::Symbol && v.kind != ValueKind::String) {
      std::vector<std::string> some;
      for (uint32_t i = 0; i < f.dict.size() && i < 3; ++i) some.push_back(symbol_text(f.dict[i].key));
      std::string help = some.empty() ? "" : fmt::format("for example {}", fmt::join(some, ", "));
      bool ordering = e.kind == Kind::Between || (e.kind == Kind::Compare && e.op != ast::Op::Eq && e.op != ast::Op::Ne);
      if (f.dict.ordered && ordering && f.dict.size() > 2)
        help = fmt::format("for example `{} >= {}`", e.field, symbol_text(f.dict[2].key));
      return type_error(e, f, v, help);
    }
    if (blank_name(v.text)) {
      // No client holds an empty name (the loaders read an empty cell as null, skip an empty
      // tag and trim spaces and tabs around a name), and the segment form refuses one (E608):
      // the rule did not compile the same as its form (found by fuzzing; all tabs, again). An
      // error, open dictionary or not.
      std::string help = f.type == FieldType::Set ? fmt::format("write the {}'s name, or remove the empty one", e.field)
                         : f.nullable         ? fmt::format("for clients without a {0}, write `{0} is null`", e.field)
                                              : fmt::format("write a {}'s name, or remove the empty one", e.field);
      diags_.error("E202", v.span, blank_value_message(e.field, v.text), help);
      // `country = ''`: the whole condition becomes `country is null` (one edit; a review), and
      // `country != ''` `country is not null` (its help said `is null`).
      if (f.type != FieldType::Set && f.nullable && e.kind == Kind::Compare && (e.op == ast::Op::Eq || e.op == ast::Op::Ne)) {
        const bool ne = e.op == ast::Op::Ne;
        Diagnostic& d = diags_.list().back();
        d.span = e.span;
        if (ne) d.suggestion = fmt::format("for clients with a {0}, write `{0} is not null`", e.field);
        diags_.fix_last(fmt::format("{} {}", src(e.field_span), ne ? "is not null" : "is null"));
      }
      return false;
    }
    // Among the dictionary's values and those a live membership's batches brought (decision
    // 109), as over data holding them all: a batch's `vip` beside the schema's `VIP` is what
    // `vip` names, and `Vip` names both (a review found the membership reading `vip` as
    // `VIP`, unlike a full evaluation of the same clients).
    std::vector<std::string> several;
    if (auto key = resolver(f).resolve_key(v.text, several)) {
      if (auto code = f.dict.find_key(*key)) {
        v.resolved = *code;
        v.name = *key;
        return true;
      }
      // Clients elsewhere have it: the IR keeps the name with no code here, as written when
      // it matched only loosely, so it goes on meaning what it matches over all the clients
      // (their exact `NEWTAG` once one has it), as the membership resolves it (with_keys).
      v.unknown = true;
      v.name = v.text;
      return true;
    }
    if (!several.empty()) {
      std::vector<std::string> names;
      for (const auto& k : several) names.push_back(symbol_text(k));
      diags_.error("E203", v.span, fmt::format("`{}` matches several {} values: {}", v.text, e.field, fmt::join(names, ", ")),
                   fmt::format("write the exact value, e.g. {}", names[0]));
      return false;
    }
    // Suggestions compare the value with every value of the dictionary (up to 2^20 of them),
    // so only the first unknown values of a rule get them (kSuggested, kCompareBudget): a pasted list of
    // thousands of unknown tags over a large dictionary took minutes (found by a review of
    // how things scale). The words are gathered once a field.
    // One warning per name and condition: `tag any (T999, T999)` is one mistake. (A set of
    // the names warned about in this condition: looking back through its earlier values was
    // quadratic in a list of unknown tags.) Checked before the suggestions, which a repeat
    // does not need.
    if (warned_in_ != &e) warned_in_ = &e, warned_.clear();
    if (f.dict.open && warned_.count(v.text)) {
      v.unknown = true;
      v.name = v.text;
      return true;
    }
    const std::vector<std::string>& all_words = words_of(f);
    const bool suggest = suggested_ == 0 || (suggested_ < kSuggested && compared_ + all_words.size() <= kCompareBudget);
    if (suggest) ++suggested_, compared_ += all_words.size();
    const std::vector<std::string>& words = suggest ? all_words : no_words_;
    std::vector<std::string> near = suggest ? nearest(v.text, words, 3) : std::vector<std::string>();
    if (near.empty() && suggest) {
      // `made_first` for MadeFirstSale: too far for an edit distance, but the start of one
      // value once case, `_`, `-` and spaces are set aside.
      auto squash = [](std::string_view w) {
        std::string out;
        for (char c : w)
          if (c != '_' && c != '-' && c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
      };
      std::string typed = squash(v.text);
      if (typed.size() >= 4)
        for (const auto& w : words)
          if (squash(w).rfind(typed, 0) == 0 && std::find(near.begin(), near.end(), w) == near.end()) near.push_back(w);
    }
    // A label suggestion is shown as its key: that is what rules are printed with.
    std::vector<std::string> shown;
    for (const auto& n : near) {
      std::vector<uint32_t> c2;
      auto code = resolver(f).resolve(n, c2);
      std::string k = code ? symbol_text(f.dict[*code].key) : symbol_text(n);
      if (std::find(shown.begin(), shown.end(), k) == shown.end()) shown.push_back(k);
    }
    // In backticks, as fields and data values are said (a review found the three apart).
    std::string help = shown.empty() ? "" : shown.size() == 1 ? fmt::format("did you mean `{}`?", shown[0])
                                                              : fmt::format("did you mean one of `{}`?", fmt::join(shown, "`, `"));
    // `"VІP"` with a Cyrillic І, `"DЕ"` with a Cyrillic Е: a value drawn like one of the
    // dictionary's and not it (it was "check the spelling" with nothing near, or the value the
    // person typed offered back: a review).
    if (auto twin = ascii_twin(v.text)) {
      std::vector<uint32_t> c2;
      if (auto code = resolver(f).resolve(*twin, c2)) {
        uint32_t cp = 0;
        std::string odd;
        for (size_t i = 0; i < v.text.size() && !cp;) {
          const size_t at = i;
          if (const uint32_t c = next_code_point(v.text, i); c >= 0x80) cp = c, odd = v.text.substr(at, i - at);
        }
        const LookAlike look = ascii_look_alike(cp);
        shown = {symbol_text(f.dict[*code].key)};
        help = fmt::format("`{}` is {} (U+{:04X}), not the Latin `{}`: did you mean `{}`?", odd, look.what, cp, look.ascii, shown[0]);
      }
    }
    if (f.dict.open) {
      v.unknown = true;
      v.name = v.text;
      warned_.insert(v.name);
      const char* effect = e.kind == Kind::None    ? "`none` excludes nobody for it"
                           : e.kind == Kind::All   ? "`all` matches nobody"
                           : e.kind == Kind::NotIn || (e.kind == Kind::Compare && e.op == ast::Op::Ne)
                               ? "it excludes nobody"
                               : "it matches nobody";
      if (help.empty()) help = fmt::format("check the spelling; a new {} matches once a client has it", e.field);
      diags_.warning("W204", v.span, fmt::format("no client has the {} `{}` yet: {}", e.field, v.text, effect), help);
      if (shown.size() == 1) diags_.fix_last(shown[0]);
      return true;
    }
    if (help.empty()) {
      std::vector<std::string> all;
      for (uint32_t i = 0; i < f.dict.size() && i < 12; ++i) all.push_back(symbol_text(f.dict[i].key));
      help = fmt::format("{} values are: {}{}", e.field, fmt::join(all, ", "), f.dict.size() > 12 ? ", …" : "");
    }
    diags_.error("E202", v.span, fmt::format("unknown {} `{}`", e.field, v.text), help);
    if (shown.size() == 1) diags_.fix_last(shown[0]);
    return false;
  }

  // A dictionary's keys and labels, the words "did you mean" looks through: once a field.
  const std::vector<std::string>& words_of(const Field& f) {
    auto [it, fresh] = words_.try_emplace(&f);
    if (fresh)
      for (const auto& dv : f.dict.values()) {
        it->second.push_back(dv.key);
        if (!dv.label.empty()) it->second.push_back(dv.label);
      }
    return it->second;
  }
  DictionaryResolver& resolver(const Field& f) { return resolvers_.try_emplace(&f, f.dict).first->second; }
  std::map<const Field*, DictionaryResolver> resolvers_;
  // At most kSuggested values get suggestions, and past the first, only while the words
  // compared stay within kCompareBudget (a few over a dictionary of a million values).
  static constexpr size_t kSuggested = 20;
  static constexpr size_t kCompareBudget = size_t{4} << 20;
  size_t suggested_ = 0, compared_ = 0;
  std::map<const Field*, std::vector<std::string>> words_;
  const std::vector<std::string> no_words_;
  const ast::Expr* warned_in_ = nullptr;
  std::unordered_set<std::string> warned_;

  const Schema& schema_;
  std::string_view text_;
  Diagnostics& diags_;
};

}  // namespace

bool check_rule(ast::Expr& root, const Schema& schema, std::string_view text, Diagnostics& diags) {
  size_t before = diags.error_count();
  Checker checker(schema, text, diags);
  checker.expr(root);
  const bool ok = diags.error_count() == before;
  if (ok) checker.report_readings();
  return ok;
}

// The one list of which operators apply to a field: the checker refuses the others (E301),
// completion offers these, and the schema's description lists them.
std::vector<std::string> operators_for(const Field& f) {
  if (f.type == FieldType::Set) return {"any", "all", "none"};
  std::vector<std::string> ops = {"=", "!=", "in", "not in", "is null", "is not null"};
  if (f.is_ordered())
    for (const char* o : {"<", "<=", ">", ">=", "between"}) ops.emplace_back(o);
  return ops;
}

}  // namespace seg
