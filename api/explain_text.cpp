// Explain::text: the plan as `seg explain` and the REPL's `.explain` print it, one writer for
// both (they printed it two ways: the REPL without the kernel, the zone maps or the path; a
// review). The JSON form is ExplainNode::json.
#include <fmt/format.h>

#include <algorithm>

#include "base/text_util.hpp"
#include "seg/seg.hpp"

namespace seg::api {
namespace {

// The plan column is as wide as its widest label (in terminal columns), up to kMaxLabel; a
// longer label is cut with "…" so the figures stay in their columns.
constexpr size_t kMaxLabel = 100;

std::string node_label(const ExplainNode& n, int depth) {
  std::string what = std::string(static_cast<size_t>(depth) * 2, ' ') + n.label;
  if (display_columns(what) <= kMaxLabel) return what;
  size_t keep = 0, seen = 0;
  while (keep < what.size() && seen < kMaxLabel - 1) {
    ++keep;
    while (keep < what.size() && (static_cast<unsigned char>(what[keep]) & 0xC0) == 0x80) ++keep;
    ++seen;
  }
  return what.substr(0, keep) + "…";
}

size_t label_width(const ExplainNode& n, int depth) {
  size_t w = display_columns(node_label(n, depth));
  for (const auto& k : n.children) w = std::max(w, label_width(k, depth + 1));
  return w;
}

void node_text(const ExplainNode& n, int depth, size_t width, std::string& out) {
  std::string what = node_label(n, depth);
  out += what + std::string(width - display_columns(what), ' ');
  out += fmt::format(" {:>11} {:>11} {:>9.3f} ms  est {:>6.2f}%  [{}{}]\n", n.rows_in, n.rows_out, n.ms,
                     n.estimated_selectivity * 100, n.kernel,
                     n.zone_skipped ? fmt::format(", {} of {} blocks by zone map", n.zone_skipped, n.blocks) : "");
  for (const auto& k : n.children) node_text(k, depth + 1, width, out);
}

}  // namespace

std::string Explain::text(unsigned threads_asked, bool second_run) const {
  const char* head = "plan (in execution order)";
  const size_t width = std::max(label_width(root, 0), display_columns(head));
  std::string out = fmt::format("{:<{}} {:>11} {:>11} {:>12}  {:>11}  {}\n", head, width, "rows in", "rows out", "time",
                                "estimate", "kernel");
  node_text(root, 0, width, out);
  out += fmt::format("\npath: {}\n", path);
  // Fewer threads than asked is said with why (a review found it unsaid): each takes at least
  // a million rows, since below that the hand-over costs more than it saves.
  const std::string asked = threads < threads_asked && path == "scan"
                                ? fmt::format(" ({} asked: each thread takes at least a million rows)", threads_asked)
                                : std::string();
  out += fmt::format("{} of {} rows match, checksum {}; {:.2f} ms on {} thread{}{} over {} block{} "
                     "({}node times are summed over threads and include timing overhead)\n",
                     result.count, result.rows_total, result.checksum, result.elapsed_ms, threads, threads == 1 ? "" : "s",
                     asked, blocks, blocks == 1 ? "" : "s", second_run ? "the second of two runs; " : "");
  return out;
}

}  // namespace seg::api
