// Schema loading: the bundled CRM schema, and malformed schema files reported at their JSON path.
#include <gtest/gtest.h>

#include "schema/schema.hpp"

namespace seg {
namespace {

std::vector<std::string> errors(const std::string& doc) {
  Diagnostics d;
  auto s = parse_schema_json(doc, d);
  EXPECT_FALSE(s.has_value()) << doc;
  std::vector<std::string> out;
  for (const auto& x : d.list()) out.push_back(x.code + " " + x.json_path);
  return out;
}

TEST(Schema, BundledCrmSchema) {
  const Schema& s = crm_schema();
  ASSERT_GE(s.find("stage"), 0);
  EXPECT_EQ(s.find("tag"), s.find("tags"));
  EXPECT_EQ(s.find("Player"), s.find("player_id"));
  EXPECT_EQ(s.fields[s.id_field].name, "client_id");
  const Field& stage = s.fields[s.find("stage")];
  EXPECT_TRUE(stage.dict.ordered);
  EXPECT_EQ(stage.dict.size(), 8u);
  EXPECT_EQ(stage.dict[0].label, "Not processed");
  const Field& tags = s.fields[s.find("tags")];
  EXPECT_TRUE(tags.dict.open);
  EXPECT_EQ(tags.dict.size(), 261u);
  EXPECT_EQ(s.fields[s.find("deposit_total")].scale, 2);
  EXPECT_TRUE(s.fields[s.find("last_active_at")].nullable);
  EXPECT_FALSE(s.fields[s.find("registered_at")].nullable);
}

TEST(Schema, RoundTripsThroughJson) {
  Diagnostics d;
  auto again = parse_schema_json(schema_to_json(crm_schema()), d);
  ASSERT_TRUE(again) << render_text(d.list(), "schema", "");
  EXPECT_EQ(schema_to_json(*again), schema_to_json(crm_schema()));
}

TEST(Schema, MalformedDocumentsGetJsonPaths) {
  EXPECT_EQ(errors("[]"), (std::vector<std::string>{"E603 "}));
  EXPECT_EQ(errors("{\"fields\": 3}"), (std::vector<std::string>{"E603 /fields"}));
  EXPECT_EQ(errors(R"({"fields":[{"name":"a","type":"integer"}]})"), (std::vector<std::string>{"E606 /fields/0/type"}));
  EXPECT_EQ(errors(R"({"fields":[{"name":"a","type":"int","scale":2}]})"), (std::vector<std::string>{"E611 /fields/0/scale"}));
  EXPECT_EQ(errors(R"({"fields":[{"name":"s","type":"enum","values":["A", 3, "A"]}]})"),
            (std::vector<std::string>{"E603 /fields/0/values/1", "E612 /fields/0/values/2"}));
  EXPECT_EQ(errors(R"({"fields":[{"name":"a","type":"int"},{"name":"A","type":"int"}]})"),
            (std::vector<std::string>{"E612 /fields/1/name"}));
  EXPECT_EQ(errors(R"({"fields":[{"name":"a","type":"int","nulable":true}]})"), (std::vector<std::string>{"E605 /fields/0/nulable"}));
  EXPECT_EQ(errors(R"({"id_field":"x","fields":[{"name":"a","type":"int"}]})"), (std::vector<std::string>{"E612 /id_field"}));
  EXPECT_EQ(errors(R"({"fields":[{"name":"2a","type":"int"}]})"), (std::vector<std::string>{"E610 /fields/0/name"}));
  EXPECT_EQ(errors("{\"fields\": [}"), (std::vector<std::string>{"E601 "}));
}

TEST(Schema, UnknownMemberSuggestsTheNearestName) {
  Diagnostics d;
  parse_schema_json(R"({"fields":[{"name":"a","type":"int","nulable":true}]})", d);
  ASSERT_EQ(d.list().size(), 1u);
  EXPECT_EQ(d.list()[0].suggestion, "did you mean 'nullable'?");
}

}  // namespace
}  // namespace seg
