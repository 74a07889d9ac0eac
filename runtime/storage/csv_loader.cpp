// Streaming CSV loader in the workload format: a header naming schema fields (any case,
// aliases too), one row per line, `|`-separated sets, empty = null, RFC 4180 quotes
// within a line. Reads fixed-size chunks so memory does not grow with the file.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "runtime/storage/snapshot.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/load_common.hpp"
#include "runtime/storage/row_parser.hpp"

namespace seg::rt {
namespace {

class CsvLoader {
 public:
  CsvLoader(std::string_view name, const Schema& schema, const LoadOptions& opt)
      : name_(name), opt_(opt), builder_(schema), parser_(builder_, opt.limits.max_dictionary_values), report_(name, opt) {
    builder_.set_slices(opt.slices);
    builder_.set_frequent(opt.frequent);
  }

  // Feeds complete lines; returns false once a fatal error stops the load.
  bool line(std::string_view text, uint64_t line_no) {
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!have_header_) return header(text, line_no);
    if (text.empty()) return true;  // blank lines carry no row
    // Nor does a line of only spaces and tabs, when a row has several columns (it was E703
    // "found 1 column", found by a review; JSON Lines skips such lines too). With one column
    // it could be that column's value, so it is read as a row.
    if (cols_.size() > 1 && text.find_first_not_of(" \t") == std::string_view::npos) return true;
    if (!split(text)) {
      const int col = static_cast<int>(cells_.size()) + (split_error_ == kUnterminated ? 1 : 0);
      const std::string name = col > 0 && static_cast<size_t>(col) <= header_names_.size() ? header_names_[col - 1] : "";
      return report_.bad_row(line_no, col, name, "E715", split_message(), parser_);
    }
    if (cells_.size() != cols_.size()) {
      return report_.bad_row(line_no, 0, "", "E703",
                             "expected " + std::to_string(cols_.size()) + " columns, found " +
                                 std::to_string(cells_.size()),
                             parser_);
    }
    std::string code, why;
    for (size_t i = 0; i < cells_.size(); ++i) {
      // An empty field is null; a quoted empty one (`""`) is a string field's empty string,
      // as PostgreSQL's CSV has it and as seg prints one.
      if (quoted_[i] && cells_[i].empty() &&
          builder_.schema().fields[static_cast<size_t>(cols_[i])].type == FieldType::String) {
        builder_.set_string(cols_[i], "");
        continue;
      }
      if (!parser_.cell(cols_[i], cells_[i], code, why))
        return report_.bad_row(line_no, static_cast<int>(i + 1), header_names_[i], code, why, parser_);
    }
    for (int f : missing_)
      if (!parser_.null_cell(f, code, why)) return report_.bad_row(line_no, 0, "", code, why, parser_);
    if (auto id = parser_.id_in(opt_.refused_ids)) {
      const int idc = id_column_;
      return report_.bad_row(line_no, idc + 1, header_names_[static_cast<size_t>(idc)], opt_.refused_id_code,
                             "client " + std::to_string(*id) + " " + opt_.refused_id_reason, parser_);
    }
    if (!parser_.commit_row()) {
      int idc = id_column_;
      return report_.bad_row(line_no, idc + 1, idc >= 0 ? header_names_[static_cast<size_t>(idc)] : "", "E708",
                             "duplicate id " + std::string(idc >= 0 ? cells_[static_cast<size_t>(idc)] : ""),
                             parser_);
    }
    return true;
  }

  bool too_long(uint64_t line_no, size_t max) { return report_.too_long(line_no, max); }
  Reporter& reporter() { return report_; }

  LoadResult finish(uint64_t bytes, double seconds) {
    if (!have_header_ && !report_.fatal()) report_.fail(0, 0, "", "E702", "the file has no header line");
    return report_.finish(builder_, parser_, bytes, seconds);
  }

 private:
  bool header(std::string_view text, uint64_t line_no) {
    have_header_ = true;
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a byte-order mark from spreadsheet exports
    // Other files given for rows, said as what they are (found by a review: a snapshot given to
    // `seg apply` was "lines end with CR alone", UTF-16 a header of NUL bytes).
    if (text.starts_with(std::string_view(kSnapshotMagic, sizeof kSnapshotMagic)))
      return report_.fail(line_no, 0, "", "E702",
                          "this is a seg snapshot (.seg), not rows of CSV or JSON Lines: give the rows it was made from");
    if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") || text.find('\0') != std::string_view::npos)
      return report_.fail(line_no, 0, "", "E702",
                          "the header line holds NUL bytes: the file is UTF-16 or binary, not UTF-8 text; save it as UTF-8 CSV");
    // Lines ended by CR alone (old Mac exports) read as one line: the header's last name ran
    // into the first row (`column 'country\r1'`, found by a review). Said as what it is.
    if (const size_t cr = text.find('\r'); cr != std::string_view::npos)
      return report_.fail(line_no, 0, "", "E702",
                          "the header line holds a carriage return (byte " + std::to_string(cr + 1) +
                              "): the file's lines end with CR alone; convert them to LF or CRLF line ends");
    if (!split(text)) return report_.fail(line_no, static_cast<int>(cells_.size()) + (split_error_ == kUnterminated ? 1 : 0), "", "E715", split_message());
    const Schema& s = builder_.schema();
    std::vector<bool> seen(s.fields.size());
    for (size_t i = 0; i < cells_.size(); ++i) {
      std::string nm(cells_[i]);
      while (!nm.empty() && nm.back() == ' ') nm.pop_back();
      while (!nm.empty() && nm.front() == ' ') nm.erase(nm.begin());
      int f = s.find(nm);
      if (f < 0)
        return report_.fail(line_no, static_cast<int>(i + 1), nm, "E702", "column '" + nm + "' is not a schema field");
      if (seen[static_cast<size_t>(f)])
        return report_.fail(line_no, static_cast<int>(i + 1), nm, "E702",
                            "column '" + nm + "' names field " + s.fields[static_cast<size_t>(f)].name + " twice");
      seen[static_cast<size_t>(f)] = true;
      cols_.push_back(f);
      header_names_.push_back(nm);
      if (f == s.id_field) id_column_ = static_cast<int>(i);
    }
    for (size_t f = 0; f < s.fields.size(); ++f) {
      if (seen[f]) continue;
      const Field& fd = s.fields[f];
      if (!fd.nullable && fd.type != FieldType::Set)
        return report_.fail(line_no, 0, "", "E702", "the header has no column for field " + fd.name + ", which cannot be null");
      if (opt_.whole_rows)
        return report_.fail(line_no, 0, "", "E702",
                            "the header has no column for field " + fd.name +
                                ": a batch's rows replace clients' whole rows, so a field left out would be erased (give "
                                "every field; an empty cell for none)");
      missing_.push_back(static_cast<int>(f));
    }
    return true;
  }

  // Splits a line at commas outside quotes; quoted cells are unescaped into `unquoted_`.
  // Why split() failed: a quoted field with no closing quote on the line (a newline inside
  // quotes, which rows cannot hold), or text between a closing quote and the next comma.
  enum SplitError { kUnterminated, kTextAfterQuote };
  SplitError split_error_ = kUnterminated;
  std::string split_message() const {
    return split_error_ == kUnterminated
               ? "unterminated quoted field (a quoted field must close on its line)"
               : "text after a quoted field's closing quote (write a quote inside quotes as \"\")";
  }

  bool split(std::string_view text) {
    cells_.clear();
    quoted_.clear();
    unquoted_.clear();
    unquoted_.reserve(text.size());  // views into it stay valid for this line
    size_t i = 0;
    while (true) {
      if (i < text.size() && text[i] == '"') {
        size_t start = unquoted_.size();
        ++i;
        while (true) {
          if (i >= text.size()) {
            split_error_ = kUnterminated;
            return false;
          }
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              unquoted_ += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          unquoted_ += text[i++];
        }
        cells_.emplace_back(unquoted_.data() + start, unquoted_.size() - start);
        quoted_.push_back(true);
        if (i < text.size() && text[i] != ',') {
          split_error_ = kTextAfterQuote;
          return false;
        }
      } else {
        const char* p = static_cast<const char*>(std::memchr(text.data() + i, ',', text.size() - i));
        size_t end = p ? static_cast<size_t>(p - text.data()) : text.size();
        cells_.push_back(text.substr(i, end - i));
        quoted_.push_back(false);
        i = end;
      }
      if (i >= text.size()) break;
      ++i;  // the comma
      if (i == text.size()) {
        cells_.emplace_back();
        quoted_.push_back(false);
        break;
      }
    }
    return true;
  }

  std::string name_;
  LoadOptions opt_;
  StoreBuilder builder_;
  RowParser parser_;
  Reporter report_;
  bool have_header_ = false;
  std::vector<int> cols_;      // input column -> field
  std::vector<std::string> header_names_;
  std::vector<int> missing_;   // fields without a column
  int id_column_ = -1;
  std::vector<std::string_view> cells_;
  std::vector<bool> quoted_;  // whether each cell was quoted (`""` is not an empty field)
  std::string unquoted_;
};

}  // namespace

LoadResult load_csv_text(std::string_view text, std::string_view name, const Schema& schema, const LoadOptions& opt) {
  CsvLoader loader(name, schema, opt);
  return load_lines(text, loader, opt);
}

LoadResult load_csv(const std::string& path, const Schema& schema, const LoadOptions& opt) {
  return with_input(path, [&](Input& in) { return load_csv(in, schema, opt); });
}

LoadResult load_csv(Input& in, const Schema& schema, const LoadOptions& opt) {
  CsvLoader loader(in.name(), schema, opt);
  return stream_lines(in, loader, opt);
}

}  // namespace seg::rt
