#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests of scripts/onkvm itself.

They drive onkvm, so they run here, outside the emulated host: `make test`
runs them before the suite where `scripts/onkvm --kind` says "emulated", and
records them in the suite's results file (--resume FILE, as tests/run.py), so
that the suite's closing line counts them.

test_freeze: an emulated host that freezes costs ONKVM_SILENCE seconds, not
ONKVM_TIMEOUT, and the run resumed after it runs only the tests that had not
finished. A few quick guest tests run under onkvm; once one has finished,
the host's QEMU is stopped (SIGSTOP: both CPUs stuck, nothing printed, as in
a real freeze); onkvm must end it and exit 124 within the silence and a
margin, leave no QEMU behind, and the resumed run must run exactly the rest.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import results as results_file  # noqa: E402
import run  # noqa: E402

ONKVM = os.path.join(ROOT, "scripts", "onkvm")
# ONKVM_SILENCE for the test: short, to keep it cheap, yet two of run.py's 5 s
# heartbeats, so that the quick guests before the SIGSTOP never look silent.
SILENCE = 10
MARGIN = 30   # what stopping the host and onkvm's ending may take on top
PATTERN = "test_guests:test_smp_"  # five guests of a second or two each, one at a time


def children():
    """{pid: [child pids]} of every process on the machine."""
    tree = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(d))
    return tree


def qemus_under(pid):
    """The QEMU processes among pid's descendants (the emulated host it runs)."""
    tree, found, todo = children(), [], [pid]
    while todo:
        for kid in tree.get(todo.pop(), []):
            todo.append(kid)
            try:
                with open("/proc/%d/comm" % kid) as f:
                    if f.read().startswith("qemu-system"):
                        found.append(kid)
            except OSError:
                pass
    return found


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def tail(path, n=3000):
    with open(path, errors="replace") as f:
        return f.read()[-n:]


def test_freeze(minikvm, scratch):
    inner = os.path.join(scratch, "onkvm-test-results.jsonl")
    out, err = inner + ".out", inner + ".err"
    for p in (inner, out, err):
        if os.path.exists(p):
            os.unlink(p)
    cmd = [ONKVM, "python3", os.path.join(HERE, "run.py"), "--minikvm", minikvm,
           "--jobs", "1", "-k", PATTERN, "--resume", inner]
    env = dict(os.environ, ONKVM_FORCE="emulated", ONKVM_SILENCE=str(SILENCE), ONKVM_TIMEOUT="300")
    expected = set(t[0] for t in run.discover(PATTERN))
    assert len(expected) >= 3, "too few tests match %s: %s" % (PATTERN, sorted(expected))

    def logs():
        return "\n--- onkvm's stdout:\n%s\n--- onkvm's stderr:\n%s" % (tail(out), tail(err))

    def froze_by_itself(status):
        return status == 124 and any(w in tail(err) for w in ("fell silent", "kernel froze", "kernel panicked"))

    def start():
        if os.path.exists(inner):
            os.unlink(inner)
        with open(out, "w") as fo, open(err, "w") as fe:
            return subprocess.Popen(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=fo,
                                    stderr=fe, start_new_session=True)

    qemu, proc, own_freezes = None, start(), 0
    try:
        deadline = time.monotonic() + 240
        while not results_file.Results(inner, write=False).tests:
            # A real freeze of the emulated host before the first test finished
            # (QEMU 7.2's come every few suite runs; the short silence here
            # catches them fast): nothing was recorded, so start again.
            if proc.poll() is not None and froze_by_itself(proc.returncode) and own_freezes < 2:
                own_freezes += 1
                print("onkvm_test: the emulated host froze by itself before the first test finished; "
                      "starting again", flush=True)
                proc, deadline = start(), time.monotonic() + 240
                continue
            assert proc.poll() is None, "onkvm ended (status %d) before a test finished%s" % (
                proc.returncode, logs())
            assert time.monotonic() < deadline, "no test finished within 240 s" + logs()
            time.sleep(0.2)
        found = qemus_under(proc.pid)
        assert len(found) == 1, "onkvm runs %d QEMUs, not one: %s" % (len(found), found)
        qemu = found[0]
        os.kill(qemu, signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            status = proc.wait(timeout=SILENCE + MARGIN)
        except subprocess.TimeoutExpired:
            raise AssertionError("onkvm did not end within %d s of the host's freeze (ONKVM_SILENCE=%d)%s"
                                 % (SILENCE + MARGIN, SILENCE, logs()))
        took = time.monotonic() - stopped
        assert status == 124, "onkvm exited %d after the freeze, not 124%s" % (status, logs())
        assert "fell silent" in tail(err), "onkvm did not say the host fell silent" + logs()
        assert took <= SILENCE + MARGIN and took < 120, "the freeze cost %.1f s" % took
        deadline = time.monotonic() + 5
        while alive(qemu) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(qemu), "the stopped QEMU (pid %d) is still there" % qemu
    finally:
        if qemu and alive(qemu):
            os.kill(qemu, signal.SIGKILL)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    before = results_file.Results(inner, write=False)
    finished = set(before.tests)
    assert finished <= expected, "recorded before the freeze: %s" % sorted(finished)
    assert finished != expected, ("every test had finished when the host was stopped: "
                                  "nothing left to rerun (slower tests needed)")
    # The resumed run is watched as make test's are (90 s): the short silence is
    # for the freeze above, and 20 s of a busy TCG host once looked like one.
    def resume():
        return subprocess.run(cmd, env=dict(env, ONKVM_SILENCE="90"), cwd=ROOT, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                              timeout=300)
    # A real freeze of the emulated host during the resumed run (QEMU 7.2's
    # are seen every few suite runs) is what make test meets too: like it,
    # resume again, and the closing line counts that freeze as well.
    resumed, freezes = resume(), 1
    while (resumed.returncode == 124 and freezes < 3 and
           any(w in resumed.stdout for w in ("fell silent", "kernel froze", "kernel panicked"))):
        print("onkvm_test: the emulated host froze by itself in the resumed run; resuming again", flush=True)
        resumed, freezes = resume(), freezes + 1
    after = results_file.Results(inner, write=False)
    again = set(n for n, r in after.tests.items() if r.get("run", 0) >= before.run)
    assert again == expected - finished, "the resumed run ran %s; unfinished were %s\n%s" % (
        sorted(again), sorted(expected - finished), resumed.stdout[-3000:])
    closing = (resumed.stdout.rstrip().splitlines() or [""])[-1]
    counts = re.match(r"(\d+) passed, (\d+) failed, (\d+) skipped", closing)
    want = "; %d rerun after %d freeze%s of the emulated host" % (len(again), freezes, "" if freezes == 1 else "s")
    assert counts and sum(map(int, counts.groups())) == len(expected) and closing.endswith(want), (
        "the resumed run's closing line is %r: not %d tests in all, ending %r\n%s"
        % (closing, len(expected), want, resumed.stdout[-3000:]))
    print("onkvm_test: the host fell silent %.1f s after its QEMU was stopped (ONKVM_SILENCE=%d); "
          "%d of %d tests had finished, the resumed run ran the other %d"
          % (took, SILENCE, len(finished), len(expected), len(again)), flush=True)


TESTS = [("onkvm_test:test_freeze", test_freeze)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minikvm", default="build/minikvm")
    ap.add_argument("--resume", metavar="FILE", default=None,
                    help="record the results in FILE (tests/run.py's results file)")
    ap.add_argument("--scratch", default="build", help="where the test's own files go (not under /tmp)")
    args = ap.parse_args()
    minikvm, scratch = os.path.abspath(args.minikvm), os.path.abspath(args.scratch)
    return results_file.run_recorded(TESTS, args.resume, minikvm, scratch)


if __name__ == "__main__":
    sys.exit(main())
