// The AST: what the person wrote, with a source span on every node. The checker fills in the
// resolved field and values; lowering turns a checked AST into the IR.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/diagnostics.hpp"

namespace seg::ast {

enum class ValueKind : uint8_t { Number, String, Symbol, Date, Timestamp, RelTime, Bool };
const char* value_kind_name(ValueKind k);

struct Value {
  ValueKind kind = ValueKind::Number;
  Span span;
  std::string text;     // Number: as written; String: unescaped; Symbol: the identifier
  int64_t seconds = 0;  // Date: start of the day (UTC); Timestamp: the second; RelTime: offset from now
  bool boolean = false;  // Bool

  // Filled in by the checker.
  int64_t resolved = 0;  // code, scaled decimal, seconds or 0/1, per the field's type
  bool unknown = false;  // a value an open dictionary does not know (matches nobody)
  std::string name;      // canonical dictionary key or string value, for printing
};

enum class Op : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };
const char* op_text(Op op);

enum class Kind : uint8_t {
  Or, And, Not, Bool,                 // structure
  In, NotIn, Compare, Between,        // value predicates
  IsNull, IsNotNull,
  Any, All, None                      // set predicates
};

struct Expr {
  Kind kind = Kind::Bool;
  Span span;
  std::vector<Expr> children;  // Or, And (two or more), Not (one)
  bool grouped = false;        // written in parentheses (an `and` in an `or` without them: W505)
  bool boolean = false;        // Bool
  // Predicates
  std::string field;
  Span field_span;
  Span op_span;
  Op op = Op::Eq;             // Compare
  std::vector<Value> values;  // In/NotIn/Any/All/None: the list; Compare: one; Between: two
  int field_index = -1;       // filled in by the checker
};

}  // namespace seg::ast
