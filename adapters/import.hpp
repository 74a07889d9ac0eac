// Importers for other rule builders' JSON: react-querybuilder rule groups and JsonLogic. Each
// translates the document into IR JSON and reads it with the strict IR reader, so both end in
// the same IR with the same checks; diagnostics point at the path in the imported document.
#pragma once
#include <optional>
#include <string_view>

#include "base/diagnostics.hpp"
#include "compiler/ir.hpp"
#include "base/limits.hpp"
#include "schema/schema.hpp"

namespace seg {

enum class ImportFormat { QueryBuilder, JsonLogic };

// Reads `text` in the given format; nullopt (with diagnostics at JSON paths of `text`) on error.
std::optional<ir::Node> import_rule(std::string_view text, ImportFormat format, const Schema& schema,
                                    Diagnostics& diags, const Limits& limits = {});

}  // namespace seg
