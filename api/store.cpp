// Store: opening data (snapshot, CSV, JSON Lines, PostgreSQL), writing snapshots, and what a
// host reads of the data: rows, its schema, value counts and ranges.
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


namespace {
rt::LoadOptions load_options(const OpenOptions& options) {
  rt::LoadOptions lo;
  lo.skip_bad_rows = options.skip_bad_rows;
  // Only the first bad row is shown, and rows after it may be bad too: a user who fixed it
  // met the next one, one load at a time (found by a review).
  lo.stop_hint = "the load stops at the first bad row; skipping bad rows (--skip-bad-rows; skip_bad_rows in the API) "
                 "loads the others and lists each bad one";
  lo.verify = options.verify;
  lo.progress = options.progress;
  lo.cancelled = options.cancelled;
  lo.slices = options.slices;
  return lo;
}
// A load's result as the API reports it: the store with its report, or the errors.
std::optional<Store> from_result(rt::LoadResult r, std::vector<Diagnostic>& diagnostics) {
  if (!r.ok()) {
    for (const auto& e : r.errors) diagnostics.push_back(from_load(e));
    return std::nullopt;
  }
  auto impl = std::make_shared<Store::Impl>(std::move(*r.store));
  LoadReport& rep = impl->report;
  rep.rows_skipped = r.skipped;
  if (r.skipped)
    for (const auto& e : r.errors) rep.skipped_reasons.push_back(from_load(e));
  for (const auto& w : r.warnings) rep.warnings.push_back(from_load(w));
  rep.added_values = std::move(r.added);
  rep.bytes = r.bytes;
  rep.seconds = r.seconds;
  // The caller's list gets what it would print: warnings and the reasons rows were skipped.
  diagnostics.insert(diagnostics.end(), rep.warnings.begin(), rep.warnings.end());
  diagnostics.insert(diagnostics.end(), rep.skipped_reasons.begin(), rep.skipped_reasons.end());
  return Store{std::move(impl)};
}
}  // namespace

std::optional<Store> Store::open_postgres(const PostgresSource& source, const Schema& schema,
                                          std::vector<Diagnostic>& diagnostics, const OpenOptions& options) {
  Diagnostics d;
  sources::PostgresSource ps{source.conninfo, source.table, source.query, source.mapping_json};
  rt::LoadResult r = sources::load_postgres(ps, schema.impl->schema, load_options(options), d);
  append(diagnostics, d, "", "<mapping>");
  if (!r.ok() && r.errors.empty()) return std::nullopt;  // the mapping's errors are above
  return from_result(std::move(r), diagnostics);
}

bool Store::is_snapshot(const std::string& path) { return rt::is_snapshot_file(path); }

std::optional<Store> Store::open(const std::string& path, const Schema& schema, std::vector<Diagnostic>& diagnostics,
                                 const OpenOptions& options) {
  if (!schema.impl) {
    diagnostics.push_back(empty_argument("Schema"));
    return std::nullopt;
  }
  rt::LoadResult r = rt::load_data(path, schema.impl->schema, load_options(options));
  if (r.ok() && !options.expected_schema_name.empty()) {
    // A snapshot brings its own schema; one chosen on purpose must be that one.
    std::string why = schema_difference(schema.impl->schema, r.store->schema());
    if (!why.empty()) {
      rt::LoadError e;
      e.code = "E717";
      e.file = path;
      e.message = fmt::format("the data was written with another schema than {} ({}); convert it again with "
                              "this schema, or leave out --schema to use the data's own",
                              options.expected_schema_name, why);
      r.errors = {std::move(e)};
      r.store.reset();
    }
  }
  return from_result(std::move(r), diagnostics);
}


uint64_t Store::rows() const { need(impl, "Store::rows"); return impl->store.rows(); }
uint64_t Store::rows_skipped() const { need(impl, "Store::rows_skipped"); return impl->report.rows_skipped; }
const LoadReport& Store::report() const { need(impl, "Store::report"); return impl->report; }
uint64_t Store::data_bytes() const { need(impl, "Store::data_bytes"); return impl->store.data_bytes(); }

bool Store::write_snapshot(const std::string& path, std::vector<Diagnostic>& diagnostics) const {
  need(impl, "Store::write_snapshot");
  std::string err;
  if (rt::write_snapshot(impl->store, path, err)) return true;
  rt::LoadError e;
  e.code = "E714";
  e.file = path == "-" ? "<stdout>" : path;
  e.message = std::move(err);
  diagnostics.push_back(from_load(e));
  return false;
}
Schema Store::schema() const {
  need(impl, "Store::schema");
  // A copy with the data's dictionaries; the store keeps its own (aliasing the store's Impl).
  return Schema{std::make_shared<const Schema::Impl>(Schema::Impl{impl->store.schema()})};
}

constexpr uint64_t kSmallFieldValues = 256;  // an integer field with fewer gets per-value counts

std::vector<Store::ValueCount> count_values(const seg::Schema& sc, size_t field,
                                            std::optional<std::pair<int64_t, int64_t>> small,
                                            const std::function<std::string(int64_t)>& format,
                                            const std::function<uint64_t(ir::Node)>& count) {
  std::vector<Store::ValueCount> out;
  if (field >= sc.fields.size()) return out;
  const Field& fd = sc.fields[field];
  // One predicate per value through the planner and the interpreter, as a rule would run.
  auto test = [&](ir::Kind kind) {
    ir::Node q;
    q.kind = kind;
    q.field = static_cast<int>(field);
    return q;
  };
  if (!fd.is_dictionary()) {
    // A small integer field (spot) or a bool has few values: each one present, with its
    // count; other fields only their null count.
    for (int64_t v = small ? small->first : 1; small && v <= small->second; ++v) {
      ir::Node q = test(ir::Kind::In);
      q.values.codes = {v};
      if (uint64_t n = count(std::move(q))) {
        std::string key = format(v);
        out.push_back({key, key, n, false});
      }
    }
    if (fd.nullable) out.push_back({"(null)", "(null)", count(test(ir::Kind::IsNull)), true});
    return out;
  }
  const ir::Kind one = fd.type == seg::FieldType::Set ? ir::Kind::SetAny : ir::Kind::In;
  for (uint32_t code = 0; code < fd.dict.size(); ++code) {
    ir::Node q = test(one);
    q.values.codes = {code};
    const DictValue& v = fd.dict[code];
    out.push_back({v.key, v.label.empty() ? v.key : v.label, count(std::move(q)), false});
  }
  for (const std::string& name : fd.dict.known_elsewhere()) {
    ir::Node q = test(one);
    q.values.unknown = {name};
    out.push_back({name, name, count(std::move(q)), false});
  }
  if (fd.nullable || fd.type == seg::FieldType::Set) {
    std::string name = fd.type == seg::FieldType::Set ? "(none)" : "(null)";
    out.push_back({name, name, count(test(ir::Kind::IsNull)), true});
  }
  return out;
}

std::vector<Store::ValueCount> Store::value_counts(size_t field) const {
  need(impl, "Store::value_counts");
  const rt::Store& s = impl->store;
  const seg::Schema& sc = s.schema();
  std::optional<std::pair<int64_t, int64_t>> small;
  if (field < sc.fields.size() && !sc.fields[field].is_dictionary()) {
    const Field& fd = sc.fields[field];
    const auto& meta = s.column(static_cast<int>(field)).meta;
    if ((fd.type == seg::FieldType::Int || fd.type == seg::FieldType::Bool) && meta.has_values &&
        static_cast<uint64_t>(meta.max) - static_cast<uint64_t>(meta.min) < kSmallFieldValues)
      small = std::pair{meta.min, meta.max};
  }
  return count_values(
      sc, field, small, [&](int64_t v) { return s.format_value(static_cast<int>(field), v); },
      [&](ir::Node q) { return rt::evaluate(rt::build_plan(q, s, 0), s, rt::EvalOptions{}).count; });
}

std::optional<std::pair<std::string, std::string>> Store::range(size_t field) const {
  need(impl, "Store::range");
  const rt::Store& s = impl->store;
  if (field >= s.schema().fields.size() || s.schema().fields[field].type == seg::FieldType::Set) return std::nullopt;
  const auto& meta = s.column(static_cast<int>(field)).meta;
  if (!meta.has_values) return std::nullopt;
  int f = static_cast<int>(field);
  return std::pair{s.format_value(f, meta.min), s.format_value(f, meta.max)};
}

}  // namespace seg::api
