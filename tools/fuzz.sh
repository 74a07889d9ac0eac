#!/bin/sh
# Builds the libFuzzer targets (tests/fuzz, clang, ASan+UBSan) in build-asan/ (the sanitizer
# build of tools/sanitize.sh, which has them too, so CI compiles once) and runs each for
# SECONDS_PER_TARGET seconds (default 12: the ten targets take about 120 s in all), starting
# from seed corpora generated from the golden tests and the workload. Fails on any finding;
# crashing inputs are kept in build-asan/crashes/<target>/. Usage:
#   tools/fuzz.sh [SECONDS_PER_TARGET]          all targets
#   SEG_FUZZ_TARGETS="rule csv" tools/fuzz.sh 600   some of them, ten minutes each
# Targets run one a core at a time (SEG_FUZZ_JOBS to choose).
# Extra libFuzzer flags go in SEG_FUZZ_FLAGS (e.g. "-jobs=2 -workers=2"); they come after
# SEG_FUZZ_DEFAULT_FLAGS, so they win. docs/fuzzing.md.
set -eu
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-12}
# clang 14's libFuzzer looks each feature of every run up in its list of rare features one by
# one, and with the default threshold (255) that list grows to thousands early in a run: the
# interpreter target ran 4 times slower for it. At 8 the list stays near its 100 rarest
# features (entropic scheduling stays on). docs/fuzzing.md, "Speed".
SEG_FUZZ_DEFAULT_FLAGS=${SEG_FUZZ_DEFAULT_FLAGS:-"-entropic_feature_frequency_threshold=8"}
TARGETS=${SEG_FUZZ_TARGETS:-"rule ir_json form_json schema_json csv snapshot interpreter import sql service"}
BUILD=build-asan
tools/setup.sh
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DSEG_SANITIZE=ON -DSEG_FUZZ=ON -DSEG_BENCHMARKS=OFF \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 >/dev/null
fi
cmake --build "$BUILD" --target seg_fuzz

# Seeds are made afresh each run (the golden files change); the working corpus in
# $BUILD/corpus/<target> keeps what earlier runs found.
rm -rf "$BUILD/seeds"
"$BUILD/tests/fuzz/seg_fuzz_seeds" . "$BUILD/seeds"

# Targets run SEG_FUZZ_JOBS at a time (default: one a core): each libFuzzer run is one
# process on one core, so CI's 2 cores fuzz two targets at once for the same time each.
JOBS=${SEG_FUZZ_JOBS:-$(nproc)}
fuzz_one() {
  t=$1
  mkdir -p "$BUILD/corpus/$t" "$BUILD/crashes/$t" "$BUILD/seeds/$t"
  dirs="$BUILD/corpus/$t $BUILD/seeds/$t"
  [ -d "tests/fuzz/regressions/$t" ] && dirs="$dirs tests/fuzz/regressions/$t"
  dict=""
  case $t in
    rule) dict="-dict=tests/fuzz/rule.dict" ;;
    ir_json | form_json | schema_json | import | service) dict="-dict=tests/fuzz/json.dict" ;;
  esac
  status=0
  # shellcheck disable=SC2086
  "$BUILD/tests/fuzz/seg_fuzz_$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$BUILD/crashes/$t/" $dict $SEG_FUZZ_DEFAULT_FLAGS ${SEG_FUZZ_FLAGS:-} \
    $dirs >"$BUILD/fuzz-$t.log" 2>&1 || status=$?
  echo "$status" >"$BUILD/fuzz-$t.status"
}
# What a run found (or its figures), told after the run, so two runs' lines do not mix.
report() {
  t=$1
  log="$BUILD/fuzz-$t.log"
  if [ "$(cat "$BUILD/fuzz-$t.status")" = 0 ]; then
    grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::new_units_added" "$log" |
      tr -s ' \n' ' ' | sed "s/^/fuzz: $t: /" >&2
    echo >&2
  else
    echo "fuzz: $t FOUND A PROBLEM (log $log, inputs in $BUILD/crashes/$t/):" >&2
    # A broken invariant's detail (what was asked, what came back) and a sanitizer's first
    # frames follow their lines: CI's log is all there is of a finding on a fresh machine.
    grep -E -A12 "==seg-fuzz==|ERROR" "$log" | head -50 >&2 || true
    grep -E "Test unit written" "$log" >&2 || true
    # The input itself, so a finding on a fresh machine can be replayed from the log alone
    # (the detail above is cut at 12 lines: a CI finding's JSON document was; 2026-12-05).
    sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$log" | while IFS= read -r f; do
      if [ -f "$f" ] && [ "$(wc -c <"$f")" -le 16384 ]; then
        echo "fuzz: to replay it: echo $(base64 -w0 "$f") | base64 -d > tests/fuzz/regressions/$t/NAME" >&2
      fi
    done
    failed="$failed $t"
  fi
}
failed=""
batch=""
n=0
for t in $TARGETS; do
  echo "fuzz: $t for ${SECONDS_PER_TARGET}s" >&2
  rm -f "$BUILD/fuzz-$t.status"
  fuzz_one "$t" &
  batch="$batch $t"
  n=$((n + 1))
  if [ "$n" -ge "$JOBS" ]; then
    wait
    for b in $batch; do report "$b"; done
    batch=""
    n=0
  fi
done
wait
for b in $batch; do report "$b"; done
if [ -n "$failed" ]; then
  echo "fuzz: findings in:$failed" >&2
  exit 1
fi
echo "fuzz: no findings" >&2
