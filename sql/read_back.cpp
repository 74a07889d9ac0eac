// The other direction: a SELECT that reads a mapped PostgreSQL table back in the form seg's CSV
// loader reads (a column per field under the field's name; tags `|`-separated with `\|` and
// `\\` escaped; UTC timestamps as YYYY-MM-DDTHH:MM:SSZ; exact decimals; dictionary keys), so
// `seg convert --from-postgres` streams it through COPY into the CSV loader and every row
// error is the CSV loader's. What the loader would refuse is passed on as it is (a fractional
// second, an unmapped code), never rounded or dropped here.
#include <fmt/format.h>

#include "sql/sql.hpp"

namespace seg::sql {

namespace {

// A dictionary code back to its key: a CASE over the mapping's codes; a code it lacks comes
// out as "unknown code N", which a closed dictionary refuses (E706) and an open one reports
// as a new value.
std::string decode(const std::string& expr, const FieldMapping& fm) {
  std::string out = fmt::format("CASE {}", expr);
  for (const auto& [key, code] : fm.code_of) out += fmt::format(" WHEN {} THEN {}", code, string_literal(key, Dialect::Postgres));
  return out + fmt::format(" ELSE 'unknown code ' || ({})::text END", expr);
}

// One set value escaped for the `|`-list.
std::string escaped(const std::string& expr) {
  return fmt::format("replace(replace({}, E'\\\\', E'\\\\\\\\'), '|', E'\\\\|')", expr);
}

std::string timestamp_text(const std::string& expr) {
  // Whole seconds only: a value with a fraction is passed as PostgreSQL prints it, and the
  // loader refuses it (E705) with its line. `YYYY` drops the era: 1 BC is seg's year 0 (as
  // the generator writes it), written `0000`; earlier BC years are passed as PostgreSQL prints
  // them (`… BC`) and refused too (found by a review: BC values loaded as AD ones).
  return fmt::format("CASE WHEN {0} <> date_trunc('second', {0}) OR {0} < TIMESTAMP '0001-01-01 00:00:00 BC' "
                     "THEN ({0})::text "
                     "WHEN {0} < TIMESTAMP '0001-01-01 00:00:00' THEN to_char({0}, '\"0000\"-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                     "ELSE to_char({0}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END",
                     expr);
}

}  // namespace

std::string read_back_query(const Schema& schema, const Mapping& m) {
  const Dialect d = Dialect::Postgres;
  std::string table = qualified_name(m.table, d);
  std::string id = schema.id_field >= 0 ? "t." + quote_identifier(m.fields[static_cast<size_t>(schema.id_field)].column, d) : "";
  std::string cols;
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const Field& f = schema.fields[i];
    const FieldMapping& fm = m.fields[i];
    std::string c = "t." + quote_identifier(fm.column, d);
    std::string e;
    switch (f.type) {
      case FieldType::Int:
      case FieldType::String: e = c; break;
      case FieldType::Decimal:
        e = fm.scaled_decimal ? fmt::format("round(({})::numeric / 1{:0>{}}, {})", c, "", f.scale, f.scale) : c;
        break;
      case FieldType::Timestamp:
        e = fm.time == FieldMapping::Time::Epoch ? timestamp_text(fmt::format("(to_timestamp({}) AT TIME ZONE 'UTC')", c))
            : fm.time == FieldMapping::Time::Text ? c
                                                  : timestamp_text(c);
        break;
      case FieldType::Bool: e = fm.int_bool ? c : fmt::format("CASE WHEN {0} THEN 'true' WHEN NOT {0} THEN 'false' END", c); break;
      case FieldType::Enum: e = fm.codes ? decode(c, fm) : c; break;
      case FieldType::Set: {
        std::string value = fm.codes ? decode("u.v", fm) : "u.v";
        if (fm.join) {
          std::string jv = "j." + quote_identifier(fm.column, d);
          std::string jvalue = fm.codes ? decode(jv, fm) : jv;
          e = fmt::format("COALESCE((SELECT string_agg({}, '|') FROM {} AS j WHERE j.{} = {}), '')", escaped(jvalue),
                          qualified_name(fm.join_table, d), quote_identifier(fm.join_key, d), id);
        } else {
          e = fmt::format("COALESCE((SELECT string_agg({}, '|' ORDER BY u.o) FROM unnest({}) WITH ORDINALITY AS u(v, o)), '')",
                          escaped(value), c);
        }
        break;
      }
    }
    cols += fmt::format("{}  {} AS {}", cols.empty() ? "" : ",\n", e, quote_identifier(f.name, d));
  }
  return fmt::format("SELECT\n{}\nFROM {} AS t", cols, table);
}

}  // namespace seg::sql
