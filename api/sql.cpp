// A rule as SQL for PostgreSQL, SQLite, DuckDB and ClickHouse (docs/sql.md), over a mapping.
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


static_assert(static_cast<int>(SqlDialect::ClickHouse) == static_cast<int>(sql::Dialect::ClickHouse) &&
              static_cast<int>(SqlDialect::DuckDb) == static_cast<int>(sql::Dialect::DuckDb));

std::optional<SqlDialect> sql_dialect(std::string_view name) {
  auto d = sql::parse_dialect(name);
  if (!d) return std::nullopt;
  return static_cast<SqlDialect>(*d);
}

std::string SqlStatement::script() const {
  sql::Statement st;
  st.text = text;
  for (const auto& p : params) st.params.push_back({p.placeholder, p.type, p.value, p.integer});
  return sql::script_text(st);
}

namespace {
std::optional<sql::Mapping> sql_mapping(const seg::Schema& sc, const SqlOptions& options, Diagnostics& d) {
  auto dialect = static_cast<sql::Dialect>(options.dialect);
  if (options.mapping_json.empty()) return sql::default_mapping(sc, dialect);
  return sql::parse_mapping(options.mapping_json, sc, dialect, d);
}
}  // namespace

std::string SqlStatement::json() const {
  nlohmann::ordered_json j;
  j["sql"] = text;
  auto& ps = j["params"] = nlohmann::ordered_json::array();
  for (const auto& p : params)
    ps.push_back({{"placeholder", p.placeholder}, {"type", p.type}, {"value", p.value}, {"integer", p.integer}});
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::optional<std::vector<std::string>> sql_create_tables(const Schema& schema, const SqlOptions& options,
                                                          std::vector<Diagnostic>& diagnostics) {
  if (!schema.impl) {
    diagnostics.push_back(empty_argument("Schema"));
    return std::nullopt;
  }
  Diagnostics d;
  std::optional<std::vector<std::string>> out;
  if (auto mapping = sql_mapping(schema.impl->schema, options, d))
    out = sql::create_tables(schema.impl->schema, *mapping, static_cast<sql::Dialect>(options.dialect));
  append(diagnostics, d, "", "<mapping>");
  return out;
}

std::optional<SqlStatement> Rule::to_sql(const SqlOptions& options, std::vector<Diagnostic>& diagnostics) const {
  need(impl, "Rule::to_sql");
  Diagnostics d;
  std::optional<SqlStatement> out;
  if (!impl->ir) {
    d.error("E801", Span{}, "the rule has errors: there is no SQL to write");  // as export_as
  } else {
    const seg::Schema& sc = impl->schema->schema;
    if (auto mapping = sql_mapping(sc, options, d)) {
      sql::Options so;
      so.dialect = static_cast<sql::Dialect>(options.dialect);
      so.shape = options.shape == SqlOptions::Shape::Count   ? sql::Shape::Count
                 : options.shape == SqlOptions::Shape::Where ? sql::Shape::Where
                                                             : sql::Shape::Select;
      so.inline_values = options.inline_values;
      so.now = options.now ? *options.now : static_cast<int64_t>(std::time(nullptr));
      if (auto st = sql::generate(*impl->ir, sc, *mapping, so, d)) {
        out.emplace();
        out->text = std::move(st->text);
        for (auto& p : st->params) out->params.push_back({std::move(p.placeholder), std::move(p.type), std::move(p.value), p.is_integer});
      }
    }
  }
  append(diagnostics, d, "", options.mapping_json.empty() ? "<sql>" : "<mapping>");
  return out;
}

}  // namespace seg::api
