# SPDX-License-Identifier: MIT
"""The results file of a test run (tests/run.py --resume FILE).

Each finished test is appended to it at once, flushed and synced (over 9p
too), so that a run cut short — an emulated KVM host that froze and that
scripts/onkvm stopped — can be resumed: the next run with the same file runs
only the tests it does not hold, and counts them all in its closing line.

One JSON object a line:

  {"start": RUN}        a run began (RUN: 1, 2, ...)
  {"name": NAME, "status": "pass" | "fail" | "skip", "detail": TEXT,
   "seconds": S, "run": RUN, "kvm": true | false | ARCH, "host": TEXT}
                        a test finished; "kvm": it ran guests on KVM (true:
                        x86's; "riscv64": RISC-V's, on the host "host"
                        describes, scripts/onkvm-riscv64 --kind). The unit
                        test binary is one such line (one unit of work), its
                        own tests in "tests": [[NAME, STATUS, DETAIL], ...]
  {"end": RUN}          the run got to its closing line

A line the freeze cut short is not JSON and is passed over. A run with a
start and no end was cut short; the tests recorded by later runs are the ones
run again after it. A failure recorded by a run that was cut short is not
kept: it runs again. A host freezing takes a while to be seen (its kernel's
hung-task report, or 90 s without a heartbeat), and tests that wait on it
meanwhile fail by timing out; a real failure fails again in the next run.
"""
import json
import os

TAGS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}


def report(name, status, detail, seconds):
    """The line (and, for a failure, the indented detail) a finished test prints."""
    line = "%s %s (%.1fs)" % (TAGS[status], name, seconds)
    if status == "skip":
        line += ": " + detail
    print(line, flush=True)
    if status == "fail":
        print("    " + detail.rstrip().replace("\n", "\n    "), flush=True)


class Results:
    """What a run has finished, and what earlier runs in the same file did.
    path None: kept in memory only; write False: only read what path holds."""

    def __init__(self, path=None, write=True):
        self.tests = {}    # name -> its record, in the order they finished
        self.started = []  # runs begun, in this file
        self.ended = set()
        self.file = None
        text = ""
        if path and os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        for line in text.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if not isinstance(rec, dict):
                continue
            if "start" in rec:
                self.started.append(rec["start"])
            elif "end" in rec:
                self.ended.add(rec["end"])
            elif "name" in rec:
                self.tests[rec["name"]] = rec
        cut = {r for r in self.started if r not in self.ended}
        self.tests = {name: rec for name, rec in self.tests.items()
                      if not (rec.get("status") == "fail" and rec.get("run") in cut)}
        self.earlier = len(self.tests)
        self.run = max(self.started, default=0) + 1
        if not write:
            return
        if path:
            self.file = open(path, "a", encoding="utf-8")
            if text and not text.endswith("\n"):
                self.file.write("\n")  # after a torn line, start a fresh one
        self._append({"start": self.run})

    def _append(self, rec):
        if self.file:
            self.file.write(json.dumps(rec) + "\n")
            self.file.flush()
            os.fsync(self.file.fileno())

    def has(self, name):
        return name in self.tests

    def add(self, name, status, detail, seconds, kvm=False, tests=None, host=None):
        rec = {"name": name, "status": status, "detail": detail,
               "seconds": round(seconds, 1), "run": self.run, "kvm": kvm}
        if host:
            rec["host"] = host
        if tests is not None:
            rec["tests"] = [list(t) for t in tests]
        self.tests[name] = rec
        self._append(rec)

    def end(self):
        self._append({"end": self.run})
        if self.file:
            self.file.close()
            self.file = None

    def all(self):
        """(name, status, detail) of every test, the unit binary's one by one."""
        out = []
        for rec in self.tests.values():
            out += [tuple(t) for t in rec.get("tests") or [(rec["name"], rec["status"], rec["detail"])]]
        return out

    def on_kvm(self, arch=True):
        """How many tests ran guests on KVM (passed or failed there): x86's
        (arch True) or another architecture's ("riscv64")."""
        return sum(1 for rec in self.tests.values() if rec.get("kvm") == arch and rec["status"] != "skip")

    def host_of(self, arch):
        """What the last test that ran arch's guests said of its KVM host ("" if nothing)."""
        hosts = [rec["host"] for rec in self.tests.values() if rec.get("kvm") == arch and rec.get("host")]
        return hosts[-1] if hosts else ""

    def rerun(self):
        """(tests run again, runs cut short): the tests recorded by runs that
        began after the first run that was cut short."""
        cut = sorted(r for r in self.started if r not in self.ended and r != self.run)
        if not cut:
            return 0, 0
        again = sum(len(rec.get("tests") or [rec]) for rec in self.tests.values()
                    if rec.get("run", 0) > cut[0])
        return again, len(cut)


def run_recorded(tests, path, *args, kvm=False, host=None):
    """Run tests ([(NAME, FUNCTION)]) that the results file at path does not
    hold yet, each as FUNCTION(*args), outside tests/run.py (the tests that
    drive scripts/onkvm and onkvm-riscv64 from out here): print each one's
    line and record it (kvm, host: what Results.add records of the tests
    that ran; kvm may be a function of the test's name, host a function
    called once a test has run). A failed
    assertion or any other exception is a failure. Returns the exit status:
    1 if any failed, else 0."""
    import time
    import traceback
    done = Results(path)
    failed = 0
    for name, fn in tests:
        if done.has(name):
            continue
        start = time.monotonic()
        try:
            fn(*args)
            status, detail = "pass", ""
        except Exception:  # a failed assertion or an unexpected error: both are failures
            status, detail = "fail", traceback.format_exc()
        secs = time.monotonic() - start
        failed += status == "fail"
        report(name, status, detail, secs)
        ran = kvm(name) if callable(kvm) else kvm
        done.add(name, status, detail, secs, kvm=ran if status != "skip" else False,
                 host=host() if callable(host) else host)
    done.end()
    return 1 if failed else 0


def main_recorded(description, tests, kvm=False, host=None):
    """The command line of a test script run outside tests/run.py
    (--resume FILE, -k PATTERN), then run_recorded: its exit status."""
    import argparse
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--resume", metavar="FILE", default=None,
                    help="record the results in FILE (tests/run.py's results file)")
    ap.add_argument("-k", metavar="PATTERN", default="", help="only the tests whose name contains PATTERN")
    args = ap.parse_args()
    return run_recorded([(name, fn) for name, fn in tests if args.k in name], args.resume,
                        kvm=kvm, host=host)
