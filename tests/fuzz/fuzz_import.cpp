// The importers of other rule builders' JSON (adapters/import.hpp, `seg import`). Byte 0 chooses
// the format (bit 0 clear: react-querybuilder, set: JsonLogic); the rest is the document, read
// against the bundled CRM schema. Whatever the bytes: no crash, an IR or at least one error,
// and every diagnostic a JSON one (no text span) whose path is a JSON pointer into the
// document: when the document is JSON, the value it names or the object or array that would
// hold it is there. For a document that imports:
//   - IR -> JSON -> IR is equal (the importers end in the IR reader: what they make must be
//     writable);
//   - optimized as `seg import` does, its canonical text compiles to an IR equal to it (same
//     hash), and printing that again gives the same text;
//   - the optimizer does not change what it selects (reference evaluator, fixed rows; on a
//     sample of the inputs, fuzz::sampled: 1 in 4; every input when replaying).
#include <nlohmann/json.hpp>

#include "compiler/compile.hpp"
#include "adapters/form.hpp"
#include "adapters/import.hpp"
#include "compiler/ir_json.hpp"
#include "tests/fuzz/crm_rows.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace seg::fuzz {

// Does the JSON pointer `path` (RFC 6901) name a value of `doc`?
inline bool pointer_resolves(const nlohmann::json& doc, std::string_view path) {
  const nlohmann::json* at = &doc;
  while (!path.empty()) {
    if (path[0] != '/') return false;
    size_t next = path.find('/', 1);
    std::string_view raw = path.substr(1, next == std::string_view::npos ? std::string_view::npos : next - 1);
    path = next == std::string_view::npos ? std::string_view() : path.substr(next);
    std::string token;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[++i] == '0' ? '~' : '/';
      } else {
        token += raw[i];
      }
    }
    if (at->is_object()) {
      auto it = at->find(token);
      if (it == at->end()) return false;
      at = &*it;
    } else if (at->is_array()) {
      if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0') ||
          token.find_first_not_of("0123456789") != std::string::npos)
        return false;
      size_t i = std::stoul(token);
      if (i >= at->size()) return false;
      at = &(*at)[i];
    } else {
      return false;
    }
  }
  return true;
}

// The pointer without its last token ("" for the document itself).
inline std::string_view pointer_parent(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

}  // namespace seg::fuzz

SEG_FUZZ_TARGET(import) {
  using namespace seg;
  fuzz::Bytes in(data, size);
  const ImportFormat format = in.byte() & 1 ? ImportFormat::JsonLogic : ImportFormat::QueryBuilder;
  const char* name = format == ImportFormat::JsonLogic ? "jsonlogic" : "querybuilder";
  std::string_view text = in.rest();
  const Schema& schema = crm_schema();
  Diagnostics d;
  auto ir = import_rule(text, format, schema, d);
  (void)render_text(d.list(), "import.json", "");
  (void)render_json(d.list(), "");

  // Every diagnostic names a place in the document.
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  for (const Diagnostic& x : d.list()) {
    SEG_FUZZ_CHECK(x.span.begin == 0 && x.span.end == 0, std::string(name) + ": diagnostic " + x.code + " has a text span");
    SEG_FUZZ_CHECK(x.json_path.empty() || x.json_path[0] == '/',
                   std::string(name) + ": diagnostic " + x.code + " has a path that is not a JSON pointer: " + x.json_path);
    if (doc.is_discarded()) continue;
    SEG_FUZZ_CHECK(fuzz::pointer_resolves(doc, x.json_path) || fuzz::pointer_resolves(doc, fuzz::pointer_parent(x.json_path)),
                   std::string(name) + ": diagnostic " + x.code + " at " + x.json_path +
                       ", which is not in the document (" + x.message + ")\n" + std::string(text));
  }
  if (!ir) {
    SEG_FUZZ_CHECK(d.has_errors(), std::string(name) + ": no IR and no error\n" + std::string(text));
    return 0;
  }
  SEG_FUZZ_CHECK(!d.has_errors(), std::string(name) + ": an IR despite an error\n" + render_text(d.list(), "import", ""));

  std::string j1 = ir_to_json(*ir, schema);
  Diagnostics jd;
  auto back = ir_from_json(j1, schema, jd);
  SEG_FUZZ_CHECK(back, std::string(name) + ": the IR JSON of an imported rule does not read back\n" + std::string(text) +
                           "\n" + j1 + "\n" + render_text(jd.list(), "json", ""));
  SEG_FUZZ_CHECK(ir::equal(*ir, *back), std::string(name) + ": IR -> JSON -> IR differs\n" + j1);
  (void)ir::dump_tree(*ir, schema);
  (void)ir::print_rule(*ir, schema);  // not canonical yet: printed for crashes only

  ir::Node opt = *ir;
  Diagnostics od;
  optimize(opt, schema, od);
  SEG_FUZZ_CHECK(!od.has_errors(), std::string(name) + ": the optimizer reported an error");
  std::string t1 = ir::print_rule(opt, schema);
  Compiled c = compile_rule(t1, schema);
  SEG_FUZZ_CHECK(c.ir, std::string(name) + ": the canonical text of an imported rule does not compile\n" +
                           std::string(text) + "\ncanonical: " + t1 + "\n" + render_text(c.diags.list(), "canonical", t1));
  SEG_FUZZ_CHECK(ir::equal(opt, *c.ir), std::string(name) + ": the canonical text of an imported rule means something else\n" +
                                            std::string(text) + "\ncanonical: " + t1 + "\nIR1:\n" +
                                            ir::dump_tree(opt, schema) + "IR2:\n" + ir::dump_tree(*c.ir, schema));
  SEG_FUZZ_CHECK(ir::stable_hash(opt) == ir::stable_hash(*c.ir), std::string(name) + ": equal IR, different hash: " + t1);
  std::string t2 = ir::print_rule(*c.ir, schema);
  SEG_FUZZ_CHECK(t1 == t2, std::string(name) + ": fmt is not idempotent\nonce:  " + t1 + "\ntwice: " + t2);
  (void)summarize(opt, schema);

  if (!fuzz::sampled(data, size, 4)) return 0;
  int row = fuzz::first_disagreement(*ir, opt, schema);
  SEG_FUZZ_CHECK(row < 0, std::string(name) + ": the optimizer changed the meaning on row " + std::to_string(row) + "\n" +
                              std::string(text) + "\noptimized: " + t1);
  return 0;
}
