#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The README's run command, `make demo`, tried from outside as a user would.

Runs on this machine, never inside scripts/onkvm (it drives onkvm): without a
usable /dev/kvm, `make demo` boots the emulated KVM host with this process's
pipes as the demo's terminal (onkvm --tty) and the gdb port forwarded to
127.0.0.1 here (onkvm --forward); with one, onkvm runs minikvm directly. Either
way this machine's real gdb attaches to 127.0.0.1:PORT, on a free port (never
the default 1234 a user may have in use).

  demo:ckernel   the demo as it is (guest/ckernel.elf, -S): the stub waits; gdb
                 sees the first instruction at _start, stops at a breakpoint on
                 leaf with x=0 and the whole call chain, reads a string and
                 bytes of guest memory, detaches; the guest then runs to its end,
                 its serial output comes on stdout, and the run ends with 0.
  demo:reattach  guest/ticker.elf (never ends by itself): ticks arrive; gdb
                 attaches, stops at tick_once, detaches; ticks go on; gdb
                 attaches again and sees more ticks; Ctrl-A x typed on the
                 demo's terminal ends it with status 0.

Both check that only 127.0.0.1 listens on the port here and that the port is
free again when the run has ended (the emulated host is gone).

Prints a PASS or FAIL line per test, and with --results FILE writes one JSON
object a line, {"name", "status": "pass"|"fail", "detail", "secs"}, which
tests/run.py --extra-results FILE counts in the suite's closing line (make test
runs this first). Exit status: 0 all passed, 1 some failed.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The emulated host boots in about 10 s on an idle 2-core machine; a loaded one
# (or a first run that fetches the host's kernel) takes longer.
START_TIMEOUT = 600
STEP_TIMEOUT = 120


class Demo:
    """`make demo` with pipes for its terminal; stdout and stderr collected."""

    def __init__(self, port, guest="guest/ckernel.elf", args="-S"):
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        self.port = port
        self.proc = subprocess.Popen(
            ["make", "-s", "--no-print-directory", "demo", "DEMO_PORT=%d" % port,
             "DEMO_GUEST=" + guest, "DEMO_ARGS=" + args],
            cwd=TOP, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
        self.out = bytearray()
        self.err = bytearray()
        self.cond = threading.Condition()
        self.readers = [threading.Thread(target=self._read, args=(f, buf), daemon=True)
                        for f, buf in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for t in self.readers:
            t.start()

    def _read(self, f, buf):
        while True:
            data = os.read(f.fileno(), 65536)
            with self.cond:
                if not data:
                    self.cond.notify_all()
                    return
                buf += data
                self.cond.notify_all()

    def text(self):
        with self.cond:
            return "stdout:\n%s\nstderr:\n%s" % (self.out.decode(errors="replace")[-3000:],
                                                  self.err.decode(errors="replace")[-3000:])

    def wait_for(self, which, pattern, timeout=STEP_TIMEOUT):
        """Wait until stdout or stderr matches the regex; return the match."""
        buf = self.out if which == "stdout" else self.err
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = re.search(pattern.encode(), bytes(buf))
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not any(t.is_alive() for t in self.readers)):
                    break
                self.cond.wait(min(left, 1.0))
        raise AssertionError("no %r on the demo's %s within %d s (status %s)\n%s"
                             % (pattern, which, timeout, self.proc.poll(), self.text()))

    def type(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_exit(self, timeout=STEP_TIMEOUT):
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("the demo did not end within %d s\n%s" % (timeout, self.text()))
        for t in self.readers:
            t.join(10)
        return status

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listeners(port):
    """Addresses listening on TCP port `port` here, from /proc/net/tcp{,6}."""
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            addr, p = local.rsplit(":", 1)
            if state == "0A" and int(p, 16) == port:
                found.append(addr)
    return found


def check_loopback_only(port):
    addrs = listeners(port)
    assert addrs, "nothing listens on port %d here" % port
    # 0100007F is 127.0.0.1 as /proc/net/tcp writes it (little-endian hex).
    assert all(a == "0100007F" for a in addrs), "port %d listens beyond 127.0.0.1: %s" % (port, addrs)


def gdb(elf, port, *commands):
    argv = ["gdb", "-nx", "-batch", "-ex", "set confirm off",
            "-ex", "target remote 127.0.0.1:%d" % port]
    for c in commands:
        argv += ["-ex", c]
    argv.append(os.path.join(TOP, elf))
    proc = subprocess.run(argv, cwd=TOP, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=STEP_TIMEOUT)
    return proc.stdout


def expect(text, pattern, what):
    m = re.search(pattern, text, re.M)
    assert m, "%s: no %r in gdb's output:\n%s" % (what, pattern, text)
    return m


def test_ckernel(demo, port):
    demo.wait_for("stderr", r"gdb stub listening on 127\.0\.0\.1:%d" % port, START_TIMEOUT)
    check_loopback_only(port)
    out = gdb("guest/ckernel.elf", port,
              "p/x $pc", "p $pc == (long)&_start", "break leaf", "continue", "bt", "p x",
              "p message", "x/4xb &pattern[60]", "p/x $cr0 & 0x80000001", "detach")
    expect(out, r"^\$1 = 0x100000$", "-S: the first instruction")
    expect(out, r"^\$2 = 1$", "-S: the first instruction is _start")
    expect(out, r"^Breakpoint 1, leaf \(x=0\) at .*ckernel\.c", "breakpoint on leaf")
    expect(out, r"#1 .* accumulate \(total=0, i=0\)", "bt")
    expect(out, r"#2 .* compute \(n=10\)", "bt")
    expect(out, r"#3 .* kmain \(\)", "bt")
    expect(out, r"^\$3 = 0$", "leaf's argument")
    expect(out, r'^\$4 = "minikvm ckernel data"$', "guest memory (a string)")
    expect(out, r"<pattern\+60>:\s+0x3c\s+0x3d\s+0x3e\s+0x3f$", "guest memory (bytes)")
    expect(out, r"^\$5 = 0x80000001$", "CR0: paging and protection on")
    expect(out, r"Inferior 1 .* detached", "detach")
    # Detached, the guest runs on to its end: its serial output on our stdout.
    demo.wait_for("stdout", r"ckernel: compute\(10\)=295\r?\n(.*\n)*ckernel: done")
    status = demo.wait_exit()
    assert status == 0, "make demo ended with %d\n%s" % (status, demo.text())


def test_reattach(demo, port):
    demo.wait_for("stderr", r"gdb stub listening on 127\.0\.0\.1:%d" % port, START_TIMEOUT)
    check_loopback_only(port)
    demo.wait_for("stdout", r"tick 2\r?\n")
    out = gdb("guest/ticker.elf", port, "p ticks", "break tick_once", "continue",
              "p ticks", "delete", "detach")
    first = int(expect(out, r"^\$1 = (\d+)$", "ticks while running").group(1))
    assert first >= 2, "ticks=%d after 'tick 2' was printed\n%s" % (first, out)
    expect(out, r"^Breakpoint 1, tick_once \(\) at .*ticker\.c", "breakpoint on tick_once")
    expect(out, r"Inferior 1 .* detached", "detach")
    # Running on after the detach: new ticks on the demo's terminal.
    demo.wait_for("stdout", r"tick %d\r?\n" % (first + 3))
    out = gdb("guest/ticker.elf", port, "p ticks", "detach")
    again = int(expect(out, r"^\$1 = (\d+)$", "ticks after attaching again").group(1))
    assert again >= first + 3, "ticks=%d at the second attach, %d at the first\n%s" % (again, first, out)
    expect(out, r"Inferior 1 .* detached", "second detach")
    demo.type(b"\x01x")  # Ctrl-A x, on the demo's terminal
    status = demo.wait_exit()
    assert status == 0, "make demo ended with %d after Ctrl-A x\n%s" % (status, demo.text())


TESTS = [
    ("demo:ckernel", test_ckernel, "guest/ckernel.elf", "-S"),
    ("demo:reattach", test_reattach, "guest/ticker.elf", ""),
]


def run_one(fn, guest, args):
    port = free_port()
    demo = Demo(port, guest, args)
    try:
        fn(demo, port)
    finally:
        demo.kill()
    left = listeners(port)
    assert not left, "port %d still listened on after the demo ended: %s" % (port, left)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", help="write JSON lines of the results here")
    ap.add_argument("-k", dest="pattern", help="run the tests whose name contains this")
    opts = ap.parse_args()
    if opts.results and os.path.exists(opts.results):
        os.unlink(opts.results)  # a stale file must not count for this run
    results = []
    kind = subprocess.run([os.path.join(TOP, "scripts/onkvm"), "--kind"], stdout=subprocess.PIPE,
                          text=True).stdout.strip()
    print("demo tests (make demo, from outside): " + kind, flush=True)
    for name, fn, guest, args in TESTS:
        if opts.pattern and opts.pattern not in name:
            continue
        start = time.monotonic()
        try:
            run_one(fn, guest, args)
            status, detail = "pass", ""
        except Exception:
            status, detail = "fail", traceback.format_exc()
        secs = time.monotonic() - start
        print("%s %s (%.1fs)" % (status.upper(), name, secs), flush=True)
        if detail:
            print("    " + detail.rstrip().replace("\n", "\n    "), flush=True)
        results.append({"name": name, "status": status, "detail": detail, "secs": round(secs, 1)})
        if opts.results:
            with open(opts.results, "w") as f:
                for r in results:
                    f.write(json.dumps(r) + "\n")
    return 1 if any(r["status"] == "fail" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
