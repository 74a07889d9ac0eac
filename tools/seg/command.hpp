// Subcommand registration for the `seg` tool: each cmd_*.cpp registers itself here.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace seg::cli {

// Called once with the top-level app; adds the subcommand and its callback. A callback that
// returns has succeeded (exit 0); one that fails says why, then calls exit_with.
using CommandSetup = void (*)(CLI::App& app);
struct CommandRegistrar {
  CommandRegistrar(int order, CommandSetup setup);
};

// A command's end other than success: 1 the rule or the data has errors, 2 usage or I/O.
// Thrown to main(), which returns it; there is no process-wide exit code to forget to reset.
struct Exit {
  int code;
};
[[noreturn]] inline void exit_with(int code) { throw Exit{code}; }

}  // namespace seg::cli
