// A seeded generator of random rule texts over the bundled CRM schema: every field, operator
// and value spelling the language allows (aliases, labels, case, quotes, comments, dates,
// `now ± d`), nested and/or/not. Deterministic for a seed on every machine.
#pragma once
#include <cstdint>
#include <string>

#include "adapters/form.hpp"
#include "tests/support/reference_eval.hpp"

namespace seg::testing {

class RuleGen {
 public:
  explicit RuleGen(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::string rule(int max_depth = 4);
  // A rule of one of the reference rules' shapes (README's Q1-Q6: the form's stages, tags,
  // spot and players; Q3's mixed conjunction; Q4's many tags; Q5's negations; Q6's range and
  // frequent value) with random literals: what a catalog of people's segments looks like.
  std::string shaped();
  std::string predicate();
  SegmentForm form();

  uint64_t next();
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }

 private:
  std::string expr(int depth);
  std::string ws();
  std::string kw(const char* k);
  std::string field(const char* name);
  std::string stage_value();
  std::string country_value();
  std::string tag_value();
  std::string int_value(int64_t lo, int64_t hi);
  std::string decimal_value();
  std::string time_value();
  template <typename F>
  std::string list(F value, int max);

  uint64_t state_;
};

// A random row over the CRM schema whose values meet the literals RuleGen draws (player ids
// around 1000000, spots around 0..100, times 2024..2027 and near `now`), nulls and a tag the
// schema does not know included.
RefRow random_crm_row(RuleGen& g, const Schema& s);

}  // namespace seg::testing
