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
Exit status 0, or 1 if the monitor could not be asked (said on stderr).
"""
import bisect
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
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0 or (not in_kernel and addr - self.addrs[i] > 0x10000):
            return None  # a kernel-half address, but none of the host's: the nested guest's
        name, _, module = self.names[i].partition(" ")
        return "%s+%#x%s" % (name, addr - self.addrs[i], " " + module if module else "")


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


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    sock_path, sysmap, out_path = sys.argv[1:]
    try:
        regs = hmp(sock_path, "info registers -a")
        cpus = hmp(sock_path, "info cpus")
    except (OSError, TimeoutError, EOFError) as e:
        sys.stderr.write("onkvm-postmortem: cannot ask QEMU's monitor at %s: %s\n" % (sock_path, e))
        return 1
    summary = summarize(regs, Symbols(sysmap))
    with open(out_path, "w") as f:
        f.write("\n".join(summary) + "\n\n--- info cpus\n" + cpus + "\n--- info registers -a\n" + regs + "\n")
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
