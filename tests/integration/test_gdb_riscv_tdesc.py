# SPDX-License-Identifier: MIT
"""The rv64 target descriptions (gdbstub/arch_riscv.c), read by the real
client: build/riscv_tdesc writes the target.xml the gdb server would send,
with and without the F/D registers, and Debian's gdb-multiarch loads it
with no `set architecture`. gdb must take the architecture from it, warn
about nothing, and give every register gdb's own number for that name
(riscv-tdep.c matches registers by name; a name it did not know would get a
number past its own), while the wire numbers ('g' offsets, 'p' numbers) are
the description's order. No KVM needed; skipped without gdb-multiarch.
"""
import os
import re
import shutil
import subprocess
import tempfile

import harness

NEEDS_KVM = False

XREGS = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1"] + \
    ["a%d" % i for i in range(8)] + ["s%d" % i for i in range(2, 12)] + ["t3", "t4", "t5", "t6"]
FREGS = ["ft%d" % i for i in range(8)] + ["fs0", "fs1"] + ["fa%d" % i for i in range(8)] + \
    ["fs%d" % i for i in range(2, 12)] + ["ft%d" % i for i in range(8, 12)]
# The CSR numbers of the privileged spec; gdb numbers a CSR 65 + its number.
CSRS = [("sstatus", 0x100), ("sie", 0x104), ("stvec", 0x105), ("sscratch", 0x140),
        ("sepc", 0x141), ("scause", 0x142), ("stval", 0x143), ("sip", 0x144), ("satp", 0x180)]
GDB_CSR_BASE = 65
GDB_PRIV = 4161  # riscv-tdep.h: RISCV_PRIV_REGNUM, one past the last CSR


def expected(has_fp):
    """(name, gdb's number, size) in wire order."""
    regs = [(n, i, 8) for i, n in enumerate(XREGS)] + [("pc", 32, 8)]
    if has_fp:
        regs += [(n, 33 + i, 8) for i, n in enumerate(FREGS)]
        regs += [("fflags", GDB_CSR_BASE + 1, 4), ("frm", GDB_CSR_BASE + 2, 4),
                 ("fcsr", GDB_CSR_BASE + 3, 4)]
    regs += [(n, GDB_CSR_BASE + num, 8) for n, num in CSRS]
    return regs + [("priv", GDB_PRIV, 8)]


def gdb_reads(variant):
    gdb = shutil.which("gdb-multiarch")
    if not gdb:
        raise harness.Skip("gdb-multiarch is not installed (Debian package gdb-multiarch)")
    program = os.path.join(os.path.dirname(harness.MINIKVM), "riscv_tdesc")
    assert os.path.exists(program), "%s is missing: make %s" % (program, program)
    xml = subprocess.run([program] + variant, stdout=subprocess.PIPE, check=True).stdout
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "target.xml")
        with open(path, "wb") as f:
            f.write(xml)
        proc = subprocess.run([gdb, "-nx", "-batch", "-ex", "set tdesc filename " + path,
                               "-ex", "show architecture", "-ex", "maint print remote-registers"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0 and not err.strip(), "gdb-multiarch: %s%s" % (out, err)
    return out


def check(variant, has_fp):
    out = gdb_reads(variant)
    assert '(currently "riscv:rv64")' in out, out
    # " Name Nr Rel Offset Size Type Rmt-Nr g/G-Offset"; unnamed rows have no remote number.
    rows = [m.groups() for m in re.finditer(
        r"^ (\S+)\s+(\d+)\s+\d+\s+\d+\s+(\d+)\s+\S+\s+(\d+)\s+(\d+)$", out, re.M)]
    got = [(name, int(nr), int(size), int(rmt), int(off)) for name, nr, size, rmt, off in rows]
    got.sort(key=lambda r: r[3])
    want = expected(has_fp)
    assert [r[0] for r in got] == [w[0] for w in want], out
    offset = 0
    for rmt, ((name, nr, size, r_rmt, r_off), (_, w_nr, w_size)) in enumerate(zip(got, want)):
        assert (nr, size, r_rmt, r_off) == (w_nr, w_size, rmt, offset), \
            "%s: gdb %d size %d wire %d at %d" % (name, nr, size, r_rmt, r_off)
        offset += size
    assert offset == (612 if has_fp else 344)


def test_gdb_multiarch_reads_the_rv64_description():
    check([], True)


def test_gdb_multiarch_reads_the_rv64_description_without_fp():
    check(["nofp"], False)
