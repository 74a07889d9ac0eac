// Subcommand registration for the `seg` tool: each cmd_*.cpp registers itself here.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace seg::cli {

// Called once with the top-level app; adds the subcommand and its callback. The callback
// stores the process exit code with set_exit (0 fine, 1 rule/data errors, 2 usage or I/O).
using CommandSetup = void (*)(CLI::App& app);
struct CommandRegistrar {
  CommandRegistrar(int order, CommandSetup setup);
};
void set_exit(int code);
int exit_code();

}  // namespace seg::cli
