// The golden-file driver shared by tests/golden_test.cpp, golden_json_test.cpp and cli_test.cpp:
// discovery, the `----` split, comparison with a line diff, SEG_UPDATE_GOLDEN=1 rewriting.
#include "tests/support/golden.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

#include "tests/support/files.hpp"

namespace seg::golden {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSeparator = "\n----\n";
constexpr std::string_view kHeader = "--- ";

bool valid_name(const std::string& name) {
  auto allowed = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
  return !name.empty() && std::all_of(name.begin(), name.end(), allowed);
}

// The lines of a text, without their newlines; a last line without one is a line too.
std::vector<std::string_view> lines_of(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    if (nl == std::string_view::npos) nl = s.size();
    out.push_back(s.substr(0, nl));
    s.remove_prefix(std::min(s.size(), nl + 1));
  }
  return out;
}

// The line of the file where the expected part starts: after the input's lines and `----`.
size_t expected_first_line(const File& f) {
  return static_cast<size_t>(std::count(f.input.begin(), f.input.end(), '\n')) + 3;
}

}  // namespace

// The folder and the file (`cli/eval_rows.txt`): enough to find it, short in CTest's listing.
void PrintTo(const Case& c, std::ostream* os) {
  *os << (c.path.empty() ? c.name : (c.path.parent_path().filename() / c.path.filename()).string());
}

std::vector<Case> cases(const fs::path& dir) {
  std::vector<Case> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && it->path().extension() == ".txt")
      out.push_back({it->path().stem().string(), it->path()});
  std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  if (out.empty()) out.push_back({"NoGoldenFiles", {}});
  return out;
}

std::string test_name(const ::testing::TestParamInfo<Case>& info) {
  std::string n = info.param.name;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

bool updating() {
  const char* u = std::getenv("SEG_UPDATE_GOLDEN");
  return u && std::string_view(u) == "1";
}

::testing::AssertionResult read(const Case& c, File& out) {
  if (c.path.empty()) return ::testing::AssertionFailure() << "the golden folder is missing or has no *.txt file";
  if (!fs::is_regular_file(c.path)) return ::testing::AssertionFailure() << "no golden file " << c.path.string();
  std::string content = testing::slurp(c.path);
  size_t sep = content.find(kSeparator);
  if (sep == std::string::npos)
    return ::testing::AssertionFailure() << "golden file " << c.path.string()
                                         << " has no line `----` between its input and its expected output";
  out.input = content.substr(0, sep);
  out.expected = content.substr(sep + kSeparator.size());
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult matches(const Case& c, const File& file, const std::string& actual) {
  if (updating()) {
    if (actual != file.expected) {
      std::ofstream out(c.path, std::ios::binary);
      out << file.input << kSeparator << actual;
      if (!out) return ::testing::AssertionFailure() << "cannot write golden file " << c.path.string();
    }
    return ::testing::AssertionSuccess();
  }
  if (actual == file.expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "golden file " << c.path.string()
                                       << ": the output differs from the expected part (- expected, + actual):\n"
                                       << line_diff(file.expected, actual, expected_first_line(file))
                                       << "SEG_UPDATE_GOLDEN=1 rewrites the file; review the diff before committing";
}

::testing::AssertionResult well_formed(const fs::path& dir, size_t at_least) {
  if (!fs::is_directory(dir)) return ::testing::AssertionFailure() << dir.string() << " is not a folder";
  size_t count = 0;
  std::string problems;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) continue;
    const fs::path& p = e.path();
    if (p.extension() != ".txt") {
      problems += "\n  " + p.filename().string() + ": not a case (only *.txt files, each a case, belong here)";
      continue;
    }
    ++count;
    if (!valid_name(p.stem().string()))
      problems += "\n  " + p.filename().string() + ": rename it; test names allow letters, digits and `_`";
    if (testing::slurp(p).find(kSeparator) == std::string::npos) problems += "\n  " + p.filename().string() + ": no line `----`";
  }
  if (count < at_least) problems += "\n  " + std::to_string(count) + " cases, fewer than " + std::to_string(at_least);
  if (problems.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << dir.string() << ":" << problems;
}

std::string line_diff(std::string_view expected, std::string_view actual, size_t first_line) {
  auto a = lines_of(expected), b = lines_of(actual);
  // The common head and tail need no search; what is between gets a longest common subsequence
  // (golden files are short; a middle too large for the table is shown as all removed, all added).
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;
  size_t n = a.size() - head - tail, m = b.size() - head - tail;
  struct Op {
    char kind;  // ' ', '-', '+'
    std::string_view line;
    size_t line_a, line_b;  // 0-based positions in the two texts before this line
  };
  std::vector<Op> ops;
  for (size_t i = 0; i < head; ++i) ops.push_back({' ', a[i], i, i});
  if (n * m <= 4'000'000) {
    std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);  // lcs[i*(m+1)+j]: of a's middle from i, b's from j
    for (size_t i = n; i-- > 0;)
      for (size_t j = m; j-- > 0;)
        lcs[i * (m + 1) + j] = a[head + i] == b[head + j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1
                                                          : std::max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
    size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[head + i] == b[head + j]) {
        ops.push_back({' ', a[head + i], head + i, head + j});
        ++i, ++j;
      } else if (i < n && (j == m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1])) {
        ops.push_back({'-', a[head + i], head + i, head + j});  // removals first, as diff -u shows them
        ++i;
      } else {
        ops.push_back({'+', b[head + j], head + i, head + j});
        ++j;
      }
    }
  } else {
    for (size_t i = 0; i < n; ++i) ops.push_back({'-', a[head + i], head + i, head});
    for (size_t j = 0; j < m; ++j) ops.push_back({'+', b[head + j], head + n, head + j});
  }
  for (size_t i = 0; i < tail; ++i) ops.push_back({' ', a[head + n + i], head + n + i, head + m + i});

  // Hunks: the changed lines with three lines of context around them.
  constexpr size_t kContext = 3;
  std::vector<bool> shown(ops.size(), false);
  for (size_t k = 0; k < ops.size(); ++k)
    if (ops[k].kind != ' ')
      for (size_t s = k >= kContext ? k - kContext : 0; s <= std::min(ops.size() - 1, k + kContext); ++s) shown[s] = true;
  std::string out;
  for (size_t k = 0; k < ops.size(); ++k) {
    if (!shown[k]) continue;
    if (k == 0 || !shown[k - 1])
      out += "@@ file line " + std::to_string(first_line + ops[k].line_a) + ", output line " +
             std::to_string(ops[k].line_b + 1) + " @@\n";
    out += ops[k].kind;
    out += ops[k].line;
    out += '\n';
  }
  // A difference in the final newline alone shows no changed line: say it.
  bool a_nl = expected.empty() || expected.back() == '\n', b_nl = actual.empty() || actual.back() == '\n';
  if (a_nl != b_nl) out += std::string("(the ") + (a_nl ? "actual" : "expected") + " output has no newline at its end)\n";
  return out;
}

std::string render(const Section& s) {
  std::string out(kHeader);
  out += s.name;
  if (!s.text.empty() && s.text.back() != '\n') return out + std::string(kNoNewline) + "\n" + s.text + "\n";
  return out + "\n" + s.text;
}

::testing::AssertionResult parse_sections(std::string_view text, std::vector<Section>& out) {
  out.clear();
  bool no_newline = false;
  // The section before the header being read ends: its lines had their newlines added back.
  auto finish = [&] {
    if (!out.empty() && no_newline && !out.back().text.empty()) out.back().text.pop_back();
  };
  size_t number = 0;
  std::string lines = text.empty() ? "" : std::string(text) + "\n";  // the last line's newline went with `----`
  for (std::string_view line : lines_of(lines)) {
    ++number;
    if (line.starts_with(kHeader)) {
      finish();
      std::string_view name = line.substr(kHeader.size());
      no_newline = name.ends_with(kNoNewline);
      if (no_newline) name.remove_suffix(kNoNewline.size());
      out.push_back({std::string(name), ""});
      continue;
    }
    if (out.empty())
      return ::testing::AssertionFailure() << "line " << number
                                           << " belongs to no section (a section starts with a line `--- NAME`)";
    out.back().text.append(line);
    out.back().text += '\n';
  }
  finish();
  return ::testing::AssertionSuccess();
}

}  // namespace seg::golden
