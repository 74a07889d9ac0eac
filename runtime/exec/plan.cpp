// Lowers the IR to a plan over one store: resolves names and open-dictionary values against
// the store, maps bounds into offset space, folds what the column statistics decide, and
// orders conjuncts (cheap and selective first) from sampled selectivities.
#include "runtime/exec/plan.hpp"

#include "runtime/exec/fuse.hpp"
#include "runtime/exec/probe.hpp"
#include "runtime/storage/value_index.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace seg::rt {

const char* op_name(Op op) {
  switch (op) {
    case Op::False: return "false";
    case Op::True: return "true";
    case Op::And: return "and";
    case Op::Or: return "or";
    case Op::Not: return "not";
    case Op::Range: return "range";
    case Op::InSmall: return "in";
    case Op::InBitmap: return "in-bitmap";
    case Op::InSorted: return "in-sorted";
    case Op::IsNull: return "is-null";
    case Op::NotNull: return "not-null";
    case Op::TagAny: return "any";
    case Op::TagAll: return "all";
    case Op::TagNone: return "none";
    case Op::Fused: return "fused";
  }
  return "?";
}

namespace {

int64_t resolve(const ir::Bound& b, int64_t now) {
  if (!b.now_relative) return b.value;
  int64_t out;
  if (__builtin_add_overflow(now, b.value, &out)) return b.value > 0 ? ir::kMax : ir::kMin;  // saturate
  return out;
}

PlanNode leaf(Op op, int field) {
  PlanNode n;
  n.op = op;
  n.field = field;
  return n;
}
PlanNode constant(bool v) { return leaf(v ? Op::True : Op::False, -1); }

class Builder {
 public:
  Builder(const Store& s, int64_t now, const PlanOptions& o) : store_(s), now_(now), labels_(o.labels), exact_names_(o.exact_names) {}

  PlanNode build(const ir::Node& n) {
    PlanNode p = lower(n);
    estimate(p);
    return p;
  }

 private:
  const Field& field(int f) const { return store_.schema().fields[static_cast<size_t>(f)]; }
  const Column& column(int f) const { return store_.column(f); }

  // Null tests on a column: decided by its null count where possible.
  PlanNode null_test(int f, bool is_null) {
    const Column& c = column(f);
    PlanNode n;
    if (c.type == FieldType::Set) {
      n = leaf(is_null ? Op::IsNull : Op::NotNull, f);
    } else if (c.meta.null_count == 0) {
      return constant(!is_null);
    } else if (c.meta.null_count == store_.rows()) {
      return constant(is_null);
    } else {
      n = leaf(is_null ? Op::IsNull : Op::NotNull, f);
    }
    return n;
  }

  PlanNode range(const ir::Node& n) {
    const Column& c = column(n.field);
    int64_t lo = resolve(n.lo, now_), hi = resolve(n.hi, now_);
    if (!c.meta.has_values) return constant(false);
    bool empty = lo > hi || hi < c.meta.min || lo > c.meta.max;
    bool full = !empty && lo <= c.meta.min && hi >= c.meta.max;
    if (empty) return n.negated ? null_test(n.field, false) : constant(false);
    if (full) return n.negated ? constant(false) : null_test(n.field, false);
    int64_t clo = std::max(lo, c.meta.min), chi = std::min(hi, c.meta.max);
    PlanNode p = leaf(Op::Range, n.field);
    p.negated = n.negated;
    p.zone_lo = clo;
    p.zone_hi = chi;
    p.lo = static_cast<uint64_t>(clo) - static_cast<uint64_t>(c.meta.base);
    p.hi = static_cast<uint64_t>(chi) - static_cast<uint64_t>(c.meta.base);
    return p;
  }

  PlanNode in(const ir::Node& n) {
    const Column& c = column(n.field);
    const Field& fd = field(n.field);
    std::vector<int64_t> vals;
    if (c.type == FieldType::String) {
      for (const auto& s : n.values.names)
        if (auto code = store_.string_code(n.field, s)) vals.push_back(static_cast<int64_t>(*code));
    } else {
      vals = n.values.codes;
      // Values the compiler did not know may have arrived with the data (open dictionaries),
      // found as the compiler finds values (exact key, then loosely), or by key alone.
      unknown_codes(fd.dict, n.values.unknown, vals);
    }
    std::sort(vals.begin(), vals.end());
    vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
    if (!c.meta.has_values) return constant(false);
    std::vector<int64_t> inside;
    for (auto v : vals)
      if (v >= c.meta.min && v <= c.meta.max) inside.push_back(v);
    if (inside.empty()) return n.negated ? null_test(n.field, false) : constant(false);
    PlanNode p;
    if (static_cast<uint64_t>(inside.back()) - static_cast<uint64_t>(inside.front()) == inside.size() - 1) {
      // A run of consecutive values is a range (stage in (NotProcessed, Ignored, Registration)).
      ir::Node r;
      r.kind = ir::Kind::Range;
      r.field = n.field;
      r.negated = n.negated;
      r.lo = {inside.front(), false};
      r.hi = {inside.back(), false};
      return range(r);
    }
    p.field = n.field;
    p.negated = n.negated;
    p.zone_lo = inside.front();
    p.zone_hi = inside.back();
    for (auto v : inside) p.offsets.push_back(static_cast<uint64_t>(v) - static_cast<uint64_t>(c.meta.base));
    uint64_t span = p.offsets.back() - p.offsets.front();
    if (p.offsets.size() <= kSmallIn) {
      p.op = Op::InSmall;
    } else if (span < (uint64_t{1} << 22) ||
               (p.offsets.size() >= kLongIn && span < (uint64_t{1} << 26) && span / 4096 <= p.offsets.size())) {
      // A bit a value of the span, tested a row at a time: within 512 KB always, and up to
      // 8 MB for a long list, whose binary search was slower (100,000 pasted player ids over
      // 10M clients: 839 ms in-sorted, docs/performance-history.md "The tenth session"), so long as
      // the bitmap is at most 64 times the list's own bytes (a catalog of such segments).
      p.op = Op::InBitmap;
      p.lo = p.offsets.front();
      p.bits.assign(span / 64 + 1, 0);
      for (auto o : p.offsets) p.bits[(o - p.lo) >> 6] |= uint64_t{1} << ((o - p.lo) & 63);
    } else {
      p.op = Op::InSorted;
    }
    return p;
  }

  // The codes of names the compiler had none for, appended to `codes`: by key alone where the
  // caller resolved them already (PlanOptions::exact_names), else as the compiler resolves
  // values (one resolver for the list: its loose forms are gathered once). False when a
  // name finds none.
  bool unknown_codes(const Dictionary& dict, const std::vector<std::string>& names, std::vector<int64_t>& codes) const {
    bool all = true;
    std::optional<DictionaryResolver> resolver;
    std::vector<uint32_t> ambiguous;
    for (const auto& s : names) {
      std::optional<uint32_t> code;
      if (exact_names_) code = dict.find_key(s);
      else code = (resolver ? *resolver : resolver.emplace(dict)).resolve(s, ambiguous);
      if (code) codes.push_back(*code);
      else all = false;
    }
    return all;
  }

  PlanNode set_test(const ir::Node& n) {
    const Column& c = column(n.field);
    const Field& fd = field(n.field);
    std::vector<int64_t> codes = n.values.codes;
    // A tag the rule named before any client had it is found in the data as the compiler
    // would find it: its exact key, then ignoring case, spaces, `_` and `-` (a review found a
    // membership's batch bringing `newtag` missed by `tag any (NEWTAG)`, which a full evaluation
    // of the same data selects; the compaction then brought the client in without an event).
    // A name that matches several loosely is E203 for the compiler; here it names none of them.
    // (A live membership finds its names by key: PlanOptions::exact_names.)
    const bool unresolved = !unknown_codes(fd.dict, n.values.unknown, codes);
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    PlanNode p;
    p.field = n.field;
    std::vector<uint32_t> present;  // values some row holds
    bool absent = false;
    for (auto code : codes) {
      bool any = false;
      if (code >= 0 && static_cast<uint64_t>(code) < c.meta.tag_count)
        for (uint64_t ch = 0; ch < c.meta.chunks && !any; ++ch) any = c.container(static_cast<uint64_t>(code), ch).card > 0;
      if (any) present.push_back(static_cast<uint32_t>(code));
      else absent = true;
    }
    switch (n.kind) {
      case ir::Kind::SetAny:
        if (present.empty()) return constant(false);
        p.op = Op::TagAny;
        break;
      case ir::Kind::SetAll:
        if (unresolved || absent) return constant(false);  // a value nobody has
        if (present.empty()) return constant(true);         // all of nothing
        p.op = Op::TagAll;
        break;
      case ir::Kind::SetNone:
        if (present.empty()) return constant(true);
        p.op = Op::TagNone;
        break;
      case ir::Kind::Const:
      case ir::Kind::And:
      case ir::Kind::Or:
      case ir::Kind::Not:
      case ir::Kind::In:
      case ir::Kind::Range:
      case ir::Kind::IsNull:
        assert(!"a set plan node for an IR node that is not a set predicate");
        return constant(false);
    }
    p.tags = std::move(present);
    return p;
  }

  static bool is_const(const PlanNode& p, bool v) { return p.op == (v ? Op::True : Op::False); }

  PlanNode junction(const ir::Node& n) {
    bool is_and = n.kind == ir::Kind::And;
    PlanNode p;
    p.op = is_and ? Op::And : Op::Or;
    for (const auto& k : n.children) {
      PlanNode c = lower(k);
      if (is_const(c, !is_and)) return constant(!is_and);  // false in and, true in or
      if (is_const(c, is_and)) continue;
      if (c.op == p.op) {
        for (auto& g : c.kids) p.kids.push_back(std::move(g));
      } else {
        p.kids.push_back(std::move(c));
      }
    }
    if (p.kids.empty()) return constant(is_and);
    if (p.kids.size() == 1) return std::move(p.kids[0]);
    return p;
  }

  PlanNode negation(const ir::Node& n) {
    PlanNode c = lower(n.children.at(0));
    switch (c.op) {
      case Op::True: return constant(false);
      case Op::False: return constant(true);
      case Op::Not: return std::move(c.kids[0]);
      case Op::IsNull: c.op = Op::NotNull; break;
      case Op::NotNull: c.op = Op::IsNull; break;
      // Sets are never null, so `not any` is exactly `none`.
      case Op::TagAny: c.op = Op::TagNone; break;
      case Op::TagNone: c.op = Op::TagAny; break;
      case Op::Range:
      case Op::InSmall:
      case Op::InBitmap:
      case Op::InSorted:
        // Without nulls in the column, `not` and the negated test agree.
        if (column(c.field).meta.null_count == 0) {
          c.negated = !c.negated;
          break;
        }
        [[fallthrough]];
      case Op::And:
      case Op::Or:
      case Op::TagAll:
      case Op::Fused: {
        PlanNode p;
        p.op = Op::Not;
        p.kids.push_back(std::move(c));
        p.label = "not";
        return p;
      }
    }
    return c;
  }

  PlanNode lower(const ir::Node& n) {
    PlanNode p = lower_node(n);
    // A test is labelled in rule syntax as the rule says it (`tag any ("NOT REGISTERED")`,
    // `registered_at >= now - 30d`), not with the bounds the data narrowed it to: the kernel
    // column says how it runs.
    bool test = p.op != Op::True && p.op != Op::False && p.op != Op::And && p.op != Op::Or && p.op != Op::Not;
    if (labels_ && test && (n.is_predicate() || n.kind == ir::Kind::Not)) p.label = short_label(n);
    return p;
  }

  // A pasted list of 100,000 ids is a rule too: its label names the first values and how many
  // there are, not all of them (explain JSON, the page's per-clause counts).
  std::string short_label(const ir::Node& n) {
    constexpr size_t kLongest = 90;  // within the 100 columns `seg explain` gives a label
    std::string text = ir::print_rule(n, store_.schema());
    if (text.size() <= kLongest) return text;
    const ir::Node& test = n.kind == ir::Kind::Not ? n.children.at(0) : n;
    size_t cut = text.rfind(", ", kLongest - 30);
    if (test.values.size() > 1 && cut != std::string::npos && cut > text.find('('))
      return fmt::format("{}, … {} values in all){}", text.substr(0, cut), test.values.size(),
                         n.kind == ir::Kind::Not && text.back() == ')' && text.find("not (") == 0 ? ")" : "");
    size_t end = kLongest;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // a whole character
    return text.substr(0, end) + "…";
  }

  PlanNode lower_node(const ir::Node& n) {
    switch (n.kind) {
      case ir::Kind::Const: return constant(n.value);
      case ir::Kind::And:
      case ir::Kind::Or: return junction(n);
      case ir::Kind::Not: return negation(n);
      case ir::Kind::In: return in(n);
      case ir::Kind::Range: return range(n);
      case ir::Kind::IsNull: return null_test(n.field, !n.negated);
      case ir::Kind::SetAny:
      case ir::Kind::SetAll:
      case ir::Kind::SetNone: return set_test(n);
    }
    return constant(false);
  }

  // Selectivity of a leaf from a sample of rows spread over the table; cost per row in
  // rough nanoseconds from the kernel it runs.
  void estimate(PlanNode& p) {
    uint64_t rows = store_.rows();
    switch (p.op) {
      case Op::True: p.selectivity = 1, p.cost = 0; return;
      case Op::False: p.selectivity = 0, p.cost = 0; return;
      case Op::And:
      case Op::Or: {
        bool is_and = p.op == Op::And;
        for (auto& k : p.kids) estimate(k);
        // Classic ordering: by cost over the share of rows a child removes (and) or keeps (or).
        auto rank = [&](const PlanNode& k) {
          double useful = is_and ? 1 - k.selectivity : k.selectivity;
          return k.cost / std::max(useful, 1e-6);
        };
        std::stable_sort(p.kids.begin(), p.kids.end(),
                         [&](const PlanNode& a, const PlanNode& b) { return rank(a) < rank(b); });
        double reach = 1, cost = 0;
        for (auto& k : p.kids) {
          cost += reach * k.cost;
          reach *= is_and ? k.selectivity : 1 - k.selectivity;
        }
        p.cost = cost;
        p.selectivity = is_and ? reach : 1 - reach;
        return;
      }
      case Op::Fused: return;  // made after estimation (fuse.cpp), from estimated tests
      case Op::Not:
        estimate(p.kids[0]);
        p.selectivity = 1 - p.kids[0].selectivity;
        p.cost = p.kids[0].cost + 0.02;
        return;
      case Op::TagAny:
      case Op::TagAll:
      case Op::TagNone: {
        const Column& c = column(p.field);
        double none = 1, all = 1, cost = 0.02;
        for (uint32_t t : p.tags) {
          uint64_t card = 0, dense = 0;
          for (uint64_t ch = 0; ch < c.meta.chunks; ++ch) {
            const Container& k = c.container(t, ch);
            card += k.card;
            dense += k.kind == kBitmap || k.kind == kSparse;  // read a word at a time
          }
          double share = rows ? static_cast<double>(card) / static_cast<double>(rows) : 0;
          none *= 1 - share;
          all *= share;
          cost += dense * 2 >= c.meta.chunks ? 0.03 : 2 * share + 0.005;
        }
        p.selectivity = p.op == Op::TagAll ? all : p.op == Op::TagAny ? 1 - none : none;
        p.cost = cost;
        return;
      }
      case Op::Range:
      case Op::InSmall:
      case Op::InBitmap:
      case Op::InSorted:
      case Op::IsNull:
      case Op::NotNull: break;
    }
    // Leaves over one column.
    const Column& c = column(p.field);
    // Arithmetic runs are solved a run at a time: about nothing a row (decision 85).
    double w = c.is_runs() ? 0 : c.meta.width;
    switch (p.op) {
      case Op::Range: p.cost = 0.05 + 0.02 * w; break;
      case Op::InSmall: p.cost = 0.05 + 0.02 * w * static_cast<double>(p.offsets.size()); break;
      case Op::InBitmap: p.cost = 1.0; break;
      case Op::InSorted: p.cost = 2.0 + std::log2(static_cast<double>(p.offsets.size())); break;
      case Op::False:
      case Op::True:
      case Op::And:
      case Op::Or:
      case Op::Not:
      case Op::IsNull:
      case Op::NotNull:
      case Op::TagAny:
      case Op::TagAll:
      case Op::TagNone:
      case Op::Fused: p.cost = 0.03; break;
    }
    if (counted_share(p)) return;
    // 16 runs of 64 consecutive rows spread over the table: as many samples as 1024
    // scattered rows for a sixteenth of the cache misses (0.3 ms at 10M rows otherwise).
    // A table of at most that many rows is sampled whole, each row once (a batch of 100 rows
    // was read 10 times over, the runs overlapping).
    uint64_t samples = 0, hits = 0;
    const uint64_t runs = 16, run = 64;
    if (rows <= runs * run) {
      for (uint64_t r = 0; r < rows; ++r, ++samples) hits += eval_row(p, store_, r);
    } else {
      for (uint64_t k = 0; k < runs; ++k) {
        const uint64_t start = k * (rows - run) / (runs - 1);
        for (uint64_t r = start; r < start + run; ++r, ++samples) hits += eval_row(p, store_, r);
      }
    }
    p.selectivity = (static_cast<double>(hits) + 0.5) / (static_cast<double>(samples) + 1);
  }

  // A range or short list on a column with a row lookup (player ids, ids): its exact share from
  // the lookup, a few bisections or a dense index's arithmetic, rather than sampling 1,024
  // rows through the column (which, byte-sliced, costs more than the few-ids path it plans).
  bool counted_share(PlanNode& p) const {
    if (!has_row_lookup(store_, p.field) || !store_.rows()) return false;
    const Column& c = column(p.field);
    uint64_t count = 0;
    if (p.op == Op::Range) {
      count = count_rows(store_, p.field, p.lo, p.hi);
    } else if ((p.op == Op::InSmall || p.op == Op::InSorted) &&
               (c.meta.index_dense || p.offsets.size() <= kCountedValues)) {
      for (uint64_t v : p.offsets) count += count_rows(store_, p.field, v, v);
    } else if (p.op == Op::InBitmap && c.meta.index_dense) {
      // Every offset up to max_offset on one row: the bits at those offsets.
      for (size_t w = 0; w < p.bits.size(); ++w)
        for (uint64_t b = p.bits[w]; b; b &= b - 1)
          count += p.lo + w * 64 + static_cast<uint64_t>(__builtin_ctzll(b)) <= c.meta.max_offset;
    } else {
      return false;
    }
    if (p.negated) count = store_.rows() - c.meta.null_count - count;
    p.selectivity = static_cast<double>(count) / static_cast<double>(store_.rows());
    return true;
  }
  // Beyond this many values, sampling costs less than two bisections each (a dense index
  // counts any number: a subtraction a value).
  static constexpr size_t kCountedValues = 8;

  const Store& store_;
  int64_t now_;
  bool labels_;
  bool exact_names_;
};


bool offset_in(const PlanNode& n, uint64_t off) {
  switch (n.op) {
    case Op::Range: return off >= n.lo && off <= n.hi;
    case Op::InBitmap: {
      uint64_t d = off - n.lo;
      return off >= n.lo && (d >> 6) < n.bits.size() && ((n.bits[d >> 6] >> (d & 63)) & 1);
    }
    case Op::InSmall:
    case Op::InSorted: return std::binary_search(n.offsets.begin(), n.offsets.end(), off);
    case Op::False:
    case Op::True:
    case Op::And:
    case Op::Or:
    case Op::Not:
    case Op::IsNull:
    case Op::NotNull:
    case Op::TagAny:
    case Op::TagAll:
    case Op::TagNone:
    case Op::Fused: break;  // not a test of one value
  }
  assert(!"offset_in on a node that is not a value test");
  return false;
}

}  // namespace

namespace {
void number(PlanNode& n, int& next, int depth, int& max_depth) {
  n.id = next++;
  n.depth = depth;
  max_depth = std::max(max_depth, depth);
  for (auto& k : n.kids) number(k, next, depth + 1, max_depth);
}
}  // namespace

void number_plan(Plan& plan) {
  plan.node_count = 0;
  plan.max_depth = 0;
  number(plan.root, plan.node_count, 0, plan.max_depth);
}

bool eval_row(const PlanNode& n, const Store& store, uint64_t row) {
  switch (n.op) {
    case Op::True: return true;
    case Op::False: return false;
    case Op::And:
    case Op::Fused:
      for (const auto& k : n.kids)
        if (!eval_row(k, store, row)) return false;
      return true;
    case Op::Or:
      for (const auto& k : n.kids)
        if (eval_row(k, store, row)) return true;
      return false;
    case Op::Not: return !eval_row(n.kids[0], store, row);
    case Op::IsNull:
    case Op::NotNull: {
      const Column& c = store.column(n.field);
      bool null = c.type == FieldType::Set ? !test_bit(c.nonempty, row) : c.is_null(row);
      return null == (n.op == Op::IsNull);
    }
    case Op::TagAny:
      for (auto t : n.tags)
        if (store.has_tag(n.field, t, row)) return true;
      return false;
    case Op::TagAll:
      for (auto t : n.tags)
        if (!store.has_tag(n.field, t, row)) return false;
      return true;
    case Op::TagNone:
      for (auto t : n.tags)
        if (store.has_tag(n.field, t, row)) return false;
      return true;
    case Op::Range:
    case Op::InSmall:
    case Op::InBitmap:
    case Op::InSorted: {
      const Column& c = store.column(n.field);
      if (c.is_null(row)) return false;
      return offset_in(n, c.offset_at(row)) != n.negated;
    }
  }
  return false;  // every op returns above
}

Plan build_plan(const ir::Node& ir, const Store& store, int64_t now, const PlanOptions& options) {
  Plan plan;
  plan.now = now;
  plan.root = Builder(store, now, options).build(ir);
  number_plan(plan);
  choose_probe(plan, store, options.probe);
  if (options.jit) fuse_plan(plan, store);
  return plan;
}

int frequent_decides(const PlanNode& n, const Column& c) {
  if (n.op != Op::Range || !c.meta.has_frequent || !c.frequent) return 0;
  const uint64_t f = c.meta.frequent_offset;
  if (n.lo == f && n.hi == f) return 1;
  if (f == 0 && n.lo == 1 && n.hi >= c.meta.max_offset) return -1;
  if (f == c.meta.max_offset && f > 0 && n.lo == 0 && n.hi == f - 1) return -1;
  return 0;
}

std::string plan_label(const PlanNode& n) {
  if (!n.label.empty()) return n.label;
  return op_name(n.op);
}

ValueKernel value_kernel(const PlanNode& n, const Column& c) {
  if (int fr = frequent_decides(n, c)) return fr > 0 ? ValueKernel::FrequentRows : ValueKernel::FrequentOthers;
  if (c.is_sliced()) return ValueKernel::Sliced;
  if (c.is_planes()) return ValueKernel::Planes;
  if (c.is_runs()) return ValueKernel::Runs;
  return ValueKernel::Offsets;
}

std::string plan_kernel(const PlanNode& n, const Store& s) {
  switch (n.op) {
    case Op::Range:
    case Op::InSmall:
    case Op::InBitmap:
    case Op::InSorted:
      if (n.probed)
        return fmt::format("{}, rows by {}", op_name(n.op), s.column(n.field).index_row ? "value index" : "bisecting the ids");
    {
      const Column& c = s.column(n.field);
      const ColumnMeta& m = c.meta;
      const char* neg = n.negated ? " negated" : "";
      switch (value_kernel(n, c)) {
        case ValueKernel::FrequentRows:
        case ValueKernel::FrequentOthers: return fmt::format("{}{}, frequent-value bitmap", op_name(n.op), neg);
        case ValueKernel::Sliced:
          return fmt::format("{}{}, {} byte slices{}{}", op_name(n.op), neg, m.slices,
                             m.slice_tail ? fmt::format(" and {} bit plane{}", m.slice_tail, m.slice_tail == 1 ? "" : "s") : "",
                             m.packed ? " packed" : "");
        case ValueKernel::Planes:
          return fmt::format("{}{}, {} bit plane{}", op_name(n.op), neg, m.slices, m.slices == 1 ? "" : "s");
        case ValueKernel::Runs:
          return fmt::format("{}{}, {} arithmetic run{}", op_name(n.op), neg, c.run_count, c.run_count == 1 ? "" : "s");
        case ValueKernel::Offsets: return fmt::format("{}{}, {}-byte offsets", op_name(n.op), neg, m.width);
      }
      return op_name(n.op);
    }
    case Op::TagAny:
    case Op::TagAll:
    case Op::TagNone:
      return fmt::format("{} of {} value{}", op_name(n.op), n.tags.size(), n.tags.size() == 1 ? "" : "s");
    case Op::Fused: return fmt::format("jit kernel of {} test{}", n.kids.size(), n.kids.size() == 1 ? "" : "s");
    case Op::False:
    case Op::True:
    case Op::And:
    case Op::Or:
    case Op::Not:
    case Op::IsNull:
    case Op::NotNull: break;
  }
  return op_name(n.op);
}

std::string plan_path(const Plan& p, const Store& s) {
  if (p.probe.node < 0) return "scan";
  const PlanNode* leaf = nullptr;
  if (p.root.id == p.probe.node) leaf = &p.root;
  for (const auto& k : p.root.kids)
    if (k.id == p.probe.node) leaf = &k;
  const std::string& name = s.schema().fields[static_cast<size_t>(leaf->field)].name;
  return fmt::format("rows by {} of {}: {} {} looked up, {} row{} tested one by one",
                     s.column(leaf->field).index_row ? "value index" : "bisecting the ids", name, p.probe.values,
                     leaf->op == Op::Range ? (p.probe.values == 1 ? "range" : "ranges") : (p.probe.values == 1 ? "value" : "values"),
                     p.probe.rows.size(), p.probe.rows.size() == 1 ? "" : "s");
}

}  // namespace seg::rt
