// Pieces every loader shares: bad-row reporting (stop, or skip and count), I/O failures,
// and progress on stderr for long loads.
#pragma once
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>
#include <string>
#include <string_view>

#include "runtime/load.hpp"
#include "runtime/row_parser.hpp"
#include "runtime/store_builder.hpp"

namespace seg::rt {

class Reporter {
 public:
  Reporter(std::string_view file, const LoadOptions& opt) : file_(file), opt_(opt) {}

  // A bad row: with skip_bad_rows it is counted and dropped (true: go on); else the load stops.
  bool bad_row(uint64_t line, int column, std::string_view column_name, std::string_view code, std::string msg,
               StoreBuilder& b) {
    b.discard_row();
    if (!opt_.skip_bad_rows) return fail(line, column, column_name, code, std::move(msg));
    ++skipped_;
    if (errors_.size() < opt_.max_reported) errors_.push_back(make(line, column, column_name, code, std::move(msg)));
    return true;
  }
  // A problem that stops the load whatever the options (the header, I/O).
  bool fail(uint64_t line, int column, std::string_view column_name, std::string_view code, std::string msg) {
    fatal_ = true;
    errors_.push_back(make(line, column, column_name, code, std::move(msg)));
    return false;
  }
  bool fatal() const { return fatal_; }
  // A line over the limit stops the load: what follows it cannot be trusted to be a row.
  bool too_long(uint64_t line, size_t max) {
    return fail(line, 0, "", "E409",
                "the line is longer than " + std::to_string(max) + " bytes (max_line_bytes); is this a data file?");
  }

  LoadResult finish(StoreBuilder& b, RowParser& p, uint64_t bytes, double seconds) {
    LoadResult r;
    r.errors = std::move(errors_);
    r.skipped = skipped_;
    r.bytes = bytes;
    r.seconds = seconds;
    r.added = std::move(p.added());
    if (!fatal_) r.store = b.finish();
    return r;
  }

 private:
  LoadError make(uint64_t line, int column, std::string_view column_name, std::string_view code, std::string msg) {
    LoadError e;
    e.code = code;
    e.file = file_;
    e.line = line;
    e.column = column;
    e.column_name = column_name;
    e.message = std::move(msg);
    return e;
  }
  std::string file_;
  LoadOptions opt_;
  std::vector<LoadError> errors_;
  uint64_t skipped_ = 0;
  bool fatal_ = false;
};

LoadResult io_failure(const std::string& path, std::string msg);
uint64_t file_size(std::FILE* f);


// "\rloading FILE: 42% (420 MB)" on a terminal, only once a load has run for a second.
class Progress {
 public:
  Progress(std::string name, uint64_t total, bool enabled);
  void update(uint64_t bytes);
  void done();

 private:
  std::string name_;
  uint64_t total_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

// Feeds the complete lines of `text` (without '\n') to loader.line(line, number), and when
// `final` the last one without a newline too. A line longer than `max_line` stops the load
// (loader.too_long), even before its newline has been read. `consumed` is set to the bytes
// used; returns false once the load has stopped.
template <class Loader>
bool feed_lines(std::string_view text, uint64_t& line_no, bool final, size_t max_line, Loader& loader,
                size_t& consumed) {
  size_t pos = 0;
  bool go = true;
  while (go && pos < text.size()) {
    const char* nl = static_cast<const char*>(std::memchr(text.data() + pos, '\n', text.size() - pos));
    size_t end = nl ? static_cast<size_t>(nl - text.data()) : text.size();
    if (end - pos > max_line) {
      consumed = pos;
      return loader.too_long(line_no + 1, max_line);
    }
    if (!nl && !final) break;
    go = loader.line(text.substr(pos, end - pos), ++line_no);
    pos = nl ? end + 1 : end;
  }
  consumed = pos;
  return go;
}

// Loads `text` held in memory.
template <class Loader>
LoadResult load_lines(std::string_view text, Loader& loader, const LoadOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  uint64_t line_no = 0;
  size_t consumed = 0;
  feed_lines(text, line_no, true, opt.limits.max_line_bytes, loader, consumed);
  return loader.finish(text.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

// Streams a file in chunks so memory does not grow with it; the buffer grows only to hold
// one line longer than it, and never much past max_line_bytes.
template <class Loader>
LoadResult stream_lines(const std::string& path, Loader& loader, const LoadOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return io_failure(path, "cannot open: " + std::string(std::strerror(errno)));
  Progress progress(path, file_size(f), opt.progress);
  // The longest line and its newline (max + 1 without wrapping for a limit of SIZE_MAX).
  const size_t cap = std::max(opt.limits.max_line_bytes, opt.limits.max_line_bytes + 1);
  std::vector<char> buf(std::min(size_t{4} << 20, cap));
  size_t have = 0;
  uint64_t line_no = 0, bytes = 0;
  while (true) {
    size_t n = std::fread(buf.data() + have, 1, buf.size() - have, f);
    bool eof = n == 0;
    if (eof && std::ferror(f)) {
      std::fclose(f);
      return io_failure(path, "read error: " + std::string(std::strerror(errno)));
    }
    bytes += n;
    have += n;
    size_t consumed = 0;
    bool go = feed_lines({buf.data(), have}, line_no, eof, opt.limits.max_line_bytes, loader, consumed);
    if (eof || !go) break;
    std::memmove(buf.data(), buf.data() + consumed, have - consumed);
    have -= consumed;
    if (have == buf.size()) buf.resize(std::min(buf.size() * 2, cap));  // a long line
    progress.update(bytes);
  }
  std::fclose(f);
  progress.done();
  return loader.finish(bytes, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace seg::rt
