// Shared loader plumbing (errors) and the choice of loader by the content of an input read once.
#include "runtime/storage/load.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/storage/input.hpp"
#include "runtime/storage/load_common.hpp"
#include "runtime/storage/snapshot.hpp"

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
  s.append(warning ? "warning[" : "error[").append(code).append("]: ").append(message);
  return s;
}

LoadResult cancelled_load(const std::string& path) {
  LoadResult r = io_failure(path, "the load was stopped before its end (nothing of it is kept)");
  r.errors[0].code = "E718";
  return r;
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


static bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

LoadResult load_data(const std::string& path, const Schema& schema, const LoadOptions& options) {
  return with_input(path, [&](Input& in) { return load_data(in, schema, options); });
}

// JSON Lines when the first byte that is not blank opens an object; CSV otherwise. A UTF-8
// byte order mark before it is skipped, as both loaders skip it (a JSON Lines file with one
// was read as CSV from stdin; found by a review).
// The first byte that is not blank, past a byte order mark (npos when there is none yet).
static size_t first_text_byte(std::string_view head) {
  const size_t mark = head.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  return head.find_first_not_of(" \n\r\t", mark);
}

bool starts_like_jsonl(std::string_view head) {
  const size_t first = first_text_byte(head);
  return first != std::string_view::npos && head[first] == '{';
}

LoadResult load_data(Input& in, const Schema& schema, const LoadOptions& options) {
  // The format from a prefix read once: peeking keeps the bytes for the loader.
  // Blank lines and spaces before the first row are read past, up to 64 KB of them (a JSON
  // Lines file with eight of them was read as CSV; found by a review).
  std::string error;
  std::string_view head;
  for (size_t want = sizeof kSnapshotMagic;; want *= 2) {
    head = in.peek(want, error);
    if (!error.empty()) return io_failure(in.name(), std::move(error));
    if (head.size() < want || first_text_byte(head) != std::string_view::npos || want >= (64u << 10)) break;
  }
  const std::string& name = in.name();
  if (head.size() == sizeof kSnapshotMagic && std::memcmp(head.data(), kSnapshotMagic, sizeof kSnapshotMagic) == 0)
    return open_snapshot(in, options);
  if (ends_with(name, ".seg")) return open_snapshot(in, options);  // a clear error for a damaged one
  if (ends_with(name, ".jsonl") || ends_with(name, ".ndjson") || starts_like_jsonl(head)) return load_jsonl(in, schema, options);
  return load_csv(in, schema, options);
}

LoadResult load_text(std::string_view text, std::string_view name, const Schema& schema, const LoadOptions& options) {
  return starts_like_jsonl(text) ? load_jsonl_text(text, name, schema, options) : load_csv_text(text, name, schema, options);
}

}  // namespace seg::rt
