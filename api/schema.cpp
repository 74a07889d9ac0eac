// Schema: the bundled CRM schema, a schema JSON document, and what a host reads of its fields.
#include "seg/seg.hpp"
#include "api/internal.hpp"
#include "api/impl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <type_traits>
#include <variant>

#include "base/limits.hpp"
#include "base/time_util.hpp"
#include "compiler/check.hpp"
#include "compiler/compile.hpp"
#include "compiler/complete.hpp"
#include "adapters/form.hpp"
#include "adapters/export.hpp"
#include "adapters/import.hpp"
#include "sql/sql.hpp"
#include "sources/postgres.hpp"
#include "compiler/ir_json.hpp"
#include "compiler/passes/pass.hpp"
#include "schema/schema.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/snapshot.hpp"

#include <nlohmann/json.hpp>

namespace seg::api {


Schema Schema::crm() {
  static const auto impl = std::make_shared<const Impl>(Impl{seg::crm_schema()});
  return Schema{impl};
}

std::optional<Schema> Schema::from_json(std::string_view json, std::vector<Diagnostic>& diagnostics) {
  Diagnostics d;
  auto s = parse_schema_json(json, d);
  append(diagnostics, d, "", "<schema>");
  if (!s) return std::nullopt;
  return Schema{std::make_shared<const Impl>(Impl{std::move(*s)})};
}

std::string Schema::to_json() const { need(impl, "Schema::to_json"); return schema_to_json(impl->schema); }

std::vector<std::string> Schema::field_names() const {
  need(impl, "Schema::field_names");
  std::vector<std::string> out;
  for (const auto& f : impl->schema.fields) out.push_back(f.name);
  return out;
}

namespace {
FieldType api_type(seg::FieldType t) {
  switch (t) {
    case seg::FieldType::Int: return FieldType::Int;
    case seg::FieldType::Decimal: return FieldType::Decimal;
    case seg::FieldType::Timestamp: return FieldType::Timestamp;
    case seg::FieldType::Bool: return FieldType::Bool;
    case seg::FieldType::String: return FieldType::String;
    case seg::FieldType::Enum: return FieldType::Enum;
    case seg::FieldType::Set: return FieldType::Set;
  }
  return FieldType::Int;
}
}  // namespace

const char* type_name(FieldType t) {
  // The schema's own names (schema/schema.cpp): the type whose API value is `t`.
  for (auto st : {seg::FieldType::Int, seg::FieldType::Decimal, seg::FieldType::Timestamp, seg::FieldType::Bool,
                  seg::FieldType::String, seg::FieldType::Enum, seg::FieldType::Set})
    if (api_type(st) == t) return seg::type_name(st).data();
  return "int";
}

std::vector<FieldInfo> Schema::fields() const {
  need(impl, "Schema::fields");
  const seg::Schema& sc = impl->schema;
  std::vector<FieldInfo> out;
  for (size_t f = 0; f < sc.fields.size(); ++f) {
    const Field& fd = sc.fields[f];
    FieldInfo i;
    i.name = fd.name;
    i.aliases = fd.aliases;
    i.type = api_type(fd.type);
    i.scale = fd.scale;
    i.nullable = fd.nullable;
    i.identifies = static_cast<int>(f) == sc.id_field;
    i.ordered = fd.type == seg::FieldType::Enum && fd.dict.ordered;
    i.open = fd.is_dictionary() && fd.dict.open;
    for (const auto& v : fd.dict.values()) i.values.push_back({v.key, v.label.empty() ? v.key : v.label});
    i.operators = operators_for(fd);
    out.push_back(std::move(i));
  }
  return out;
}

std::optional<size_t> Schema::find(std::string_view name) const {
  need(impl, "Schema::find");
  int f = impl->schema.find(name);
  if (f < 0) return std::nullopt;
  return static_cast<size_t>(f);
}

std::vector<std::string> Schema::suggest(std::string_view name, size_t max) const {
  need(impl, "Schema::suggest");
  return nearest(name, impl->schema.all_names(), max);
}

}  // namespace seg::api
