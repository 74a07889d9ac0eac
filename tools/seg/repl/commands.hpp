// The REPL's dot-commands (.help, .load, .schema, .values, .ir, .explain, .fmt, .rows, .timer,
// .now, .save, .segments, .members, .quit): one table with usage, help and argument kinds
// (for completion), and one handler each.
#pragma once
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/text_util.hpp"
#include "tools/seg/repl/completion.hpp"
#include "tools/seg/repl/input.hpp"
#include "tools/seg/repl/session.hpp"
#include "tools/seg/repl/table.hpp"

namespace seg::repl {

// `args` are the words after the command; `rest` is the text after the command as typed.
using Handler = void (*)(Session& s, const std::vector<std::string>& args, const std::string& rest, const Out& o);

struct Command {
  CommandInfo info;
  const char* usage;  // ".load FILE"
  const char* help;
  Handler run;
};

const std::vector<Command>& commands();


const std::vector<Command>& commands();

const std::vector<CommandInfo>& command_infos();

// Runs a dot-command line (it starts with '.').
void run_command(Session& s, const std::string& line, const Out& o);

}  // namespace seg::repl
