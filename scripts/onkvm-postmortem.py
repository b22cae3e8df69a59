#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Where were the emulated host's CPUs when it stopped answering?

    onkvm-postmortem.py MONITOR_SOCKET SYSTEM_MAP OUT_FILE

scripts/onkvm runs this when its emulated KVM host falls silent, before it
stops that host's QEMU: it asks QEMU's monitor (HMP, on a unix socket) for
every CPU's registers and writes them to OUT_FILE with a summary, one line a
CPU, on stdout:

    CPU 0: host kernel, RIP ffffffff81234567 = native_safe_halt+0x12, CPL 0, halted
    CPU 1: not in the host kernel (the nested guest, or host user space), RIP 00007c01, CPL 0

QEMU shows the nested guest's own registers while a CPU runs it (its EFER
keeps SVME, which AMD-V requires of a guest, so that does not tell). A RIP in
the host kernel's text (System.map; onkvm boots the host with nokaslr) was
the host kernel's; any other RIP, the nested guest's or host user space's
(CPL tells those apart only roughly: a nested guest runs at its own CPL).
Three samples are taken a second apart: a CPU whose RIP never moves while
it is not halted is not being run at all. For each CPU, the QEMU thread that
emulates it is looked at on this machine too (`info cpus` names it): its
state, the CPU time it used in that second, and where in this machine's
kernel it waits (wchan): a vCPU thread asleep in a futex while its CPU is
not halted is QEMU itself stuck, not the host it emulates.
Exit status 0, or 1 if the monitor could not be asked (said on stderr); a
QEMU that is itself stopped (SIGSTOP, as tests/onkvm_test.py freezes one)
is said to be at once, without waiting for a monitor that cannot answer.
"""
import bisect
import os
import re
import socket
import sys
import time

ANSI = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]")


def hmp(sock_path, command, timeout=8.0):
    """One HMP command's output (QEMU echoes the command and ends with a prompt)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    buf = b""
    end = time.monotonic() + timeout

    def read_prompt():
        nonlocal buf
        while not buf.rstrip().endswith(b"(qemu)"):
            if time.monotonic() > end:
                raise TimeoutError("no monitor prompt")
            chunk = s.recv(65536)
            if not chunk:
                raise EOFError("monitor closed")
            buf += ANSI.sub(b"", chunk)
        out, buf = buf, b""
        return out

    read_prompt()  # the banner
    s.sendall(command.encode() + b"\n")
    out = read_prompt().decode(errors="replace")
    s.close()
    lines = out.replace("\r", "").split("\n")
    return "\n".join(l for l in lines[1:] if not l.startswith("(qemu)"))


class Symbols:
    def __init__(self, path):
        self.addrs, self.names = [], []
        self.text = (0, 0)
        try:
            with open(path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) in (3, 4) and parts[1] in "tTwW":
                        self.addrs.append(int(parts[0], 16))
                        self.names.append(parts[2] + (" " + parts[3] if len(parts) == 4 else ""))
                    if len(parts) == 3 and parts[2] in ("_stext", "_etext"):
                        self.text = (int(parts[0], 16), self.text[1]) if parts[2] == "_stext" \
                            else (self.text[0], int(parts[0], 16))
        except OSError:
            pass

    def name(self, addr):
        """symbol+offset of a host kernel or module text address, else None."""
        in_kernel = self.text[0] <= addr < self.text[1]
        if not in_kernel and addr < 0xffff800000000000:
            return None
        # The module area (x86-64: 0xffffffffc0000000 up): the host's modules,
        # whose functions (KVM's among them) can be long.
        in_modules = 0xffffffffc0000000 <= addr < 0xffffffffff000000
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0 or (not in_kernel and not in_modules and addr - self.addrs[i] > 0x10000):
            return None  # a kernel-half address, but none of the host's: the nested guest's
        name, _, module = self.names[i].partition(" ")
        return "%s+%#x%s" % (name, addr - self.addrs[i], " " + module if module else "")


def thread_info(tid):
    """(state, CPU ticks used so far, wchan) of one of QEMU's threads here."""
    try:
        with open("/proc/%d/status" % tid) as f:
            tgid = int(re.search(r"^Tgid:\s*(\d+)", f.read(), re.M).group(1))
        base = "/proc/%d/task/%d/" % (tgid, tid)  # this thread's own figures
        with open(base + "stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(base + "wchan") as f:
            wchan = f.read().strip()
        return fields[0], int(fields[11]) + int(fields[12]), wchan if wchan not in ("", "0") else "-"
    except (OSError, IndexError, ValueError, AttributeError):
        return None


def cpu_threads(cpus):
    """{cpu index: QEMU thread id} from `info cpus`."""
    return {int(m.group(1)): int(m.group(2))
            for m in re.finditer(r"CPU #(\d+):.*?thread_id=(\d+)", cpus)}


def rips(regs):
    """{cpu index: RIP text} of one `info registers -a`."""
    out = {}
    for block in re.split(r"(?m)^(?=CPU#\d+)", regs):
        m = re.match(r"CPU#(\d+)", block)
        f = re.search(r"\b[RE]IP=([0-9a-fA-F]+)", block)
        if m and f:
            out[int(m.group(1))] = f.group(1)
    return out


def summarize(regs, syms):
    out = []
    for block in re.split(r"(?m)^(?=CPU#\d+)", regs):
        m = re.match(r"CPU#(\d+)", block)
        if not m:
            continue

        def field(name):
            f = re.search(r"\b%s\s*=\s*([0-9a-fA-F]+)" % name, block)
            return f.group(1) if f else None

        rip = field("RIP") or field("EIP")
        if rip is None:
            out.append("CPU %s: registers not readable" % m.group(1))
            continue
        name = syms.name(int(rip, 16))
        if name:
            line = "CPU %s: host kernel, RIP %s = %s" % (m.group(1), rip, name)
        else:
            line = "CPU %s: not in the host kernel (the nested guest, or host user space), RIP %s" % (
                m.group(1), rip)
        line += ", CPL %s, CR3 %s" % (field("CPL"), field("CR3"))
        if field("HLT") == "1":
            line += ", halted"
        out.append(line)
    return out


def stopped_qemu(sock_path):
    """The pid of the QEMU serving sock_path if that process is stopped (SIGSTOP,
    a debugger): it cannot answer, and asking would only wait out the timeout."""
    want = ("unix:" + sock_path).encode()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if not any(a.startswith(want) for a in f.read().split(b"\0")):
                    continue
            with open("/proc/%s/stat" % d) as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("T", "t"):
                    return int(d)
        except (OSError, IndexError):
            continue
    return None


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    sock_path, sysmap, out_path = sys.argv[1:]
    pid = stopped_qemu(sock_path)
    if pid:
        sys.stderr.write("onkvm-postmortem: QEMU (pid %d) is stopped (SIGSTOP or a debugger): "
                         "its monitor at %s cannot answer\n" % (pid, sock_path))
        return 1
    samples = []
    try:
        cpus = hmp(sock_path, "info cpus")
        threads = cpu_threads(cpus)
        before = {c: thread_info(t) for c, t in threads.items()}
        t0 = time.monotonic()
        for i in range(3):
            if i:
                time.sleep(0.5)
            samples.append(hmp(sock_path, "info registers -a"))
        after = {c: thread_info(t) for c, t in threads.items()}
        elapsed = time.monotonic() - t0
    except (OSError, TimeoutError, EOFError) as e:
        sys.stderr.write("onkvm-postmortem: cannot ask QEMU's monitor at %s: %s\n" % (sock_path, e))
        return 1
    regs = samples[-1]
    summary = summarize(regs, Symbols(sysmap))
    seen = [rips(r) for r in samples]
    for i, line in enumerate(summary):
        m = re.match(r"CPU (\d+):", line)
        c = int(m.group(1)) if m else -1
        moved = len(set(r.get(c) for r in seen)) > 1
        line += "; RIP %s in %.1f s" % ("moved" if moved else "did not move", elapsed)
        if before.get(c) and after.get(c):
            line += "; its QEMU thread %d: state %s, %d%% of a CPU meanwhile, waiting in %s" % (
                threads[c], after[c][0], round((after[c][1] - before[c][1]) / elapsed), after[c][2])
        summary[i] = line
    with open(out_path, "w") as f:
        f.write("\n".join(summary) + "\n\n--- info cpus\n" + cpus + "\n")
        for i, r in enumerate(samples):
            f.write("--- info registers -a, sample %d of %d\n%s\n" % (i + 1, len(samples), r))
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
