#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""minikvm's test runner: unit tests, then integration tests (KVM + gdb).

Integration tests live in tests/integration/test_*.py as functions named
test_*; they raise AssertionError to fail and harness.Skip("reason") to be
reported as skipped by name (never as passed). The last line is always
"N passed, N failed, N skipped" (then what ran on KVM, and how many tests ran
again after a run was cut short).

--resume FILE records each finished test in FILE (tests/results.py) and runs
only the tests FILE does not hold yet: after an emulated KVM host froze and
scripts/onkvm stopped it, the same command carries on where it was. Under
scripts/onkvm (ONKVM_HEARTBEAT set) a thread writes a heartbeat line every few
seconds, which is how onkvm tells a frozen host from a busy one.
"""
import argparse
import concurrent.futures
import importlib.util
import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "integration"))
import harness  # noqa: E402
import results as results_file  # noqa: E402


# What runs now, for the heartbeat.
RUNNING = set()
RUNNING_LOCK = threading.Lock()


def running(name, now):
    with RUNNING_LOCK:
        (RUNNING.add if now else RUNNING.discard)(name)


HEARTBEAT_SECONDS = 5


def start_heartbeat(path, finished):
    """A line every few seconds on path (scripts/onkvm's ONKVM_HEARTBEAT, a
    serial port of the emulated host), saying how many tests have finished and
    which run now; onkvm stops a host that falls silent and shows the last line."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as e:
        print("run.py: no heartbeat: %s: %s" % (path, e.strerror), flush=True)
        return

    def beat():
        while True:
            with RUNNING_LOCK:
                now = ", ".join(sorted(RUNNING)) or "no test"
            line = "%d finished; running %s" % (finished(), now)
            try:
                os.write(fd, (line[:400] + "\n").encode())
            except OSError:
                pass  # a full port: the next line will do
            time.sleep(HEARTBEAT_SECONDS)

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()


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


def run_one(full, fn, alone=False, needs_kvm=True):
    start = time.monotonic()
    try:
        running(full, True)
        fn()
        status, detail = "pass", ""
    except harness.Skip as e:
        status, detail = "skip", str(e)
    except Exception:  # a failed assertion or an unexpected error: both are failures
        status, detail = "fail", traceback.format_exc()
    finally:
        running(full, False)
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
    ap.add_argument("--resume", metavar="FILE", default=None,
                    help="record finished tests in FILE and run only those it does not hold")
    ap.add_argument("--kvm-only", action="store_true",
                    help="only the tests that run guests (NEEDS_KVM): a second host's pass")
    args = ap.parse_args()

    harness.MINIKVM = os.path.abspath(args.minikvm)
    done = results_file.Results(args.resume)
    if done.earlier:
        print("%s: %d finished in earlier runs, not run again" % (args.resume, done.earlier),
              flush=True)
    if os.environ.get("ONKVM_HEARTBEAT"):
        start_heartbeat(os.environ["ONKVM_HEARTBEAT"], lambda: len(done.tests))
    if (not args.pattern or args.pattern.startswith("unit")) and not done.has("unit") \
            and not args.kvm_only:
        unit, start = [], time.monotonic()
        running("unit", True)
        run_unit(args.unit, unit)
        running("unit", False)
        for name, status, detail in unit:
            if status == "fail":
                print(detail)
        print("unit tests: %d run" % len(unit), flush=True)
        failed = any(r[1] == "fail" for r in unit)
        done.add("unit", "fail" if failed else "pass", "", time.monotonic() - start, tests=unit)

    only_unit = (args.pattern or "").startswith("unit")
    tests = [] if only_unit else discover(args.pattern)
    if args.kvm_only:
        tests = [t for t in tests if t[3]]
    kvm_problem = harness.kvm_problem()
    kvm_tests = set(t[0] for t in tests if t[3])
    if kvm_problem:
        # In CI a missing /dev/kvm is a failure, never a silent skip.
        ci = os.environ.get("CI") == "true"
        for full in sorted(kvm_tests):
            if not done.has(full):
                done.add(full, "fail" if ci else "skip",
                         ("no usable KVM in CI: " if ci else "no usable KVM: ") + kvm_problem, 0)
        tests = [t for t in tests if not t[3]]
        kvm_tests = set()
    tests = [t for t in tests if not done.has(t[0])]

    # Tests of a module that sets ONE_AT_A_TIME = True never run two at once
    # (each boots a whole Linux; on an emulated KVM host two such guests at
    # once can take every CPU of that host for minutes). Together they are the
    # longest chain of the run, so they go first, one after another in a lane
    # of their own, beside the other tests (which take the other workers) from
    # the start, rather than last with workers idle waiting for them.
    # Each test is reported and recorded as it finishes.
    finished = queue.Queue()

    def lane(chain):
        for t in chain:
            finished.put(run_one(*t))

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        alone = [t for t in tests if t[2]]
        if alone:
            pool.submit(lane, alone)
        for t in tests:
            if not t[2]:
                pool.submit(lane, [t])
        for _ in tests:
            full, status, detail, secs = finished.get()
            results_file.report(full, status, detail, secs)
            done.add(full, status, detail, secs, kvm=status != "skip" and full in kvm_tests)

    results = done.all()
    for path in args.extra_results:
        load_extra_results(path, results)
    passed = sum(1 for r in results if r[1] == "pass")
    failed = sum(1 for r in results if r[1] == "fail")
    skipped = sum(1 for r in results if r[1] == "skip")
    on_kvm = done.on_kvm()
    if failed:
        print("failed: " + ", ".join(r[0] for r in results if r[1] == "fail"))
    kind = ""
    if on_kvm and not kvm_problem:
        kind = "; %d ran x86 guests on KVM (%s)" % (on_kvm, harness.host_kind())
    # The RISC-V tests (tests/riscv_test.py) ran before this suite and are in its results file.
    on_riscv = done.on_kvm("riscv64")
    if on_riscv:
        kind += "; %d ran RISC-V guests on KVM (%s)" % (on_riscv, done.host_of("riscv64"))
    again, cut = done.rerun()
    if cut:
        kind += "; %d rerun after %d %s" % (again, cut, (
            "freeze%s of the emulated host" if os.environ.get("ONKVM_HOST") else "run%s cut short")
            % ("" if cut == 1 else "s"))
    print("%d passed, %d failed, %d skipped%s" % (passed, failed, skipped, kind), flush=True)
    done.end()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
