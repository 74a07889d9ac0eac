#!/bin/sh
# tools/bench_ab.sh on two tiny data files: the same data in both gives a table of every rule
# (the file's and Q1-Q6) and exit 0; one client changed in B is found (MISMATCH, exit 1).
# Usage: bench_ab_test.sh SEG SOURCE_DIR
set -eu
SEG=$1
SRC=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/seg_bench_ab.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp "$SRC/tests/data/three_clients.csv" "$WORK/a.csv"  # three clients, two in spot 12
sed 's/^3,103,7,/3,103,12,/' "$WORK/a.csv" >"$WORK/b.csv"
printf '%s\n' '# two rules' 'spot = 12' 'tag any (VIP)' >"$WORK/rules.txt"
out=$(sh "$SRC/tools/bench_ab.sh" --rounds 2 --repeat 1 "$SEG" "$WORK/a.csv" "$SEG" "$WORK/a.csv" "$WORK/rules.txt")
echo "$out"
echo "$out" | grep -q "spot = 12$"
echo "$out" | grep -q "tag any (VIP)$"
echo "$out" | grep -q "^8 rules, 2 rounds: A/B slowest"
if out=$(sh "$SRC/tools/bench_ab.sh" --rounds 1 --repeat 1 "$SEG" "$WORK/a.csv" "$SEG" "$WORK/b.csv" "$WORK/rules.txt"); then
  echo "a changed client was not found"; exit 1
fi
echo "$out"
echo "$out" | grep -q "^MISMATCH: A 2 3, B 3 6: spot = 12$"
if sh "$SRC/tools/bench_ab.sh" "$SEG" "$WORK/a.csv" 2>"$WORK/err"; then echo "too few arguments accepted"; exit 1; fi
grep -q "expected SEG_A DATA_A SEG_B DATA_B RULES_FILE" "$WORK/err"
echo ok
