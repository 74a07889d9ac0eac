// CREATE TABLE statements for a mapping: each field's column typed for its dialect (exact
// decimals, UTC timestamps, arrays or join tables), so data loaded into them reads as seg's.
#include <fmt/format.h>

#include "sql/sql.hpp"

namespace seg::sql {

namespace {

// The type of one value of `f` as `fm` stores it (a set's element type for sets).
std::string scalar_type(const Field& f, const FieldMapping& fm, Dialect d) {
  const bool pg = d == Dialect::Postgres, lite = d == Dialect::Sqlite, ch = d == Dialect::ClickHouse;
  auto integer = [&] { return pg ? "bigint" : lite ? "INTEGER" : ch ? "Int64" : "BIGINT"; };
  auto text = [&] { return pg ? "text" : lite ? "TEXT" : ch ? "String" : "VARCHAR"; };
  switch (f.type) {
    case FieldType::Int: return integer();
    case FieldType::Decimal:
      if (fm.scaled_decimal) return integer();
      if (lite) return "NUMERIC";  // not reached with the defaults: SQLite's NUMERIC is a double
      return fmt::format("{}(18, {})", pg ? "numeric" : ch ? "Decimal" : "DECIMAL", f.scale);
    case FieldType::Timestamp:
      if (fm.time == FieldMapping::Time::Epoch) return integer();
      if (fm.time == FieldMapping::Time::Text) return text();
      return pg ? "timestamp" : lite ? "TEXT" : ch ? "DateTime('UTC')" : "TIMESTAMP";
    case FieldType::Bool:
      if (fm.int_bool) return ch ? "UInt8" : integer();
      return pg ? "boolean" : "BOOLEAN";
    case FieldType::String: return text();
    case FieldType::Enum:
    case FieldType::Set: return fm.codes ? integer() : text();
  }
  return text();
}

}  // namespace

std::vector<std::string> create_tables(const Schema& schema, const Mapping& mapping, Dialect d) {
  const bool ch = d == Dialect::ClickHouse;
  std::vector<std::string> out;
  std::string cols;
  std::string id = schema.id_field >= 0 ? quote_identifier(mapping.fields[static_cast<size_t>(schema.id_field)].column, d) : "";
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const Field& f = schema.fields[i];
    const FieldMapping& fm = mapping.fields[i];
    if (f.type == FieldType::Set && fm.join) continue;
    std::string type = scalar_type(f, fm, d);
    if (f.type == FieldType::Set) {
      type = d == Dialect::Postgres ? type + "[]" : ch ? "Array(" + type + ")" : type + "[]";
    } else if (f.nullable) {
      if (ch) type = "Nullable(" + type + ")";
    } else if (!ch) {
      type += " NOT NULL";
    }
    if (static_cast<int>(i) == schema.id_field && !ch) type += " PRIMARY KEY";
    if (f.type == FieldType::Set && !ch) type += " NOT NULL";
    cols += fmt::format("{}  {} {}", cols.empty() ? "" : ",\n", quote_identifier(fm.column, d), type);
  }
  std::string table = qualified_name(mapping.table, d);
  std::string engine = ch ? fmt::format("\nENGINE = MergeTree ORDER BY {}", id.empty() ? "tuple()" : id) : "";
  out.push_back(fmt::format("CREATE TABLE {} (\n{}\n){}", table, cols, engine));
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const Field& f = schema.fields[i];
    const FieldMapping& fm = mapping.fields[i];
    if (f.type != FieldType::Set || !fm.join || schema.id_field < 0) continue;
    std::string key = quote_identifier(fm.join_key, d), value = quote_identifier(fm.column, d);
    std::string idtype = scalar_type(schema.fields[static_cast<size_t>(schema.id_field)], mapping.fields[static_cast<size_t>(schema.id_field)], d);
    std::string vtype = scalar_type(f, fm, d);
    if (ch)
      out.push_back(fmt::format("CREATE TABLE {} (\n  {} {},\n  {} {}\n)\nENGINE = MergeTree ORDER BY ({}, {})",
                                qualified_name(fm.join_table, d), key, idtype, value, vtype, key, value));
    else
      out.push_back(fmt::format("CREATE TABLE {} (\n  {} {} NOT NULL,\n  {} {} NOT NULL,\n  PRIMARY KEY ({}, {})\n)",
                                qualified_name(fm.join_table, d), key, idtype, value, vtype, key, value));
  }
  return out;
}

}  // namespace seg::sql
