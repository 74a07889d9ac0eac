// Pieces every loader shares: bad-row reporting (stop, or skip and count), I/O failures,
// and progress on stderr for long loads.
#pragma once
#include <chrono>
#include <cstdio>
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

}  // namespace seg::rt
