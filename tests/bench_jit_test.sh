#!/bin/sh
# tools/bench_jit.py (the JIT against the interpreter, decision 96) on tiny data: a table of
# Q1-Q6 and the sums over the file's rules, exit 0; a seg whose counts differ with --jit (a
# stand-in script) is caught (exit 1, the rule named); a missing argument is a usage error, and
# a missing data file or seg binary a one-line error, not a traceback.
# Usage: bench_jit_test.sh SEG SOURCE_DIR
set -eu
SEG=$1
SRC=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/seg_bench_jit.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp "$SRC/tests/data/three_clients.csv" "$WORK/a.csv"  # three clients, two in spot 12
printf '%s\n' '# two rules' 'spot = 12' 'spot in (7, 12)' >"$WORK/rules.txt"
out=$(python3 "$SRC/tools/bench_jit.py" --seg "$SEG" --data "$WORK/a.csv" --rules "$WORK/rules.txt" --rounds 2 --repeat 1)
echo "$out"
echo "$out" | grep -q "^| Q6 | "
echo "$out" | grep -q "^summed over the 2 rules: interpreter "
# A seg that answers 3 where the real one answers 2 (`spot = 12`, Q1), with --jit only.
cat >"$WORK/seg" <<EOF2
#!/bin/sh
jit=""
for a in "\$@"; do [ "\$a" = --jit ] && jit=1; done
if [ -n "\$jit" ]; then "$SEG" "\$@" | sed 's/"count": 2,/"count": 3,/'; else exec "$SEG" "\$@"; fi
EOF2
chmod +x "$WORK/seg"
if python3 "$SRC/tools/bench_jit.py" --seg "$WORK/seg" --data "$WORK/a.csv" --rules "$WORK/rules.txt" --rounds 1 --repeat 1 \
    >/dev/null 2>"$WORK/err"; then
  echo "differing counts were not found"; exit 1
fi
cat "$WORK/err"
grep -q "^bench_jit: counts differ between the interpreter and the JIT for .*R1" "$WORK/err"
if python3 "$SRC/tools/bench_jit.py" --data "$WORK/a.csv" 2>"$WORK/err"; then echo "a missing --rules was accepted"; exit 1; fi
grep -q "the following arguments are required: --rules" "$WORK/err"
# seg's own error for a file that is not there comes through, and no traceback.
if python3 "$SRC/tools/bench_jit.py" --seg "$SEG" --data "$WORK/none.seg" --rules "$WORK/rules.txt" 2>"$WORK/err"; then
  echo "a missing data file was accepted"; exit 1
fi
cat "$WORK/err"
grep -q "none.seg" "$WORK/err"
grep -q "^bench_jit: \`seg bench\` failed (exit 2), above" "$WORK/err"
! grep -q Traceback "$WORK/err"
if python3 "$SRC/tools/bench_jit.py" --seg "$WORK/no-seg" --data "$WORK/a.csv" --rules "$WORK/rules.txt" 2>"$WORK/err"; then
  echo "a missing seg binary was accepted"; exit 1
fi
grep -q "^bench_jit: cannot run .*no-seg: No such file or directory" "$WORK/err"
echo ok
