// Shared loader plumbing (errors, progress) and the choice of loader by file content.
#include "runtime/load.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/load_common.hpp"
#include "runtime/snapshot.hpp"

namespace seg::rt {

std::string LoadError::to_string() const {
  std::string s = file;
  if (line) s.append(":").append(std::to_string(line));
  s += ": ";
  if (column) {
    s.append("column ").append(std::to_string(column));
    if (!column_name.empty()) s.append(" (").append(column_name).append(")");
    s.append(": ");
  } else if (!column_name.empty()) {
    s.append("field ").append(column_name).append(": ");
  }
  s.append("error[").append(code).append("]: ").append(message);
  return s;
}

LoadResult io_failure(const std::string& path, std::string msg) {
  LoadResult r;
  LoadError e;
  e.code = "E701";
  e.file = path;
  e.message = std::move(msg);
  r.errors.push_back(std::move(e));
  return r;
}

uint64_t file_size(std::FILE* f) {
  struct stat st;
  if (fstat(fileno(f), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

Progress::Progress(std::string name, uint64_t total, bool enabled)
    : name_(std::move(name)), total_(total), enabled_(enabled && isatty(2)) {
  start_ = last_ = std::chrono::steady_clock::now();
}

void Progress::update(uint64_t bytes) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(250)) return;
  last_ = now;
  shown_ = true;
  if (total_)
    std::fprintf(stderr, "\rloading %s: %3d%% (%llu MB)", name_.c_str(), static_cast<int>(100.0 * bytes / total_),
                 static_cast<unsigned long long>(bytes >> 20));
  else
    std::fprintf(stderr, "\rloading %s: %llu MB", name_.c_str(), static_cast<unsigned long long>(bytes >> 20));
}

void Progress::done() {
  if (shown_) std::fprintf(stderr, "\r\033[K");
  shown_ = false;
}

static bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

LoadResult load_data(const std::string& path, const Schema& schema, const LoadOptions& options) {
  char head[8] = {};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return io_failure(path, "cannot open: " + std::string(std::strerror(errno)));
  size_t n = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  if (n == sizeof head && std::memcmp(head, kSnapshotMagic, sizeof head) == 0) return open_snapshot(path, options);
  if (ends_with(path, ".seg")) return open_snapshot(path, options);  // a clear error for a damaged one
  size_t first = 0;
  while (first < n && (head[first] == ' ' || head[first] == '\n' || head[first] == '\r' || head[first] == '\t')) ++first;
  if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || (first < n && head[first] == '{'))
    return load_jsonl(path, schema, options);
  return load_csv(path, schema, options);
}

}  // namespace seg::rt
