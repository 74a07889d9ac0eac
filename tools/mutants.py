#!/usr/bin/env python3
"""Mutation testing: does the suite notice a plausible bug? (docs/testing.md, "Mutants")

Each mutant in tests/mutants/mutants.json is one small change a programmer could make by
mistake (an operator flipped, a bound one off, a branch dropped), as an exact text to replace
in one file, with the tests that should catch it. For each, this script applies the change in a
throwaway clone of HEAD (your checkout is not touched), builds seg_tests and seg there, runs the
named tests, and says KILLED (a test failed: good) or SURVIVED (the suite did not notice: a
missing test). A mutant whose text is no longer in its file is STALE: the code moved, so update
the entry. Exits 1 if any mutant survived or is stale, 2 on a usage or build error.

Slow by nature (one incremental build a mutant, about a minute each on 2 cores), so not part
of tools/test.sh or CI. Usage:
  tools/mutants.py                 every mutant
  tools/mutants.py 02 17           some of them
  tools/mutants.py --list          what they are
  tools/mutants.py --keep DIR      build in DIR (kept, and reused by the next run)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIST = os.path.join(ROOT, "tests", "mutants", "mutants.json")


def run(cmd, cwd, log=None, timeout=None):
    with open(log, "w") if log else open(os.devnull, "w") as out:
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return -1


def failed_tests(log):
    names = []
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("[  FAILED  ] ") and "listed below" not in line and " tests, " not in line:
                name = line[len("[  FAILED  ] "):].split(" ")[0].strip().rstrip(",")
                if name and name not in names:
                    names.append(name)
    return names


def main():
    ap = argparse.ArgumentParser(description="Mutation testing of seg's suite (see the top of this file).")
    ap.add_argument("ids", nargs="*", help="mutant ids (default: all)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--keep", metavar="DIR", help="clone and build in DIR and keep it (default: a temporary directory)")
    args = ap.parse_args()

    with open(LIST) as f:
        mutants = json.load(f)
    # An id names one mutant: two entries with one id both ran under it, and a report of
    # "23 killed" did not say which (it happened once).
    ids = [m["id"] for m in mutants]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        print(f"mutants: {LIST} gives ids {', '.join(repeated)} to more than one mutant", file=sys.stderr)
        return 2
    if args.list:
        for m in mutants:
            print(f"{m['id']}  {m['file']}: {m['what']}")
        return 0
    known = {m["id"] for m in mutants}
    unknown = [i for i in args.ids if i not in known]
    if unknown:
        print(f"mutants: no mutant {', '.join(unknown)} (tools/mutants.py --list)", file=sys.stderr)
        return 2
    chosen = [m for m in mutants if not args.ids or m["id"] in args.ids]

    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="seg-mutants-")
    src = os.path.join(work, "src")
    try:
        if not os.path.isdir(os.path.join(src, ".git")):
            if run(["git", "clone", "-q", ROOT, src], ROOT) != 0:
                print("mutants: could not clone the repository", file=sys.stderr)
                return 2
        else:
            run(["git", "fetch", "-q", ROOT, "HEAD"], src)
            run(["git", "checkout", "-q", "--force", "FETCH_HEAD"], src)
        build = os.path.join(src, "build")
        env_log = os.path.join(work, "configure.log")
        if not os.path.isfile(os.path.join(build, "build.ninja")):
            if run(["cmake", "-S", ".", "-B", "build", "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release", "-DSEG_BENCHMARKS=OFF"],
                   src, env_log) != 0:
                print(f"mutants: cmake failed ({env_log})", file=sys.stderr)
                return 2
        # ccache hashes paths relative to this base, so the clone reuses the main build's objects.
        os.environ.setdefault("CCACHE_BASEDIR", src)

        def build_and_test(name, tests):
            blog = os.path.join(work, f"{name}.build.log")
            if run(["ninja", "-C", "build", "seg_tests", "seg"], src, blog) != 0:
                return None, blog
            tlog = os.path.join(work, f"{name}.test.log")
            rc = run(["build/tests/seg_tests", "--gtest_brief=1", f"--gtest_filter={tests}"], src, tlog, timeout=1800)
            return rc, tlog

        # The tests must pass before any mutation, or a "kill" means nothing.
        all_tests = ":".join(sorted({t for m in chosen for t in m["tests"].split(":")}))
        print(f"mutants: building and running the chosen tests unmutated in {src} ...", flush=True)
        rc, log = build_and_test("baseline", all_tests)
        if rc != 0:
            print(f"mutants: {'the build failed' if rc is None else 'the tests fail unmutated'} ({log})", file=sys.stderr)
            return 2

        results = []
        for m in chosen:
            path = os.path.join(src, m["file"])
            with open(path) as f:
                text = f.read()
            if text.count(m["from"]) != 1:
                results.append((m, "STALE", f"its text is in {m['file']} {text.count(m['from'])} times, not once"))
                print(f"{m['id']}: STALE", flush=True)
                continue
            with open(path, "w") as f:
                f.write(text.replace(m["from"], m["to"]))
            try:
                rc, log = build_and_test(m["id"], m["tests"])
            finally:
                with open(path, "w") as f:
                    f.write(text)
            if rc is None:
                results.append((m, "NO BUILD", f"the mutant does not compile ({log}): pick another"))
            elif rc == 0:
                results.append((m, "SURVIVED", "no test failed"))
            else:
                names = failed_tests(log)
                results.append((m, "KILLED", ", ".join(names[:3]) if names else f"the tests exited {rc} ({log})"))
            print(f"{m['id']}: {results[-1][1]}  {results[-1][2]}", flush=True)

        print()
        for m, verdict, why in results:
            print(f"{m['id']}  {verdict:8}  {m['file']}: {m['what']}\n            {why}")
        bad = [r for r in results if r[1] in ("SURVIVED", "STALE")]
        print(f"\n{len(results)} mutants: {sum(r[1] == 'KILLED' for r in results)} killed, "
              f"{sum(r[1] == 'SURVIVED' for r in results)} survived, {sum(r[1] == 'STALE' for r in results)} stale, "
              f"{sum(r[1] == 'NO BUILD' for r in results)} did not build")
        return 1 if bad else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
