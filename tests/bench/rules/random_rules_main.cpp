// seg_random_rules: prints random rules over the bundled CRM schema, one a line, for the
// side-by-side benchmark (tools/bench_peers.sh --random N) and the shared pass's
// (tools/bench_membership.sh). With SHAPED percent, that share of the rules takes one of the
// reference rules' shapes with random literals (RuleGen::shaped: a catalog people built),
// the rest as before. Rules that name `now` are left out: seg bench and the databases would
// resolve it at different instants.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support/random_rules.hpp"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: seg_random_rules COUNT [SEED [SHAPED]]\n");
    return 2;
  }
  long count = std::strtol(argv[1], nullptr, 10);
  unsigned long long seed = argc >= 3 ? std::strtoull(argv[2], nullptr, 10) : 1;
  int shaped = argc == 4 ? std::atoi(argv[3]) : 0;
  if (count < 0 || shaped < 0 || shaped > 100) {
    std::fprintf(stderr, "seg_random_rules: COUNT must be 0 or more and SHAPED a percent (0-100)\n");
    return 2;
  }
  seg::testing::RuleGen gen(seed);
  // The shapes draw from their own generator: SHAPED 0 prints what it always printed.
  seg::testing::RuleGen shapes(seed + 0x5EED);
  for (long printed = 0; printed < count;) {
    std::string r = shaped > 0 && shapes.chance(shaped) ? shapes.shaped() : gen.rule(3);
    if (r.find("now") != std::string::npos || r.find('\n') != std::string::npos) continue;
    std::printf("%s\n", r.c_str());
    ++printed;
  }
  return 0;
}
