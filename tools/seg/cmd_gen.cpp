// `seg gen`: writes the reference workload CSV (shared/workload/README.md), byte for byte.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "tools/workload/workload.hpp"
#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace cmd_gen {

struct GenOptions {
  uint64_t rows = 1000000;
  uint64_t seed = rt::kWorkloadSeed;
  std::string out = "-";
};

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("gen", "Generate the reference CRM workload as CSV");
  cmd->footer(
      "Examples:\n"
      "  seg gen --rows 1000000 -o data/clients-1000000.csv\n"
      "  seg gen --rows 10 --seed 7\n"
      "The same --rows and --seed give the same bytes on every machine.\n"
      "Exit codes: 0 written, 2 usage or I/O error.");
  auto o = std::make_shared<GenOptions>();
  cmd->add_option("--rows", o->rows, "Number of clients (default 1,000,000)")->check(in_range(uint64_t{1}, uint64_t{1} << 40));
  cmd->add_option("--seed", o->seed, "Seed (default 42: the reference data's and the quick start's)")->check(whole_number("a seed"));
  cmd->add_option("-o,--output", o->out, "Output file ('-' = stdout, the default)")->type_name("FILE");
  cmd->callback([o] {
    std::FILE* f = o->out == "-" ? stdout : std::fopen(o->out.c_str(), "wb");
    if (!f) {
      fmt::print(stderr, "error: cannot write {}: {}\n", o->out, std::strerror(errno));
      exit_with(2);
    }
    bool tty = isatty(2) && o->rows >= 5000000;
    auto progress = [&](uint64_t done) {
      if (tty) fmt::print(stderr, "\rgenerating: {:3}%", done * 100 / o->rows);
    };
    bool ok = rt::write_workload_csv(f, o->rows, o->seed, progress);
    if (tty) fmt::print(stderr, "\r\033[K");
    if (f != stdout) ok = std::fclose(f) == 0 && ok;
    if (!ok) {
      // To stdout, the one report is main's "cannot write the output" (it said it twice).
      if (f != stdout) fmt::print(stderr, "error: writing {} failed: {}\n", o->out, std::strerror(errno));
      exit_with(2);
    }
  });
}

CommandRegistrar reg(60, setup);
}  // namespace cmd_gen
}  // namespace seg::cli
