// The engine objects behind the public API's handles, shared by the API's own translation
// units (seg.cpp, diff.cpp). Not installed.
#pragma once
#include <cstdint>
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

struct Schema::Impl {
  seg::Schema schema;
};

struct Rule::Impl {
  std::shared_ptr<const Schema::Impl> schema;
  std::optional<ir::Node> ir;
  std::vector<Diagnostic> diagnostics;
  std::string text, summary, title;
  uint64_t hash = 0;
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

// A loader's error as the API reports it (the file, line and column of a bad row).
Diagnostic from_load(const rt::LoadError& e);

// A page of rows that may come from several stores of one schema (a membership's base and
// batches): `s` gives the columns (the fields at `fields`, or the id field first and then the
// others), each row its own store's cells.
Page page_of_cells(const rt::Store& s, const std::vector<std::pair<const rt::Store*, uint64_t>>& rows,
                   const std::vector<size_t>& fields = {});

// Seconds since the epoch now: the `now` of a run that names none.
int64_t clock_now();

}  // namespace seg::api
