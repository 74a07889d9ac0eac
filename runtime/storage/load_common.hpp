// Pieces every loader shares: bad-row reporting (stop, or skip and count), warnings, I/O
// failures, and streaming the lines of an input read once.
#pragma once
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>
#include <string>
#include <string_view>

#include "runtime/storage/input.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/row_parser.hpp"
#include "runtime/storage/store_builder.hpp"

namespace seg::rt {

class Reporter {
 public:
  Reporter(std::string_view file, const LoadOptions& opt) : file_(file), opt_(opt) {}

  // A bad row: with skip_bad_rows it is counted and dropped (true: go on); else the load stops.
  bool bad_row(uint64_t line, int column, std::string_view column_name, std::string_view code, std::string msg,
               RowParser& p) {
    p.discard_row();
    if (!opt_.skip_bad_rows) {
      fail(line, column, column_name, code, std::move(msg));
      errors_.back().suggestion = p.take_suggestion();
      if (errors_.back().suggestion.empty()) errors_.back().suggestion = opt_.stop_hint;
      return false;
    }
    ++skipped_;
    if (errors_.size() < opt_.max_reported) {
      errors_.push_back(make(line, column, column_name, code, std::move(msg)));
      errors_.back().suggestion = p.take_suggestion();
    }
    return true;
  }
  // A problem that stops the load whatever the options (the header, I/O).
  bool fail(uint64_t line, int column, std::string_view column_name, std::string_view code, std::string msg) {
    fatal_ = true;
    errors_.push_back(make(line, column, column_name, code, std::move(msg)));
    return false;
  }
  bool fatal() const { return fatal_; }
  void warn(uint64_t line, std::string_view code, std::string msg) {
    LoadError e = make(line, 0, "", code, std::move(msg));
    e.warning = true;
    warnings_.push_back(std::move(e));
  }
  // A line over the limit stops the load: what follows it cannot be trusted to be a row.
  bool too_long(uint64_t line, size_t max) {
    return fail(line, 0, "", "E409",
                "the line is longer than " + std::to_string(max) + " bytes (max_line_bytes); is this a data file?");
  }

  LoadResult finish(StoreBuilder& b, RowParser& p, uint64_t bytes, double seconds) {
    LoadResult r;
    r.skipped = skipped_;
    r.bytes = bytes;
    r.seconds = seconds;
    r.added = std::move(p.added());
    if (!fatal_ && skipped_ > 0 && b.rows() == 0) {
      // Every row was bad: an empty store would be a silent "nobody matches".
      fatal_ = true;
      errors_.insert(errors_.begin(), make(0, 0, "", "E716",
                                           "every one of the " + std::to_string(skipped_) +
                                               " rows is bad; nothing was loaded (the first reasons follow)"));
    }
    r.errors = std::move(errors_);
    if (!fatal_) {
      r.warnings = std::move(warnings_);
      r.store = b.finish();
    }
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
  std::vector<LoadError> warnings_;
  uint64_t skipped_ = 0;
  bool fatal_ = false;
};

LoadResult io_failure(const std::string& path, std::string msg);
// E718: the caller's `cancelled` said stop.
LoadResult cancelled_load(const std::string& path);

// Opens `path` once (E701 when it cannot be) and hands the input to `load`: the one place
// every path-taking loader opens its file.
template <class Load>
LoadResult with_input(const std::string& path, Load&& load) {
  Input in;
  std::string error;
  if (!in.open(path, error)) return io_failure(path, std::move(error));
  return load(in);
}

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
    // A CRLF line's CR is part of its newline, not of the line (docs/limits.md); before its
    // LF is read a CR at the end may be one. At the end of the input it is the line's.
    size_t len = end - pos;
    if (len > 0 && text[end - 1] == '\r' && (nl || !final)) --len;
    if (len > max_line) {
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

// A last line without a newline may be a row cut short (`...,12345` cut to `...,12` still
// loads): never silent. `tail` is what follows the last newline.
template <class Loader>
void check_last_line(std::string_view tail, uint64_t line_no, Loader& loader) {
  if (tail.find_first_not_of(" \t\r") == std::string_view::npos) return;
  loader.reporter().warn(line_no, "W701",
                         "the last line has no newline at its end; if the file was cut short, this row is "
                         "incomplete (end every line with a newline to silence this)");
}

// Loads `text` held in memory.
template <class Loader>
LoadResult load_lines(std::string_view text, Loader& loader, const LoadOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  uint64_t line_no = 0;
  size_t consumed = 0;
  if (feed_lines(text, line_no, true, opt.limits.max_line_bytes, loader, consumed)) {
    size_t nl = text.rfind('\n');
    check_last_line(text.substr(nl == std::string_view::npos ? 0 : nl + 1), line_no, loader);
  }
  return loader.finish(text.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

// Streams an input in chunks so memory does not grow with it; the buffer grows only to hold
// one line longer than it, and never much past max_line_bytes.
template <class Loader>
LoadResult stream_lines(Input& in, Loader& loader, const LoadOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  // The longest line and its newline, CR LF (max + 2 without wrapping for a limit near
  // SIZE_MAX): a full buffer reads nothing more, which would look like the end of the input.
  const size_t cap = std::max(opt.limits.max_line_bytes, opt.limits.max_line_bytes + 2);
  // Chunks of 4 MB, or the whole file and one byte if it is smaller (a batch of a few rows),
  // and never zeroed: a zeroed 4 MB for every small load was most of what loading a
  // one-row batch cost (the kernel clearing its pages).
  const size_t chunk = std::min(size_t{4} << 20, cap);
  size_t size = chunk;
  if (in.size() > 0 && in.size() < size) size = std::max<size_t>(static_cast<size_t>(in.size()) + 1, std::min<size_t>(4096, size));
  std::unique_ptr<char[]> buf(new char[size]);
  size_t have = 0;
  uint64_t line_no = 0, bytes = 0;
  while (true) {
    ssize_t n = in.read(buf.get() + have, size - have);
    if (n < 0) return io_failure(in.name(), "read error: " + std::string(std::strerror(errno)));
    bool eof = n == 0;
    bytes += static_cast<uint64_t>(n);
    have += static_cast<size_t>(n);
    size_t consumed = 0;
    std::string_view held(buf.get(), have);
    bool go = feed_lines(held, line_no, eof, opt.limits.max_line_bytes, loader, consumed);
    if (!go) break;
    if (eof) {
      // Nothing new was read: `held` is what followed the last newline.
      check_last_line(held, line_no, loader);
      break;
    }
    std::memmove(buf.get(), buf.get() + consumed, have - consumed);
    have -= consumed;
    // A long line, or a file that grew since it was opened (read on in chunks again).
    const size_t bigger = have == size ? std::min(std::max(size * 2, chunk), cap) : chunk;
    if ((have == size || bytes > in.size()) && bigger > size) {
      std::unique_ptr<char[]> grown(new char[bigger]);
      std::memcpy(grown.get(), buf.get(), have);
      buf = std::move(grown);
      size = bigger;
    }
    if (opt.progress) opt.progress(bytes, in.size());
    if (opt.cancelled && opt.cancelled()) return cancelled_load(in.name());
  }
  return loader.finish(bytes, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace seg::rt
