// REPL input: history entries and dot-command words (figures for people are in
// tools/seg/figures.hpp). Whether a rule goes on to another line is the library's
// (api::rule_is_unfinished, api::line_continues_rule): the grammar decides, not a second lexer.
#pragma once
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/text_util.hpp"
#include "tools/seg/figures.hpp"

namespace seg::repl {

std::string trim(std::string_view s);

// A rule typed over several lines as one history entry: the lines without their comments,
// joined by single spaces, so recalling it gives one editable line that means the same.
std::string history_entry(const std::vector<std::string>& lines);

// Whitespace-separated words of a dot-command line; a word may be quoted with "..." or '...',
// in which a backslash takes the next character as it is (`"say \"hi\""`). A quote never
// closed puts its position in `unclosed` (when given, and npos before), the word taken to the
// end of the line.
std::vector<std::string> split_words(std::string_view line, size_t* unclosed = nullptr);

using cli::grouped;  // tools/seg/common.hpp

}  // namespace seg::repl
