// The segments service's requests and answers: reading a body, its rule and its parameters,
// and writing JSON answers and errors (declared in service/server_impl.hpp).
#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "service/server_impl.hpp"

namespace seg::service {
namespace {

// Where the rule is in a request body: exactly one of these members.
struct RuleMember {
  const char* name;
  api::RuleFormat format;
};
constexpr RuleMember kRuleMembers[] = {{"rule", api::RuleFormat::Text},
                                       {"form", api::RuleFormat::Form},
                                       {"ir", api::RuleFormat::IrJson},
                                       {"querybuilder", api::RuleFormat::QueryBuilder},
                                       {"jsonlogic", api::RuleFormat::JsonLogic}};

}  // namespace

// JSON text of an answer or a log line. A request's path and query parameters arrive
// percent-decoded and may be any bytes; where one is quoted back (a field name that is not
// there, the access log's path) a byte that is not UTF-8 becomes U+FFFD. nlohmann's default
// throws on it, and that killed the service from the access log (found by the fuzzer).
std::string json_text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// An integer that fits in int64: nlohmann keeps one above INT64_MAX as unsigned, and
// get<int64_t>() of it wraps (a version 2^64-1 read as -1, a client id deleted as -1).
bool is_int64(const json& j) {
  return j.is_number_integer() && !(j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX));
}

// An error answer: {"ok": false, "error": {"code", "message"}, "diagnostics"?}.
void reply_error(httplib::Response& res, int status, const std::string& code, const std::string& message,
                 const json& diagnostics, const std::string& suggestion) {
  json j;
  j["ok"] = false;
  j["error"] = {{"code", code}, {"message", message}};
  if (!suggestion.empty()) j["error"]["suggestion"] = suggestion;
  if (!diagnostics.is_null()) j["diagnostics"] = diagnostics;
  res.status = status;
  res.set_content(json_text(j), "application/json");
}

void reply(httplib::Response& res, const json& j, int status) {
  res.status = status;
  res.set_content(json_text(j), "application/json");
}


// The body's `now` (a date or timestamp string) into `now` when it has one; false with an
// error written to `res` when it is not one.
bool read_now(const json& body, httplib::Response& res, std::optional<int64_t>& now) {
  if (!body.contains("now")) return true;
  const json& n = body["now"];
  std::optional<int64_t> t;
  if (n.is_string()) t = api::parse_timestamp(n.get<std::string>());
  if (!t) {
    reply_error(res, 400, "bad_request", "`now` must be a date or timestamp string (2026-10-01T10:00:00Z)");
    return false;
  }
  now = t;
  return true;
}

// The rule a body carries, or an error already written to `res`.
std::optional<RuleRequest> rule_request(const json& body, httplib::Response& res) {
  RuleRequest r;
  int found = 0;
  for (const auto& m : kRuleMembers) {
    if (!body.contains(m.name)) continue;
    ++found;
    r.member = m.name;
    r.format = m.format;
    const json& v = body[m.name];
    if (m.format == api::RuleFormat::Text) {
      if (!v.is_string()) {
        reply_error(res, 400, "bad_request", "`rule` must be a string of rule text");
        return std::nullopt;
      }
      r.source = v.get<std::string>();
    } else {
      if (!v.is_object()) {
        reply_error(res, 400, "bad_request", fmt::format("`{}` must be a JSON object", m.name));
        return std::nullopt;
      }
      r.source = v.dump();
    }
  }
  if (found != 1) {
    reply_error(res, 400, "bad_request",
                found == 0 ? "the body needs one of `rule`, `form`, `ir`, `querybuilder`, `jsonlogic`"
                           : "the body has more than one of `rule`, `form`, `ir`, `querybuilder`, `jsonlogic`; give one");
    return std::nullopt;
  }
  if (!read_now(body, res, r.now)) return std::nullopt;
  return r;
}

// Diagnostics as JSON, their paths pointing into the request body (`/form/stages/0`).
json diagnostics_json(const api::Rule& rule, const RuleRequest& r) {
  json d = json::parse(api::render_json(rule.diagnostics(), r.format == api::RuleFormat::Text ? r.source : ""));
  if (r.format != api::RuleFormat::Text) prefix_paths(d, "/" + r.member);
  return d;
}

void prefix_paths(json& diagnostics, const std::string& prefix, const std::optional<std::string>& unplaced) {
  for (auto& x : diagnostics) {
    if (x.contains("path") && x["path"].is_string()) x["path"] = prefix + x["path"].get<std::string>();
    else if (unplaced) x["path"] = prefix + *unplaced;
  }
}

// How deep `text`'s arrays and objects nest (brackets in strings not counted), stopping
// past `limit`: nlohmann's parser, copies and dump() recurse once a level, so a body nested a
// million deep, far under the size limit, overflowed the stack and killed the service.
size_t json_nesting(std::string_view text, size_t limit) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) break;
    } else if ((ch == '}' || ch == ']') && depth) {
      --depth;
    }
  }
  return deepest;
}

std::optional<json> parse_body(const httplib::Request& req, httplib::Response& res) {
  // The library refuses a rule document nested deeper than its limit (E406) with the path; the
  // body around it adds a few levels (`{"before": {"ir": …}}`).
  const size_t limit = api::limits().max_json_depth + 8;
  if (json_nesting(req.body, limit) > limit) {
    reply_error(res, 400, "too_deep", fmt::format("the body nests deeper than {} levels (E406)", limit));
    return std::nullopt;
  }
  json body;
  // A member named twice in one object is refused: nlohmann keeps the last, so
  // `{"rule": "spot = 1", "rule": "spot = 2"}` counted spot = 2 (found by a review). The
  // callback sees each object's keys in order, the sets of the objects open around it kept.
  std::vector<std::unordered_set<std::string>> open_objects;
  std::string twice;
  auto no_twice = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    else if (event == json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
    else if (event == json::parse_event_t::key && !open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second) {
      twice = parsed.get<std::string>();
      throw std::invalid_argument("twice");
    }
    return true;
  };
  try {
    body = json::parse(req.body, no_twice);
  } catch (const std::invalid_argument&) {
    reply_error(res, 400, "bad_json", fmt::format("the body names member `{}` twice in one object; give it once", twice));
    return std::nullopt;
  } catch (const json::out_of_range& e) {
    // A number past a double (`-1e30886400`): nlohmann says so with out_of_range, not a
    // parse error, and it was a 500 (found by fuzzing). The CLI's readers call it E601.
    std::string what = e.what();
    const size_t at = what.find("number overflow");
    reply_error(res, 400, "bad_json",
                fmt::format("the body is not JSON seg can read: {}", at == std::string::npos ? what : what.substr(at)));
    return std::nullopt;
  } catch (const json::parse_error& e) {
    // Where and why, as the CLI's JSON readers say it: a 16 MB body with one bad byte (not
    // UTF-8, a lone surrogate) was "not a JSON object" and nothing more (found by a review).
    // nlohmann's message reads "[json.exception.parse_error.101] parse error at line 1,
    // column 19: syntax error while parsing ..."; its part after the prefix is the answer.
    std::string what = e.what();
    const size_t at = what.find("parse error");
    // curl -d sends a form (`rule=spot = 1`) unless told otherwise: say what to send instead
    // (a user's first curl got only the parser's "invalid literal"; found by a review).
    const bool form = req.get_header_value("Content-Type") == "application/x-www-form-urlencoded";
    reply_error(res, 400, "bad_json",
                fmt::format("the body is not JSON: {} (byte {}){}", at == std::string::npos ? what : what.substr(at), e.byte,
                            form ? "; the API takes a JSON object such as {\"rule\": \"spot = 12\"}, sent as "
                                   "`Content-Type: application/json` (curl: -H 'Content-Type: application/json')"
                                 : ""));
    return std::nullopt;
  }
  if (!body.is_object()) {
    reply_error(res, 400, "bad_json", "the body is not a JSON object");
    return std::nullopt;
  }
  return body;
}

bool only_members(const json& body, std::initializer_list<std::string_view> known, httplib::Response& res) {
  for (const auto& [name, value] : body.items()) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string list;
    for (std::string_view k : known) list += fmt::format("{}`{}`", list.empty() ? "" : ", ", k);
    reply_error(res, 400, "bad_request", fmt::format("the body has no member `{}` here (it takes {})", name, list));
    return false;
  }
  return true;
}

// A segment as the API shows it; lists leave out the IR (parsing 10,000 IR documents
// dominated listing them).
json segment_json(const Segment& s, bool with_ir) {
  json j;
  j["id"] = s.id;
  j["version"] = s.version;
  j["title"] = s.content.title;
  j["rule"] = s.content.rule_text;
  if (with_ir) j["ir"] = json::parse(s.content.ir_json, nullptr, false);
  j["hash"] = api::hash_text(s.content.hash);
  j["origin"] = origin_name(s.content.origin);
  // The rule as it was given (a text rule's comments and lines, a form's JSON): what an
  // editor shows again, where `rule` is its canonical text.
  if (with_ir) j["source"] = s.content.source;
  j["archived"] = s.archived;
  j["created_at"] = s.created_at;
  j["updated_at"] = s.updated_at;
  return j;
}

// A string as JSON text (quoted, escaped: nlohmann's escaping, as everywhere), appended.
// The listing writes its JSON directly, because building 10,000 nlohmann objects and
// serializing them was most of its time.
void append_json_string(std::string& out, std::string_view s) { out += json_text(json(s)); }

// The segment id of a /api/segments/{id}... path; an id past int64 is no segment (404).
std::optional<int64_t> segment_id(const httplib::Request& req, httplib::Response& res) {
  const std::string m = req.matches[1];
  int64_t id = 0;
  auto [end, ec] = std::from_chars(m.data(), m.data() + m.size(), id);
  if (ec != std::errc() || end != m.data() + m.size()) {
    reply_error(res, 404, "not_found", fmt::format("no segment {}", m));
    return std::nullopt;
  }
  return id;
}

// A query parameter that is a whole number up to `max` (absent: `out` stays); a 400 otherwise.
bool whole_param(const httplib::Request& req, httplib::Response& res, const char* name, uint64_t max, uint64_t& out,
                 uint64_t min) {
  if (!req.has_param(name)) return true;
  const std::string v = req.get_param_value(name);
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size() || out > max || out < min) {
    reply_error(res, 400, "bad_request", fmt::format("`{}` must be a whole number from {} to {}", name, min, max));
    return false;
  }
  return true;
}

json explain_json(const api::ExplainNode& n) { return json::parse(n.json()); }  // the library's one writer

std::string first_error_text(const std::vector<api::Diagnostic>& d) {
  auto e = std::find_if(d.begin(), d.end(), [](const api::Diagnostic& x) { return x.is_error(); });
  return e != d.end() ? api::to_string(*e) : d.empty() ? std::string("unknown error") : api::to_string(d.front());
}

}  // namespace seg::service
