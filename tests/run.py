#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""minikvm's test runner: unit tests, then integration tests (KVM + gdb).

Integration tests live in tests/integration/test_*.py as functions named
test_*; they raise AssertionError to fail and harness.Skip("reason") to be
reported as skipped by name (never as passed). The last line is always
"N passed, N failed, N skipped".
"""
import argparse
import concurrent.futures
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "integration"))
import harness  # noqa: E402


def run_unit(binary, results):
    proc = subprocess.run([binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace")
    seen = 0
    for line in proc.stdout.splitlines():
        if line.startswith("PASS "):
            results.append(("unit:" + line[5:], "pass", ""))
            seen += 1
        elif line.startswith("FAIL "):
            name = line[5:].split(":", 1)[0]
            results.append(("unit:" + name, "fail", line))
            seen += 1
        elif line.startswith("     "):
            print(line)
    if proc.returncode not in (0, 1) or seen == 0:
        results.append(("unit:runner", "fail",
                        "unit test binary exited %d\n%s" % (proc.returncode, proc.stdout[-4000:])))


def discover(pattern):
    tests = []
    idir = os.path.join(HERE, "integration")
    for fname in sorted(os.listdir(idir)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3], os.path.join(idir, fname))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name in sorted(dir(mod)):
            fn = getattr(mod, name)
            if name.startswith("test_") and callable(fn):
                full = "%s:%s" % (fname[:-3], name)
                if pattern and pattern not in full:
                    continue
                tests.append((full, fn, getattr(mod, "ONE_AT_A_TIME", False),
                              getattr(mod, "NEEDS_KVM", True)))
    return tests


# Tests of a module that sets ONE_AT_A_TIME = True never run two at once (each
# boots a whole Linux; on an emulated KVM host two such guests at once can take
# every CPU of that host for minutes).
ONE_AT_A_TIME = threading.Lock()


def run_one(full, fn, alone=False, needs_kvm=True):
    start = time.monotonic()
    try:
        if alone:
            with ONE_AT_A_TIME:
                start = time.monotonic()
                fn()
        else:
            fn()
        status, detail = "pass", ""
    except harness.Skip as e:
        status, detail = "skip", str(e)
    except Exception:  # a failed assertion or an unexpected error: both are failures
        status, detail = "fail", traceback.format_exc()
    return full, status, detail, time.monotonic() - start


def load_extra_results(path, results):
    """Results of tests run elsewhere, counted here: tests/demo_test.py runs
    outside the emulated KVM host (it drives scripts/onkvm) and writes one JSON
    object a line, {"name", "status": "pass"|"fail"|"skip", "detail"}. A
    missing or unreadable file is a failure: those tests did not report."""
    try:
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        for r in rows:
            ok = r["status"] in ("pass", "fail", "skip")
            results.append((r["name"], r["status"] if ok else "fail",
                            r.get("detail", "") if ok else "unknown status %r" % r["status"]))
    except (OSError, ValueError, KeyError, TypeError) as e:
        results.append(("extra-results:" + os.path.basename(path), "fail",
                        "no results from %s: %s" % (path, e)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minikvm", default="build/minikvm")
    ap.add_argument("--unit", default="build/unit_tests")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("TEST_JOBS", "3")))
    ap.add_argument("-k", dest="pattern", default=None, help="run tests whose name contains this")
    ap.add_argument("--extra-results", action="append", default=[], metavar="FILE",
                    help="count these results of tests run elsewhere too (JSON lines)")
    args = ap.parse_args()

    harness.MINIKVM = os.path.abspath(args.minikvm)
    results = []
    if not args.pattern or args.pattern.startswith("unit"):
        run_unit(args.unit, results)
        for name, status, detail in results:
            if status == "fail":
                print(detail)
        print("unit tests: %d run" % len(results))

    only_unit = (args.pattern or "").startswith("unit")
    tests = [] if only_unit else discover(args.pattern)
    kvm_problem = harness.kvm_problem()
    kvm_tests = set(t[0] for t in tests if t[3])
    if kvm_problem:
        # In CI a missing /dev/kvm is a failure, never a silent skip.
        ci = os.environ.get("CI") == "true"
        for full in sorted(kvm_tests):
            results.append((full, "fail" if ci else "skip",
                            ("no usable KVM in CI: " if ci else "no usable KVM: ") + kvm_problem))
        tests = [t for t in tests if not t[3]]
        kvm_tests = set()

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for full, status, detail, secs in pool.map(lambda t: run_one(*t), tests):
            tag = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}[status]
            line = "%s %s (%.1fs)" % (tag, full, secs)
            if status == "skip":
                line += ": " + detail
            print(line, flush=True)
            if status == "fail":
                print("    " + detail.rstrip().replace("\n", "\n    "), flush=True)
            results.append((full, status, detail))

    for path in args.extra_results:
        load_extra_results(path, results)

    passed = sum(1 for r in results if r[1] == "pass")
    failed = sum(1 for r in results if r[1] == "fail")
    skipped = sum(1 for r in results if r[1] == "skip")
    on_kvm = sum(1 for r in results if r[1] in ("pass", "fail") and r[0] in kvm_tests)
    if failed:
        print("failed: " + ", ".join(r[0] for r in results if r[1] == "fail"))
    kind = ""
    if tests and on_kvm:
        kind = "; %d ran guests on KVM (%s)" % (on_kvm, harness.host_kind())
    print("%d passed, %d failed, %d skipped%s" % (passed, failed, skipped, kind))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
