// The segment form: JSON reading, form -> IR, IR -> form, and the segments-table summary.
#include "adapters/form.hpp"

#include "base/limits.hpp"
#include "base/text_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "compiler/check.hpp"
#include "base/json_reader.hpp"
#include "compiler/passes/pass.hpp"
#include "compiler/value_text.hpp"

namespace seg {

using ir::Kind;
using ir::Node;

std::optional<SegmentForm> form_from_json(std::string_view text, Diagnostics& diags) {
  auto doc = parse_json(text, diags);
  if (!doc) return std::nullopt;
  size_t before = diags.error_count();
  if (!doc->is_object()) {
    diags.json_error("E603", "", fmt::format("a form must be an object, not {}", json_type_name(*doc)));
    return std::nullopt;
  }
  check_members(*doc, "", {"title", "stages", "players", "spot", "tags"}, diags);
  SegmentForm f;
  if (auto t = member(*doc, "", "title", Json::value_t::string, false, diags)) f.title = t->get<std::string>();
  auto strings = [&](const char* key, std::vector<std::string>& out) {
    if (auto a = member(*doc, "", key, Json::value_t::array, false, diags))
      for (size_t i = 0; i < a->size(); ++i) {
        // Rule text cannot hold a NUL (E106): the saved segment's text would not compile.
        if ((*a)[i].is_string() && (*a)[i].get_ref<const std::string&>().find('\0') != std::string::npos)
          diags.json_error("E106", json_path(json_path("", key), i), "a value with a NUL character cannot be written in a rule",
                           "remove the \\u0000");
        else if ((*a)[i].is_string()) out.push_back((*a)[i].get<std::string>());
        else
          diags.json_error("E603", json_path(json_path("", key), i),
                           fmt::format("a value in '{}' must be a string, not {}", key, json_type_name((*a)[i])));
      }
  };
  strings("stages", f.stages);
  strings("tags", f.tags);
  if (auto a = member(*doc, "", "players", Json::value_t::array, false, diags))
    for (size_t i = 0; i < a->size(); ++i) {
      const Json& v = (*a)[i];
      // A whole number past int64 (JSON reads 2^64 and beyond as a double) is out of range, as in
      // IR JSON; a small one written as a decimal (1001.0, 1e3) is a wrong form, not too big.
      const bool whole = v.is_number_integer() || (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>());
      const bool past = v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(INT64_MAX)
                                               : v.is_number_float() && std::fabs(v.get<double>()) >= 9.2233720368547758e18;
      if (v.is_number_integer() && !past)
        f.players.push_back(v.get<int64_t>());
      else if (whole && past)
        diags.json_error("E305", json_path("/players", i), "this player id does not fit in 64 bits");
      else if (whole)
        diags.json_error("E603", json_path("/players", i),
                         fmt::format("a player id is written as a whole number: {:.0f}, not as a decimal", v.get<double>()));
      else
        diags.json_error("E603", json_path("/players", i), fmt::format("a player must be an integer id, not {}", json_type_name(v)));
    }
  if (doc->contains("spot") && !(*doc)["spot"].is_null()) {
    if (auto s = member(*doc, "", "spot", Json::value_t::number_integer, false, diags)) {
      if (s->is_number_unsigned() && s->get<uint64_t>() > uint64_t(INT64_MAX))
        diags.json_error("E305", "/spot", "the spot does not fit in 64 bits");
      else
        f.spot = s->get<int64_t>();
    }
  }
  if (diags.error_count() > before) return std::nullopt;
  return f;
}

std::string form_to_json(const SegmentForm& f, int indent) {
  nlohmann::ordered_json j;
  j["title"] = f.title;
  j["stages"] = f.stages;
  if (!f.players.empty()) j["players"] = f.players;
  if (f.spot) j["spot"] = *f.spot;
  j["tags"] = f.tags;
  return j.dump(indent);
}

namespace {
struct FormFields {
  int stage = -1, tags = -1, spot = -1, player = -1;
};
FormFields form_fields(const Schema& s) {
  return FormFields{s.find("stage"), s.find("tags"), s.find("spot"), s.find("player_id")};
}
}  // namespace

int form_section_field(const Schema& schema, std::string_view section) {
  FormFields ff = form_fields(schema);
  if (section == "stages") return ff.stage;
  if (section == "tags") return ff.tags;
  if (section == "spot") return ff.spot;
  if (section == "players") return ff.player;
  return -1;
}

std::optional<ir::Node> form_to_ir(const SegmentForm& form, const Schema& schema, Diagnostics& diags) {
  FormFields ff = form_fields(schema);
  size_t before = diags.error_count();
  // A section needs its field only when the form uses it: a schema without `spot` takes a
  // form without one, as the rule to form direction already made it (it was refused whole,
  // saying the schema had no form fields at all; found by a review). Tags are always used.
  for (auto [section, name, field, used] :
       {std::tuple{"tags", "tags", ff.tags, true}, std::tuple{"stages", "stage", ff.stage, !form.stages.empty()},
        std::tuple{"spot", "spot", ff.spot, form.spot.has_value()},
        std::tuple{"players", "player_id", ff.player, !form.players.empty()}})
    if (used && field < 0)
      diags.json_error("E201", std::string("/") + section, fmt::format("the schema has no field `{}` for the form's {}", name, section),
                       "leave the section empty, or use a schema that has the field");
  if (diags.error_count() > before) return std::nullopt;
  // The list limit of every other way in (E404), so a saved form is a rule like any other.
  const Limits limits;
  for (auto [section, size] : {std::pair{"stages", form.stages.size()}, std::pair{"tags", form.tags.size()},
                               std::pair{"players", form.players.size()}})
    if (size > limits.max_list_values)
      diags.json_error("E404", std::string("/") + section,
                       fmt::format("the list has {} values; the limit is {}", size, limits.max_list_values));
  // The CRM's form requires a tag: a client must have at least one of the chosen tags.
  if (form.tags.empty())
    diags.json_error("E608", "/tags", "the form needs at least one tag: a client must have at least one of them",
                     "choose the tags of the segment (any of them will do for a client)");
  // The sections' values are checked too, whatever the above said, so a form with no tag and
  // an unknown stage gets both at once (it got the one, then the other; a review).
  std::vector<Node> parts;
  auto pred = [](Kind k, int field, const char* section) {
    Node n;
    n.kind = k;
    n.field = field;
    n.origin.form_section = section;
    n.origin.json_path = std::string("/") + section;
    return n;
  };
  if (!form.stages.empty()) {
    Node n = pred(Kind::In, ff.stage, "stages");
    const Field& f = schema.fields[ff.stage];
    for (size_t i = 0; i < form.stages.size(); ++i) {
      std::vector<uint32_t> cands;
      if (auto c = resolve_dictionary_value(f.dict, form.stages[i], cands)) {
        n.values.codes.push_back(*c);
        continue;
      }
      std::vector<std::string> keys;
      for (const auto& d : f.dict.values()) keys.push_back(d.key);
      auto near = nearest(form.stages[i], keys, 1);
      diags.json_error(cands.empty() ? "E202" : "E203", json_path("/stages", i),
                       fmt::format("{} stage \"{}\"", cands.empty() ? "unknown" : "ambiguous", form.stages[i]),
                       near.empty() ? "" : fmt::format("did you mean \"{}\"?", near[0]));
    }
    parts.push_back(std::move(n));
  }
  if (!form.tags.empty()) {
    Node n = pred(Kind::SetAny, ff.tags, "tags");
    const Field& f = schema.fields[ff.tags];
    for (size_t i = 0; i < form.tags.size(); ++i) {
      std::vector<uint32_t> cands;
      // An empty name is an input left unfilled, not a tag nobody has yet (it was W204 and
      // `tag any ("")`; found by a review).
      if (blank_name(form.tags[i])) {
        diags.json_error("E608", json_path("/tags", i), "an empty tag name", "choose a tag, or remove the empty one");
        continue;
      }
      if (auto c = resolve_dictionary_value(f.dict, form.tags[i], cands)) {
        n.values.codes.push_back(*c);
      } else if (!cands.empty()) {
        diags.json_error("E203", json_path("/tags", i), fmt::format("tag \"{}\" matches several tags", form.tags[i]));
      } else {
        diags.json_warning("W204", json_path("/tags", i),
                           fmt::format("no client has the tag \"{}\" yet: it matches nobody", form.tags[i]));
        n.values.unknown.push_back(form.tags[i]);
      }
    }
    parts.push_back(std::move(n));
  }
  if (form.spot) {
    Node n = pred(Kind::In, ff.spot, "spot");
    n.values.codes = {*form.spot};
    parts.push_back(std::move(n));
  }
  if (!form.players.empty()) {
    Node n = pred(Kind::In, ff.player, "players");
    n.values.codes = form.players;
    parts.push_back(std::move(n));
  }
  if (diags.error_count() > before) return std::nullopt;
  Node root = Node::conj(Kind::And, std::move(parts));
  optimize(root, schema, diags);
  return root;
}

std::optional<SegmentForm> ir_to_form(const ir::Node& root, const Schema& schema, std::string& why, Span* at) {
  FormFields ff = form_fields(schema);
  SegmentForm form;
  std::vector<const Node*> parts;
  if (root.kind == Kind::And) {
    for (const auto& c : root.children) parts.push_back(&c);
  } else {
    parts.push_back(&root);
  }
  bool seen_stage = false, seen_tags = false, seen_spot = false, seen_player = false;
  for (const Node* p : parts) {
    const Node& n = *p;
    auto reject = [&](std::string reason) {
      why = fmt::format("`{}` does not fit the segment form: {}", ir::print_rule(n, schema), reason);
      if (at) *at = n.origin.span;
      return std::nullopt;
    };
    if (!n.is_predicate())
      return reject("the form joins its sections with `and` only (stages, tags, spot, players)");
    if (n.field == ff.stage && n.kind == Kind::In && !seen_stage) {
      // A closed list of stages, positive or negative, is a set of stages.
      const Field& f = schema.fields[ff.stage];
      std::vector<int64_t> codes;
      for (int64_t c = 0; c < static_cast<int64_t>(f.dict.size()); ++c)
        if (std::binary_search(n.values.codes.begin(), n.values.codes.end(), c) != n.negated) codes.push_back(c);
      if (!n.values.unknown.empty()) return reject("the form lists known stages only");
      for (int64_t c : codes) form.stages.push_back(f.dict[static_cast<uint32_t>(c)].key);
      seen_stage = true;
    } else if (n.field == ff.tags && n.kind == Kind::SetAny && !seen_tags) {
      const Field& f = schema.fields[ff.tags];
      for (int64_t c : n.values.codes) form.tags.push_back(f.dict[static_cast<uint32_t>(c)].key);
      for (const auto& u : n.values.unknown) form.tags.push_back(u);
      seen_tags = true;
    } else if (n.field == ff.spot && n.kind == Kind::In && !n.negated && n.values.codes.size() == 1 && !seen_spot) {
      form.spot = n.values.codes[0];
      seen_spot = true;
    } else if (n.field == ff.player && n.kind == Kind::In && !n.negated && !seen_player) {
      form.players = n.values.codes;
      seen_player = true;
    } else {
      return reject("the form has any-of stages, any-of tags, one spot and a list of players");
    }
  }
  if (!seen_tags) {
    why = "the segment form needs tags (a client must have at least one of them), and this rule has no `tag any (…)`";
    return std::nullopt;
  }
  return form;
}

std::string summarize(const ir::Node& root, const Schema& schema) {
  FormFields ff = form_fields(schema);
  if (root.is_const(true)) return "All clients";
  if (root.is_const(false)) return "Nobody";
  std::vector<const Node*> parts;
  if (root.kind == Kind::And)
    for (const auto& c : root.children) parts.push_back(&c);
  else
    parts.push_back(&root);
  std::vector<std::string> out;
  for (const Node* p : parts) {
    const Node& n = *p;
    std::string s;
    if (n.is_predicate() && n.field == ff.stage && n.kind == Kind::In && n.values.unknown.empty()) {
      const Field& f = schema.fields[n.field];
      std::vector<std::string> labels;
      for (int64_t c = 0; c < static_cast<int64_t>(f.dict.size()); ++c)
        if (std::binary_search(n.values.codes.begin(), n.values.codes.end(), c) != n.negated) {
          const auto& d = f.dict[static_cast<uint32_t>(c)];
          labels.push_back(d.label.empty() ? d.key : d.label);
        }
      s = fmt::format("Stages: {}", fmt::join(labels, ", "));
    } else if (n.is_predicate() && n.field == ff.tags && n.is_set_predicate()) {
      const Field& f = schema.fields[n.field];
      std::vector<std::string> keys;
      for (int64_t c : n.values.codes) {
        const auto& d = f.dict[static_cast<uint32_t>(c)];
        keys.push_back(d.label.empty() ? d.key : d.label);
      }
      for (const auto& u : n.values.unknown) keys.push_back(u);
      const char* how = n.kind == Kind::SetAny ? "any of" : n.kind == Kind::SetAll ? "all of" : "none of";
      s = fmt::format("Tags: {} {}", how, fmt::join(keys, ", "));
    } else if (n.is_predicate() && n.field == ff.spot && n.kind == Kind::In && !n.negated) {
      s = fmt::format("{}: {}", n.values.codes.size() == 1 ? "Spot" : "Spots", fmt::join(n.values.codes, ", "));
    } else if (n.is_predicate() && n.field == ff.player && n.kind == Kind::In && !n.negated) {
      s = n.values.codes.size() <= 5 ? fmt::format("Players: {}", fmt::join(n.values.codes, ", "))
                                     : fmt::format("Players: {} listed", n.values.codes.size());
    } else {
      s = ir::print_rule(n, schema);
    }
    out.push_back(std::move(s));
  }
  return fmt::format("{}", fmt::join(out, " · "));
}

}  // namespace seg
