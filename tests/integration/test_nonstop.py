# SPDX-License-Identifier: MIT
"""gdb's non-stop mode with the SMP guest: one vCPU stops, the others run on.

gdb is driven through MI, as an IDE drives it: in non-stop mode stops come
as asynchronous records while gdb keeps taking commands, which a batch
script cannot wait for. The guest (guest/smp.c with keep_ticking set) has
every CPU count in ticks[vcpu] forever.
"""
import os
import re
import signal
import subprocess
import threading
import time

import harness
from harness import GDB, Vmm, guest

SMP = guest("smp.bin")
SMP_ELF = guest("smp.bin.elf")


class Mi:
    """gdb --interpreter=mi3 on pipes: commands with tokens, records read by a thread."""

    def __init__(self, elf, vm):
        self.vm = vm
        self.p = subprocess.Popen([GDB, "--interpreter=mi3", "-nx", "-q", elf],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.lines = []
        self.seen = 0           # lines before this were consumed by wait()
        self.cv = threading.Condition()
        self.token = 100
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.p.stdout:
            with self.cv:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self.cv.notify_all()
        with self.cv:
            self.lines.append("@@EOF")
            self.cv.notify_all()

    def log(self):
        return "\n".join(self.lines[-80:]) + "\n--- minikvm's stderr:\n" + self.vm.stderr()

    def wait(self, pattern, timeout=60):
        """The first line from here on matching pattern (a regex); lines up to it are consumed."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for i in range(self.seen, len(self.lines)):
                    m = rx.search(self.lines[i])
                    if m:
                        self.seen = i + 1
                        return m
                    if self.lines[i] == "@@EOF":
                        raise AssertionError("gdb ended waiting for %r:\n%s" % (pattern, self.log()))
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for %r:\n%s" % (pattern, self.log()))
                self.cv.wait(left)

    def cmd(self, text, ok=r"\^(done|running|connected)"):
        """Run a command; returns its result record (asserted to match ok)."""
        self.token += 1
        self.p.stdin.write(("%d%s\n" % (self.token, text)).encode())
        self.p.stdin.flush()
        m = self.wait(r"^%d\^" % self.token)
        line = m.string
        assert re.match(r"%d%s" % (self.token, ok), line), "%s -> %s\n%s" % (text, line, self.log())
        return line

    def value(self, expr, thread=None):
        opt = "--thread %d " % thread if thread else ""
        line = self.cmd('-data-evaluate-expression %s"%s"' % (opt, expr))
        return int(re.search(r'value="(-?\d+)"', line).group(1))

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write(b"-gdb-exit\n")
                self.p.stdin.flush()
                self.p.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait()


def poll_until(mi, what, cond, timeout=60):
    end = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError("never true: %s\n%s" % (what, mi.log()))
        time.sleep(0.05)


def stopped_threads(mi):
    line = mi.cmd("-thread-info")
    return sorted(int(t) for t, state in re.findall(r'\{id="(\d+)".*?state="(\w+)"', line)
                  if state == "stopped")


def test_non_stop_one_vcpu_stops_the_others_run():
    with Vmm(["-S", "-c", "3", "--format", "raw32", SMP]) as vm:
        mi = Mi(SMP_ELF, vm)
        try:
            mi.cmd("-gdb-set confirm off")
            mi.cmd("-gdb-set mi-async on")  # non-stop needs gdb async (an IDE sets it too)
            mi.cmd("-gdb-set non-stop on")
            mi.cmd("-target-select remote %s" % vm.sock)
            # Attached: every vCPU stopped (at the entry, -S). gdb hears of
            # the first at once, of the others just after (nonstop.c says why).
            poll_until(mi, "all three threads stopped", lambda: stopped_threads(mi) == [1, 2, 3])
            assert mi.value("keep_ticking=1") == 1
            # A breakpoint for vCPU 1 only; the others step over it in the stub (condition false).
            mi.cmd('-break-insert -c "cpu == 1" tick')
            mi.cmd("-exec-continue --all")
            m = mi.wait(r'^\*stopped,reason="breakpoint-hit".*?thread-id="(\d+)"')
            assert m.group(1) == "2", m.string
            assert 'func="tick"' in m.string
            mi.cmd("-break-delete 1")
            # Thread 2 (vCPU 1) is stopped in tick(cpu=1); threads 1 and 3 run on.
            assert stopped_threads(mi) == [2]
            assert mi.value("cpu", thread=2) == 1
            pc2 = mi.value("(unsigned long)$pc", thread=2)
            t1 = mi.value("ticks[1]", thread=2)
            t0, t2 = mi.value("ticks[0]", thread=2), mi.value("ticks[2]", thread=2)
            poll_until(mi, "vCPU 0 and 2 count on", lambda: mi.value("ticks[0]", thread=2) > t0 + 2
                       and mi.value("ticks[2]", thread=2) > t2 + 2)
            assert mi.value("ticks[1]", thread=2) == t1  # the stopped one does not
            assert mi.value("(unsigned long)$pc", thread=2) == pc2
            # Step the stopped vCPU alone while the others run.
            mi.cmd("-exec-step-instruction --thread 2")
            m = mi.wait(r'^\*stopped,reason="end-stepping-range".*?thread-id="(\d+)"')
            assert m.group(1) == "2", m.string
            assert mi.value("(unsigned long)$pc", thread=2) != pc2
            assert stopped_threads(mi) == [2]
            # Interrupt vCPU 2 (thread 3) alone: it stops with signal 0, vCPU 0 runs on.
            mi.cmd("-exec-interrupt --thread 3")
            m = mi.wait(r'^\*stopped,.*?thread-id="(\d+)"')
            assert m.group(1) == "3", m.string
            assert stopped_threads(mi) == [2, 3]
            t2 = mi.value("ticks[2]", thread=3)
            t0 = mi.value("ticks[0]", thread=3)
            poll_until(mi, "vCPU 0 counts on", lambda: mi.value("ticks[0]", thread=3) > t0 + 2)
            assert mi.value("ticks[2]", thread=3) == t2
            # And the last running one: every vCPU is stopped now.
            mi.cmd("-exec-interrupt --thread 1")
            m = mi.wait(r'^\*stopped,.*?thread-id="(\d+)"')
            assert m.group(1) == "1", m.string
            assert stopped_threads(mi) == [1, 2, 3]
            frozen = [mi.value("ticks[%d]" % i, thread=1) for i in range(3)]
            # Resume one thread: only its counter moves.
            mi.cmd("-exec-continue --thread 1")
            poll_until(mi, "vCPU 0 runs again", lambda: mi.value("ticks[0]", thread=2) > frozen[0] + 2)
            assert [mi.value("ticks[%d]" % i, thread=2) for i in (1, 2)] == frozen[1:]
            # continue -a: all run; then detach leaves them running.
            mi.cmd("-exec-continue --all")
            assert stopped_threads(mi) == []
            mi.cmd("-target-detach")
        finally:
            mi.close()
        assert vm.proc.poll() is None, vm.stderr()  # still ticking, undisturbed


def test_non_stop_ctrl_c_stops_one_thread():
    """^C at gdb's terminal in non-stop mode (vCtrlC): one running vCPU stops with SIGINT."""
    with Vmm(["-S", "-c", "2", "--format", "raw32", SMP]) as vm:
        p = subprocess.Popen([GDB, "-q", "-nx", SMP_ELF], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        seen = b""
        try:
            p.stdin.write(b"set confirm off\nset non-stop on\ntarget remote %s\n"
                          b"set var keep_ticking=1\nthread 1\ncontinue -a\n" % vm.sock.encode())
            p.stdin.flush()
            end = time.monotonic() + 60
            while b"Continuing." not in seen and time.monotonic() < end:
                r, _, _ = harness.select.select([p.stdout], [], [], 1)
                if r:
                    seen += os.read(p.stdout.fileno(), 4096)
            assert b"Continuing." in seen, seen
            vm.wait_output("CPUs online\n")  # both vCPUs are in their tick loops now
            p.send_signal(signal.SIGINT)
            out, _ = p.communicate(b"info threads\np ticks[1]\nshell sleep 1\np ticks[1]\n"
                                   b"p ticks[0]\nshell sleep 1\np ticks[0]\ndetach\nquit\n",
                                   timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
        out = (seen + out).decode(errors="replace")
        m = re.search(r'Thread (\d) "vCPU (\d)" received signal SIGINT', out)
        assert m, out
        stopped, running = int(m.group(2)), 1 - int(m.group(2))
        values = [int(v) for v in re.findall(r"^(?:\(gdb\) )*\$\d+ = (\d+)$", out, re.M)]
        assert len(values) == 4, out
        count = {1: values[0:2], 0: values[2:4]}  # each vCPU's ticks, 1 s apart
        assert count[stopped][0] == count[stopped][1], out
        assert count[running][1] > count[running][0], out
        # gdb shows the other thread running.
        assert re.search(r"^[ *] %d +Thread 1\.%d .*\(running\)" % (running + 1, running + 1), out, re.M), out
