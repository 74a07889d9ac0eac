// react-querybuilder and JsonLogic -> IR JSON -> IR. The translation keeps a map from each
// generated IR path to the imported document's path so that every diagnostic of the IR reader
// names the place in the document the person (or their tool) wrote. docs/interop.md has the
// mapping tables and the reasons for each meaning. The builders' documents are read in
// import_querybuilder.cpp and import_jsonlogic.cpp, with what they share in import_common.
#include "adapters/import.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "adapters/import_common.hpp"
#include "base/json_reader.hpp"
#include "compiler/ir_json.hpp"
#include "compiler/report_constant.hpp"

namespace seg {

using import_detail::Translation;

std::optional<ir::Node> import_rule(std::string_view text, ImportFormat format, const Schema& schema,
                                    Diagnostics& diags, const Limits& limits) {
  NumberTexts numbers;
  auto doc = parse_json(text, diags, limits, &numbers);
  if (!doc) return std::nullopt;
  Translation tr{diags, schema, numbers, limits.max_json_depth, {}};
  size_t before = diags.error_count();
  if (format == ImportFormat::JsonLogic && !import_detail::refuse_var_defaults(*doc, "", tr)) return std::nullopt;
  // A JsonLogic document given as react-querybuilder's (the default) is said as that, once,
  // rather than as its members one by one (E605 for the operator, E604 for field, operator).
  if (format == ImportFormat::QueryBuilder && doc->is_object() && doc->size() == 1 && !doc->contains("rules") &&
      !doc->contains("field")) {
    static const char* const kLogic[] = {"and", "or", "!", "!!", "==", "===", "!=", "!==", "<", "<=", ">", ">=",
                                         "in", "some", "none", "all", "var", "missing", "if"};
    const std::string key = doc->begin().key();
    if (std::any_of(std::begin(kLogic), std::end(kLogic), [&](const char* k) { return key == k; })) {
      diags.json_error("E606", "", fmt::format("this looks like JsonLogic (one operator, '{}'), not react-querybuilder JSON", key),
                       "import it as JsonLogic: --from jsonlogic (the service: {\"jsonlogic\": …})");
      return std::nullopt;
    }
  }
  auto node = format == ImportFormat::QueryBuilder ? import_detail::querybuilder_node(*doc, "", "/rule", tr) : import_detail::jsonlogic_node(*doc, "", "/rule", tr);
  if (!node || diags.error_count() > before) return std::nullopt;
  Json ir_doc{{"version", kIrJsonVersion}, {"rule", std::move(*node)}};
  Diagnostics inner;
  auto ir = ir_from_json(ir_doc.dump(), schema, inner, limits);
  // Parts that can never match (or always do: an empty group) are said, as rule text says them.
  if (ir && !inner.has_errors()) report_constant_parts(*ir, schema, inner);
  for (auto& d : inner.list()) {
    const bool at_op = d.json_path.ends_with("/op");
    d.json_path = tr.source_path(d.json_path);
    // The IR's `op` is the builder's `operator` (react-querybuilder) or the JsonLogic node's one
    // key (the node itself), and the help speaks the builder's words.
    if (at_op && d.json_path.ends_with("/op")) {
      d.json_path.resize(d.json_path.size() - 3);
      if (format == ImportFormat::QueryBuilder) d.json_path += "/operator";
    }
    if (at_op && d.suggestion == "use op 'in'")
      d.suggestion = format == ImportFormat::QueryBuilder ? "use operator `in` or `=`" : "use `in` or `==`";
    // The IR's words for a set field's tests are the builder's own in JsonLogic.
    if (format == ImportFormat::JsonLogic)
      if (auto at = d.message.find("use op any, all or none"); at != std::string::npos)
        d.message.replace(at, std::string("use op any, all or none").size(),
                          "test it with some, all or none ({\"some\": [{\"var\": \"tags\"}, {\"in\": [{\"var\": \"\"}, [\"VIP\"]]}]})");
    // A value the document gives once may stand in several generated nodes: say it once.
    bool said = std::any_of(diags.list().begin(), diags.list().end(), [&](const Diagnostic& e) {
      return e.code == d.code && e.json_path == d.json_path && e.message == d.message;
    });
    if (!said) diags.list().push_back(d);
  }
  return ir;
}

}  // namespace seg
