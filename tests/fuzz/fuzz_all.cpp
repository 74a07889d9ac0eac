// Every libFuzzer target in one binary (docs/fuzzing.md): seg_fuzz_<name>, a link to it, runs
// target <name>, as a binary of its own would. One binary compiles the headers the targets
// share once and links once: eleven binaries took about 100 s of CI's 2 cores in the ASan
// build, one takes about a quarter of that. SEG_FUZZ_TARGET=<name> chooses a target whatever
// the binary is called.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "tests/fuzz/fuzz_csv.cpp"
#include "tests/fuzz/fuzz_form_json.cpp"
#include "tests/fuzz/fuzz_import.cpp"
#include "tests/fuzz/fuzz_interpreter.cpp"
#include "tests/fuzz/fuzz_ir_json.cpp"
#include "tests/fuzz/fuzz_rule.cpp"
#include "tests/fuzz/fuzz_schema_json.cpp"
#include "tests/fuzz/fuzz_service.cpp"
#include "tests/fuzz/fuzz_snapshot.cpp"
#include "tests/fuzz/fuzz_sql.cpp"

namespace {

using Target = int (*)(const uint8_t*, size_t);
struct Named {
  const char* name;
  Target run;
};
constexpr Named kTargets[] = {
    {"rule", seg_fuzz_rule},         {"ir_json", seg_fuzz_ir_json},       {"form_json", seg_fuzz_form_json},
    {"schema_json", seg_fuzz_schema_json}, {"csv", seg_fuzz_csv},         {"snapshot", seg_fuzz_snapshot},
    {"interpreter", seg_fuzz_interpreter}, {"import", seg_fuzz_import},   {"sql", seg_fuzz_sql},
    {"service", seg_fuzz_service},
};

Target chosen = nullptr;

}  // namespace

// libFuzzer calls this once, before any input, with the command line it was started with
// (it starts its -jobs and -fork workers through argv[0] too, so they run the same target).
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  std::string_view name;
  if (const char* e = std::getenv("SEG_FUZZ_TARGET"); e && *e) {
    name = e;
  } else if (*argc > 0) {
    name = (*argv)[0];
    if (size_t slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
    if (name.substr(0, 9) == "seg_fuzz_") name.remove_prefix(9);
  }
  for (const Named& t : kTargets)
    if (name == t.name) chosen = t.run;
  if (!chosen) {
    std::fprintf(stderr, "seg fuzz: no target named '%.*s': run it as seg_fuzz_<target> or set SEG_FUZZ_TARGET to one of:",
                 static_cast<int>(name.size()), name.data());
    for (const Named& t : kTargets) std::fprintf(stderr, " %s", t.name);
    std::fprintf(stderr, "\n");
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return chosen(data, size); }
