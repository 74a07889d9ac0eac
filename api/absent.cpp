// Values no client has (Store::absent, LiveMembership::View::absent) and the fields a segment
// form's sections fill (Schema::form_field): what the service's count of a form says of
// pasted player ids that match nobody.
#include <unordered_set>

#include "adapters/form.hpp"
#include "api/impl.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"

namespace seg::api {

std::optional<size_t> Schema::form_field(std::string_view section) const {
  need(impl, "Schema::form_field");
  int f = form_section_field(impl->schema, section);
  if (f < 0) return std::nullopt;
  return static_cast<size_t>(f);
}

std::optional<std::vector<int64_t>> absent_values(const seg::Schema& schema, size_t field,
                                                  const std::vector<int64_t>& values,
                                                  const std::function<std::vector<int64_t>(const ir::Node&)>& held) {
  if (field >= schema.fields.size() || schema.fields[field].type != seg::FieldType::Int) return std::nullopt;
  if (values.empty()) return std::vector<int64_t>{};
  // The list alone, as a rule's `in` runs it: the planner takes the field's value index for a
  // few values and a bitmap or a sorted list for many, so only the rows holding one are read.
  ir::Node in;
  in.kind = ir::Kind::In;
  in.field = static_cast<int>(field);
  in.values.codes = values;
  in.values.normalize();
  std::vector<int64_t> found = held(in);
  std::unordered_set<int64_t> there(found.begin(), found.end());
  std::vector<int64_t> out;
  std::unordered_set<int64_t> named;
  for (int64_t v : values)
    if (!there.count(v) && named.insert(v).second) out.push_back(v);
  return out;
}

std::optional<std::vector<int64_t>> Store::absent(size_t field, const std::vector<int64_t>& values) const {
  need(impl, "Store::absent");
  const rt::Store& s = impl->store;
  return absent_values(s.schema(), field, values, [&](const ir::Node& in) {
    // (An `in` does not read the clock.)
    rt::Plan plan = rt::build_plan(in, s, 0);
    rt::EvalOptions eo;
    eo.want_rows = true;
    rt::EvalResult r = rt::evaluate(plan, s, eo);
    std::vector<int64_t> held;
    held.reserve(r.rows.size());
    const rt::Column& c = s.column(in.field);
    for (uint64_t row : r.rows) held.push_back(c.value_at(row));
    return held;
  });
}

}  // namespace seg::api
