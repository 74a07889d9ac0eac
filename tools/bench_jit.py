#!/usr/bin/env python3
# The JIT's A/B (issue 16, decisions 45 and 96): `seg bench --rules-file RULES` on DATA with the
# interpreter and with `--jit`, alternated ROUNDS times; each rule's figure is the median over
# the rounds of its median run. Prints Q1-Q6, then for the rules the JIT compiled a kernel for
# the ratio JIT / interpreter (median, 10th and 90th percentile, how many are 5% faster or
# slower), both sums over every rule of the file, and the JIT's compile time in each round.
# Every rule's count must be the same both ways, or it says which and exits 1.
#
# Usage: tools/bench_jit.py --data FILE --rules FILE [--rounds 3] [--repeat 7] [--seg build/seg]
import argparse, json, statistics, subprocess, sys

ap = argparse.ArgumentParser(description="The JIT against the interpreter, rule by rule")
ap.add_argument("--data", required=True, help="a .seg snapshot (or CSV) to evaluate on")
ap.add_argument("--rules", required=True, help="one rule a line, e.g. build/tests/seg_random_rules 300 1")
ap.add_argument("--rounds", type=int, default=3, help="alternations of the two ways (default 3)")
ap.add_argument("--repeat", type=int, default=7, help="runs of each rule in a round (default 7)")
ap.add_argument("--seg", default="build/seg", help="the seg binary (default build/seg)")
a = ap.parse_args()


def bench(jit):
    """One `seg bench` run; seg's own error (a missing file, a bad rule) ends the script with it, exit 2."""
    cmd = [a.seg, "bench", "--data", a.data, "--rules-file", a.rules, "--repeat", str(a.repeat), "--format", "json",
           "--no-bound"]  # (the memory bandwidth, a second a run, is not compared here)
    try:
        p = subprocess.run(cmd + (["--jit"] if jit else []), capture_output=True, text=True)
    except OSError as e:
        sys.exit(f"bench_jit: cannot run {a.seg}: {e.strerror} (build it: tools/build.sh, or pass --seg)")
    if p.returncode != 0:  # (with --format json, seg's errors are JSON on stdout)
        sys.stderr.write(p.stdout + p.stderr)
        print(f"bench_jit: `seg bench` failed (exit {p.returncode}), above", file=sys.stderr)
        sys.exit(2)
    return json.loads(p.stdout)


runs = {False: [], True: []}
for _ in range(a.rounds):
    for jit in (False, True):
        runs[jit].append(bench(jit))

by = {jit: {} for jit in runs}
for jit, rs in runs.items():
    for r in rs:
        for x in r["rules"]:
            by[jit].setdefault(x["id"], []).append(x)

bad = [i for i in by[False] if {x["count"] for x in by[False][i] + by[True][i]} != {by[False][i][0]["count"]}]
if bad:
    print("bench_jit: counts differ between the interpreter and the JIT for " + ", ".join(bad), file=sys.stderr)
    sys.exit(1)

med = lambda xs: statistics.median(x["median_ms"] for x in xs)
print("| rule | interpreter ms | JIT ms | JIT / interpreter | kernels |\n|---|---|---|---|---|")
ratios, sums = [], [0.0, 0.0]
for i in by[False]:
    mi, mj, kernels = med(by[False][i]), med(by[True][i]), by[True][i][0]["jit_kernels"]
    if i.startswith("Q"):
        print(f"| {i} | {mi:.3f} | {mj:.3f} | {mj / mi:.2f} | {kernels} |")
        continue
    sums[0] += mi
    sums[1] += mj
    if kernels > 0:
        ratios.append((mj / mi, by[False][i][0]["rule"]))
ratios.sort()
n = len(ratios)
total = sum(1 for i in by[False] if not i.startswith("Q"))
if n:
    q = lambda p: ratios[min(n - 1, int(p * n))][0]
    print(f"\nrules with a kernel: {n} of {total}; JIT / interpreter: median {q(0.5):.2f}, 10th percentile {q(0.1):.2f}, "
          f"90th {q(0.9):.2f}, best {ratios[0][0]:.2f} ({ratios[0][1]}), worst {ratios[-1][0]:.2f} ({ratios[-1][1]})")
    print(f"faster by more than 5%: {sum(r < 0.95 for r, _ in ratios)}, slower by more than 5%: {sum(r > 1.05 for r, _ in ratios)}")
else:
    print(f"\nno rule of {total} got a kernel")
print(f"summed over the {total} rules: interpreter {sums[0]:.1f} ms, JIT {sums[1]:.1f} ms ({sums[1] / sums[0]:.2f})")
for r in runs[True]:
    j = r.get("jit", {})
    print(f"compiled {j.get('kernels_compiled', 0)} kernels in {j.get('compile_ms', 0):.1f} ms")
