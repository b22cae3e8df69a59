# SPDX-License-Identifier: MIT
"""Whole-machine snapshots with real gdb: monitor savevm/loadvm, --snapshot-dir, --loadvm.

"Reverse" made practical: stop, save, run forward (and check that things
changed), load, and find every register and the memory bit for bit as they
were; then the guest runs to its normal end.
"""
import os
import shutil
import struct
import tempfile
import zlib

import harness
from harness import Vmm, guest, run, run_gdb

CK = guest("ckernel.elf")
CK_OUT = ("ckernel: hello from C in long mode\n"
          'ckernel: message="minikvm ckernel data" checksum(pattern)=2016\n'
          "ckernel: compute(10)=295\n"
          "ckernel: point=(3,4) area=12\n"
          "ckernel: counter=55 sum=295\n"
          "mode: 0\n"
          "ckernel: done\n")
# The lines ckernel prints after leaf(0) (inside compute(10)), where the snapshots are taken.
CK_TAIL = CK_OUT[CK_OUT.index("ckernel: compute"):]
SMP = guest("smp.bin")
SMP_ELF = guest("smp.bin.elf")
MEM = "16M"

# gdb-side helpers: every register of every thread, and a CRC of the low 2 MiB of
# guest-physical memory (GDT, page tables, ACPI, ckernel's code, data and stack).
STATE = r'''
import zlib
def regs_all():
    threads = sorted(gdb.selected_inferior().threads(), key=lambda t: t.num)
    cur = gdb.selected_thread().num
    # One vCPU: also its segments, descriptor tables and control registers as
    # KVM has them (with several, gdb does not say which vCPU a monitor command
    # goes to; info all-registers covers each thread's).
    out = {"sregs": ex("monitor info sregs") if len(threads) == 1 else ""}
    for t in threads:
        t.switch()
        out[str(t.num)] = ex("info all-registers")
    ex("thread %d" % cur)
    return out
# What the user does after loadvm: gdb forgets the registers and memory it has seen.
def forget():
    ex("maintenance flush register-cache")
    ex("maintenance flush dcache")
def ram_crc():
    ex("monitor phys on")
    crc = zlib.crc32(bytes(gdb.selected_inferior().read_memory(0, 0x200000)))
    ex("monitor phys off")
    return crc
def diff(a, b):
    import difflib
    return "\n".join(difflib.unified_diff(str(a["regs"]).split("\\n"), str(b["regs"]).split("\\n"),
                                          lineterm=""))
def state():
    return {"regs": regs_all(), "crc": ram_crc()}
'''


def test_savevm_loadvm_restores_registers_and_memory_bit_for_bit():
    with Vmm(["-S", "-m", MEM, CK]) as vm:
        r = run_gdb(vm, CK, STATE + r'''
ex("break leaf")
ex("continue")
R["x0"] = ev("x")
before = state()
R["save"] = ex("monitor savevm a")
R["info"] = ex("monitor info snapshots")
for _ in range(3):
    ex("continue")
R["x3"] = ev("x")
ex("stepi"); ex("stepi")
moved = state()
R["moved_regs"] = moved["regs"] != before["regs"]
R["moved_crc"] = moved["crc"] != before["crc"]
R["load"] = ex("monitor loadvm a")
forget()
after = state()
R["same_regs"] = after["regs"] == before["regs"]
R["same_crc"] = after["crc"] == before["crc"]
R["diff"] = diff(before, after)
R["x_after"] = ev("x")
R["fn_after"] = fn()
# Our breakpoint is back in the restored memory. gdb last stopped elsewhere
# (after the stepi's), so to gdb the pc moved onto a breakpoint, as after
# `set $pc`: it reports that breakpoint at once (leaf(0) again), then the next.
ex("continue")
R["x_rehit"] = [fn(), ev("x")]
ex("continue")
R["x_next"] = ev("x")
# A second load of the same snapshot works as well as the first.
ex("monitor loadvm a")
forget()
R["x_again"] = ev("x")
R["del"] = ex("monitor delvm a")
R["info_empty"] = ex("monitor info snapshots")
ex("delete")
ex("continue")
''', timeout=300)
        assert r["x0"] == 0 and r["x3"] == 3, r
        assert "snapshot 'a' taken" in r["save"], r["save"]
        assert r["info"].splitlines()[1].startswith("a "), r["info"]
        assert r["moved_regs"] and r["moved_crc"], "running on changed nothing?"
        assert "snapshot 'a' loaded" in r["load"] and "flushregs" in r["load"], r["load"]
        assert r["same_regs"], r.get("diff")
        assert r["same_crc"]
        assert r["x_after"] == 0 and r["fn_after"] == "leaf", r
        assert r["x_rehit"] == ["leaf", 0] and r["x_next"] == 1, r
        assert r["x_again"] == 0
        assert "deleted" in r["del"] and r["info_empty"] == "no snapshots\n"
        assert vm.finish() == 0, vm.stderr()
        # Once from boot to leaf(0), and from there once (what ran before the load is gone).
        assert vm.stdout() == CK_OUT, vm.stdout()


def test_savevm_loadvm_smp():
    with Vmm(["-S", "-c", "2", "-m", MEM, "--format", "raw32", SMP]) as vm:
        r = run_gdb(vm, SMP_ELF, STATE + r'''
ex("break ap_main")
ex("continue")
R["hit"] = fn()
R["nthreads"] = len(gdb.selected_inferior().threads())
before = state()
ex("monitor savevm two")
ex("delete")
for _ in range(5):
    ex("stepi")
moved = state()
R["moved"] = moved != before
ex("monitor loadvm two")
forget()
after = state()
R["same_regs"] = after["regs"] == before["regs"]
R["same_crc"] = after["crc"] == before["crc"]
R["diff"] = diff(before, after)
ex("continue")
''', timeout=300)
        assert r["hit"] == "ap_main" and r["nthreads"] == 2, r
        assert r["moved"]
        assert r["same_regs"] and r["same_crc"], r
        assert vm.finish() == 2, vm.stderr()
        assert vm.stdout().endswith("smp: 2 CPUs online\n"), vm.stdout()


def save_to_dir(d, name="b", extra=()):
    """Run ckernel to leaf(0), savevm NAME with --snapshot-dir d; the registers seen there."""
    with Vmm(["-S", "-m", MEM, "--snapshot-dir", d] + list(extra) + [CK]) as vm:
        r = run_gdb(vm, CK, STATE + r'''
ex("break leaf")
ex("continue")
R["regs"] = regs_all()
R["crc"] = ram_crc()
R["save"] = ex("monitor savevm %s")
ex("kill")
''' % name, timeout=300)
    assert "written to " + d in r["save"], r["save"]
    return r


def test_snapshot_dir_then_loadvm_in_a_new_process():
    d = tempfile.mkdtemp(prefix="minikvm-snap-")
    try:
        saved = save_to_dir(d)
        path = os.path.join(d, "b.mkvm")
        with open(path, "rb") as f:
            assert f.read(8) == b"MKVMSNAP"
        assert [n for n in os.listdir(d) if n.endswith(".tmp")] == []
        # gdb attached to a machine that starts from the file (no image) finds the same state.
        with Vmm(["-S", "-m", MEM, "--loadvm", path]) as vm:
            r = run_gdb(vm, CK, STATE + r'''
R["regs"] = regs_all()
R["crc"] = ram_crc()
R["fn"] = fn(); R["x"] = ev("x")
ex("continue")
''', timeout=300)
            assert r["regs"] == saved["regs"]
            assert r["crc"] == saved["crc"]
            assert r["fn"] == "leaf" and r["x"] == 0
            assert vm.finish() == 0, vm.stderr()
            assert vm.stdout() == CK_TAIL, vm.stdout()
        # Without a debugger it just runs on from there, to the same end.
        res = run(["-m", MEM, "--loadvm", path], timeout=120)
        assert res.status == 0, res
        assert res.stdout.decode() == CK_TAIL
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_irqchip_kernel_snapshot_passes_its_own_checks():
    # With --irqchip kernel the 8259s, IOAPIC and PIT are KVM's: their state as
    # KVM gave it must pass the checks a loaded file gets before KVM sees it.
    d = tempfile.mkdtemp(prefix="minikvm-snap-")
    try:
        save_to_dir(d, "k", ["--irqchip", "kernel"])
        res = run(["-m", MEM, "--irqchip", "kernel", "--loadvm", os.path.join(d, "k.mkvm")], timeout=120)
        assert res.status == 0, res
        assert res.stdout.decode() == CK_TAIL, res
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_savevm_refused_with_a_9p_share():
    """A VM with --share cannot be saved (the guest's files are open on the host): one clear line."""
    with tempfile.TemporaryDirectory(prefix="minikvm-share-") as shared:
        with Vmm(["-S", "-m", MEM, "--share", shared, CK]) as vm:
            r = run_gdb(vm, CK, r'''
R["save"] = ex("monitor savevm a")
R["info"] = ex("monitor info snapshots")
ex("continue")
''', timeout=300)
            assert vm.finish() == 0
        assert r["save"] == ("savevm failed: this machine cannot be saved: the 9p share 'host' (--share %s) "
                             "holds the guest's files open on the host, which a snapshot cannot (start "
                             "without --share to use snapshots)\n" % shared), r["save"]
        assert "a " not in r["info"], r["info"]


def test_delvm_removes_the_file_savevm_wrote():
    """Issue 19: delvm left DIR/NAME.mkvm behind, so saving new names and
    deleting them filled the disk with RAM-sized files."""
    d = tempfile.mkdtemp(prefix="minikvm-snap-")
    try:
        with Vmm(["-S", "-m", MEM, "--snapshot-dir", d, CK]) as vm:
            r = run_gdb(vm, CK, r'''
import os
ex("break leaf")
ex("continue")
R["save"] = [ex("monitor savevm " + n) for n in ("a", "b", "a")]
R["files_saved"] = sorted(os.listdir(%r))
R["del"] = ex("monitor delvm a")
R["files"] = sorted(os.listdir(%r))
R["info"] = ex("monitor info snapshots")
ex("delete")
ex("continue")
''' % (d, d), timeout=300)
            assert vm.finish() == 0
        assert r["save"][1] == "snapshot 'b' taken and written to %s/b\n" % d, r["save"]
        assert r["files_saved"] == ["a.mkvm", "b.mkvm"], r
        assert r["del"] == "snapshot 'a' deleted\n", r["del"]
        assert r["files"] == ["b.mkvm"], r
        assert "b " in r["info"] and "a " not in r["info"], r["info"]
        assert os.stat(os.path.join(d, "b.mkvm")).st_mode & 0o777 == 0o600
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_loadvm_errors():
    d = tempfile.mkdtemp(prefix="minikvm-snap-")
    try:
        save_to_dir(d, "good")
        good = os.path.join(d, "good.mkvm")
        data = open(good, "rb").read()

        def bad(name, content):
            p = os.path.join(d, name)
            with open(p, "wb") as f:
                f.write(content)
            return p

        def refused(args, text):
            res = run(args, timeout=120)
            err = res.stderr.decode(errors="replace")
            lines = [l for l in err.splitlines() if l.strip()]
            assert res.status == 1 and len(lines) == 1, res
            assert lines[0].startswith("minikvm: ") and text in lines[0], lines
            assert res.stdout == b""  # the guest never ran

        refused(["-m", MEM, "--loadvm", bad("t.mkvm", data[:len(data) // 2])], "truncated")
        refused(["-m", MEM, "--loadvm", bad("h.mkvm", data[:40])], "truncated inside its header")
        corrupt = bytearray(data)
        corrupt[0x100000] ^= 0xFF  # a byte of guest RAM
        refused(["-m", MEM, "--loadvm", bad("c.mkvm", bytes(corrupt))], "section 'ram' is damaged")
        refused(["-m", MEM, "--loadvm", bad("m.mkvm", b"NOTASNAP" + data[8:])],
                "not a minikvm snapshot")
        # A RISC-V machine's header (irqchip 0, S-mode, machine 243): minikvm-riscv64's to load.
        head = bytearray(data[:64])
        struct.pack_into("<III", head, 28, 0, 3, 64)
        struct.pack_into("<I", head, 44, 243)
        struct.pack_into("<I", head, 56, zlib.crc32(bytes(head[:56])))
        refused(["-m", MEM, "--loadvm", bad("r.mkvm", bytes(head) + data[64:])],
                "a snapshot of a machine of another architecture (RISC-V); this minikvm runs x86-64 "
                "guests (minikvm-riscv64 loads it)")
        refused(["-m", "32M", "--loadvm", good], "16 MiB of memory; this one has 32 MiB")
        refused(["-m", MEM, "-c", "2", "--loadvm", good], "1 vCPUs; this one has 2")
        refused(["-m", MEM, "--irqchip", "kernel", "--loadvm", good], "--irqchip split")
        refused(["-m", MEM, "--loadvm", os.path.join(d, "missing.mkvm")], "cannot open snapshot")

        # In gdb: a name never saved, and a bad name.
        with Vmm(["-S", "-m", MEM, CK]) as vm:
            r = run_gdb(vm, CK, r'''
for cmd, key in (("monitor loadvm nosuch", "unknown"), ("monitor savevm ../x", "badname"),
                 ("monitor loadvm", "usage")):
    try:
        R[key] = ex(cmd)
    except gdb.error as e:
        R[key] = "gdb.error: " + str(e)
R["pc"] = ev("$pc")
ex("continue")
''')
            assert "no snapshot named 'nosuch'" in r["unknown"], r
            assert "bad snapshot name" in r["badname"], r
            assert "usage: monitor loadvm NAME" in r["usage"], r
            assert r["pc"] == 0x100000  # nothing changed: still at the entry
            assert vm.finish() == 0
            assert vm.stdout() == CK_OUT
    finally:
        shutil.rmtree(d, ignore_errors=True)
