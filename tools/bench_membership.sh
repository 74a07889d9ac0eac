#!/bin/sh
# The shared pass of membership refresh (docs/membership.md) against its yardsticks, on the
# reference data, one thread: each segment counted alone, every column the rules test read
# once, and DuckDB (threads=1) running the same segments' queries one after another in one
# session (one pass: it takes minutes where seg takes a second, so noise does not matter).
# Every segment's count must be the same in seg and DuckDB, or the script says which
# and exits 1. DuckDB is the npm client of tests/sql (a benchmark-only tool, as in
# tools/bench_peers.sh); its database is made once in DIR and kept for the next run.
#
# Usage: tools/bench_membership.sh [--rows N] [--segments N] [--seed S] [--shaped P] [--repeat R] [--no-duckdb] [--seg BIN] [--work DIR]
#   --rows N      reference rows (default 10000000); the CSV, snapshot and DuckDB file are made once in DIR
#   --segments N  random rules from the rule generator (default 1000, seed S, default 7)
#   --shaped P    P% of them take the reference rules' shapes with random literals (issue 14's
#                 "realistic mix"; default 50; 0: every rule random, the catalog measured before 2026-12-01)
#   --no-duckdb   seg's figures only (DuckDB takes minutes to tens of minutes over 1,000 queries)
#   --repeat R    runs of each measurement (default 3; medians)
#   --seg BIN     the seg binary (default build/seg)
#   --work DIR    where data and databases live (default build/peers, shared with bench_peers.sh)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROWS=10000000 SEGMENTS=1000 SEED=7 SHAPED=50 REPEAT=3 DUCK=1 SEG="$SRC/build/seg" WORK="$SRC/build/peers"
NOW=2026-11-01  # every rule's `now`, in seg and in the SQL
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --segments) SEGMENTS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --shaped) SHAPED=$2; shift 2 ;;
    --no-duckdb) DUCK=""; shift ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --seg) SEG=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_membership: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$SEG" ] || { echo "bench_membership: no seg binary at $SEG (build it: tools/build.sh)" >&2; exit 2; }
GEN=$(dirname "$SEG")/tests/seg_random_rules
[ -x "$GEN" ] || GEN="$SRC/build/tests/seg_random_rules"
[ -x "$GEN" ] || { echo "bench_membership: no rule generator at $GEN (tools/build.sh seg_random_rules)" >&2; exit 2; }
DUCK_SHELL="$SRC/tests/sql/duckdb_shell.mjs"
# node runs the report too: its npm packages are needed only for DuckDB.
[ -z "$DUCK" ] || [ -d "$SRC/tests/sql/node_modules/@duckdb/node-api" ] ||
  (cd "$SRC/tests/sql" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
CSV="$WORK/clients-$ROWS.csv"
SNAP="$WORK/clients-$ROWS.seg"
DUCK_DB="$WORK/clients-$ROWS.duckdb"
[ -f "$CSV" ] || "$SEG" gen --rows "$ROWS" -o "$CSV"
[ -f "$SNAP" ] || "$SEG" convert "$CSV" -o "$SNAP" >/dev/null
RUN=$(mktemp -d "$WORK/membership.XXXXXX")
trap 'rm -rf "$RUN"' EXIT
duck_run() { node "$DUCK_SHELL" "$DUCK_DB" "$@"; }

if [ -n "$DUCK" ] && [ ! -f "$DUCK_DB" ]; then
  sh "$SRC/tools/duckdb_load.sh" "$SEG" "$CSV" "$DUCK_DB" || { rm -f "$DUCK_DB"; echo "bench_membership: loading DuckDB failed" >&2; exit 1; }
fi

"$GEN" "$SEGMENTS" "$SEED" "$SHAPED" >"$RUN/rules.seg"
# The generator writes one rule a line; DuckDB gets each as `SELECT count(*) ... WHERE rule`.
if [ -n "$DUCK" ]; then
  while IFS= read -r rule; do
    "$SEG" sql -d duckdb --inline --count --now "$NOW" "$rule" 2>/dev/null  # (its warnings: rules the generator made odd on purpose)
    echo ';'
  done <"$RUN/rules.seg" >"$RUN/counts.sql"
fi

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print v[int((NR + 1) / 2)] }'; }
jq_num() { node -e 'const j = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(eval("j." + process.argv[1]))' "$1"; }

: >"$RUN/shared" ; : >"$RUN/alone" ; : >"$RUN/floor" ; : >"$RUN/bitmaps" ; : >"$RUN/noshare"
i=0
while [ $i -lt "$REPEAT" ]; do
  "$SEG" refresh --rules-file "$RUN/rules.seg" --data "$SNAP" --now "$NOW" --one-by-one --format json >"$RUN/refresh.json"
  jq_num stats.elapsed_ms <"$RUN/refresh.json" >>"$RUN/shared"
  jq_num one_by_one.elapsed_ms <"$RUN/refresh.json" >>"$RUN/alone"
  jq_num one_by_one.read_once_ms <"$RUN/refresh.json" >>"$RUN/floor"
  "$SEG" refresh --rules-file "$RUN/rules.seg" --data "$SNAP" --now "$NOW" --no-share --format json | jq_num stats.elapsed_ms >>"$RUN/noshare"
  "$SEG" refresh --rules-file "$RUN/rules.seg" --data "$SNAP" --now "$NOW" --bitmaps --format json | jq_num stats.elapsed_ms >>"$RUN/bitmaps"
  i=$((i + 1))
done
node -e 'const j = JSON.parse(require("fs").readFileSync(0, "utf8")); for (const s of j.segments) console.log(s.count)' \
  <"$RUN/refresh.json" >"$RUN/seg-counts"
bad=0
if [ -n "$DUCK" ]; then
  duck_run --passes 1 --timed <"$RUN/counts.sql" >"$RUN/duck-counts" 2>"$RUN/duck-times"
  if ! cmp -s "$RUN/seg-counts" "$RUN/duck-counts"; then
    paste "$RUN/seg-counts" "$RUN/duck-counts" | awk -F'\t' '$1 != $2 { print "MISMATCH: segment " NR ": seg " $1 ", duckdb " $2 }' >&2
    bad=1
  fi
  sed -n 's/^pass_ms //p' "$RUN/duck-times" | median >"$RUN/duck"
else
  echo nan >"$RUN/duck"  # not run (--no-duckdb)
fi
node -e '
  const st = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).stats;
  const [shared, alone, floor, noshare, bitmaps, duck] = process.argv.slice(2).map(Number);
  const f = (x) => x.toFixed(1);
  const r = (x) => (x / shared < 1 ? (x / shared).toFixed(3) : (x / shared).toFixed(1)) + "x";
  console.log(`${st.segments} segments (${st.distinct} distinct; ${process.argv[10]}% shaped like the reference rules), ${process.argv[8]} rows, one thread; seg: medians of ${process.argv[9]} runs` + (isNaN(duck) ? "" : ", DuckDB: one"));
  console.log(`tests shared: ${st.shared_tests} by ${st.shared_uses} places; columns the rules test: ${f(st.column_bytes / 1e6)} MB`);
  console.log("| | ms | over the shared pass |");
  console.log("|---|---|---|");
  console.log(`| shared pass, counts | ${f(shared)} | 1.0x |`);
  console.log(`| shared pass, no test shared (--no-share) | ${f(noshare)} | ${r(noshare)} |`);
  console.log(`| shared pass, members kept as bitmaps (--bitmaps) | ${f(bitmaps)} | ${r(bitmaps)} |`);
  console.log(`| each segment alone, counts (--one-by-one) | ${f(alone)} | ${r(alone)} |`);
  if (!isNaN(duck)) console.log(`| DuckDB, the ${st.segments} count queries in one session | ${f(duck)} | ${r(duck)} |`);
  console.log(`| every column the rules test, read once | ${f(floor)} | ${r(floor)} |`);
' "$RUN/refresh.json" "$(median <"$RUN/shared")" "$(median <"$RUN/alone")" "$(median <"$RUN/floor")" \
  "$(median <"$RUN/noshare")" "$(median <"$RUN/bitmaps")" "$(cat "$RUN/duck")" "$ROWS" "$REPEAT" "$SHAPED"
[ "$bad" = 0 ] || { echo "bench_membership: seg and DuckDB disagree (above)" >&2; exit 1; }
