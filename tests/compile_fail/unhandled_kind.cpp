// Must NOT compile (tests/CMakeLists.txt, CompileFail.*): a switch over the IR's node kinds
// that forgets one is a build error (-Werror=switch). Every switch over ir::Kind names each
// kind, with no `default:` (compiler/ir.hpp), so a new operator cannot be left unhandled in
// one; code that asks `kind == ...` or is_predicate() has to be found by reading (docs/
// architecture.md, "Adding an operator"). Compiled with SEG_HANDLE_ALL as the control, it compiles.
#include "compiler/ir.hpp"

int arity(seg::ir::Kind k) {
  switch (k) {
    case seg::ir::Kind::Const: return 0;
    case seg::ir::Kind::And:
    case seg::ir::Kind::Or: return 2;
    case seg::ir::Kind::Not: return 1;
    case seg::ir::Kind::In:
    case seg::ir::Kind::Range:
    case seg::ir::Kind::IsNull:
    case seg::ir::Kind::SetAny:
    case seg::ir::Kind::SetAll: return 0;
#ifdef SEG_HANDLE_ALL
    case seg::ir::Kind::SetNone: return 0;
#endif
  }
  return -1;
}
