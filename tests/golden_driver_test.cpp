// The golden-file driver itself (tests/support/golden.hpp), on golden files written to a
// temporary folder: discovery, the `----` split, the diff of a failure, SEG_UPDATE_GOLDEN=1, the
// checks of a folder, and sections. The real goldens only show that it passes on good files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "tests/support/golden.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace seg {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Sets SEG_UPDATE_GOLDEN for one test and puts back what it was: the suite may itself run with
// SEG_UPDATE_GOLDEN=1, and these tests need both modes.
class UpdateMode {
 public:
  explicit UpdateMode(bool on) {
    if (const char* v = std::getenv("SEG_UPDATE_GOLDEN")) saved_ = v;
    if (on) ::setenv("SEG_UPDATE_GOLDEN", "1", 1);
    else ::unsetenv("SEG_UPDATE_GOLDEN");
  }
  ~UpdateMode() {
    if (saved_) ::setenv("SEG_UPDATE_GOLDEN", saved_->c_str(), 1);
    else ::unsetenv("SEG_UPDATE_GOLDEN");
  }
  UpdateMode(const UpdateMode&) = delete;
  UpdateMode& operator=(const UpdateMode&) = delete;

 private:
  std::optional<std::string> saved_;
};

TEST(GoldenDriver, EveryTxtFileIsACaseInNameOrder) {
  testing::TempDir dir("seg-golden-driver");
  write(dir.path / "b.txt", "x\n----\n");
  write(dir.path / "a.txt", "x\n----\n");
  write(dir.path / "notes.md", "not a case");
  fs::create_directory(dir.path / "schemas.txt");  // a folder, whatever its name
  auto cases = golden::cases(dir.path);
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].name, "a");
  EXPECT_EQ(cases[1].name, "b");
  EXPECT_EQ(cases[1].path, dir.path / "b.txt");
}

TEST(GoldenDriver, AMissingOrEmptyFolderIsOneFailingCase) {
  testing::TempDir dir("seg-golden-driver");
  for (const fs::path& folder : {dir.path, dir.path / "missing"}) {
    auto cases = golden::cases(folder);
    ASSERT_EQ(cases.size(), 1u) << folder;
    EXPECT_EQ(cases[0].name, "NoGoldenFiles");
    golden::File f;
    EXPECT_FALSE(golden::read(cases[0], f));
    EXPECT_FALSE(golden::well_formed(folder, 1));
  }
}

TEST(GoldenDriver, SplitsAtTheFirstSeparatorLine) {
  testing::TempDir dir("seg-golden-driver");
  write(dir.path / "a.txt", "rule\n\n----\nout\n----\nmore\n");
  write(dir.path / "b.txt", "rule ----\n---- \n");
  golden::File f;
  ASSERT_TRUE(golden::read({"a", dir.path / "a.txt"}, f));
  EXPECT_EQ(f.input, "rule\n");  // the blank line before `----` ends the input with a newline
  EXPECT_EQ(f.expected, "out\n----\nmore\n");
  EXPECT_FALSE(golden::read({"b", dir.path / "b.txt"}, f));
  EXPECT_FALSE(golden::read({"c", dir.path / "c.txt"}, f));
}

TEST(GoldenDriver, AMismatchFailsWithALineDiffAndLeavesTheFile) {
  UpdateMode compare(false);
  testing::TempDir dir("seg-golden-driver");
  const std::string content = "in\n----\none\ntwo\nthree\nfour\nfive\nsix\nseven\n";
  write(dir.path / "a.txt", content);
  golden::Case c{"a", dir.path / "a.txt"};
  golden::File f;
  ASSERT_TRUE(golden::read(c, f));
  EXPECT_TRUE(golden::matches(c, f, f.expected));
  auto r = golden::matches(c, f, "one\ntwo\nthree\nFOUR\nfive\nsix\nseven\n");
  ASSERT_FALSE(r);
  // The hunk names the line in the file (the expected part starts on line 3) and in the output.
  std::string_view hunk = "@@ file line 3, output line 1 @@\n one\n two\n three\n-four\n+FOUR\n five\n six\n seven\n";
  EXPECT_NE(std::string(r.message()).find(hunk), std::string::npos) << r.message();
  EXPECT_EQ(testing::slurp(c.path), content);
}

TEST(GoldenDriver, UpdateRewritesTheExpectedPartOnly) {
  UpdateMode update(true);
  testing::TempDir dir("seg-golden-driver");
  write(dir.path / "a.txt", "in\n\n----\nold\n");
  golden::Case c{"a", dir.path / "a.txt"};
  golden::File f;
  ASSERT_TRUE(golden::read(c, f));
  EXPECT_TRUE(golden::matches(c, f, "new\nlines\n"));
  EXPECT_EQ(testing::slurp(c.path), "in\n\n----\nnew\nlines\n");
}

TEST(GoldenDriver, LineDiffShowsOnlyTheChangesWithContext) {
  EXPECT_EQ(golden::line_diff("a\nb\nc\n", "a\nc\nd\n"), "@@ file line 1, output line 1 @@\n a\n-b\n c\n+d\n");
  // Far apart changes are separate hunks; unchanged lines between them are left out.
  std::string expected, actual;
  for (int i = 0; i < 20; ++i) {
    expected += std::to_string(i) + "\n";
    actual += (i == 2 || i == 15 ? "x" : std::to_string(i)) + "\n";
  }
  EXPECT_EQ(golden::line_diff(expected, actual),
            "@@ file line 1, output line 1 @@\n 0\n 1\n-2\n+x\n 3\n 4\n 5\n"
            "@@ file line 13, output line 13 @@\n 12\n 13\n 14\n-15\n+x\n 16\n 17\n 18\n");
  EXPECT_EQ(golden::line_diff("a\n", "a"), "(the actual output has no newline at its end)\n");
}

TEST(GoldenDriver, AFolderIsCheckedAsAWhole) {
  testing::TempDir dir("seg-golden-driver");
  write(dir.path / "good.txt", "x\n----\n");
  EXPECT_TRUE(golden::well_formed(dir.path, 1));
  EXPECT_FALSE(golden::well_formed(dir.path, 2));  // fewer cases than the floor
  // A fixture left behind, a name GoogleTest cannot use, a file without `----`.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"clients.csv", "a,b\n"}, {"no-dash.txt", "x\n----\n"}, {"none.txt", "x\n"}};
  for (const auto& [file, text] : bad) {
    write(dir.path / file, text);
    auto r = golden::well_formed(dir.path, 1);
    EXPECT_FALSE(r) << file;
    EXPECT_NE(std::string(r.message()).find(file), std::string::npos) << r.message();
    fs::remove(dir.path / file);
  }
}

TEST(GoldenDriver, SectionsRoundTrip) {
  std::vector<golden::Section> in = {{"stdin", "a\n\nb\n"}, {"file x.csv", "no newline"}, {"normalize times", ""}};
  std::string text;
  for (const auto& s : in) text += golden::render(s);
  EXPECT_EQ(text, "--- stdin\na\n\nb\n--- file x.csv (no newline at end)\nno newline\n--- normalize times\n");
  // As in a golden file's input part, the last newline went with the `----` line.
  text.pop_back();
  std::vector<golden::Section> out;
  ASSERT_TRUE(golden::parse_sections(text, out));
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].name, in[i].name);
    EXPECT_EQ(out[i].text, in[i].text);
  }
  EXPECT_FALSE(golden::parse_sections("text before any header\n--- stdin", out));
}

}  // namespace
}  // namespace seg
