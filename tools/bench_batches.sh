#!/bin/sh
# Issue 14's batch latency: batches of 1, 100 and 10,000 changed clients applied to a membership
# of 1,000 saved segments over the reference clients, one thread. Each size is one `seg apply`
# of all its batches in order (the directory is opened once, as a service keeps it open), and
# the figures are the library call's time per batch: read the rows, log and fsync them,
# re-evaluate the changed clients against every segment, make the events. p50, p99 and the
# maximum per size; the events a batch made (median). Then the history they made, read back
# as a sender far behind or an audit would: `seg events --since 0` (every version replayed
# from the base, every event printed) and `seg members --at` the middle version (replayed up
# to it), each timed once as a whole process. Changed rows are rows of another seed's
# reference data given existing client ids spread over the base, distinct within a batch.
#
# Usage: tools/bench_batches.sh [--rows N] [--segments N] [--shaped P] [--batches "K1 K100 K10000"] [--seg BIN] [--work DIR]
#   --rows N       reference rows (default 10000000); the CSV and snapshot are made once in DIR
#   --segments N   random rules from the rule generator (default 1000, seed 7), P% (default 50)
#                  in the reference rules' shapes: bench_membership.sh's realistic mix
#   --batches      how many batches of 1, 100 and 10,000 clients (default "1000 300 100": 1.03M
#                  rows in all, under the quarter of the base that starts a compaction at 10M)
#   --seg BIN      the seg binary (default build/seg)
#   --work DIR     where the data lives (default build/peers, shared with bench_peers.sh)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROWS=10000000 SEGMENTS=1000 SHAPED=50 BATCHES="1000 300 100" SEG="$SRC/build/seg" WORK="$SRC/build/peers"
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --segments) SEGMENTS=$2; shift 2 ;;
    --shaped) SHAPED=$2; shift 2 ;;
    --batches) BATCHES=$2; shift 2 ;;
    --seg) SEG=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_batches: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$SEG" ] || { echo "bench_batches: no seg binary at $SEG (build it: tools/build.sh)" >&2; exit 2; }
GEN=$(dirname "$SEG")/tests/seg_random_rules
[ -x "$GEN" ] || GEN="$SRC/build/tests/seg_random_rules"
[ -x "$GEN" ] || { echo "bench_batches: no rule generator at $GEN (tools/build.sh seg_random_rules)" >&2; exit 2; }
set -- $BATCHES
[ $# -eq 3 ] && [ "$1" -ge 2 ] && [ "$2" -ge 2 ] && [ "$3" -ge 2 ] ||
  { echo "bench_batches: --batches takes three counts of at least 2, for 1, 100 and 10,000 clients" >&2; exit 2; }

# A batch's ids: from a random start, steps of STEP around the base's ids (a Weyl sequence:
# consecutive ids land far apart, in other 65,536-row chunks, as random ids would; a step
# coprime with ROWS keeps them distinct). 4435761 is coprime with the reference sizes.
STEP=4435761
a=$STEP b=$ROWS
while [ "$b" -ne 0 ]; do t=$((a % b)); a=$b; b=$t; done
[ "$a" -eq 1 ] || { echo "bench_batches: --rows shares a factor with the step between a batch's ids ($STEP)" >&2; exit 2; }
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
CSV="$WORK/clients-$ROWS.csv"
SNAP="$WORK/clients-$ROWS.seg"
[ -f "$CSV" ] || "$SEG" gen --rows "$ROWS" -o "$CSV"
[ -f "$SNAP" ] || "$SEG" convert "$CSV" -o "$SNAP" >/dev/null
RUN=$(mktemp -d "$WORK/batches.XXXXXX")
trap 'rm -rf "$RUN"' EXIT

"$GEN" "$SEGMENTS" 7 "$SHAPED" >"$RUN/rules.seg"
echo "bench_batches: $SEGMENTS segments over $ROWS clients (seg refresh --state) ..." >&2
"$SEG" refresh --rules-file "$RUN/rules.seg" --data "$SNAP" --now 2026-11-01 --state "$RUN/m" >/dev/null
"$SEG" gen --rows 10000 --seed 99 -o "$RUN/source.csv"

# Batch files: size S, K of them, in RUN/bS/NNNNN.csv; rows of source.csv in turn, each given a
# client id of the base (1..ROWS: the reference ids), distinct within its batch (above).
make_batches() {
  awk -v size="$1" -v count="$2" -v rows="$ROWS" -v dir="$RUN/b$1" -v seed="$1" -v step="$STEP" '
    BEGIN { srand(seed) }
    NR == 1 { header = $0; next }
    { src[n++] = $0 }
    END {
      at = 0
      for (b = 0; b < count; b++) {
        f = sprintf("%s/%05d.csv", dir, b)
        print header > f
        start = int(rand() * rows)
        for (i = 0; i < size; i++) {
          id = 1 + (start + i * step) % rows
          line = src[at++ % n]
          print id substr(line, index(line, ",")) > f   # (sub() with a regex here took mawk seconds a batch)
        }
        close(f)
      }
    }' "$RUN/source.csv"
}

printf '| clients in a batch | batches | p50 ms | p99 ms | max ms | events a batch (median) |\n'
printf '|---|---|---|---|---|---|\n'
for pair in "1 $1" "100 $2" "10000 $3"; do
  set -- $pair
  mkdir -p "$RUN/b$1"
  make_batches "$1" "$2"
  echo "bench_batches: $2 batches of $1 ..." >&2
  "$SEG" apply "$RUN/b$1"/*.csv --state "$RUN/m" >/dev/null 2>"$RUN/log$1" ||
    { cat "$RUN/log$1" >&2; echo "bench_batches: seg apply failed" >&2; exit 1; }
  # "seg apply: K batches in T ms: p50 A ms, p99 B ms, max C ms" and "... applied in X ms: E events, ..."
  summary=$(grep ' batches in ' "$RUN/log$1")
  p50=$(echo "$summary" | sed 's/.*p50 \([0-9.]*\) ms.*/\1/')
  p99=$(echo "$summary" | sed 's/.*p99 \([0-9.]*\) ms.*/\1/')
  max=$(echo "$summary" | sed 's/.*max \([0-9.]*\) ms.*/\1/')
  events=$(grep ' applied in ' "$RUN/log$1" | sed 's/.*: \([0-9,]*\) events\{0,1\},.*/\1/' | tr -d , | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$p50" "$p99" "$max" "$events"
done

# The history: replays of every version (events) and of half of them (members at a version).
now_s() { cut -d" " -f1 /proc/uptime; }
t0=$(now_s)
"$SEG" events --state "$RUN/m" --since 0 >"$RUN/events.jsonl"
t1=$(now_s)
n_events=$(wc -l <"$RUN/events.jsonl")
last=$(tail -1 "$RUN/events.jsonl" | sed 's/.*"version":\([0-9]*\).*/\1/')
first_segment=$(sed -n '/[^[:space:]]/{=;q}' "$RUN/rules.seg")  # a segment's id is its line
"$SEG" members "$first_segment" --state "$RUN/m" --at $((last / 2)) --count >/dev/null
t2=$(now_s)
printf '\n| history read back | versions replayed | s |\n|---|---|---|\n'
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$n_events" -v v="$last" 'BEGIN {
  printf "| `seg events --since 0` (%d events) | %d | %.2f |\n", n, v, b - a
  printf "| `seg members --at %d` | %d | %.2f |\n", int(v / 2), int(v / 2), c - b }'
