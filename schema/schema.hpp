// Schema: the fields a rule may name, their types, dictionaries and aliases; loaded from JSON.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/diagnostics.hpp"
#include "base/limits.hpp"

namespace seg {

enum class FieldType : uint8_t { Int, Decimal, Timestamp, Bool, String, Enum, Set };
std::string_view type_name(FieldType t);

struct DictValue {
  std::string key;    // what rules and data write: NotProcessed, "NOT REGISTERED"
  std::string label;  // what a person sees: "Not processed"
};

// Values of an enum or set field. Codes are positions; new values of an open dictionary
// are appended, so codes already handed out never change. Copies share the values until one
// of them changes (copy on write): every store holds its schema, and a live membership makes
// a store a batch, so copying each dictionary cost about 57 KB a batch (a review measured
// 1 GB over batches of a few rows before a compaction).
class Dictionary {
 public:
  bool open = false;     // unknown values are allowed (tags): a warning, not an error
  bool ordered = false;  // ordering comparisons allowed, in value order (the funnel)

  uint32_t size() const { return static_cast<uint32_t>(data().values.size()); }
  const DictValue& operator[](uint32_t code) const { return data().values[code]; }
  const std::vector<DictValue>& values() const { return data().values; }
  std::optional<uint32_t> find_key(std::string_view key) const;
  uint32_t add(std::string key, std::string label = {});  // returns the code (existing if present)
  void pop_back();  // removes the last value added (a loader undoing a row it skipped)

  // Keys this dictionary has no code for that clients elsewhere do have: the values a live
  // membership's batches added after its base was written, each batch's store giving them
  // codes of its own. A rule naming one gets no W204 ("no client has it yet"), and the value
  // stays an unknown one in the IR (no code here), so the rule compiles as it would without.
  void add_known_elsewhere(std::string key) { mutable_data().elsewhere.insert(std::move(key)); }
  bool known_elsewhere(std::string_view key) const { return data().elsewhere.find(key) != data().elsewhere.end(); }
  const std::set<std::string, std::less<>>& known_elsewhere() const { return data().elsewhere; }
  // Whether two dictionaries share their values (a copy neither has changed since).
  bool shares_values_with(const Dictionary& o) const { return d_ && d_ == o.d_; }

 private:
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Data {
    std::vector<DictValue> values;
    std::unordered_map<std::string, uint32_t, KeyHash, std::equal_to<>> by_key;
    std::set<std::string, std::less<>> elsewhere;
  };
  const Data& data() const;
  Data& mutable_data();  // this dictionary's own, copied first when shared
  std::shared_ptr<Data> d_;  // null: no values (most fields); shared by copies, changed only when not
};

// Resolves a dictionary value the way rules do: exact key, then ignoring case, spaces, `_`
// and `-` against keys and labels. Returns the code, or nullopt with `candidates` set to the
// ambiguous matches (two or more) or left empty when nothing matches.
std::optional<uint32_t> resolve_dictionary_value(const Dictionary& dict, std::string_view value,
                                                 std::vector<uint32_t>& candidates);

// The same for many values of one dictionary: the loose forms of its keys and labels are
// gathered once, at the first value that is not a key. (The function above folds the whole
// dictionary for each such value: a list of thousands of unknown tags over a dictionary of
// hundreds of thousands took minutes; found by a review of how things scale.)
class DictionaryResolver {
 public:
  explicit DictionaryResolver(const Dictionary& dict) : dict_(dict) {}
  std::optional<uint32_t> resolve(std::string_view value, std::vector<uint32_t>& candidates);
  // The key `value` names among the dictionary's keys and those it knows elsewhere (a live
  // membership's batches): an exact key of either first, then loosely among both, so a
  // batch's `vip` beside the schema's `VIP` is `vip` for `tag any (vip)` and both for
  // `tag any (Vip)`, as over data holding both. Nullopt when nothing matches, or several
  // (then `several` holds their keys).
  std::optional<std::string> resolve_key(std::string_view value, std::vector<std::string>& several);

 private:
  const Dictionary& dict_;
  bool folded_made_ = false;
  std::unordered_map<std::string, std::vector<uint32_t>> folded_;  // loose form: codes, ascending
  // The keys known elsewhere by loose form, gathered at the first value resolve_key finds no
  // exact key for (a membership may know thousands, and a pasted list name thousands).
  bool folded_elsewhere_made_ = false;
  std::unordered_map<std::string, std::vector<std::string>> folded_elsewhere_;
};

struct Field {
  std::string name;
  std::vector<std::string> aliases;
  FieldType type = FieldType::Int;
  int scale = 0;  // decimal digits after the point (Decimal only)
  bool nullable = false;
  Dictionary dict;  // Enum and Set only

  bool is_dictionary() const { return type == FieldType::Enum || type == FieldType::Set; }
  bool is_ordered() const {
    return type == FieldType::Int || type == FieldType::Decimal || type == FieldType::Timestamp ||
           (type == FieldType::Enum && dict.ordered);
  }
};

struct Schema {
  std::string name;
  std::vector<Field> fields;
  int id_field = -1;  // the field that identifies a client (members are reported by it)

  // Case-insensitive lookup of a name or alias; -1 when absent.
  int find(std::string_view name) const;
  std::vector<std::string> all_names() const;  // names and aliases, for suggestions
};

// Who wrote a schema document: a person (a --schema file, the API), or seg itself (a
// snapshot's copy, which opens as it was written even where a person's would now be refused).
enum class SchemaSource { Given, Written };

// Parses a schema JSON document; errors carry JSON paths. Returns nullopt on any error.
std::optional<Schema> parse_schema_json(std::string_view text, Diagnostics& diags,
                                        const Limits& limits = {}, SchemaSource source = SchemaSource::Given);
// The bundled reference CRM schema (schema/crm.json, compiled in).
const Schema& crm_schema();
std::string_view crm_schema_json();
// Serialises a schema back to JSON (used by the snapshot writer to keep new tags).
std::string schema_to_json(const Schema& s);
// How data written with schema `data` fails to be data of schema `expected`: the first field
// that differs in name, type, scale, nullability, or a dictionary value (an open dictionary of
// the data may have grown past `expected`'s values). Empty when it is data of `expected`.
std::string schema_difference(const Schema& expected, const Schema& data);

}  // namespace seg
