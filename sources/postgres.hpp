// Client data straight from the CRM's PostgreSQL: a table (read back through a mapping) or a
// query, streamed with COPY ... TO STDOUT (CSV) through a socket pair into the CSV loader, so
// memory stays bounded whatever the row count and every bad row gets the CSV loader's error.
#pragma once
#include <string>

#include "base/diagnostics.hpp"
#include "runtime/storage/load.hpp"
#include "schema/schema.hpp"

namespace seg::sources {

struct PostgresSource {
  std::string conninfo;      // libpq: "host=/run/postgresql dbname=crm", "postgresql://…"
  std::string table;         // read back through the mapping (default: the mapping's own table)
  std::string query;         // or a query whose columns are the fields, in the forms the CSV loader reads
  std::string mapping_json;  // docs/sql.md; empty for the default PostgreSQL mapping
};

// The load, as rt::load_csv reports it; rows are numbered as CSV lines (the header is line
// 1, the first row line 2) and the file is named "postgres:TABLE" (or "postgres:query").
// A connection or query failure, or a copy cut short, is E701 and nothing is kept; a bad
// mapping is reported in `diags` (E630) and nothing is loaded.
rt::LoadResult load_postgres(const PostgresSource& source, const Schema& schema, const rt::LoadOptions& options,
                             Diagnostics& diags);

}  // namespace seg::sources
