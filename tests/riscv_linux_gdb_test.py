#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gdb-multiarch debugs Debian's riscv64 Linux on a RISC-V KVM, by System.map addresses.

minikvm-riscv64 -S -c 2 -m 256M boots the kernel and busybox initramfs of
scripts/onkvm-riscv64 --guest-linux with `nokaslr` (so the kernel runs at
its link-time addresses), and gdb-multiarch drives it with no ELF file at
all: the addresses come from SYSTEM_MAP (the kernel's kallsyms, as
scripts/kallsyms-map.py reads them out of the Image), the architecture from
the stub's target description. One gdb session, one Linux boot, in one boot
of the RISC-V host (tests/riscv_gdb.py); each test checks what gdb printed,
the guest's output and minikvm's exit status:

  test_architecture_from_the_target   `show architecture`: riscv:rv64, taken
                             from the stub's target description (no
                             `set architecture`, no file)
  test_breakpoint_at_a_kernel_address `break *ADDR` at run_init_process
                             (past its ftrace entry), set at the first
                             instruction while satp is still Bare, stops
                             there once paging is on, in S-mode
  test_kernel_registers_and_harts     sp in the kernel's half, satp's MODE
                             Sv39/48/57, two harts as two threads
  test_kernel_memory_by_virtual_address  `x/s linux_banner`: "Linux version 6."
  test_translate_walks_the_kernel_tables  `monitor translate` of pc and sp:
                             each level, a GPA in RAM (pc's where the Image
                             was loaded), through a KVM memory slot
  test_other_hart_while_stopped       all-stop: the other thread's pc is in
                             the kernel's text, read while the first is stopped
  test_linux_runs_on_to_power_off     `delete`, `continue`: /init runs the
                             command and Linux powers off; gdb sees the
                             exit, minikvm exits 0

The breakpoint is not at run_init_process itself: its first 8 bytes are
four c.nop for ftrace (-fpatchable-function-entry), which the kernel
rewrites as two 4-byte nops early in start_kernel (ftrace_init), over the
c.ebreak gdb planted there. The time the session took is printed.

Exit status: 0 all passed, 1 some failed.
"""
import functools
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import results as results_file  # noqa: E402
import riscv_gdb  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import onkvm_riscv64  # noqa: E402

MINIKVM = "./minikvm-riscv64"
KERNEL_LINK_ADDR = 0xffffffff80000000  # where rv64 Linux maps its Image's first byte
FTRACE_ENTRY = 8                       # four c.nop ftrace patches at each function's start
SESSION_TIMEOUT = 900                  # seconds: a Linux boot under gdb on the emulated host
GUEST_CMD = "uname+-m;nproc"


@functools.lru_cache(maxsize=None)
def guest_linux():
    """KERNEL, INITRD, SYSTEM_MAP from onkvm-riscv64 --guest-linux."""
    paths, why = onkvm_riscv64.assignments("--guest-linux")
    if not paths or not paths.get("SYSTEM_MAP") or not {"KERNEL", "INITRD"} <= paths.keys():
        raise AssertionError(why or "onkvm-riscv64 --guest-linux printed no KERNEL, INITRD or SYSTEM_MAP: %s"
                             % paths)
    return paths


def system_map(path):
    """name -> address (the first of each name)."""
    syms = {}
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 3:
                syms.setdefault(fields[2], int(fields[0], 16))
    return syms


def facts():
    paths = guest_linux()
    syms = system_map(paths["SYSTEM_MAP"])
    missing = [s for s in ("run_init_process", "linux_banner", "_stext", "_etext") if s not in syms]
    assert not missing, "%s lacks %s" % (paths["SYSTEM_MAP"], missing)
    return {"paths": paths, "bp": syms["run_init_process"] + FTRACE_ENTRY, "banner": syms["linux_banner"],
            "stext": syms["_stext"], "etext": syms["_etext"]}


# gdb's first command: when it connected, on the clock time.monotonic() reads here.
CONNECTED = "python print('riscv_linux_gdb_test: connected at %.3f' % __import__('time').monotonic())"


def commands(f):
    return [
        CONNECTED,
        "show architecture",
        "break *%#x" % f["bp"],
        "continue",
        "p/x $pc", "p/x $sp", "p/x $satp", "p $priv", "p $_thread",
        "info threads",
        "x/s %#x" % f["banner"],
        'eval "monitor translate %#lx", $pc',
        'eval "monitor translate %#lx", $sp',
        # All-stop: the other hart is stopped too; its registers, then back.
        'eval "thread %d", 3 - $_thread',
        "p $_thread", "p/x $pc", "p $priv",
        "delete",
        "continue",
    ]


def timed(cmds, times):
    """A session's gdb; times["end"]: when it ended (time.monotonic())."""
    def run(attach):
        out = attach.gdb(cmds)
        times["end"] = time.monotonic()
        return out
    return run


def report_times(times, output, guest_output):
    """Where the time went, on stderr: the host's boot, the session, the guest's own clock."""
    connected = re.search(r"^riscv_linux_gdb_test: connected at ([0-9.]+)$", output or "", re.M)
    power_off = re.findall(r"^\[\s*([0-9.]+)\] reboot: Power down", guest_output or "", re.M)
    if connected and "end" in times:
        at = float(connected.group(1))
        print("riscv_linux_gdb_test: gdb connected %.1f s after the start (the RISC-V host's boot); "
              "from there to Linux's power-off under gdb %.1f s (the guest's clock: %s s); %.1f s in all"
              % (at - times["start"], times["end"] - at, power_off[-1] if power_off else "?",
                 times["all"]), file=sys.stderr, flush=True)


@functools.lru_cache(maxsize=None)
def ran():
    f = facts()
    p = f["paths"]
    argv = [MINIKVM, "-S", "-c", "2", "-m", "256M", "--initrd", p["INITRD"],
            "--append", "console=ttyS0 nokaslr minikvm.cmd=" + GUEST_CMD, p["KERNEL"]]
    times = {"start": time.monotonic()}
    results = riscv_gdb.run([riscv_gdb.Session("linux", argv, timed(commands(f), times), elf="",
                                               timeout=SESSION_TIMEOUT)])
    times["all"] = time.monotonic() - times["start"]
    r = results.get("linux")
    report_times(times, r and r.output, r and r.stderr)
    return results, f


def session():
    results, f = ran()
    r = results["linux"]
    assert r.connected, "gdb did not connect: %r\n--- host:\n%s" % (r, results.host_stderr[-3000:])
    return r.output or "", (r.stderr or "").replace("\r\n", "\n"), r.status, f


def values(out):
    """Every `$N = VALUE` gdb printed, in order."""
    return re.findall(r"^\$\d+ = (.*)$", out, re.M)


def translations(out):
    """Each `monitor translate` gdb printed: its lines, from "GVA" on."""
    return re.findall(r"^GVA .*?(?=^GVA |^\[|\Z)", out, re.M | re.S)


def test_architecture_from_the_target():
    out, err, status, f = session()
    assert re.search(r'The target architecture is set to "auto" \(currently "riscv:rv64"\)', out), out


def test_breakpoint_at_a_kernel_address():
    out, err, status, f = session()
    assert "Breakpoint 1 at %#x" % f["bp"] in out, out
    assert re.search(r"(Thread \d+ .*hit )?Breakpoint 1, %#x in \?\? \(\)" % f["bp"], out), out
    vals = values(out)
    assert int(vals[0], 16) == f["bp"], out
    assert vals[3].split()[0] in ("1", "0x1") or "Supervisor" in vals[3], out  # priv: S-mode


def test_kernel_registers_and_harts():
    out, err, status, f = session()
    vals = values(out)
    sp, satp = int(vals[1], 16), int(vals[2], 16)
    assert sp >> 63 == 1 and sp % 16 == 0, out     # the kernel's half of the address space
    assert satp >> 60 in (8, 9, 10), out            # Sv39, Sv48, Sv57
    threads = re.findall(r"^[ *]\s*(\d+)\s+Thread", out, re.M)
    assert threads == ["1", "2"], out
    current = re.findall(r"^\*\s*(\d+)\s+Thread", out, re.M)
    assert current == [vals[4]], out                # the thread that hit the breakpoint


def test_kernel_memory_by_virtual_address():
    out, err, status, f = session()
    assert re.search(r'^%#x:\s+"Linux version 6\.' % f["banner"], out, re.M), out


def test_translate_walks_the_kernel_tables():
    out, err, status, f = session()
    vals = values(out)
    satp = int(vals[2], 16)
    mode = {8: "Sv39", 9: "Sv48", 10: "Sv57"}[satp >> 60]
    walks = translations(out)
    assert len(walks) == 2, out
    for walk, what in zip(walks, ("pc", "sp")):
        assert walk.startswith("GVA %#x on hart " % int(vals[0 if what == "pc" else 1], 16)), walk
        assert "%s (satp %#x)" % (mode, satp) in walk, walk
        levels = re.findall(r"^  (L\d)\s+at GPA 0x[0-9a-f]+ = 0x[0-9a-f]+$", walk, re.M)
        top = {"Sv39": 2, "Sv48": 3, "Sv57": 4}[mode]
        assert levels and levels == ["L%d" % (top - i) for i in range(len(levels))], walk
        gpa = re.search(r"^  -> GPA (0x[0-9a-f]+) \(\d+ KiB page, ([-RWXUGAD]+)\)$", walk, re.M)
        assert gpa and 0x80000000 <= int(gpa.group(1), 16) < 0x80000000 + (256 << 20), walk
        assert "via a KVM memory slot" in walk, walk
        if what == "pc":
            # The Image's first byte is at RAM + text_offset (0x200000): the text is where it was loaded.
            assert int(gpa.group(1), 16) == f["bp"] - KERNEL_LINK_ADDR + 0x80200000, walk
            assert "X" in gpa.group(2), walk


def test_other_hart_while_stopped():
    out, err, status, f = session()
    vals = values(out)
    first, other, other_pc = vals[4], vals[5], int(vals[6], 16)
    assert {first, other} == {"1", "2"}, out
    assert re.search(r"^\[Switching to thread %s " % other, out, re.M), out
    assert f["stext"] <= other_pc < f["etext"] and other_pc != f["bp"], (hex(other_pc), out)
    assert vals[7].split()[0] in ("1", "0x1") or "Supervisor" in vals[7], out


def test_linux_runs_on_to_power_off():
    out, err, status, f = session()
    assert "[Inferior 1 (process 1) exited normally]" in out, out
    assert status == 0, (status, err[-3000:])
    for want in ("minikvm-init: up\n", "riscv64\n2\n", "minikvm-cmd-exit: 0\n"):
        assert want in err, "the guest's output lacks %r\n%s" % (want, err[-3000:])
    assert "Kernel panic" not in err and "Oops" not in err, err[-3000:]


TESTS = [("riscv_linux_gdb_test:" + fn.__name__, fn) for fn in
         (test_architecture_from_the_target, test_breakpoint_at_a_kernel_address,
          test_kernel_registers_and_harts, test_kernel_memory_by_virtual_address,
          test_translate_walks_the_kernel_tables, test_other_hart_while_stopped,
          test_linux_runs_on_to_power_off)]


def main():
    return results_file.main_recorded(__doc__.split("\n\n")[0], TESTS, kvm="riscv64",
                                      host=functools.lru_cache(maxsize=None)(onkvm_riscv64.host_kind))


if __name__ == "__main__":
    sys.exit(main())
