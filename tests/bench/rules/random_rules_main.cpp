// seg_random_rules: prints random rules over the bundled CRM schema, one a line, for the
// side-by-side benchmark (tools/bench_peers.sh --random N) and the shared pass's
// (tools/bench_membership.sh). With SHAPED percent, that share of the rules takes one of the
// reference rules' shapes with random literals (RuleGen::shaped: a catalog people built),
// the rest as before. Rules that name `now` are left out: seg bench and the databases would
// resolve it at different instants.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support/random_rules.hpp"

// A whole non-negative decimal number (no sign, no trailing text), or false.
static bool parse_number(const char* text, unsigned long long& out) {
  if (*text < '0' || *text > '9') return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoull(text, &end, 10);
  return *end == '\0' && errno == 0;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: seg_random_rules COUNT [SEED [SHAPED]]\n");
    return 2;
  }
  unsigned long long count = 0, seed = 1, shaped = 0;
  if (!parse_number(argv[1], count) || (argc >= 3 && !parse_number(argv[2], seed)) ||
      (argc == 4 && (!parse_number(argv[3], shaped) || shaped > 100))) {
    std::fprintf(stderr, "seg_random_rules: COUNT and SEED must be whole numbers (0 or more) and SHAPED a percent (0-100)\n");
    return 2;
  }
  seg::testing::RuleGen gen(seed);
  // The shapes draw from their own generator: SHAPED 0 prints what it always printed.
  seg::testing::RuleGen shapes(seed + 0x5EED);
  for (unsigned long long printed = 0; printed < count;) {
    std::string r = shaped > 0 && shapes.chance(static_cast<int>(shaped)) ? shapes.shaped() : gen.rule(3);
    if (r.find("now") != std::string::npos || r.find('\n') != std::string::npos) continue;
    std::printf("%s\n", r.c_str());
    ++printed;
  }
  return 0;
}
