// seg_random_rules: prints random rules over the bundled CRM schema, one a line, for the
// side-by-side benchmark (tools/bench_peers.sh --random N). Rules that name `now` are left
// out: seg bench and the databases would resolve it at different instants.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support/random_rules.hpp"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: seg_random_rules COUNT [SEED]\n");
    return 2;
  }
  long count = std::strtol(argv[1], nullptr, 10);
  unsigned long long seed = argc == 3 ? std::strtoull(argv[2], nullptr, 10) : 1;
  seg::testing::RuleGen gen(seed);
  for (long printed = 0; printed < count;) {
    std::string r = gen.rule(3);
    if (r.find("now") != std::string::npos || r.find('\n') != std::string::npos) continue;
    std::printf("%s\n", r.c_str());
    ++printed;
  }
  return 0;
}
