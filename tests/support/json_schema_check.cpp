// The JSON Schema subset checker (see the header): enough of draft 2020-12 for docs/ir.schema.json.
#include "tests/support/json_schema_check.hpp"

#include <set>
#include <stdexcept>

namespace seg::testing {

namespace {
using nlohmann::json;

const std::set<std::string>& known_keywords() {
  static const std::set<std::string> k = {"$schema", "$id", "$defs", "title", "description", "type", "const", "enum",
                                          "required", "properties", "additionalProperties", "items", "minItems",
                                          "oneOf", "anyOf", "$ref"};
  return k;
}

// Every schema object in `s`, keyword by keyword: `properties` and `$defs` hold schemas by name,
// `items` one, `oneOf`/`anyOf` a list.
void refuse_unknown(const json& s, const std::string& at) {
  if (!s.is_object()) throw std::runtime_error(at + ": a schema must be an object");
  for (const auto& [key, value] : s.items()) {
    if (!known_keywords().count(key)) throw std::runtime_error(at + ": keyword `" + key + "` is not implemented");
    if (key == "properties" || key == "$defs")
      for (const auto& [name, sub] : value.items()) refuse_unknown(sub, at + "/" + key + "/" + name);
    else if (key == "items")
      refuse_unknown(value, at + "/items");
    else if (key == "oneOf" || key == "anyOf")
      for (size_t i = 0; i < value.size(); ++i) refuse_unknown(value[i], at + "/" + key + "/" + std::to_string(i));
    else if (key == "additionalProperties" && value != false)
      throw std::runtime_error(at + ": only `additionalProperties: false` is implemented");
  }
}

bool has_type(const json& doc, const std::string& type) {
  if (type == "object") return doc.is_object();
  if (type == "array") return doc.is_array();
  if (type == "string") return doc.is_string();
  if (type == "boolean") return doc.is_boolean();
  if (type == "integer") return doc.is_number_integer();
  if (type == "number") return doc.is_number();
  if (type == "null") return doc.is_null();
  throw std::runtime_error("unknown type `" + type + "`");
}
}  // namespace

JsonSchemaCheck::JsonSchemaCheck(json schema) : root_(std::move(schema)) { refuse_unknown(root_, "#"); }

std::string JsonSchemaCheck::check(const json& doc) const { return check(doc, root_, ""); }

std::string JsonSchemaCheck::check(const json& doc, const json& s, const std::string& at) const {
  const std::string where = at.empty() ? "/" : at;
  if (s.contains("$ref")) {
    const std::string ref = s["$ref"];
    if (ref.rfind("#/", 0) != 0) return where + ": $ref " + ref + " is not local";
    if (std::string e = check(doc, root_.at(json::json_pointer(ref.substr(1))), at); !e.empty()) return e;
  }
  if (s.contains("type")) {
    bool ok = false;
    if (s["type"].is_array())
      for (const auto& t : s["type"]) ok |= has_type(doc, t);
    else
      ok = has_type(doc, s["type"]);
    if (!ok) return where + ": not of type " + s["type"].dump();
  }
  if (s.contains("const") && doc != s["const"]) return where + ": not " + s["const"].dump();
  if (s.contains("enum")) {
    bool found = false;
    for (const auto& v : s["enum"]) found |= doc == v;
    if (!found) return where + ": not one of " + s["enum"].dump();
  }
  if (doc.is_object()) {
    if (s.contains("required"))
      for (const auto& r : s["required"])
        if (!doc.contains(r.get<std::string>())) return where + ": missing " + r.dump();
    if (s.contains("properties"))
      for (const auto& [name, sub] : s["properties"].items())
        if (doc.contains(name))
          if (std::string e = check(doc[name], sub, at + "/" + name); !e.empty()) return e;
    if (s.contains("additionalProperties"))
      for (const auto& [name, unused] : doc.items())
        if (!s.contains("properties") || !s["properties"].contains(name)) return where + ": member " + name + " is not allowed";
  }
  if (doc.is_array()) {
    if (s.contains("minItems") && doc.size() < s["minItems"].get<size_t>())
      return where + ": fewer than " + s["minItems"].dump() + " items";
    if (s.contains("items"))
      for (size_t i = 0; i < doc.size(); ++i)
        if (std::string e = check(doc[i], s["items"], at + "/" + std::to_string(i)); !e.empty()) return e;
  }
  if (s.contains("anyOf")) {
    bool any = false;
    for (const auto& sub : s["anyOf"]) any |= check(doc, sub, at).empty();
    if (!any) return where + ": matches none of anyOf";
  }
  if (s.contains("oneOf")) {
    int matched = 0;
    std::string first;
    for (const auto& sub : s["oneOf"]) {
      std::string e = check(doc, sub, at);
      if (e.empty()) ++matched;
      else if (first.empty()) first = e;
    }
    if (matched != 1) return where + (matched ? ": matches more than one of oneOf" : ": matches none of oneOf (first: " + first + ")");
  }
  return "";
}

}  // namespace seg::testing
