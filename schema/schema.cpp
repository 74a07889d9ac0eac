// Schema loading from JSON (with JSON-path errors), lookup of fields and dictionary values.
#include "schema/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <cctype>

#include "base/json_reader.hpp"
#include "base/text_util.hpp"

namespace seg {

std::string_view type_name(FieldType t) {
  switch (t) {
    case FieldType::Int: return "int";
    case FieldType::Decimal: return "decimal";
    case FieldType::Timestamp: return "timestamp";
    case FieldType::Bool: return "bool";
    case FieldType::String: return "string";
    case FieldType::Enum: return "enum";
    case FieldType::Set: return "set";
  }
  return "?";
}

const Dictionary::Data& Dictionary::data() const {
  static const Data none;
  return d_ ? *d_ : none;
}

Dictionary::Data& Dictionary::mutable_data() {
  // use_count 1: no other dictionary holds it (a copy being made of this very one at the same
  // time would be a race on this object, as with any other member).
  if (!d_ || d_.use_count() > 1) {
    d_ = std::make_shared<Data>(data());
  } else {
    // use_count is a relaxed load: order this thread's writes after another thread's last
    // reads through the copy it just dropped.
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return *d_;
}

std::optional<uint32_t> Dictionary::find_key(std::string_view key) const {
  const auto& by_key = data().by_key;
  auto it = by_key.find(key);
  if (it == by_key.end()) return std::nullopt;
  return it->second;
}

uint32_t Dictionary::add(std::string key, std::string label) {
  if (auto c = find_key(key)) return *c;
  Data& d = mutable_data();
  uint32_t code = static_cast<uint32_t>(d.values.size());
  d.by_key.emplace(key, code);
  d.values.push_back(DictValue{std::move(key), std::move(label)});
  return code;
}

void Dictionary::pop_back() {
  if (data().values.empty()) return;
  Data& d = mutable_data();
  d.by_key.erase(d.values.back().key);
  d.values.pop_back();
}

int Schema::find(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (iequals(fields[i].name, name)) return static_cast<int>(i);
    for (const auto& a : fields[i].aliases)
      if (iequals(a, name)) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> Schema::all_names() const {
  std::vector<std::string> out;
  for (const auto& f : fields) {
    out.push_back(f.name);
    for (const auto& a : f.aliases) out.push_back(a);
  }
  return out;
}

static std::optional<FieldType> parse_type(std::string_view s) {
  for (FieldType t : {FieldType::Int, FieldType::Decimal, FieldType::Timestamp, FieldType::Bool, FieldType::String,
                      FieldType::Enum, FieldType::Set})
    if (type_name(t) == s) return t;
  return std::nullopt;
}

namespace {
// A field is named in rule text, so its names must read as identifiers there: not a keyword of
// the language (a field called `and` printed `and = X`, which does not parse; found by QA).
void check_field_name(const std::string& name, const std::string& path, Diagnostics& diags) {
  if (!is_identifier(name)) {
    diags.json_error("E610", path, fmt::format("field name '{}' is not an identifier", name),
                     "use letters, digits and '_', not starting with a digit");
    return;
  }
  if (is_keyword(name))
    diags.json_error("E610", path, fmt::format("field name '{}' is a keyword of the rule language", name),
                     "rename the field, e.g. '" + name + "_'");
}
}  // namespace

std::optional<Schema> parse_schema_json(std::string_view text, Diagnostics& diags, const Limits& limits, SchemaSource source) {
  auto doc = parse_json(text, diags, limits);
  if (!doc) return std::nullopt;
  size_t errors_before = diags.error_count();
  Schema s;
  if (!doc->is_object()) {
    diags.json_error("E603", "", fmt::format("a schema must be an object, not {}", json_type_name(*doc)));
    return std::nullopt;
  }
  check_members(*doc, "", {"name", "id_field", "fields"}, diags);
  if (auto n = member(*doc, "", "name", Json::value_t::string, false, diags)) s.name = n->get<std::string>();
  const Json* fields = member(*doc, "", "fields", Json::value_t::array, true, diags);
  if (fields && fields->size() > limits.max_schema_fields)
    diags.json_error("E407", "/fields",
                     fmt::format("{} fields; the limit is {}", fields->size(), limits.max_schema_fields));
  else if (fields) {
    for (size_t i = 0; i < fields->size(); ++i) {
      const Json& fj = (*fields)[i];
      std::string p = json_path("/fields", i);
      if (!fj.is_object()) {
        diags.json_error("E603", p, fmt::format("a field must be an object, not {}", json_type_name(fj)));
        continue;
      }
      check_members(fj, p, {"name", "aliases", "type", "scale", "nullable", "ordered", "open", "values"}, diags);
      Field f;
      const Json* name = member(fj, p, "name", Json::value_t::string, true, diags);
      const Json* type = member(fj, p, "type", Json::value_t::string, true, diags);
      if (!name || !type) continue;
      f.name = name->get<std::string>();
      check_field_name(f.name, json_path(p, "name"), diags);
      auto t = parse_type(type->get<std::string>());
      if (!t) {
        diags.json_error("E606", json_path(p, "type"), fmt::format("unknown field type '{}'", type->get<std::string>()),
                         "one of: int, decimal, timestamp, bool, string, enum, set");
        continue;
      }
      f.type = *t;
      if (auto a = member(fj, p, "aliases", Json::value_t::array, false, diags)) {
        for (size_t k = 0; k < a->size(); ++k) {
          if (!(*a)[k].is_string()) {
            diags.json_error("E603", json_path(json_path(p, "aliases"), k), "an alias must be a string");
            continue;
          }
          f.aliases.push_back((*a)[k].get<std::string>());
          check_field_name(f.aliases.back(), json_path(json_path(p, "aliases"), k), diags);
        }
      }
      if (auto n = member(fj, p, "nullable", Json::value_t::boolean, false, diags)) f.nullable = n->get<bool>();
      if (auto sc = member(fj, p, "scale", Json::value_t::number_integer, false, diags)) {
        long long v = sc->get<long long>();
        if (f.type != FieldType::Decimal)
          diags.json_error("E611", json_path(p, "scale"), "'scale' applies only to decimal fields");
        else if (v < 0 || v > 9)
          diags.json_error("E611", json_path(p, "scale"), fmt::format("scale {} is outside 0..9", v));
        else
          f.scale = static_cast<int>(v);
      } else if (f.type == FieldType::Decimal && !fj.contains("scale")) {
        f.scale = 2;
      }
      bool dict = f.is_dictionary();
      for (const char* k : {"ordered", "open", "values"})
        if (!dict && fj.contains(k))
          diags.json_error("E611", json_path(p, k), fmt::format("'{}' applies only to enum and set fields", k));
      if (dict) {
        if (auto o = member(fj, p, "ordered", Json::value_t::boolean, false, diags)) f.dict.ordered = o->get<bool>();
        if (f.dict.ordered && f.type == FieldType::Set)
          diags.json_error("E611", json_path(p, "ordered"), "a set field cannot be ordered");
        if (auto o = member(fj, p, "open", Json::value_t::boolean, false, diags)) f.dict.open = o->get<bool>();
        const Json* vals = member(fj, p, "values", Json::value_t::array, !f.dict.open, diags);
        if (vals && vals->size() > limits.max_dictionary_values) {
          diags.json_error("E408", json_path(p, "values"),
                           fmt::format("{} values; the limit is {}", vals->size(), limits.max_dictionary_values));
          vals = nullptr;
        }
        for (size_t k = 0; vals && k < vals->size(); ++k) {
          const Json& v = (*vals)[k];
          std::string vp = json_path(json_path(p, "values"), k);
          std::string key, label;
          if (v.is_string()) {
            key = v.get<std::string>();
          } else if (v.is_object()) {
            check_members(v, vp, {"key", "label"}, diags);
            const Json* kj = member(v, vp, "key", Json::value_t::string, true, diags);
            if (!kj) continue;
            key = kj->get<std::string>();
            if (auto lj = member(v, vp, "label", Json::value_t::string, false, diags)) label = lj->get<std::string>();
          } else {
            diags.json_error("E603", vp, fmt::format("a value must be a string or {{key, label}}, not {}", json_type_name(v)));
            continue;
          }
          if (key.empty()) {
            diags.json_error("E612", vp, "a dictionary key cannot be empty");
            continue;
          }
          // Loading reads a cell's value without the spaces around it, so a key with one at an
          // end is a value no client can hold: rules naming it loosely found nobody in `fmt`,
          // SQL and the exports while `eval` found the clients (a review). A person's schema
          // is refused; a snapshot's own copy opens as it was written.
          if (source == SchemaSource::Given && (std::isspace(static_cast<unsigned char>(key.front())) ||
                                                std::isspace(static_cast<unsigned char>(key.back())))) {
            diags.json_error("E612", vp, fmt::format("dictionary key '{}' starts or ends with a space, which no loaded value does",
                                                     key),
                             "write it without the spaces: data values are read trimmed");
            continue;
          }
          if (f.dict.find_key(key)) {
            diags.json_error("E612", vp, fmt::format("duplicate dictionary key '{}'", key));
            continue;
          }
          f.dict.add(key, label);
        }
      }
      for (const auto& nm : [&] {
             std::vector<std::string> v{f.name};
             v.insert(v.end(), f.aliases.begin(), f.aliases.end());
             return v;
           }()) {
        if (s.find(nm) >= 0)
          diags.json_error("E612", json_path(p, "name"), fmt::format("'{}' names two fields (names ignore case)", nm));
      }
      s.fields.push_back(std::move(f));
    }
  }
  if (auto idf = member(*doc, "", "id_field", Json::value_t::string, false, diags)) {
    s.id_field = s.find(idf->get<std::string>());
    if (s.id_field < 0)
      diags.json_error("E612", "/id_field", fmt::format("id_field '{}' is not a field", idf->get<std::string>()));
    else if (s.fields[s.id_field].type != FieldType::Int || s.fields[s.id_field].nullable)
      diags.json_error("E612", "/id_field", "the id field must be a non-nullable int");
  }
  if (diags.error_count() > errors_before) return std::nullopt;
  return s;
}

std::string schema_to_json(const Schema& s) {
  nlohmann::ordered_json j;
  j["name"] = s.name;
  if (s.id_field >= 0) j["id_field"] = s.fields[s.id_field].name;
  auto& fs = j["fields"] = nlohmann::ordered_json::array();
  for (const auto& f : s.fields) {
    nlohmann::ordered_json fj;
    fj["name"] = f.name;
    fj["type"] = std::string(type_name(f.type));
    if (!f.aliases.empty()) fj["aliases"] = f.aliases;
    if (f.type == FieldType::Decimal) fj["scale"] = f.scale;
    if (f.nullable) fj["nullable"] = true;
    if (f.is_dictionary()) {
      if (f.dict.ordered) fj["ordered"] = true;
      if (f.dict.open) fj["open"] = true;
      auto& vs = fj["values"] = nlohmann::ordered_json::array();
      for (const auto& v : f.dict.values()) {
        if (v.label.empty()) vs.push_back(v.key);
        else vs.push_back({{"key", v.key}, {"label", v.label}});
      }
    }
    fs.push_back(std::move(fj));
  }
  return j.dump(1);
}

const Schema& crm_schema() {
  static const Schema s = [] {
    Diagnostics d;
    auto parsed = parse_schema_json(crm_schema_json(), d);
    // A bug of the build (schema/crm.json is compiled in and tested), never of a user's
    // input; the library does not print, so it says so by throwing.
    if (!parsed)
      throw std::logic_error("internal error: the bundled schema does not load: " +
                             (d.list().empty() ? std::string("?") : d.list()[0].message));
    return *parsed;
  }();
  return s;
}

// Said as "the schema" (the one chosen, or a rule's) against "the data's", each named when it has
// a name: "in one and in the other" left a reader to guess which was which (found by a review).
std::string schema_difference(const Schema& expected, const Schema& data) {
  const std::string ours = expected.name.empty() ? "the schema" : "the schema `" + expected.name + "`";
  const std::string theirs = data.name.empty() ? "the data's" : "the data's (`" + data.name + "`)";
  auto names = [](const Schema& s) {
    std::string out;
    for (size_t i = 0; i < s.fields.size() && i < 12; ++i) out += (i ? ", " : "") + s.fields[i].name;
    return out + (s.fields.size() > 12 ? ", …" : "");
  };
  if (expected.fields.size() != data.fields.size())
    return ours + " has " + std::to_string(expected.fields.size()) + (expected.fields.size() == 1 ? " field (" : " fields (") +
           names(expected) + "); " + theirs +
           " has " + std::to_string(data.fields.size()) + " (" + names(data) + ")";
  for (size_t i = 0; i < expected.fields.size(); ++i) {
    const Field& a = expected.fields[i];
    const Field& b = data.fields[i];
    std::string at = "field " + std::to_string(i + 1) + " ";
    if (a.name != b.name) return at + "is " + a.name + " in " + ours + " and " + b.name + " in " + theirs;
    if (a.type != b.type)
      return at + a.name + " is " + std::string(type_name(a.type)) + " in " + ours + " and " + std::string(type_name(b.type)) +
             " in " + theirs;
    if (a.scale != b.scale || a.nullable != b.nullable)
      return at + a.name + " differs in its scale or nullability between " + ours + " and " + theirs;
    if (!a.is_dictionary()) continue;
    if (a.dict.open != b.dict.open || a.dict.ordered != b.dict.ordered)
      return at + a.name + " has an open or ordered dictionary in only one of " + ours + " and " + theirs;
    uint32_t n = a.dict.size();
    if (b.dict.size() < n || (!a.dict.open && b.dict.size() != n))
      return at + a.name + " has " + std::to_string(n) + " values in " + ours + " and " + std::to_string(b.dict.size()) +
             " in " + theirs;
    for (uint32_t c = 0; c < n; ++c)
      if (a.dict[c].key != b.dict[c].key)
        return at + a.name + " has '" + a.dict[c].key + "' in " + ours + " where " + theirs + " has '" + b.dict[c].key + "'";
  }
  if (expected.id_field != data.id_field) return "the id field differs between " + ours + " and " + theirs;
  return {};
}

std::optional<uint32_t> resolve_dictionary_value(const Dictionary& dict, std::string_view value,
                                                 std::vector<uint32_t>& candidates) {
  candidates.clear();
  if (auto c = dict.find_key(value)) return c;
  std::string f = fold_value(value);
  if (f.empty()) return std::nullopt;
  for (uint32_t i = 0; i < dict.size(); ++i) {
    const auto& v = dict[i];
    if (fold_value(v.key) == f || (!v.label.empty() && fold_value(v.label) == f)) candidates.push_back(i);
  }
  if (candidates.size() == 1) {
    uint32_t c = candidates[0];
    candidates.clear();
    return c;
  }
  return std::nullopt;
}

std::optional<uint32_t> DictionaryResolver::resolve(std::string_view value, std::vector<uint32_t>& candidates) {
  candidates.clear();
  if (auto c = dict_.find_key(value)) return c;
  std::string f = fold_value(value);
  if (f.empty()) return std::nullopt;
  if (!folded_made_) {
    folded_made_ = true;
    for (uint32_t i = 0; i < dict_.size(); ++i) {
      const auto& v = dict_[i];
      std::vector<uint32_t>& codes = folded_[fold_value(v.key)];
      codes.push_back(i);
      if (!v.label.empty()) {
        std::vector<uint32_t>& by_label = folded_[fold_value(v.label)];
        if (by_label.empty() || by_label.back() != i) by_label.push_back(i);
      }
    }
  }
  auto it = folded_.find(f);
  if (it == folded_.end()) return std::nullopt;
  if (it->second.size() == 1) return it->second[0];
  candidates = it->second;
  return std::nullopt;
}

std::optional<std::string> DictionaryResolver::resolve_key(std::string_view value, std::vector<std::string>& several) {
  several.clear();
  if (auto c = dict_.find_key(value)) return dict_[*c].key;
  if (dict_.known_elsewhere(value)) return std::string(value);
  std::vector<uint32_t> codes;
  if (auto c = resolve(value, codes)) codes.push_back(*c);
  for (uint32_t c : codes) several.push_back(dict_[c].key);
  if (!folded_elsewhere_made_) {
    folded_elsewhere_made_ = true;
    for (const auto& k : dict_.known_elsewhere()) folded_elsewhere_[fold_value(k)].push_back(k);
  }
  if (const std::string f = fold_value(value); !f.empty())
    if (auto it = folded_elsewhere_.find(f); it != folded_elsewhere_.end())
      several.insert(several.end(), it->second.begin(), it->second.end());
  if (several.size() != 1) return std::nullopt;
  std::string key = std::move(several[0]);
  several.clear();
  return key;
}

}  // namespace seg
