# SPDX-License-Identifier: MIT
"""The gdb stub with Debian's real lldb: registers, breakpoints, steps, memory, threads."""
import os
import re
import shutil
import socket
import subprocess
import time

import harness
from harness import Skip, Vmm, elf_bytes, guest, symbols

CK = guest("ckernel.elf")
TICKER = guest("ticker.elf")
LLDB = shutil.which("lldb")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """True once something listens on 127.0.0.1:port (read from /proc, no probe
    connection: a connection would be a debugger to minikvm)."""
    want = ":%04X" % port
    with open("/proc/net/tcp") as f:
        for l in f.readlines()[1:]:
            fields = l.split()
            if fields[1].endswith(want) and fields[3] == "0A":
                return True
    return False


def start(args):
    """minikvm with its stub on a free loopback TCP port: (vm, port)."""
    if not LLDB:
        raise Skip("lldb is not installed (Debian package lldb)")
    port = free_port()
    vm = Vmm(args, gdb_args=["-g", "127.0.0.1:%d" % port])
    try:
        vm.wait_for(lambda: listening(port), "minikvm listening on port %d" % port)
    except BaseException:
        vm.close()
        raise
    return vm, port


def lldb_cmd(elf, port, cmds, connect="gdb-remote 127.0.0.1:%d"):
    argv = [LLDB, "--no-lldbinit", "--batch"] + ([elf] if elf else [])
    for c in [connect % port] + cmds:
        argv += ["-o", c]
    return argv


def run_lldb(elf, port, cmds, timeout=120, **kw):
    """lldb in batch mode: its whole output (stdout and stderr)."""
    proc = subprocess.run(lldb_cmd(elf, port, cmds, **kw), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return proc.stdout.decode(errors="replace")


def section(out, cmd):
    """What lldb printed for the command cmd (up to the next command)."""
    parts = out.split("(lldb) ")
    hits = [p[len(cmd):] for p in parts if p.startswith(cmd + "\n")]
    assert hits, "no %r in lldb output:\n%s" % (cmd, out[-4000:])
    return hits[0]


def reg(out, cmd, name):
    m = re.search(r"\b%s = (0x[0-9a-f]+)" % name, section(out, cmd))
    assert m, "no %s in %r:\n%s" % (name, cmd, out[-4000:])
    return int(m.group(1), 16)


def next_insn(elf, addr):
    """The address of the instruction after the one at addr (objdump)."""
    out = subprocess.run(["objdump", "-d", "--start-address=%#x" % addr,
                          "--stop-address=%#x" % (addr + 32), elf],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    addrs = [int(m.group(1), 16) for m in re.finditer(r"^\s*([0-9a-f]+):\t", out, re.M)]
    assert len(addrs) >= 2 and addrs[0] == addr, out
    return addrs[1]


def test_lldb_registers_breakpoint_step_memory_write_exit():
    sym = symbols(CK)
    vm, port = start(["-S", CK])
    with vm:
        out = run_lldb(CK, port, [
            "register read rip rsp",
            "breakpoint set -n compute --skip-prologue false",
            "continue",
            "register read rip",
            "thread step-inst",
            "register read rip",
            "memory read --size 1 --format x --count 21 %#x" % sym["message"],
            "register write rax 0x1234abcd5678",
            "register read rax",
            "breakpoint delete --force",
            "continue",
        ])
        assert reg(out, "register read rip rsp", "rip") == sym["_start"] == 0x100000, out
        stop = section(out, "continue")
        assert "stop reason = breakpoint 1.1" in stop, out
        assert reg(out, "register read rip", "rip") == sym["compute"], out
        stepped = [int(m, 16) for m in re.findall(r"rip = (0x[0-9a-f]+)", out)]
        assert stepped[1:3] == [sym["compute"], next_insn(CK, sym["compute"])], out
        dump = section(out, "memory read --size 1 --format x --count 21 %#x" % sym["message"])
        got = bytes(int(b, 16) for b in re.findall(r"\b0x([0-9a-f]{2})\b", dump))
        assert got == elf_bytes(CK, sym["message"], 21) == b"minikvm ckernel data\0", out
        assert reg(out, "register read rax", "rax") == 0x1234abcd5678, out
        assert "Process 1 exited with status = 0" in out, out
        assert vm.finish() == 0
        assert vm.stdout().endswith("ckernel: done\n"), vm.stdout()
        assert "mode: 0\n" in vm.stdout()


def test_lldb_process_connect_and_two_vcpus():
    vm, port = start(["-S", "-c", "2", CK])
    with vm:
        out = run_lldb(CK, port, ["thread list", "detach"],
                       connect="process connect connect://127.0.0.1:%d")
        threads = section(out, "thread list")
        assert re.search(r"\* thread #1: tid = 0x0001, 0x0000000000100000", threads), out
        assert re.search(r"thread #2: tid = 0x0002", threads), out
        assert "thread #3" not in threads, out
        assert vm.finish() == 0  # detached: the guest ran to its end
        assert vm.stdout().endswith("ckernel: done\n"), vm.stdout()


def test_lldb_attach_running_guest_detach():
    sym = symbols(TICKER)
    vm, port = start([TICKER])
    with vm:
        vm.wait_output("tick 2\n")
        read = "memory read --size 8 --format d --count 1 %#x" % sym["ticks"]
        out = run_lldb(TICKER, port, [
            "register read rip", read,
            "memory write --size 4 %#x 1" % sym["stop_requested"], "detach"])
        # Connecting stopped the running guest, inside its code.
        rip = reg(out, "register read rip", "rip")
        assert sym["_start"] <= rip < sym["_start"] + 0x10000, out
        ticks = re.search(r": (\d+)\s*$", section(out, read).strip(), re.M)
        assert ticks and int(ticks.group(1)) >= 2, out
        assert "Process 1 detached" in out, out
        # Detached, it runs on, sees stop_requested and ends by itself.
        assert vm.finish(timeout=60) == 0
        assert "ticker: stop requested after" in vm.stdout(), vm.stdout()


def test_lldb_process_interrupt_while_the_guest_runs():
    """Interactive lldb (commands on a pipe run asynchronously): continue, the
    guest ticks on, `process interrupt` stops it inside its code (0x03)."""
    sym = symbols(TICKER)
    vm, port = start([TICKER])
    with vm:
        vm.wait_output("tick 1\n")
        p = subprocess.Popen([LLDB, "--no-lldbinit", TICKER], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        seen = b""

        def send(text):
            p.stdin.write(text.encode())
            p.stdin.flush()

        def until(what, start=0):
            nonlocal seen
            # Generous: an emulated host under the suite's load can stall for
            # tens of seconds; and one more look after the deadline, as the
            # clock may have jumped over a stall the bytes arrived in.
            end = time.monotonic() + 120
            while what not in seen[start:]:
                last = time.monotonic() >= end
                r, _, _ = harness.select.select([p.stdout], [], [], 0 if last else 1)
                if r:
                    chunk = os.read(p.stdout.fileno(), 4096)
                    if not chunk:
                        break
                    seen += chunk
                elif last:
                    break
            assert what in seen[start:], "no %r after lldb's:\n%s\nminikvm's stderr:\n%s" % (
                what, seen[start:].decode(errors="replace")[-3000:], vm.stderr()[-1500:])

        try:
            # lldb gives up on a stop after 20 s (target.process.interrupt-timeout).
            send("settings set target.process.interrupt-timeout 90\n")
            send("gdb-remote 127.0.0.1:%d\n" % port)
            until(b"stop reason")
            send("process continue\n")
            until(b"resuming")
            n = vm.stdout().count("tick")
            vm.wait_output("tick %d\n" % (n + 1))  # it runs under lldb's continue
            mark = len(seen)
            send("process interrupt\n")
            until(b"Process 1 stopped", mark)
            stop = seen[mark:].decode(errors="replace")
            send("register read rip\nmemory write --size 4 %#x 1\ndetach\nquit\n"
                 % sym["stop_requested"])
            out, _ = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
        out = (seen + out).decode(errors="replace")
        assert "stop reason = signal SIGINT" in stop, out
        rip = reg(out, "register read rip", "rip")
        assert sym["_start"] <= rip < sym["_start"] + 0x10000, out
        assert "Process 1 detached" in out, out
        # Detached, it runs on, sees stop_requested and ends by itself.
        assert vm.finish(timeout=60) == 0
        assert "ticker: stop requested after" in vm.stdout(), vm.stdout()
