// Table mappings: where each field of a schema lives in a database (docs/sql.md, "The mapping
// file"), the dialect's defaults and the mapping file read over them with JSON-path errors.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "base/json_reader.hpp"
#include "sql/sql.hpp"

namespace seg::sql {

std::optional<Dialect> parse_dialect(std::string_view name) {
  if (name == "postgres" || name == "postgresql") return Dialect::Postgres;
  if (name == "sqlite") return Dialect::Sqlite;
  if (name == "duckdb") return Dialect::DuckDb;
  if (name == "clickhouse") return Dialect::ClickHouse;
  return std::nullopt;
}

const char* dialect_name(Dialect d) {
  switch (d) {
    case Dialect::Postgres: return "postgres";
    case Dialect::Sqlite: return "sqlite";
    case Dialect::DuckDb: return "duckdb";
    case Dialect::ClickHouse: return "clickhouse";
  }
  return "?";
}

Mapping default_mapping(const Schema& schema, Dialect dialect) {
  Mapping m;
  const bool sqlite = dialect == Dialect::Sqlite;
  std::string id_column = schema.id_field >= 0 ? schema.fields[static_cast<size_t>(schema.id_field)].name : "id";
  for (const Field& f : schema.fields) {
    FieldMapping fm;
    fm.column = f.name;
    if (f.type == FieldType::Set && sqlite) {
      // SQLite has no arrays: client_tags(client_id, tag), named after the field's first
      // alias when it has one (`tag`), as a person would name the table.
      const std::string& one = f.aliases.empty() ? f.name : f.aliases.front();
      fm.join = true;
      fm.join_table = "client_" + f.name;
      fm.join_key = id_column;
      fm.column = one;
    }
    fm.scaled_decimal = sqlite;
    fm.time = sqlite ? FieldMapping::Time::Text : FieldMapping::Time::Native;
    fm.int_bool = sqlite || dialect == Dialect::ClickHouse;
    m.fields.push_back(std::move(fm));
  }
  return m;
}

namespace {

// Any name a database takes, quoted where needed; no control characters (they would only
// ever be typing mistakes, and the generator marks its parameters with one).
bool valid_identifier(const std::string& s) {
  return !s.empty() && s.size() <= 128 &&
         std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// One field's entry of "fields": {"column", "storage", "table", "key", "codes", "decimal",
// "time", "bool"}, each only where the field's type has it.
void read_field(const Json& j, const std::string& path, const Field& f, Dialect dialect, const Schema& schema,
                FieldMapping& fm, Diagnostics& diags) {
  if (!j.is_object()) {
    diags.json_error("E603", path, fmt::format("a field's mapping is an object, not {}", json_type_name(j)));
    return;
  }
  check_members(j, path, {"column", "storage", "table", "key", "codes", "decimal", "time", "bool"}, diags);
  auto string_member = [&](const char* key, std::string& out) {
    if (const Json* v = member(j, path, key, Json::value_t::string, false, diags)) {
      std::string s = v->get<std::string>();
      if (!valid_identifier(s))
        diags.json_error("E630", json_path(path, key), "a table or column name is 1 to 128 bytes, without control characters");
      else
        out = std::move(s);
    }
  };
  auto not_for = [&](const char* key, const char* which) {
    if (j.contains(key))
      diags.json_error("E630", json_path(path, key),
                       fmt::format("`{}` is for {} fields; {} is {}", key, which, f.name, type_name(f.type)));
  };
  string_member("column", fm.column);

  if (f.type == FieldType::Set) {
    if (const Json* s = member(j, path, "storage", Json::value_t::string, false, diags)) {
      std::string storage = s->get<std::string>();
      if (storage == "array") {
        fm.join = false;
      } else if (storage == "join") {
        fm.join = true;
      } else {
        diags.json_error("E630", json_path(path, "storage"),
                         fmt::format("unknown storage `{}` for a set", storage),
                         "\"array\" (a column holding the values) or \"join\" (a table of (client id, value) rows)");
      }
    }
    if (fm.join) {
      if (fm.join_table.empty()) fm.join_table = "client_" + f.name;
      if (fm.join_key.empty())
        fm.join_key = schema.id_field >= 0 ? schema.fields[static_cast<size_t>(schema.id_field)].name : "id";
      string_member("table", fm.join_table);
      string_member("key", fm.join_key);
    } else {
      if (dialect == Dialect::Sqlite)
        diags.json_error("E630", json_path(path, "storage"), "SQLite has no array type",
                         "store the set as a join table: \"storage\": \"join\"");
      not_for("table", "join-table set");
      not_for("key", "join-table set");
    }
  } else {
    not_for("storage", "set");
    not_for("table", "set");
    not_for("key", "set");
  }

  if (const Json* c = j.contains("codes") ? &j["codes"] : nullptr) {
    std::string cpath = json_path(path, "codes");
    if (!f.is_dictionary()) {
      not_for("codes", "enum and set");
    } else if (!c->is_object()) {
      diags.json_error("E603", cpath, fmt::format("`codes` is an object of key: integer code, not {}", json_type_name(*c)));
    } else {
      fm.codes = true;
      std::unordered_map<int64_t, std::string> key_of;
      for (const auto& [key, code] : c->items()) {
        std::string kpath = json_path(cpath, key);
        if (!code.is_number_integer()) {
          diags.json_error("E603", kpath, fmt::format("a code is an integer, not {}", json_type_name(code)));
          continue;
        }
        if (!is_int64(code)) {
          diags.json_error("E603", kpath, "a code is an integer that fits in 64 bits (up to 9223372036854775807)");
          continue;
        }
        if (!f.dict.open && !f.dict.find_key(key)) {
          diags.json_error("E630", kpath, fmt::format("`{}` is not a value of {}", key, f.name));
          continue;
        }
        int64_t v = code.get<int64_t>();
        if (auto [it, fresh] = key_of.emplace(v, key); !fresh) {
          diags.json_error("E630", kpath, fmt::format("code {} is given to both `{}` and `{}`", v, it->second, key),
                           "each value needs its own code, or the database could not tell them apart");
          continue;
        }
        fm.code_of[key] = v;
      }
    }
  }
  auto choice = [&](const char* key, FieldType type, std::initializer_list<const char*> options) -> std::string {
    const Json* v = j.contains(key) ? &j[key] : nullptr;
    if (!v) return {};
    if (f.type != type) {
      not_for(key, type_name(type).data());
      return {};
    }
    if (!v->is_string()) {
      diags.json_error("E603", json_path(path, key), fmt::format("`{}` is a string, not {}", key, json_type_name(*v)));
      return {};
    }
    std::string s = v->get<std::string>();
    for (const char* o : options)
      if (s == o) return s;
    std::string list;
    for (const char* o : options) list += (list.empty() ? "" : ", ") + std::string("\"").append(o) + "\"";
    diags.json_error("E630", json_path(path, key), fmt::format("unknown {} storage `{}`", key, s), "one of " + list);
    return {};
  };
  if (std::string d = choice("decimal", FieldType::Decimal, {"exact", "scaled"}); !d.empty()) {
    fm.scaled_decimal = d == "scaled";
    // SQLite's NUMERIC keeps large or fractional values as floating point: 9999999999999999.99
    // was stored as 1e16 and compared wrong (found by a review). Its decimals are scaled integers.
    if (dialect == Dialect::Sqlite && !fm.scaled_decimal)
      diags.json_error("E630", json_path(path, "decimal"), "SQLite has no exact decimal type (NUMERIC keeps floating point)",
                       "\"scaled\" (an integer of hundredths for 2 places: the default)");
  }
  if (std::string t = choice("time", FieldType::Timestamp, {"timestamp", "text", "epoch"}); !t.empty()) {
    fm.time = t == "text" ? FieldMapping::Time::Text : t == "epoch" ? FieldMapping::Time::Epoch : FieldMapping::Time::Native;
    // SQLite has no timestamp type; the others compare their own timestamps, and text
    // times there would need each engine's own parsing of the `Z`.
    if (dialect == Dialect::Sqlite && fm.time == FieldMapping::Time::Native)
      diags.json_error("E630", json_path(path, "time"), "SQLite has no timestamp type",
                       "\"text\" (YYYY-MM-DDTHH:MM:SSZ, the default) or \"epoch\" (seconds since 1970)");
    if (dialect != Dialect::Sqlite && fm.time == FieldMapping::Time::Text)
      diags.json_error("E630", json_path(path, "time"), fmt::format("text timestamps are for SQLite; {} has its own type", dialect_name(dialect)),
                       "\"timestamp\" (the default) or \"epoch\" (seconds since 1970)");
  }
  if (std::string b = choice("bool", FieldType::Bool, {"boolean", "integer"}); !b.empty()) fm.int_bool = b == "integer";
}

}  // namespace

std::optional<Mapping> parse_mapping(std::string_view text, const Schema& schema, Dialect dialect, Diagnostics& diags,
                                     const Limits& limits) {
  Diagnostics local;
  auto doc = parse_json(text, local, limits);
  Mapping m = default_mapping(schema, dialect);
  if (doc) {
    const Json& j = *doc;
    if (!j.is_object()) {
      local.json_error("E603", "", fmt::format("a mapping is an object, not {}", json_type_name(j)),
                       R"(for example {"table": "clients", "fields": {"tags": {"storage": "join"}}})");
    } else {
      check_members(j, "", {"table", "fields"}, local);
      if (const Json* t = member(j, "", "table", Json::value_t::string, false, local)) {
        std::string s = t->get<std::string>();
        if (!valid_identifier(s))
          local.json_error("E630", "/table", "a table name is 1 to 128 bytes, without control characters");
        else
          m.table = std::move(s);
      }
      if (const Json* fs = member(j, "", "fields", Json::value_t::object, false, local)) {
        std::vector<bool> seen(schema.fields.size());
        for (const auto& [name, entry] : fs->items()) {
          std::string path = json_path("/fields", name);
          int index = schema.find(name);
          if (index < 0) {
            local.json_error("E630", path, fmt::format("the schema has no field `{}`", name));
            continue;
          }
          if (seen[static_cast<size_t>(index)]) {
            local.json_error("E630", path, fmt::format("`{}` is mapped twice (by its name and an alias)", name));
            continue;
          }
          seen[static_cast<size_t>(index)] = true;
          read_field(entry, path, schema.fields[static_cast<size_t>(index)], dialect, schema,
                     m.fields[static_cast<size_t>(index)], local);
        }
        // Two fields in one column of the main table would test one column for both (`stage`
        // mapped to `spot` wrote `spot = 'Active'`, taken without a word; found by a review).
        // Said at each mapping entry that makes a clash (a join table's column is its own).
        std::map<size_t, std::string> entry_of;  // field -> its entry's name, as written
        for (const auto& [name, entry] : fs->items())
          if (int index = schema.find(name); index >= 0) entry_of.emplace(static_cast<size_t>(index), name);
        std::map<std::string, std::vector<size_t>> in_column;
        for (size_t f = 0; f < m.fields.size(); ++f)
          if (!m.fields[f].join) in_column[m.fields[f].column].push_back(f);
        for (const auto& [column, fields] : in_column) {
          if (fields.size() < 2) continue;
          std::string names;
          for (size_t k = 0; k < fields.size(); ++k)
            names += (k == 0 ? "`" : k + 1 == fields.size() ? " and `" : ", `") + schema.fields[fields[k]].name + "`";
          for (size_t f : fields)
            if (auto e = entry_of.find(f); e != entry_of.end())
              local.json_error("E630", json_path("/fields", e->second),
                               fmt::format("{} are {} mapped to column `{}`", names, fields.size() == 2 ? "both" : "all", column),
                               "give each field its own column");
        }
      }
    }
  }
  bool ok = doc && !local.has_errors();
  diags.append(local);
  if (!ok) return std::nullopt;
  return m;
}

}  // namespace seg::sql
