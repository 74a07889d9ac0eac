#!/bin/sh
# Two builds (or two snapshots) timed rule by rule on the same rules, alternated ABBA so that
# both share the machine's load: each round runs `seg bench --rules-file` once with each, and
# a rule's figure is the median over rounds of its median run, its ratio the median of the
# rounds' A/B ratios (above 1: B is faster). Every rule's count and id sum must be the same
# in A and B, or the script says which and exits 1. How the "no rule slower" figures of
# docs/performance.md are made (decision 68).
#
# Usage: tools/bench_ab.sh [--rounds N] [--repeat R] SEG_A DATA_A SEG_B DATA_B RULES_FILE
#   SEG_A, SEG_B    seg binaries (an old build needs `seg bench --rules-file`, from 2026-12-01)
#   DATA_A, DATA_B  the data each reads: a snapshot it wrote (or a CSV, loaded each round)
#   RULES_FILE      one rule a line (# comments); Q1-Q6 are timed too, as `seg bench` does
#   --rounds N      alternations (default 6)
#   --repeat R      runs of each rule in each round (default 11)
# Prints a table (A ms, B ms, A/B, the ratios' range, rule), then the ratios' summary.
set -eu
ROUNDS=6 REPEAT=11
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench_ab: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 5 ] || { echo "bench_ab: expected SEG_A DATA_A SEG_B DATA_B RULES_FILE (see --help)" >&2; exit 2; }
for b in "$1" "$3"; do [ -x "$b" ] || { echo "bench_ab: $b is not an executable" >&2; exit 2; }; done
for f in "$2" "$4" "$5"; do [ -r "$f" ] || { echo "bench_ab: cannot read $f" >&2; exit 2; }; done
command -v node >/dev/null 2>&1 || { echo "bench_ab: needs node (tools/setup.sh installs it)" >&2; exit 2; }
RUN=$(mktemp -d "${TMPDIR:-/tmp}/seg-bench-ab.XXXXXX")
trap 'rm -rf "$RUN"' EXIT INT TERM
run() {  # $1 = a or b, $2 = round
  if [ "$1" = a ]; then bin=$A data=$DA nb=$NB_A; else bin=$B data=$DB nb=$NB_B; fi
  # A fresh copy each round: on this project's VMs the same bytes ran 1.1-1.6x slower from one
  # file than from a copy of it, for as long as that file's pages stayed cached (its text's
  # physical pages, we think; docs/performance-history.md, "A binary's own pages"). Copying makes the
  # placement one more thing the rounds' medians average out, not a bias of one side.
  # (Kept until the end: a deleted copy's freed pages would likely hold the next one.)
  cp "$bin" "$RUN/seg-$1-$2"
  # shellcheck disable=SC2086
  "$RUN/seg-$1-$2" bench --data "$data" --no-verify --repeat "$REPEAT" --rules-file "$RULES" --format json $nb >"$RUN/$1-$2.json" ||
    { echo "bench_ab: $bin bench failed on $data (round $2)" >&2; exit 2; }
}
A=$1 DA=$2 B=$3 DB=$4 RULES=$5
# --no-bound: no memory-bandwidth measurement (a second a run, and its bound is not compared);
# a build older than the flag measures it.
no_bound() { if "$1" bench --help 2>/dev/null | grep -q -- --no-bound; then echo --no-bound; fi; }
NB_A=$(no_bound "$A") NB_B=$(no_bound "$B")
i=0
while [ "$i" -lt "$ROUNDS" ]; do
  if [ $((i % 2)) -eq 0 ]; then run a "$i"; run b "$i"; else run b "$i"; run a "$i"; fi
  i=$((i + 1))
done
node - "$RUN" "$ROUNDS" <<'EOF'
const fs = require("fs");
const [dir, rounds] = [process.argv[2], +process.argv[3]];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const load = (side, r) => {
  const m = new Map();  // by rule text: a rules file's ids may differ between builds
  for (const x of JSON.parse(fs.readFileSync(`${dir}/${side}-${r}.json`, "utf8")).rules) m.set(x.rule, x);
  return m;
};
const a = [], b = [];
for (let r = 0; r < rounds; ++r) a.push(load("a", r)), b.push(load("b", r));
let bad = 0;
const rows = [];
for (const [rule, x] of a[0]) {
  const y = b[0].get(rule);
  if (!y) continue;  // a rule one build does not know (its language was smaller)
  if (x.count !== y.count || x.checksum !== y.checksum) {
    console.log(`MISMATCH: A ${x.count} ${x.checksum}, B ${y.count} ${y.checksum}: ${rule.slice(0, 100)}`);
    ++bad;
    continue;
  }
  const ta = a.map((m) => m.get(rule).median_ms), tb = b.map((m) => m.get(rule).median_ms);
  const ratios = ta.map((t, k) => t / tb[k]);
  rows.push({ rule, ta: median(ta), tb: median(tb), ratio: median(ratios), lo: Math.min(...ratios), hi: Math.max(...ratios) });
}
rows.sort((p, q) => p.ratio - q.ratio);
const ms = (t) => t.toFixed(t < 0.1 ? 4 : 3).padStart(9);
console.log(`${"A ms".padStart(9)} ${"B ms".padStart(9)}    A/B   range      rule`);
for (const r of rows)
  console.log(`${ms(r.ta)} ${ms(r.tb)}  ${r.ratio.toFixed(2).padStart(5)}  ${r.lo.toFixed(2)}-${r.hi.toFixed(2)}  ${r.rule.replace(/\s+/g, " ").slice(0, 100)}`);
if (rows.length) {
  const rs = rows.map((r) => r.ratio);
  console.log(`\n${rows.length} rules, ${rounds} rounds: A/B slowest ${rs[0].toFixed(2)}, median ${median(rs).toFixed(2)}, ` +
              `${rs.filter((x) => x < 1).length} with B slower (below 1)`);
}
process.exit(bad ? 1 : 0);
EOF
