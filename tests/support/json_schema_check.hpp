// A JSON Schema checker for the keywords docs/ir.schema.json uses (type, const, enum,
// required, properties, additionalProperties: false, items, minItems, oneOf, anyOf, local
// $ref), so a test can hold seg's IR JSON to its published schema. A keyword it does not know
// is an error, not ignored: a schema that grows one fails the test until this learns it.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace seg::testing {

class JsonSchemaCheck {
 public:
  // Throws std::runtime_error naming a keyword this does not implement (anywhere in `schema`).
  explicit JsonSchemaCheck(nlohmann::json schema);
  // "" when `doc` is valid; else the JSON pointer of the first place it fails and why.
  std::string check(const nlohmann::json& doc) const;

 private:
  std::string check(const nlohmann::json& doc, const nlohmann::json& schema, const std::string& at) const;
  nlohmann::json root_;
};

}  // namespace seg::testing
