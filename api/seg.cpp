// The public C++ API's free functions (include/seg/seg.hpp): completion, the clock, limits,
// and the hooks of api/internal.hpp. The objects are in their own files: diagnostics, schema,
// rule, sql, store, query, page_writer (and the membership's, api/live*.cpp).
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

int64_t clock_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}


Completion complete(std::string_view text_before_cursor, const Schema& schema) {
  if (!schema.impl) return Completion{text_before_cursor.size(), "", {}, false};  // nothing to offer
  RuleCompletion r = complete_rule(text_before_cursor, schema.impl->schema);
  return Completion{r.start, std::move(r.word), std::move(r.matches), r.add_space};
}

std::string value_as_rule_text(std::string_view key) { return seg::value_as_rule_text(key); }

bool rule_is_unfinished(std::string_view text) { return seg::rule_is_unfinished(text); }
bool line_continues_rule(std::string_view line) { return seg::line_continues_rule(line); }
std::string without_comments(std::string_view text) { return seg::without_comments(text); }

std::optional<int64_t> parse_timestamp(std::string_view text) { return seg::parse_timestamp(text); }
std::string format_timestamp(int64_t seconds) { return seg::format_timestamp(seconds); }
std::vector<std::string> nearest_names(std::string_view word, const std::vector<std::string>& candidates, size_t max) {
  return seg::nearest(word, candidates, max);
}

Limits limits() {
  seg::Limits l;
  return Limits{l.max_rule_bytes, l.max_json_bytes, l.max_list_values, static_cast<size_t>(l.max_json_depth)};
}

const char* version() { return SEG_VERSION; }

}  // namespace seg::api

// ---- internal (api/internal.hpp) ----

namespace seg::api::internal {
const seg::Schema& schema(const Schema& s) { return s.impl->schema; }
const rt::Store& store(const Store& s) { return s.impl->store; }
// Made non-const (and handed out as const) so that its sole owner may add to it in place
// (know_values_in_place).
Schema wrap(seg::Schema s) { return Schema{std::make_shared<Schema::Impl>(Schema::Impl{std::move(s)})}; }
bool know_values_in_place(Schema& s, const std::vector<std::pair<size_t, std::string>>& values) {
  if (!s.impl || s.impl.use_count() != 1) return false;
  seg::Schema& mine = const_cast<Schema::Impl&>(*s.impl).schema;  // created non-const by wrap, and no one else holds it
  for (const auto& [f, key] : values) mine.fields[f].dict.add_known_elsewhere(key);
  return true;
}
}  // namespace seg::api::internal
