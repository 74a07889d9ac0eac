// Tab completion for the REPL (see completion.hpp).
#include "tools/seg/repl/completion.hpp"

namespace seg::repl {
namespace detail {

std::vector<std::string> file_matches(const std::string& word) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  size_t slash = word.rfind('/');
  std::string dir = slash == std::string::npos ? "" : word.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? word : word.substr(slash + 1);
  std::error_code ec;
  fs::directory_iterator it(dir.empty() ? fs::path(".") : fs::path(dir), ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || (name[0] == '.' && (base.empty() || base[0] != '.'))) continue;
    if (name.compare(0, base.size(), base) != 0) continue;
    std::error_code dec;
    out.push_back(dir + name + (it->is_directory(dec) ? "/" : ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace detail

Completions complete(std::string_view line, const CompletionContext& ctx) {
  using namespace detail;
  Completions c;
  const api::Schema& schema = *ctx.schema;

  // A dot-command and its arguments (only at the start of an entry).
  size_t first = line.find_first_not_of(" \t");
  if (ctx.earlier.empty() && first != std::string_view::npos && line[first] == '.') {
    size_t ws = line.find_last_of(" \t");
    if (ws == std::string_view::npos || ws < first) {
      c.start = first;
      c.word = std::string(line.substr(first));
      if (ctx.commands)
        for (const auto& cmd : *ctx.commands)
          if (starts_with_ci(cmd.name, c.word)) c.matches.push_back(cmd.name);
      return c;
    }
    // Which argument: count the words before the cursor.
    std::string_view head = line.substr(first);
    size_t cmd_end = head.find_first_of(" \t");
    std::string name(head.substr(0, cmd_end));
    const CommandInfo* info = nullptr;
    if (ctx.commands)
      for (const auto& cmd : *ctx.commands)
        if (iequals(cmd.name, name)) info = &cmd;
    c.start = ws + 1;
    c.word = std::string(line.substr(c.start));
    if (!info) return c;
    size_t words = 0;
    bool in_word = false;
    for (size_t i = first + cmd_end; i < c.start; ++i) {
      bool sp = line[i] == ' ' || line[i] == '\t';
      if (!sp && !in_word) ++words;
      in_word = !sp;
    }
    if (words >= info->args.size()) return c;
    switch (info->args[words]) {
      case Arg::File:
        c.matches = file_matches(c.word);
        c.add_space = !(c.matches.size() == 1 && c.matches[0].back() == '/');
        break;
      case Arg::Field:
        for (const auto& f : schema.field_names())
          if (starts_with_ci(f, c.word)) c.matches.push_back(f);
        break;
      case Arg::Segment:
        for (const auto& s : ctx.segments)
          if (starts_with_ci(s, c.word)) c.matches.push_back(s);
        break;
      case Arg::OnOff:
        for (const char* v : {"on", "off"})
          if (starts_with_ci(v, c.word)) c.matches.emplace_back(v);
        break;
      case Arg::Command:
        if (ctx.commands)
          for (const auto& cmd : *ctx.commands)
            if (starts_with_ci(cmd.name, c.word) || starts_with_ci(cmd.name.substr(1), c.word))
              c.matches.push_back(c.word.empty() || c.word[0] == '.' ? cmd.name : cmd.name.substr(1));
        break;
      case Arg::Rule: break;
    }
    return c;
  }

  // A rule (maybe continuing earlier lines): the library completes it.
  std::string all = ctx.earlier.empty() ? std::string(line) : ctx.earlier + "\n" + std::string(line);
  api::Completion r = api::complete(all, schema);
  size_t offset = all.size() - line.size();
  c.start = r.start >= offset ? r.start - offset : 0;
  c.word = std::move(r.word);
  c.matches = std::move(r.matches);
  c.add_space = r.add_space;
  return c;
}

std::string common_prefix(const std::vector<std::string>& matches) {
  if (matches.empty()) return "";
  size_t n = matches[0].size();
  for (const auto& m : matches) {
    size_t i = 0;
    while (i < n && i < m.size() &&
           std::tolower(static_cast<unsigned char>(m[i])) == std::tolower(static_cast<unsigned char>(matches[0][i])))
      ++i;
    n = i;
  }
  return matches[0].substr(0, n);
}

}  // namespace seg::repl
