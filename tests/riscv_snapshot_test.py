#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Snapshots and core files of RISC-V guests on a RISC-V KVM, through minikvm-riscv64's gdb stub.

Every session runs in one boot of the RISC-V host (tests/riscv_gdb.py:
gdb-multiarch here, minikvm-riscv64 there); each test then checks what gdb
printed, the files minikvm wrote, the guest's output and minikvm's exit
status:

  test_savevm_loadvm_in_one_process   guest/riscv/ckernel.elf stopped at kmain
                             (before its timer ticks): savevm s1; on to the
                             wfi of its tick loop (the timer armed): savevm
                             s2; on to leaf (three ticks later), a register
                             and `ticks` written; loadvm s1: every register
                             gdb shows (x, pc, f, fcsr, the CSRs, priv) and
                             the stack and `ticks` are back, byte for byte;
                             continue: the guest takes its three ticks again
                             and ends with its own status, 7
  test_snapshot_files        --snapshot-dir: savevm writes NAME.mkvm, mode
                             0600, with RISC-V's header (machine 243); delvm
                             s1 removes its file and its name (info snapshots
                             before and after; loadvm s1 then says no such
                             snapshot)
  test_loadvm_file_in_a_new_process  minikvm-riscv64 -S --loadvm s2.mkvm, no
                             image: gdb sees the saved pc (the wfi) and fewer
                             than 3 ticks; continue: the tick comes from the restored
                             timer (the guest waits for it in wfi), three
                             ticks, status 7, and kmain's first lines are not
                             printed again
  test_core_files            --dump-dir: `monitor dump-guest-memory` at the
                             breakpoint in leaf (with and without -p, satp
                             Bare), and gdb's own `gcore`; each opened here
                             by gdb-multiarch with the ELF has RAM (ticks 3,
                             leaf's own bytes) and shows leaf (n=50) called
                             from kmain, pc at leaf and a0 = 50 (gdb's core
                             but for its registers: gdb-multiarch on x86-64
                             writes them in the host's layout); with satp set
                             to Sv39, `dump-guest-memory -p` is one clear line
                             (x86 only) and gcore finds no /proc/1/maps; the
                             guest still ends with 7
  test_stopped_hart_stays_stopped  guest/riscv/smp.elf on 2 harts: savevm at
                             the entry (hart 1 stopped, waiting for SBI HSM
                             hart_start), on until hart 1 runs, loadvm: hart 1
                             is stopped again, so the boot hart starts it
                             again and both meet (status 0x22)
  test_hostile_snapshot_files  --loadvm of files made from s2.mkvm here:
                             truncated, cut in its header, a byte of RAM
                             flipped, no magic, an x86-64 machine's header,
                             crafted vCPU and PLIC sections with their
                             checksums right (an MP state, a register KVM
                             does not have, a count larger than the section,
                             a PLIC priority no guest can write), -c 2, a file
                             that does not exist: each one line on stderr,
                             status 1, the guest never runs

`make test` runs it after tests/riscv_gdb_test.py (--resume FILE: the suite's
results file, counted in its closing line). Exit status: 0 all passed, 1
some failed.
"""
import functools
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import riscv_gdb_test  # noqa: E402  (its sessions' setting: the tree, the guests, gdb's values)
from riscv_gdb_test import CKERNEL, MINIKVM, ROOT, SMP, results_file, riscv_gdb, value  # noqa: E402

MEM = "16M"
SNAP = os.path.join("build-riscv64", "riscv-snap")   # --snapshot-dir, in the tree the host shares
DUMP = os.path.join("build-riscv64", "riscv-dump")   # --dump-dir
BAD_CASES = [  # name, arguments before --loadvm FILE, file (None: bad-NAME.mkvm), what stderr says
    ("truncated", [], None, "is not a usable snapshot: truncated ("),
    ("header", [], None, "truncated inside its header"),
    ("ram", [], None, "section 'ram' is damaged (checksum)"),
    ("magic", [], None, "not a minikvm snapshot"),
    ("x86", [], None, "a snapshot of a machine of another architecture (x86-64); this minikvm runs "
     "RISC-V guests (minikvm for x86-64 loads it)"),
    ("x86-old", [], None, "another architecture (x86-64)"),
    ("vcpu-mp", [], None, "the state of vCPU 0 is damaged (MP state 9 is neither runnable (0) nor "
     "stopped (5))"),
    ("vcpu-reg", [], None, "(of unknown type 0x7f) that this host's KVM does not give a hart"),
    ("vcpu-count", [], None, "the state of vCPU 0 is damaged (4000 registers, in"),
    ("plic", [], None, "the state of device 'plic' is damaged (PLIC source 10's priority is 9"),
    ("cpus", ["-c", "2"], "s2.mkvm", "is of a machine with 1 vCPUs; this one has 2 (-c 1)"),
    ("missing", [], "nosuch.mkvm", "cannot open snapshot"),
]


def between(out, start, end="===END==="):
    """The text gdb printed between two `echo` markers."""
    m = re.search(re.escape(start) + r"\n(.*?)" + re.escape(end), out, re.S)
    assert m, (start, out)
    return re.sub(r"^\$\d+ = ", "$N = ", m.group(1), flags=re.M)  # gdb's history numbers go on


def sessions():
    ck = riscv_gdb_test.symbols(CKERNEL)
    wfi = riscv_gdb_test.wfi_in_loop(CKERNEL)
    state = ["info all-registers", "x/16xg $sp", "p ticks"]
    return [
        riscv_gdb.Session("inproc", [MINIKVM, "-m", MEM, "--snapshot-dir", SNAP, "-S", CKERNEL], [
            "break kmain", "continue", "monitor savevm s1", "echo ===SAVED===\\n"] + state + [
            "echo ===END===\\n", "delete", "break *%#x" % wfi, "continue", "monitor savevm s2",
            "p/x $pc", "delete", "break leaf", "continue", "p ticks",
            "set var $t0 = 0x1234abcd", "set var ticks = 99", "p/x $t0", "p ticks",
            "echo ===LIST1===\\n", "monitor info snapshots", "echo ===END===\\n",
            "monitor loadvm s1", "maintenance flush register-cache", "maintenance flush dcache",
            "echo ===LOADED===\\n"] + state + [
            "echo ===END===\\n", "monitor delvm s1",
            "echo ===LIST2===\\n", "monitor info snapshots", "echo ===END===\\n",
            "monitor loadvm s1", "delete", "continue"]),
        riscv_gdb.Session("fromfile", [MINIKVM, "-m", MEM, "-S", "--loadvm", os.path.join(SNAP, "s2.mkvm")],
                          ["p/x $pc", "p ticks", "continue"], elf=CKERNEL),
        riscv_gdb.Session("dump", [MINIKVM, "-m", MEM, "--dump-dir", DUMP, "-S", CKERNEL], [
            "break leaf", "continue", "p/x $pc", "p/x $a0",
            "monitor dump-guest-memory ck.core",
            "gcore %s" % os.path.join(DUMP, "gdb.core"),
            "monitor dump-guest-memory -p ck-p.core",
            # Sv39 with its root table in a page of zeros: nothing is mapped.
            "set var $satp = %#x" % ((8 << 60) | ((0x80000000 + (8 << 20)) >> 12)),
            "echo ===PAGED===\\n", "monitor dump-guest-memory -p paged.core", "echo ===END===\\n",
            "echo ===GCORE===\\n", "info proc mappings", "gcore %s" % os.path.join(DUMP, "gdb-paged.core"),
            "echo ===END===\\n",
            "set var $satp = 0", "delete", "continue"]),
        riscv_gdb.Session("smp", [MINIKVM, "-m", MEM, "-c", "2", "-S", SMP], [
            "monitor savevm s0", "break smp_secondary_main", "continue", "p $_thread",
            "monitor loadvm s0", "maintenance flush register-cache", "maintenance flush dcache", "delete",
            "continue"]),
        riscv_gdb.Session("hostile", ["busybox", "sh", "-c", hostile_script()], hostile_files,
                          gdb_stdio=False),
    ], {"ck": ck, "wfi": wfi}


def hostile_script():
    """Inside: each bad case's minikvm run, its stdout, stderr and status in files of SNAP."""
    lines = []
    for name, args, path, _ in BAD_CASES:
        base = os.path.join(SNAP, "bad-" + name)
        argv = [MINIKVM, "-m", MEM] + args + ["--loadvm", os.path.join(SNAP, path or "bad-%s.mkvm" % name)]
        lines.append("%s </dev/null >%s.out 2>%s.err; echo $? >%s.status"
                     % (" ".join(argv), base, base, base))
    return "\n".join(lines) + "\necho done"


# --- Snapshot files, taken apart and put together again (src/snapshot.h) ---

def sections(data):
    """(header, [(tag, index, name, bytes), ...]) of a snapshot image."""
    head, off, out = data[:64], 64, []
    for _ in range(struct.unpack_from("<I", head, 40)[0]):
        tag, index = struct.unpack_from("<II", data, off)
        name = data[off + 8:off + 40].rstrip(b"\0").decode()
        length = struct.unpack_from("<Q", data, off + 40)[0]
        out.append((tag, index, name, data[off + 56:off + 56 + length]))
        off += 56 + length
    assert off == len(data), (off, len(data))
    return head, out


def image(head, secs):
    """An image of a header and sections, every size and checksum right."""
    body = b"".join(struct.pack("<II32sQII", tag, index, name.encode(), len(b), zlib.crc32(b), 0) + b
                    for tag, index, name, b in secs)
    h = bytearray(head)
    struct.pack_into("<I", h, 40, len(secs))
    struct.pack_into("<Q", h, 48, 64 + len(body))
    struct.pack_into("<I", h, 56, zlib.crc32(bytes(h[:56])))
    return bytes(h) + body


def with_header(data, **fields):
    """The image with header fields (offset=value, u32) changed, its checksum right."""
    head, secs = sections(data)
    h = bytearray(head)
    for off, v in fields.items():
        struct.pack_into("<I", h, int(off[1:]), v)
    return image(bytes(h), secs)


def with_section(data, tag, name, edit):
    """The image with one section's bytes replaced by edit(bytes)."""
    head, secs = sections(data)
    return image(head, [(t, i, n, edit(b) if (t, n) == (tag, name) else b) for t, i, n, b in secs])


def bad_files(good):
    """name -> the bytes of each bad case made from a good image."""
    VCPU, DEVICE = 3, 4

    def mp_state(b):
        return struct.pack("<I", 9) + b[4:]

    def unknown_reg(b):
        # The first register's type (bits 31:24 of its id) made 0x7f: none KVM has.
        first = struct.unpack_from("<Q", b, 8)[0]
        return b[:8] + struct.pack("<Q", (first & ~0xFF000000) | 0x7F000000) + b[16:]

    def count(b):
        return b[:4] + struct.pack("<I", 4000) + b[8:]

    def plic_priority(b):
        # ncontexts, then 32 priorities: source 10's (the UART's) made 9.
        return b[:4 + 4 * 10] + struct.pack("<I", 9) + b[4 + 4 * 11:]

    corrupt = bytearray(good)
    corrupt[64 + 56 + 0x1000] ^= 0xFF  # a byte of guest RAM
    return {
        "truncated": good[:len(good) // 2],
        "header": good[:40],
        "ram": bytes(corrupt),
        "magic": b"NOTASNAP" + good[8:],
        "x86": with_header(good, o28=0, o32=2, o44=62),
        "x86-old": with_header(good, o28=0, o32=2, o44=0),
        "vcpu-mp": with_section(good, VCPU, "vcpu", mp_state),
        "vcpu-reg": with_section(good, VCPU, "vcpu", unknown_reg),
        "vcpu-count": with_section(good, VCPU, "vcpu", count),
        "plic": with_section(good, DEVICE, "plic", plic_priority),
    }


def hostile_files(attach):
    """The hostile session's gdb: make the bad files from s2.mkvm (the first
    session's), then connect, which starts the script inside."""
    with open(os.path.join(ROOT, SNAP, "s2.mkvm"), "rb") as f:
        good = f.read()
    for name, data in bad_files(good).items():
        with open(os.path.join(ROOT, SNAP, "bad-%s.mkvm" % name), "wb") as f:
            f.write(data)
    return riscv_gdb.echo_through(b"")(attach)


@functools.lru_cache(maxsize=None)
def ran():
    for d in (SNAP, DUMP):
        shutil.rmtree(os.path.join(ROOT, d), ignore_errors=True)
        os.makedirs(os.path.join(ROOT, d))
    sess, facts = sessions()
    results = riscv_gdb.run(sess)
    for name, r in results.items():  # what gdb printed, for a look after the run
        with open(os.path.join(ROOT, riscv_gdb.WORK, name + ".gdb"), "w") as f:
            f.write(r.output.decode(errors="replace") if isinstance(r.output, bytes) else r.output or "")
    return results, facts


def session(name):
    results, facts = ran()
    r = results[name]
    out = r.output or ""
    return (out.decode(errors="replace") if isinstance(out, bytes) else out), r.stderr or "", r.status, facts


def test_savevm_loadvm_in_one_process():
    out, err, status, facts = session("inproc")
    assert "snapshot 's1' taken and written to %s/s1" % SNAP in out, out
    assert "snapshot 's2' taken" in out, out
    saved, loaded = between(out, "===SAVED==="), between(out, "===LOADED===")
    for reg in ("pc", "sp", "ra", "a1", "t0", "fcsr", "sstatus", "sie", "stvec", "satp", "priv"):
        assert re.search(r"^%s\s+0x" % reg, saved, re.M), (reg, saved)
    assert re.search(r"^pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <kmain>", saved, re.M), saved
    assert loaded == saved, "registers, stack or ticks differ after loadvm:\n%s\n----\n%s" % (saved, loaded)
    vals = value(out)
    # At the wfi (s2), at leaf: three ticks, then gdb's writes.
    assert int(vals[1], 16) == facts["wfi"], (hex(facts["wfi"]), out)
    assert vals[2:5] == ["3", "0x1234abcd", "99"], out
    assert re.search(r"Breakpoint \d+, (0x[0-9a-f]+ in )?leaf \(n=(n@entry=)?50\)", out), out
    assert "snapshot 's1' loaded" in out, out
    assert re.search(r"^\$N = 0$", loaded, re.M), loaded  # ticks, as at kmain
    assert "exited with code 07" in out, out
    assert status == 7, (status, err)
    # The guest ran kmain's start and its three ticks twice: once before loadvm, once after.
    assert err.count("ckernel: hart 0x0000000000000000") == 2, err
    assert err.count("ckernel: 3 timer interrupts") == 2, err
    assert err.count("ckernel: exiting with code 7") == 1, err


def test_snapshot_files():
    out, err, status, facts = session("inproc")
    list1, list2 = between(out, "===LIST1==="), between(out, "===LIST2===")
    assert re.search(r"^s1\s+\d+ KiB", list1, re.M) and re.search(r"^s2\s+\d+ KiB", list1, re.M), list1
    assert "snapshot 's1' deleted" in out, out
    assert not re.search(r"^s1\s", list2, re.M) and re.search(r"^s2\s+\d+ KiB", list2, re.M), list2
    assert "loadvm failed: no snapshot named 's1'" in out, out
    files = sorted(f for f in os.listdir(os.path.join(ROOT, SNAP)) if not f.startswith("bad-"))
    assert files == ["s2.mkvm"], files  # s1.mkvm went with delvm; no temporary file left
    st = os.stat(os.path.join(ROOT, SNAP, "s2.mkvm"))
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert st.st_size > 16 << 20, st.st_size  # all of RAM, and the rest
    with open(os.path.join(ROOT, SNAP, "s2.mkvm"), "rb") as f:
        head = f.read(64)
    assert head[:8] == b"MKVMSNAP", head
    # RISC-V's header: irqchip 0, boot mode 3 (S-mode), 64 bits, machine 243 (EM_RISCV).
    assert struct.unpack_from("<III", head, 28) == (0, 3, 64), head
    assert struct.unpack_from("<I", head, 44) == (243,), head
    assert struct.unpack_from("<QI", head, 16) == (16 << 20, 1), head


def test_loadvm_file_in_a_new_process():
    out, err, status, facts = session("fromfile")
    vals = value(out)
    assert int(vals[0], 16) == facts["wfi"], (hex(facts["wfi"]), out)
    assert int(vals[1]) < 3, out  # in the loop that waits for the third tick
    assert "exited with code 07" in out, out
    assert status == 7, (status, err)
    assert "ckernel: 3 timer interrupts" in err and "ckernel: exiting with code 7" in err, err
    assert "ckernel: hart" not in err, err  # it began where s2 was taken


def open_core(core):
    """gdb-multiarch's view of a core file, with the ELF, here."""
    p = subprocess.run([riscv_gdb.GDB, "-nx", "-batch", CKERNEL, core, "-ex", "bt", "-ex", "p/x $pc",
                        "-ex", "info registers a0", "-ex", "p ticks", "-ex", "x/2xb leaf"],
                       cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    return p.stdout + p.stderr


# gdb-multiarch on an x86-64 host writes a riscv64 core's NT_PRSTATUS in the host's layout (336
# bytes: BFD has no RISC-V writer and falls back to the native one) and then cannot read it back.
GDB_FOREIGN_PRSTATUS = "Section `.reg/1' in core file too small"


def test_core_files():
    out, err, status, facts = session("dump")
    ck = facts["ck"]
    vals = value(out)
    pc = int(vals[0], 16)
    assert ck["leaf"] <= pc < ck["leaf"] + 16 and vals[1] == "0x32", out
    assert "guest memory and 1 vCPUs written to %s/ck.core" % DUMP in out, out
    assert "Saved corefile %s" % os.path.join(DUMP, "gdb.core") in out, out
    assert "written to %s/ck-p.core" % DUMP in out, out  # -p with satp Bare: identity, as without
    paged = between(out, "===PAGED===")
    assert "dump-guest-memory: -p (memory by guest-virtual address) is not available on this " \
        "architecture while vCPU 0 has paging on; without -p the file holds all RAM at its " \
        "physical addresses" in paged, paged
    assert not os.path.exists(os.path.join(ROOT, DUMP, "paged.core"))
    # gcore under paging: no /proc/1/maps to read, so gdb falls back to the ELF's sections.
    assert "unable to open /proc file '/proc/1/maps'" in between(out, "===GCORE==="), out
    assert "exited with code 07" in out, out
    assert status == 7, (status, err)
    for core in ("ck.core", "ck-p.core", "gdb.core"):
        path = os.path.join(ROOT, DUMP, core)
        seen = open_core(path)
        # RAM: ticks after three ticks, and leaf's first bytes without the breakpoint.
        assert re.search(r"^\$\d+ = 3$", seen, re.M), (core, seen)
        assert re.search(r"<leaf>:\s+0x2a\s+0x86", seen), (core, seen)
        if core == "gdb.core" and GDB_FOREIGN_PRSTATUS in seen:
            continue  # gdb's own limitation, not the stub's: its registers cannot be read back here
        assert re.search(r"^#0\s+(0x[0-9a-f]+ in )?leaf \(n=(n@entry=)?50\)", seen, re.M), (core, seen)
        assert re.search(r"^#1\s+0x[0-9a-f]+ in kmain", seen, re.M), (core, seen)
        assert re.search(r"^\$1 = %#x$" % pc, seen, re.M), (core, seen)
        assert re.search(r"^a0\s+0x32\s+50", seen, re.M), (core, seen)
    for core in ("ck.core", "ck-p.core"):
        assert stat.S_IMODE(os.stat(os.path.join(ROOT, DUMP, core)).st_mode) == 0o600


def test_stopped_hart_stays_stopped():
    out, err, status, facts = session("smp")
    assert re.search(r"Thread 2 .*hit Breakpoint 1, smp_secondary_main", out) or \
        re.search(r"Breakpoint 1, smp_secondary_main", out), out
    assert value(out)[0] == "2", out  # hart 1 ran, as thread 2
    assert "snapshot 's0' loaded" in out, out
    # Hart 1 stopped again: the boot hart's hart_start succeeds a second time, and both meet.
    assert "exited with code 042" in out, out
    assert status == 0x22, (status, err)
    assert err.count("smp: 2 harts met") == 1 and "FAIL" not in err, err


def test_hostile_snapshot_files():
    out, err, status, facts = session("hostile")
    assert out.strip() == "done", (out, err, status)
    for name, _, _, text in BAD_CASES:
        base = os.path.join(ROOT, SNAP, "bad-" + name)
        with open(base + ".err", errors="replace") as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        with open(base + ".out", "rb") as f:
            stdout = f.read()
        with open(base + ".status") as f:
            code = int(f.read())
        assert code == 1 and len(lines) == 1, (name, code, lines)
        assert lines[0].startswith("minikvm: ") and text in lines[0], (name, lines)
        assert stdout == b"", (name, stdout)  # the guest never ran


TESTS = [("riscv_snapshot_test:" + fn.__name__, fn) for fn in
         (test_savevm_loadvm_in_one_process, test_snapshot_files, test_loadvm_file_in_a_new_process,
          test_core_files, test_stopped_hart_stays_stopped, test_hostile_snapshot_files)]


def main():
    host_kind = riscv_gdb_test.onkvm_riscv64.host_kind
    return results_file.main_recorded(__doc__.split("\n\n")[0], TESTS, kvm="riscv64",
                                      host=functools.lru_cache(maxsize=None)(host_kind))


if __name__ == "__main__":
    sys.exit(main())
