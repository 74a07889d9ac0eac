// The engine objects behind the public API's handles, shared by the API's own translation
// units (a file per object: rule.cpp, store.cpp, query.cpp, diff.cpp, ...). Not installed.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/store.hpp"
#include "schema/schema.hpp"
#include "seg/seg.hpp"

namespace seg::api {

// The compiler's diagnostics of `text` (named `source`) appended as the API's (api/diagnostics.cpp).
void append(std::vector<Diagnostic>& to, const Diagnostics& from, std::string_view text, std::string_view source);
// How a rule's source is named in its diagnostics: "<rule>", "<form>", "<ir>", ...
const char* format_source(RuleFormat f);
// JSON indentation as the header promises it: -1 one line, else 0 to 16 spaces. nlohmann's
// serializer grows its indent buffer once (512 -> 1024), so an indent past 1024 read beyond it
// (found by a review: a heap overflow, a crash at 1,000,000).
inline int json_indent(int indent) { return indent < 0 ? -1 : std::min(indent, 16); }

// E808 for an empty object (default-made or moved from) handed to a factory (api/rule.cpp).
Diagnostic empty_argument(const char* what);

// Every method of an empty handle (default-made or moved from) calls this first: it throws
// std::logic_error naming the call, where reading through the null `impl` crashed some
// methods (found by a review of the library as a host embeds it).
[[noreturn]] void throw_empty_handle(const char* call);
template <class Ptr>
inline void need(const Ptr& impl, const char* call) {
  if (!impl) throw_empty_handle(call);
}

struct Schema::Impl {
  seg::Schema schema;
};

struct Rule::Impl {
  std::shared_ptr<const Schema::Impl> schema;
  std::optional<ir::Node> ir;
  std::vector<Diagnostic> diagnostics;
  std::string text, summary, title;
  uint64_t hash = 0;
  // The rule text as given and its name (RuleFormat::Text only): an export's E620 points into
  // it, as the compiler's diagnostics do.
  std::string source, source_name;
};

struct Store::Impl {
  rt::Store store;
  LoadReport report;
  explicit Impl(rt::Store s) : store(std::move(s)) {}
};

struct Query::Impl {
  std::shared_ptr<const Store::Impl> store;
  std::shared_ptr<const Rule::Impl> rule;
};

// Calls f(row) for each row set in a bitmap of 64-row words, in row order.
template <typename F>
void for_each_row(const std::vector<uint64_t>& words, F&& f) {
  for (size_t w = 0; w < words.size(); ++w)
    for (uint64_t m = words[w]; m; m &= m - 1) f(w * 64 + static_cast<uint64_t>(__builtin_ctzll(m)));
}

// A loader's error as the API reports it (the file, line and column of a bad row).
Diagnostic from_load(const rt::LoadError& e);

// A page of rows that may come from several stores of one schema (a membership's base and
// batches): `s` gives the columns (the fields at `fields`, or the id field first and then the
// others), each row its own store's cells.
Page page_of_cells(const rt::Store& s, const std::vector<std::pair<const rt::Store*, uint64_t>>& rows,
                   const std::vector<size_t>& fields = {});

// Store::absent and LiveMembership::View::absent (api/absent.cpp): of `values` of integer
// field `field` (nullopt when it is not one), those `held` does not return, each once in the
// order given. `held` gets the `in` test of the values and returns the field's values of the
// rows it selects.
std::optional<std::vector<int64_t>> absent_values(const seg::Schema& schema, size_t field,
                                                  const std::vector<int64_t>& values,
                                                  const std::function<std::vector<int64_t>(const ir::Node&)>& held);

// Store::value_counts and LiveMembership::View::value_counts (api/store.cpp): clients per value
// of `field`, each value's test run through `count`. `small`: an integer or bool field's value
// range when it has fewer than 256 values (each present value is then counted), `format` a
// value's text; `elsewhere`: values a membership's batches added (counted by name).
std::vector<Store::ValueCount> count_values(const seg::Schema& schema, size_t field,
                                            std::optional<std::pair<int64_t, int64_t>> small,
                                            const std::function<std::string(int64_t)>& format,
                                            const std::function<uint64_t(ir::Node)>& count);

// What api::diff and LiveMembership::diff compare two rules over: the rows a rule (or one of
// its clauses) selects, as a bitmap of `words` words over some numbering of the clients (a
// store's rows, a membership's global rows), and a row's client id. Below `sorted_rows` ids
// grow with the row (a store whose ids do, a membership's base), so the first rows of a set
// there are its first ids.
struct DiffRows {
  size_t words = 0;
  std::function<std::vector<uint64_t>(const ir::Node&)> rows_of;
  std::function<int64_t(uint64_t)> id_at;
  uint64_t sorted_rows = 0;
};
Diff diff_rows(const Rule::Impl& before, const Rule::Impl& after, const seg::Schema& schema, const DiffRows& over,
               size_t sample);
// The `n` rows of `bits` with the smallest ids, as (id, row) in id order (`over`'s id_at and
// sorted_rows; its rows_of is not used): a diff's samples, a membership's first members.
std::vector<std::pair<int64_t, uint64_t>> first_members(const std::vector<uint64_t>& bits, const DiffRows& over,
                                                        size_t n);

// Each clause of `rule` with the clients that reach it and those it passes (api/clauses.cpp),
// over clients numbered as `everyone` (a bitmap of them all) and `rows_of` (a test's clients,
// the same numbering): a membership's figures, which no single plan's explain gives.
ExplainNode clause_figures(const ir::Node& rule, const seg::Schema& schema, const std::vector<uint64_t>& everyone,
                           const std::function<std::vector<uint64_t>(const ir::Node&)>& rows_of);

}  // namespace seg::api
