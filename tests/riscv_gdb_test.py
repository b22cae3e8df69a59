#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gdb-multiarch debugs RISC-V guests on a RISC-V KVM, through minikvm-riscv64's stub.

Every session runs in one boot of the RISC-V host (tests/riscv_gdb.py: the
stub on --gdb stdio behind busybox nc, gdb-multiarch here); each test then
checks what gdb printed, the guest's output and minikvm's exit status:

  test_registers_and_stepi   attached at the entry (-S): pc 0x80000000, a0 the
                             hart id, a1 the device tree, priv 1 (supervisor),
                             the target description gdb took (rv64 with F/D,
                             no `set architecture`); stepi by stepi the pc
                             follows the code objdump shows, a taken branch
                             included; `monitor translate` and `info csrs`
  test_break_finish_exit     `break leaf` (a compressed instruction: c.ebreak),
                             its argument n = 50, `finish` returns fib(50);
                             the guest then ends with its own status, 7
  test_next_and_step         `next` over lines of kmain, `step` into leaf
  test_watch_ticks           `watch ticks` (a read-only page: RISC-V KVM has no
                             triggers for us) stops in the timer handler with
                             old 0, new 1; the guest still ends with 7
  test_stepi_over_wfi        a step over the wfi that waits for the timer ends
                             after it or in the trap handler, and the guest's
                             interrupts still work afterwards (exit 7)
  test_harts_as_threads      smp.elf on 2 harts: two threads, a breakpoint in
                             the secondary hart's code stops it as thread 2
  test_detach_runs_on        detach at a breakpoint: the guest runs on to 7
  test_write_registers_memory  a register and a byte of memory written from
                             gdb are what the guest then computes with
  test_attach_interrupt_reattach  the stub listening itself: gdb attaches to
                             the running ticker.elf, detaches, attaches again,
                             continues, Ctrl-C stops it, detach lets it end
  test_condition_false_never_stops  `break leaf if n == 3`: judged in the
                             stub, stepped over, the guest ends with 7
  test_hbreak_and_read_watchpoint  rwatch (the page unmapped) and hbreak
                             (ebreak on a write-protected page)
  test_guest_own_ebreak_goes_to_the_guest  a c.ebreak gdb did not plant: the
                             guest's trap handler gets scause 3 at its address
  The stub's own steps, through a raw protocol client (vCont;s): gdb steps
  RISC-V code by itself, with breakpoints of its own (gdb's riscv target
  always single-steps in software), so these are what lldb, other clients
  and the stub's step over a breakpoint whose condition is false get:
  test_step_holds_interrupts_back  a step with the timer overdue ends on the
                             next instruction; sie reads as the guest's
  test_lr_sc_and_jumps_to_themselves_by_vcont_s  a step at lr.w ends past the
                             sc.w, which succeeded; `c.j .` and `jal ra, .`
                             step once, pc unchanged, ra linked
  test_range_step_runs_a_loop_in_the_stub  vCont;r over leaf's loop: the
                             stub steps its 50 rounds and stops on its ret

`make test` runs it after tests/riscv_test.py (--resume FILE: the suite's
results file, counted in its closing line). Exit status: 0 all passed, 1
some failed.
"""
import ast
import functools
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import results as results_file  # noqa: E402
import riscv_gdb  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import onkvm_riscv64  # noqa: E402

MINIKVM = "./minikvm-riscv64"
CKERNEL = "guest/riscv/ckernel.elf"
SMP = "guest/riscv/smp.elf"
TICKER = "guest/riscv/ticker.elf"
GDB = riscv_gdb.GDB
OBJDUMP = "riscv64-linux-gnu-objdump"


def symbols(elf):
    out = subprocess.run(["riscv64-linux-gnu-nm", os.path.join(ROOT, elf)], capture_output=True,
                         text=True, check=True).stdout
    return {f[2]: int(f[0], 16) for f in (l.split() for l in out.splitlines()) if len(f) == 3}


def disassembly(elf):
    """address -> (length, mnemonic, operands) of each instruction objdump shows."""
    out = subprocess.run([OBJDUMP, "-d", os.path.join(ROOT, elf)], capture_output=True, text=True,
                         check=True).stdout
    insns = {}
    for line in out.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\s+([0-9a-f]+)\s+(\S+)\s*(.*)", line)
        if m:
            insns[int(m.group(1), 16)] = (len(m.group(2)) // 2, m.group(3), m.group(4))
    return insns


def wfi_in_loop(elf):
    """The wfi of timer_ticks' loop (inlined into kmain): the one followed by a load."""
    insns = disassembly(elf)
    for addr, (length, op, _) in sorted(insns.items()):
        if op == "wfi" and insns.get(addr + length, (0, ""))[1] == "lw":
            return addr
    raise AssertionError("no wfi followed by lw in %s" % elf)


def sessions():
    ck = symbols(CKERNEL)
    # leaf's loop ends at its first ret (objdump's): the range step's end.
    ck["leaf_ret"] = min(a for a, (_, op, _) in disassembly(CKERNEL).items() if a > ck["leaf"] and op == "ret")
    smp = symbols(SMP)
    tk = symbols(TICKER)
    wfi = wfi_in_loop(CKERNEL)
    return [
        riscv_gdb.Session("regs", [MINIKVM, "-S", CKERNEL], [
            "show architecture", "p/x $pc", "p/x $a0", "p/x $a1", "p $priv", "info registers fcsr",
            "stepi", "p/x $pc", "stepi", "p/x $pc", "stepi", "p/x $pc", "stepi", "p/x $pc",
            "monitor translate 0x80000102", "monitor info csrs", "kill"]),
        riscv_gdb.Session("break", [MINIKVM, "-S", CKERNEL], [
            "break leaf", "continue", "p n", "p/x $pc", "finish", "continue"]),
        riscv_gdb.Session("next", [MINIKVM, "-S", CKERNEL], [
            "break kmain", "continue", "next", "next", "next", "info line *$pc",
            "tbreak leaf", "continue", "step", "info line *$pc", "kill"]),
        riscv_gdb.Session("watch", [MINIKVM, "-S", CKERNEL], [
            "watch ticks", "continue", "bt 1", "p ticks", "delete", "continue"]),
        riscv_gdb.Session("wfi", [MINIKVM, "-S", CKERNEL], [
            "break *%#x" % wfi, "continue", "delete", "stepi", "p/x $pc", "continue"]),
        riscv_gdb.Session("smp", [MINIKVM, "-c", "2", "-S", SMP], [
            "break smp_secondary_main", "continue", "info threads", "p $_thread", "p/x $a0",
            "delete", "continue"]),
        riscv_gdb.Session("detach", [MINIKVM, "-S", CKERNEL], [
            "break leaf", "continue", "detach"]),
        riscv_gdb.Session("attach", [MINIKVM, TICKER], attach_interrupt_reattach, listen=True),
        riscv_gdb.Session("cond", [MINIKVM, "-S", CKERNEL], [
            "break leaf if n == 3", "continue"]),
        riscv_gdb.Session("hw", [MINIKVM, "-S", CKERNEL], [
            "rwatch ticks", "continue", "delete", "hbreak leaf", "continue", "p n", "delete",
            "continue"]),
        riscv_gdb.Session("ebreak", [MINIKVM, "-S", CKERNEL], [
            "break kmain", "continue", "delete",
            "set {unsigned short}%#x = 0x9002" % ck["leaf"], "x/i %#x" % ck["leaf"], "continue"]),
        riscv_gdb.Session("rsp_steps", [MINIKVM, "-S", TICKER],
                          lambda attach: rsp_session(attach, rsp_steps, tk)),
        riscv_gdb.Session("rsp_mask", [MINIKVM, "-S", CKERNEL],
                          lambda attach: rsp_session(attach, rsp_mask, wfi)),
        riscv_gdb.Session("rsp_range", [MINIKVM, "-S", CKERNEL],
                          lambda attach: rsp_session(attach, rsp_range, ck)),
        riscv_gdb.Session("reset", [MINIKVM, "-S", CKERNEL], [
            "break leaf", "continue", "monitor reset", "maintenance flush register-cache", "p/x $pc",
            "continue", "delete", "continue"]),
        riscv_gdb.Session("nonstop", [MINIKVM, "-c", "2", "-S", SMP], non_stop),
        riscv_gdb.Session("write", [MINIKVM, "-S", CKERNEL], [
            "break leaf", "continue", "set var $a0 = 10", "finish",
            "x/2xb %#x" % ck["leaf"], "set {unsigned char}%#x = 0x01" % (ck["leaf"] + 1),
            "x/2xb %#x" % ck["leaf"], "kill"]),
    ], {"ck": ck, "smp": smp, "tk": tk, "wfi": wfi}


def attach_interrupt_reattach(attach):
    """The ticker runs before gdb comes: attach (it stops), detach; attach
    again, continue, Ctrl-C (SIGINT to gdb: the interrupt byte), ask it to
    stop, detach. Both gdbs' output, "=====" between them."""
    first = attach.gdb(["p ticks", "p/x $pc", "info threads", "detach"])

    def attempt():
        p = subprocess.Popen([GDB, "-q", "-nx", attach.elf], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        seen = b""
        try:
            p.stdin.write(b"set confirm off\ntarget remote 127.0.0.1:%d\np ticks\ncontinue\n" % attach.port)
            p.stdin.flush()
            end = time.monotonic() + 30
            while b"Continuing." not in seen and time.monotonic() < end and p.poll() is None:
                r, _, _ = select.select([p.stdout], [], [], 1)
                if r:
                    chunk = os.read(p.stdout.fileno(), 4096)
                    if not chunk:
                        break
                    seen += chunk
            if b"Continuing." not in seen:
                p.kill()
                p.communicate()
                return False, seen.decode(errors="replace")
            time.sleep(2)  # the guest ticks on under gdb's continue
            p.send_signal(signal.SIGINT)
            out, _ = p.communicate(b"p ticks\np/x $pc\nset var stop_requested = 1\ndetach\nquit\n",
                                   timeout=60)
            return True, (seen + out).decode(errors="replace")
        finally:
            if p.poll() is None:
                p.kill()
    return first + "\n=====\n" + attach.retry(attempt)


class Interactive:
    """gdb-multiarch reading commands from a pipe, as a user types them: its
    output as it comes (asynchronous notifications included, which a -batch
    gdb only prints between commands)."""

    def __init__(self, elf):
        self.p = subprocess.Popen([GDB, "-q", "-nx", elf], cwd=ROOT, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.seen = b""

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def until(self, pattern, start=0, timeout=60):
        """Read until the regex matches what came after start: the match, or None."""
        end = time.monotonic() + timeout
        while True:
            m = re.search(pattern.encode(), self.seen[start:])
            if m or time.monotonic() > end or self.p.poll() is not None:
                return m
            r, _, _ = select.select([self.p.stdout], [], [], 1)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 4096)
                if not chunk:
                    return None
                self.seen += chunk

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.communicate()
        return self.seen.decode(errors="replace")


def non_stop(attach):
    """gdb in non-stop mode on smp.elf's two harts: hart 1 stops at a
    breakpoint while hart 0 runs on (it waits at the barrier); interrupt
    stops hart 0 too; then both go on and the guest ends."""
    def attempt():
        g = Interactive(attach.elf)
        try:
            g.send("set confirm off\nset non-stop on\ntarget remote 127.0.0.1:%d\n" % attach.port)
            if not g.until(r"Remote debugging using", timeout=30) or g.until(r"Remote connection closed|"
                                                                           r"Connection refused", timeout=2):
                return False, g.close()
            g.send("break smp_secondary_main\ncontinue -a &\n")
            g.until(r"Thread 2 .*hit Breakpoint 1, smp_secondary_main")
            g.send("info threads\necho ==info1==\\n\n")
            mark = len(g.seen)
            g.until(r"==info1==")
            g.send("thread 1\ninterrupt\n")
            g.until(r"Thread 1 .*stopped", mark)
            g.send("echo ==info2==\\n\ninfo threads\necho ==end==\\n\ndelete\ncontinue -a\n")
            # The guest ends: gdb may see the end of the connection (minikvm exits) first.
            g.until(r"exited with code|Remote connection closed", mark)
            g.send("quit\n")
            return True, g.close()
        finally:
            g.close()
    return attach.retry(attempt)


class Rsp:
    """A raw GDB remote-protocol client over TCP, for the stub's own steps
    (vCont;s): gdb itself steps RISC-V code with breakpoints of its own."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""
        self.log = []  # (sent, reply), for a failure's message

    def packet(self):
        while True:
            self.buf = self.buf.lstrip(b"+")
            start, end = self.buf.find(b"$"), self.buf.find(b"#")
            if start >= 0 and end > start and len(self.buf) >= end + 3:
                body = self.buf[start + 1:end]
                self.buf = self.buf[end + 3:]
                self.s.sendall(b"+")
                # Run-length encoding: "X*N" is X and ord(N) - 29 more of it.
                return re.sub(rb"(.)\*(.)", lambda m: m.group(1) * (m.group(2)[0] - 28), body).decode()
            chunk = self.s.recv(4096)
            if not chunk:
                raise ConnectionError("the stub closed the connection")
            self.buf += chunk

    def ask(self, payload):
        self.s.sendall(b"$%s#%02x" % (payload.encode(), sum(payload.encode()) & 0xFF))
        self.log.append((payload, self.packet()))
        return self.log[-1][1]

    def reg(self, regno):
        return int.from_bytes(bytes.fromhex(self.ask("p%x" % regno)), "little")

    def mem32(self, addr):
        return int.from_bytes(bytes.fromhex(self.ask("m%x,4" % addr)), "little")


def rsp_session(attach, body, facts):
    """Connect (retrying as riscv_gdb does), run body(rsp, facts): repr of its dict."""
    def attempt():
        try:
            rsp = Rsp(attach.port)
            rsp.ask("qSupported:swbreak+;hwbreak+;vContSupported+")
        except (OSError, ConnectionError) as e:
            return False, "not connected: %s" % e
        try:
            return True, repr(body(rsp, facts))
        except Exception:  # the test reports it, with the exchange; the other sessions go on
            try:
                rsp.s.sendall(b"$k#6b")  # end this minikvm now, not at the session's timeout
            except OSError:
                pass
            return True, repr({"error": traceback.format_exc(), "log": rsp.log})
        finally:
            rsp.s.close()
    return attach.retry(attempt)


PC, RA, SIE = 32, 1, 69  # gdb's rv64 layout with F/D (gdbstub/arch_riscv.h)


def rsp_steps(rsp, tk):
    r = {}
    assert rsp.ask("?").startswith("T"), "no stop at the entry"
    lr = tk["count_lrsc"]
    assert rsp.ask("Z0,%x,4" % lr) == "OK"
    r["stop"] = rsp.ask("vCont;c")
    assert rsp.ask("z0,%x,4" % lr) == "OK"
    r["count_before"] = rsp.mem32(tk["lrsc_count"])
    rsp.ask("vCont;s:1")
    r["lr_pc"] = at = rsp.reg(PC)
    r["count_after"] = rsp.mem32(tk["lrsc_count"])
    r["at"] = at
    assert rsp.ask("M%x,2:01a0" % at) == "OK"          # c.j .
    rsp.ask("vCont;s:1")
    r["cj_pc"] = rsp.reg(PC)
    assert rsp.ask("M%x,4:ef000000" % at) == "OK"      # jal ra, .
    rsp.ask("vCont;s:1")
    r["jal_pc"], r["jal_ra"] = rsp.reg(PC), rsp.reg(RA)
    rsp.s.sendall(b"$k#6b")
    return r


def rsp_mask(rsp, wfi):
    r = {}
    rsp.ask("?")
    assert rsp.ask("Z0,%x,2" % (wfi + 4)) == "OK"
    rsp.ask("vCont;c")
    assert rsp.ask("z0,%x,2" % (wfi + 4)) == "OK"
    time.sleep(0.3)  # the next tick (10 ms) is overdue
    rsp.ask("vCont;s:1")
    r["pc"], r["sie"] = rsp.reg(PC), rsp.reg(SIE)
    r["end"] = rsp.ask("vCont;c")
    return r


def rsp_result(out):
    """What an rsp_session's body returned (its dict), or the failure it met."""
    r = ast.literal_eval(out) if out.startswith("{") else {"error": out}
    assert "error" not in r, "%s\nexchange: %r" % (r["error"], r.get("log"))
    return r


def rsp_range(rsp, ck):
    """vCont;r over leaf's loop, up to its ret: the stub steps it all."""
    r = {}
    rsp.ask("?")
    leaf = ck["leaf"]
    assert rsp.ask("Z0,%x,2" % leaf) == "OK"
    rsp.ask("vCont;c")
    assert rsp.ask("z0,%x,2" % leaf) == "OK"
    r["stop"] = rsp.ask("vCont;r%x,%x:1" % (leaf, ck["leaf_ret"]))
    r["pc"], r["a0"] = rsp.reg(PC), rsp.reg(10)
    r["end"] = rsp.ask("vCont;c")
    return r


@functools.lru_cache(maxsize=None)
def ran():
    """Every session, once (one boot); a failure to run them is kept, not retried per test."""
    try:
        sess, facts = sessions()
        return riscv_gdb.run(sess), facts
    except Exception:
        return traceback.format_exc(), None


def session(name):
    results, facts = ran()
    assert facts is not None, "the sessions did not run:\n" + results
    r = results[name]
    return r.output or "", r.stderr or "", r.status, facts


def value(out, expr_index=None):
    """Every `$N = VALUE` gdb printed, in order."""
    return re.findall(r"^\$\d+ = (.*)$", out, re.M)


def test_registers_and_stepi():
    out, err, status, facts = session("regs")
    vals = value(out)
    assert "riscv:rv64" in out, out
    assert vals[0] == "0x80000000", out            # the entry
    assert vals[1] == "0x0", out                   # a0: hart 0
    assert int(vals[2], 16) >= 0x80000000, out     # a1: the device tree, in RAM
    assert vals[3].split()[0] in ("1", "0x1") or "Supervisor" in vals[3], out
    assert re.search(r"^fcsr\s+0x0", out, re.M), out
    # _start: bnez a0, park (not taken on hart 0) -> auipc -> addi -> auipc.
    insns = disassembly(CKERNEL)
    pcs = [int(v, 16) for v in vals[4:8]]
    want, at = [], 0x80000000
    for _ in range(4):
        at += insns[at][0]
        want.append(at)
    assert pcs == want, (pcs, want, out)
    assert "-> GPA 0x80000102 (satp Bare: identity)" in out, out
    assert re.search(r"sstatus\s+0x", out), out
    assert status in (0, 137, 143) or "kill" in out, (status, err)


def test_break_finish_exit():
    out, err, status, facts = session("break")
    assert re.search(r"Breakpoint 1, (0x[0-9a-f]+ in )?leaf \(n=(n@entry=)?50\)", out), out
    assert "$1 = 50" in out, out
    assert "Value returned is $3 = 12586269025" in out, out
    assert "exited with code 07" in out, out
    assert status == 7, (status, err)
    assert "ckernel: fib(50) = 0x00000002ee333961" in err or "fib(50)" in err, err


def test_next_and_step():
    out, err, status, facts = session("next")
    assert re.search(r"Breakpoint 1, kmain \(hartid=0", out), out
    lines = re.findall(r'^Line (\d+) of "[^"]*ckernel.c"', out, re.M)
    assert lines and int(lines[0]) > 81, out   # past kmain's first line after three nexts
    assert re.search(r"leaf \(n=(n@entry=)?50\)", out), out
    assert len(lines) == 2 and int(lines[1]) in range(21, 32), out  # inside leaf after step


def test_watch_ticks():
    out, err, status, facts = session("watch")
    assert re.search(r"(Hardware )?[Ww]atchpoint 1: ticks", out), out
    assert re.search(r"Old value = 0\s+New value = 1", out), out
    assert re.search(r"#0 .*trap", out), out
    assert "exited with code 07" in out, out
    assert status == 7, (status, err)


def test_stepi_over_wfi():
    out, err, status, facts = session("wfi")
    ck, wfi = facts["ck"], facts["wfi"]
    pcs = [int(v, 16) for v in value(out) if v.startswith("0x")]
    assert pcs and pcs[0] in (wfi + 4, ck["trap_entry"]), (hex(wfi), out)
    assert "exited with code 07" in out, out
    assert status == 7, (status, err)


def test_harts_as_threads():
    out, err, status, facts = session("smp")
    assert re.search(r"Thread 2 .*hit Breakpoint 1, smp_secondary_main", out) or \
        re.search(r"Breakpoint 1, smp_secondary_main", out), out
    threads = re.findall(r"^[ *]\s*(\d+)\s+Thread", out, re.M)
    assert threads == ["1", "2"], out
    vals = value(out)
    assert vals[0] == "2" and vals[1] == "0x1", out  # thread 2 is hart 1, in a0
    assert "exited with code 042" in out or "exited with code 0x22" in out or status == 0x22, out
    assert status == 0x22, (status, err)


def test_detach_runs_on():
    out, err, status, facts = session("detach")
    assert "Breakpoint 1, leaf" in out, out
    assert "Detaching from program" in out or "detached" in out.lower(), out
    assert status == 7, (status, err)
    assert "ckernel: exiting with code 7" in err, err


def test_write_registers_memory():
    out, err, status, facts = session("write")
    # fib(10) = 55: the guest computed with gdb's a0.
    assert "Value returned is $1 = 55" in out, out
    ck = facts["ck"]
    dumps = re.findall(r"^0x%x <leaf>:\s+(0x[0-9a-f]{2})\s+(0x[0-9a-f]{2})" % ck["leaf"], out, re.M)
    assert len(dumps) == 2, out
    assert dumps[0] == ("0x2a", "0x86"), out   # mv a2,a0 (0x862a), not our breakpoint
    assert dumps[1] == ("0x2a", "0x01"), out


def test_attach_interrupt_reattach():
    out, err, status, facts = session("attach")
    first, _, second = out.partition("\n=====\n")
    tk = symbols(TICKER)
    ticks = [int(v) for v in value(first)[:1]]
    assert ticks and ticks[0] >= 1, first            # it had run before gdb came
    pc = int(value(first)[1], 16)
    assert tk["_start"] <= pc < tk["_start"] + 0x1000, first
    assert re.search(r"^\*\s+1\s+Thread 1", first, re.M), first
    assert "[Inferior 1 (process 1) detached]" in first, first
    assert "Program received signal SIGINT" in second, second
    later = [int(v) for v in re.findall(r"\$\d+ = (\d+)$", second, re.M)]
    assert len(later) == 2 and later[0] >= ticks[0] and later[1] > later[0], second  # ran on, then under continue
    assert "[Inferior 1 (process 1) detached]" in second, second
    assert status == 0x2a, (status, err)
    assert "ticker: stop requested after" in err, err


def test_condition_false_never_stops():
    out, err, status, facts = session("cond")
    # n is 50 at the only call: the stub judged the condition and stepped over its ebreak.
    assert "Breakpoint 1 at" in out and "Breakpoint 1, leaf" not in out, out
    assert "exited with code 07" in out, out
    assert status == 7, (status, err)


def test_hbreak_and_read_watchpoint():
    out, err, status, facts = session("hw")
    assert re.search(r"Hardware read watchpoint 1: ticks\s+Value = \d", out), out
    assert re.search(r"Breakpoint 2, leaf \(n=(n@entry=)?50\)", out), out
    assert value(out)[-1] == "50", out
    assert "exited with code 07" in out, out
    assert status == 7, (status, err)


def test_guest_own_ebreak_goes_to_the_guest():
    out, err, status, facts = session("ebreak")
    ck = facts["ck"]
    assert re.search(r"%#x <leaf>:\s+c?\.?ebreak" % ck["leaf"], out), out
    # Not ours: the guest's trap handler got a breakpoint exception (scause 3) at leaf.
    assert "ckernel: unexpected trap, scause 0x0000000000000003 at 0x%016x" % ck["leaf"] in err, err
    assert status == 99, (status, err)
    assert "exited with code 0143" in out, out


def test_lr_sc_and_jumps_to_themselves_by_vcont_s():
    out, err, status, facts = session("rsp_steps")
    r, tk = rsp_result(out), facts["tk"]
    # vCont;s at lr.w: one step runs the whole lr/sc sequence, the sc succeeds.
    assert r["lr_pc"] == tk["count_lrsc"] + 12, r        # on the bnez after sc.w
    assert r["count_after"] == r["count_before"] + 1, r
    # `c.j .` and `jal ra, .`: one step each, pc unchanged, ra linked.
    assert r["cj_pc"] == r["at"] and r["jal_pc"] == r["at"], r
    assert r["jal_ra"] == r["at"] + 4, r
    assert r["stop"].startswith("T05"), r


def test_step_holds_interrupts_back():
    out, err, status, facts = session("rsp_mask")
    r, wfi = rsp_result(out), facts["wfi"]
    # At the load after wfi with the next tick overdue: the step ends on the
    # next instruction, not in the trap handler; sie reads as the guest's (STIE).
    assert r["pc"] == wfi + 6, (hex(wfi), r)
    assert r["sie"] == 0x20, r
    assert r["end"] == "W07", r   # interrupts work after it: 3 ticks, exit 7
    assert status == 7, (status, err)


def test_range_step_runs_a_loop_in_the_stub():
    out, err, status, facts = session("rsp_range")
    r, ret = rsp_result(out), facts["ck"]["leaf_ret"]
    # 50 rounds of the loop, stepped in the stub; it stops on leaf's ret with fib(50).
    assert r["stop"].startswith("T05"), r
    assert r["pc"] == ret and r["a0"] == 12586269025, (hex(ret), r)
    assert r["end"] == "W07" and status == 7, (r, status)


def test_monitor_reset_keeps_breakpoints():
    out, err, status, facts = session("reset")
    assert "guest reset to its entry point" in out, out
    assert value(out)[0] == "0x80000000", out
    assert len(re.findall(r"Breakpoint 1, leaf", out)) == 2, out
    assert "exited with code 07" in out, out
    assert err.count("ckernel: hart 0x") == 2, err   # it ran from the start twice
    assert status == 7, (status, err)


def test_non_stop_one_hart_stops_the_other_runs():
    out, err, status, facts = session("nonstop")
    first = out.partition("==info1==")[0]
    second = out.partition("==info2==")[2].partition("==end==")[0]
    # Hart 1 at its breakpoint while hart 0 runs on (waiting at the barrier).
    assert re.search(r"Thread 2 .*hit Breakpoint 1, smp_secondary_main", first), out
    assert re.search(r"^[ *]\s*1\s+Thread 1\.1 .*\(running\)", first, re.M), out
    assert re.search(r"^[ *]\s*2\s+Thread 1\.2 .*smp_secondary_main", first, re.M), out
    # interrupt stopped hart 0 as well.
    assert re.search(r"^[ *]\s*1\s+Thread 1\.1 ", second, re.M) and "(running)" not in second, out
    assert status == 0x22, (status, err, out)  # both harts went on and met: 0x20 + 2
    assert "smp: 2 harts met" in err, err


TESTS = [("riscv_gdb_test:" + fn.__name__, fn) for fn in
         (test_registers_and_stepi, test_break_finish_exit, test_next_and_step, test_watch_ticks,
          test_stepi_over_wfi, test_harts_as_threads, test_detach_runs_on, test_write_registers_memory,
          test_attach_interrupt_reattach, test_condition_false_never_stops, test_hbreak_and_read_watchpoint,
          test_guest_own_ebreak_goes_to_the_guest, test_step_holds_interrupts_back,
          test_lr_sc_and_jumps_to_themselves_by_vcont_s, test_range_step_runs_a_loop_in_the_stub,
          test_monitor_reset_keeps_breakpoints, test_non_stop_one_hart_stops_the_other_runs)]


def main():
    return results_file.main_recorded(__doc__.split("\n\n")[0], TESTS, kvm="riscv64",
                                      host=functools.lru_cache(maxsize=None)(onkvm_riscv64.host_kind))


if __name__ == "__main__":
    sys.exit(main())
