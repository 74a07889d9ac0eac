// The one golden-file driver of the check, IR JSON and command-line goldens: every `*.txt` of a
// folder is a test case, split at its first line `----` into the input and the expected output,
// compared with a line diff, rewritten in place when SEG_UPDATE_GOLDEN=1. docs/testing.md.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace seg::golden {

// One golden file. A folder that is missing or has no `*.txt` gives a single case with an
// empty `path` whose test fails: otherwise a moved or emptied folder would pass with no test.
struct Case {
  std::string name;  // the file name without `.txt`
  std::filesystem::path path;
};
// What GoogleTest prints for a case (by default it would dump the struct's bytes).
void PrintTo(const Case& c, std::ostream* os);

// The cases of `dir`, sorted by name, for ::testing::ValuesIn.
std::vector<Case> cases(const std::filesystem::path& dir);

// The test's name: the file name, with what GoogleTest does not allow in a name turned into `_`
// (well_formed() fails such a file, so the renaming only keeps the binary from aborting).
std::string test_name(const ::testing::TestParamInfo<Case>& info);

// A golden file, split at its first line that is exactly `----`.
struct File {
  std::string input;     // everything before that line, without the newline that ends the last line
  std::string expected;  // everything after it
};

// Reads and splits the case's file; fails when it cannot be read or has no `----` line.
::testing::AssertionResult read(const Case& c, File& out);

// Compares `actual` with the expected part and fails with a line diff; with SEG_UPDATE_GOLDEN=1
// writes `actual` in its place instead (the input part byte for byte) and succeeds.
::testing::AssertionResult matches(const Case& c, const File& file, const std::string& actual);

// The folder as a whole: it exists, holds at least `at_least` cases, every file directly in it
// is a case (`.txt`; a fixture or a file of a removed case left behind fails) with a `----`
// line and a name of letters, digits and `_`. Subfolders (check's `schemas/`) are not cases.
::testing::AssertionResult well_formed(const std::filesystem::path& dir, size_t at_least);

// True when SEG_UPDATE_GOLDEN=1: the drivers write what they see instead of comparing.
bool updating();

// A line diff of two texts, `-` expected and `+` actual, with three lines of context; hunks give
// the line in the file (the expected text starting at `first_line`) and in the output.
std::string line_diff(std::string_view expected, std::string_view actual, size_t first_line = 1);

// A named block of lines, for files whose parts hold several texts: a header line `--- NAME`
// (NAME may hold words after the first), then the text, which ends with a newline unless the
// header ends in kNoNewline. Text is taken as is, so a line of it cannot start with `--- `.
struct Section {
  std::string name;
  std::string text;
};
inline constexpr std::string_view kNoNewline = " (no newline at end)";

// The section as it stands in a file.
std::string render(const Section& s);

// The sections of `text`, whose last line has no newline (as in a golden file's input part:
// that newline belongs to the `----` line); fails on a line before the first header. `out` is replaced.
::testing::AssertionResult parse_sections(std::string_view text, std::vector<Section>& out);

}  // namespace seg::golden
