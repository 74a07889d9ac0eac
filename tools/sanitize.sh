#!/bin/sh
# Sanitizer runs (docs/fuzzing.md):
#  1. build-asan: the whole test suite with AddressSanitizer + UndefinedBehaviorSanitizer
#     (-DSEG_SANITIZE=ON, clang, -O1), every ctest test; property tests run SEG_PROPERTY_RULES
#     rules (default here 2000, not 10,000) to keep CI time in check; the SQL engines check
#     (SqlPeers) and the SQL differential test against the servers, whose subject is the
#     engines' answers (seg's generator runs under ASan in SqlDifferential.SQLite and
#     seg_fuzz_sql), a 17 MB batch read by `seg apply` (CliMembership.ALargeBatchIsReadWhole,
#     a size check), SQLite's parse of every depth of six deep-rule shapes
#     (SqlSqliteDepth.DeepRulesParseOrAreRefused: 55 s under ASan, 4 s in the Release run; seg's deepest rules are compiled and written as SQL under ASan
#     by SqlSqliteDepth's other cases, SqlGenerate.DeepRulesAreIndentedWithinBounds and
#     RuleLimits) (both SEG_ASAN_GTEST_EXCLUDE) and the tests of tools/bench_ab.sh and
#     tools/bench_jit.py (Tools.BenchAbComparesRuleByRule, Tools.BenchJitComparesRuleByRule:
#     scripts timing builds) are left to the Release run (SEG_ASAN_EXCLUDE). The same build has the
#     libFuzzer targets (-DSEG_FUZZ=ON; tools/fuzz.sh runs them), so CI compiles the
#     libraries once for both.
#  2. build-tsan: ThreadSanitizer (-DSEG_TSAN=ON), only the tests that evaluate on several
#     threads (seg_tsan_tests; SEG_TSAN_FILTER).
# Usage: tools/sanitize.sh [asan|tsan]   (both by default)
set -eu
cd "$(dirname "$0")/.."
tools/setup.sh
WHAT=${1:-all}
# Everything at -O1 but the seg tool's own code (arguments and printing) and the test files
# that do not loop in their own code (SEG_TEST_LIGHT_OPT), at -O0. Under ASan a batch of test
# files compiles in a quarter of the time at -O0. The looping ones stay at -O1 (SEG_TEST_OPT),
# and the engine's copies of shared inline functions are the ones linked (decision 121).
FLAGS="-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DSEG_BENCHMARKS=OFF -DSEG_TEST_OPT=-O1 -DSEG_TEST_LIGHT_OPT=-O0 -DSEG_TOOL_OPT=-O0"
# clang compiles the suite about twice as fast as g++ (CI time); SEG_SANITIZE_CXX=g++ for gcc.
CXX_SAN=${SEG_SANITIZE_CXX:-clang++}
CC_SAN=$(echo "$CXX_SAN" | sed 's/clang++/clang/; s/g++/gcc/')
# The fuzz targets need clang's libFuzzer.
FUZZ=""
case $CXX_SAN in *clang*) FUZZ="-DSEG_FUZZ=ON" ;; esac
# libedit keeps the names given to el_set(EL_ADDFN) until exit (el_end does not free them):
# not seg's leak, but it fails the `seg repl` tests under LeakSanitizer.
mkdir -p build-asan
printf 'leak:el_set\nleak:wcsdup\n' >build-asan/lsan.supp
export SEG_PROPERTY_RULES=${SEG_PROPERTY_RULES:-2000}
JOBS=$(nproc)

if [ "$WHAT" = all ] || [ "$WHAT" = asan ]; then
  # The size check and the SQLite depth sweep among the GoogleTest cases are left out of the suite's CTest tests (one a
  # suite: tests/ctest_suites.cmake); the others by their CTest names below.
  GTEST_EXCLUDE=${SEG_ASAN_GTEST_EXCLUDE:-CliMembership.ALargeBatchIsReadWhole:SqlSqliteDepth.DeepRulesParseOrAreRefused}
  if [ ! -f build-asan/build.ninja ]; then
    # shellcheck disable=SC2086
    CC=$CC_SAN CXX=$CXX_SAN cmake -S . -B build-asan -G Ninja -DSEG_SANITIZE=ON $FUZZ $FLAGS "-DSEG_GTEST_EXCLUDE=$GTEST_EXCLUDE" >/dev/null
  elif ! grep -qx "SEG_GTEST_EXCLUDE:STRING=$GTEST_EXCLUDE" build-asan/CMakeCache.txt; then
    cmake -B build-asan "-DSEG_GTEST_EXCLUDE=$GTEST_EXCLUDE" >/dev/null
  fi
  cmake --build build-asan
  echo "sanitize: ASan+UBSan ctest (SEG_PROPERTY_RULES=$SEG_PROPERTY_RULES)" >&2
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/build-asan/lsan.supp} \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" -E "${SEG_ASAN_EXCLUDE:-^SqlDifferential.Engines$|^SqlPeers.WorkloadRules|^Tools.BenchAbComparesRuleByRule$|^Tools.BenchJitComparesRuleByRule$}"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = tsan ]; then
  if [ ! -f build-tsan/build.ninja ]; then
    # shellcheck disable=SC2086
    # Without the JIT: its kernels are code TSan cannot instrument, and LLVM's headers are the
    # slowest translation unit to compile (CI time); Release and ASan test the JIT.
    CC=$CC_SAN CXX=$CXX_SAN cmake -S . -B build-tsan -G Ninja -DSEG_TSAN=ON -DSEG_JIT=OFF $FLAGS >/dev/null
  fi
  cmake --build build-tsan --target seg_tsan_tests seg
  # The multi-threaded evaluation: the differential tests (1 and 3 threads, several blocks per
  # thread forced), the pinned Q1-Q6 results at 1M rows (1 and 2 threads), one store queried
  # through the public API from 8 threads at once, two catalog writers racing, and `seg serve`
  # (built with TSan; a race stops it, which fails the test) counting on four connections
  # through ten data reloads, a membership's long poll woken by a change on another
  # connection, compactions on their own thread while changes go on (in the library and in
  # `seg serve`), 70 long polls at once against the bound on waiting requests, and member
  # streams reading a membership's rows under its lock.
  FILTER=${SEG_TSAN_FILTER:-"RuntimeDifferential.*:Workload.PinnedResultsAt1M:Api.OneStoreManyQueriesManyThreads:Catalog.TwoWritersOnOneVersionExactlyOneWins:Service.CountsStayWholeWhileTheDataIsReloaded:Service.CountsOfSavedSegmentsAreWarmedInTheBackground:Service.MembershipChangesAndEventsOverHttp:Service.MembershipCompactsInTheBackground:Service.WaitingRequestsLeaveThreadsForEveryoneElse:Service.MemberStreamsWithAMembershipAreItsMembers:Service.SavesAndListingsAtOnceLeaveTheServiceStanding:LiveMembership.IncrementalEqualsFullAcrossBatchesAndClockSteps:LiveMembership.ChangesDuringACompactionAreTakenOver:LiveMembership.AViewKeepsItsVersionWhileTheMembershipGoesOn"}
  echo "sanitize: ThreadSanitizer on $FILTER" >&2
  # Reports go to files (build-tsan/tsan.PID), so a report of the `seg serve` child is seen too.
  # Debian's libcpp-httplib.so is not instrumented: its threads hand work over through atomics
  # TSan cannot see, so its own memcmp of a buffer another of its threads filled is reported.
  # Only reports from inside that library are suppressed; seg's code stays fully checked.
  printf 'called_from_lib:libcpp-httplib.so\n' >build-tsan/tsan.supp
  rm -f build-tsan/tsan.[0-9]* build-tsan/shard-*.log
  # Two processes at once: the longest test (the membership's differential test, about 45 s)
  # in one, the others in the other; one process ran them all on one core for about 110 s.
  # The random-rule tests run a quarter of the ASan run's rules (SEG_TSAN_PROPERTY_RULES):
  # what TSan checks is the threads' hand-offs, which every rule goes through alike.
  LONG=LiveMembership.IncrementalEqualsFullAcrossBatchesAndClockSteps
  case $FILTER in *-*) REST="$FILTER:$LONG" ;; *) REST="$FILTER-$LONG" ;; esac
  run_tsan() {  # N FILTER
    SEG_PROPERTY_RULES=${SEG_TSAN_PROPERTY_RULES:-500} \
    TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/build-tsan/tsan.supp:log_path=$PWD/build-tsan/tsan} \
      build-tsan/tests/seg_tsan_tests --gtest_filter="$2" --gtest_brief=1 >"build-tsan/shard-$1.log" 2>&1
  }
  status=0
  run_tsan 0 "$REST" &
  pids=$!
  if build-tsan/tests/seg_tsan_tests --gtest_filter="$FILTER" --gtest_list_tests | grep -q "^  ${LONG#*.}$"; then
    run_tsan 1 "$LONG" &
    pids="$pids $!"
  fi
  for pid in $pids; do wait "$pid" || status=$?; done
  cat build-tsan/shard-*.log >&2
  if ls build-tsan/tsan.[0-9]* >/dev/null 2>&1; then
    cat build-tsan/tsan.[0-9]* >&2
    status=1
  fi
  [ "$status" -eq 0 ] || { echo "sanitize: ThreadSanitizer found a problem" >&2; exit 1; }
fi
echo "sanitize: clean" >&2
