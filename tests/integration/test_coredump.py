# SPDX-License-Identifier: MIT
"""Guest core files: `monitor dump-guest-memory` (minikvm writes the ELF),
opened again by gdb with the kernel's symbols; and gdb's own `gcore`."""
import os
import shutil
import struct
import tempfile

from harness import Vmm, guest, run_gdb

CK = guest("ckernel.elf")
FRAMES = ["leaf", "accumulate", "compute", "kmain", "_start"]
PT_LOAD, PT_NOTE, NT_PRSTATUS = 1, 4, 1


def gdb_on_core(elf, core, body, timeout=90):
    """Like run_gdb, but gdb opens elf and core (no target remote)."""
    return run_gdb(None, elf, body, timeout=timeout, core=core)


def parse_core(path):
    """(ELF header fields, [program headers], [(note name, type, desc)])."""
    with open(path, "rb") as f:
        data = f.read()
    ident = data[:16]
    (e_type, e_machine, _, _, e_phoff, _, _, _, e_phentsize, e_phnum) = struct.unpack_from(
        "<HHIQQQIHHH", data, 16)
    phdrs = [dict(zip(("type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align"),
                      struct.unpack_from("<IIQQQQQQ", data, e_phoff + i * e_phentsize)))
             for i in range(e_phnum)]
    notes = []
    for ph in phdrs:
        if ph["type"] != PT_NOTE:
            continue
        off, end = ph["offset"], ph["offset"] + ph["filesz"]
        while off < end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            off += 12
            name = data[off:off + namesz].rstrip(b"\0").decode()
            off += (namesz + 3) & ~3
            notes.append((name, ntype, data[off:off + descsz]))
            off += (descsz + 3) & ~3
    return dict(ident=ident, type=e_type, machine=e_machine), phdrs, notes, data


def file_bytes(phdrs, data, gpa, n):
    for ph in phdrs:
        if ph["type"] == PT_LOAD and ph["paddr"] <= gpa and gpa + n <= ph["paddr"] + ph["filesz"]:
            o = ph["offset"] + gpa - ph["paddr"]
            return data[o:o + n]
    raise AssertionError("%#x not in any PT_LOAD: %r" % (gpa, phdrs))


def hexbytes(text):
    """The bytes of gdb's `x/NNxb` output."""
    return bytes(int(w, 16) for l in text.splitlines() for w in l.split(":", 1)[1].split())


def test_dump_guest_memory_elf_registers_and_gdb_opens_it():
    d = tempfile.mkdtemp(prefix="minikvm-core-")
    core = os.path.join(d, "guest.core")
    try:
        with Vmm(["-S", "-c", "2", "-m", "64", "--dump-dir", d, CK]) as vm:
            r = run_gdb(vm, CK, r'''
ex("break leaf")
ex("continue")
R["regs"] = {}
for t in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
    t.switch()
    R["regs"][str(t.num)] = [ev("$pc"), ev("$sp"), ev("$rbx")]
ex("thread 1")
R["bt"] = frames()
R["message_addr"] = ev("(unsigned long)&message")
R["message"] = ex("x/21xb &message")
R["leaf_addr"] = ev("(unsigned long)&leaf")
R["leaf"] = ex("x/16xb leaf")
R["out"] = ex("monitor dump-guest-memory guest.core")
R["out_p"] = ex("monitor dump-guest-memory -p guest.core.p")
ex("delete")
ex("continue")
''')
            assert vm.finish() == 0
            assert "ckernel: done" in vm.stdout()  # the dump did not disturb the guest
        assert "written to " + core in r["out"], r["out"]
        assert os.stat(core).st_mode & 0o777 == 0o600  # all of the guest's memory
        assert sorted(os.listdir(d)) == ["guest.core", "guest.core.p"]
        hdr, phdrs, notes, data = parse_core(core)
        assert hdr["ident"][:4] == b"\x7fELF" and hdr["ident"][4] == 2 and hdr["ident"][5] == 1
        assert hdr["type"] == 4 and hdr["machine"] == 62  # ET_CORE, EM_X86_64
        loads = [(p["paddr"], p["vaddr"], p["filesz"]) for p in phdrs if p["type"] == PT_LOAD]
        assert loads == [(0, 0, 64 << 20)], loads  # all of -m 64, identity
        assert [p["type"] for p in phdrs].count(PT_NOTE) == 1
        # Guest data and code as gdb read them (the breakpoint in leaf hidden, as in gdb's x).
        assert file_bytes(phdrs, data, r["message_addr"], 21) == b"minikvm ckernel data\0"
        assert file_bytes(phdrs, data, r["message_addr"], 21) == hexbytes(r["message"])
        assert file_bytes(phdrs, data, r["leaf_addr"], 16) == hexbytes(r["leaf"])
        prs = [n for n in notes if n[0] == "CORE" and n[1] == NT_PRSTATUS]
        assert len(prs) == 2, notes
        for desc in prs:
            assert len(desc[2]) == 336
            pid = struct.unpack_from("<i", desc[2], 32)[0]
            regs = struct.unpack_from("<27Q", desc[2], 112)
            rip, rsp, rbx = regs[16], regs[19], regs[5]
            assert [rip, rsp, rbx] == r["regs"][str(pid)], (pid, hex(rip), r["regs"])
        assert r["regs"]["1"][0] == r["leaf_addr"] or r["bt"][0] == "leaf"
        # -p: PT_LOADs by virtual address through vCPU 0's page tables (minikvm's
        # boot tables map the ckernel 1:1, so the message is at the same address).
        assert "written to " + core + ".p" in r["out_p"], r["out_p"]
        _, pphdrs, pnotes, pdata = parse_core(core + ".p")
        vloads = [p for p in pphdrs if p["type"] == PT_LOAD]
        at = [p for p in vloads if p["vaddr"] <= r["message_addr"] < p["vaddr"] + p["filesz"]]
        assert len(at) == 1 and at[0]["paddr"] == at[0]["vaddr"], vloads[:8]
        o = at[0]["offset"] + r["message_addr"] - at[0]["vaddr"]
        assert pdata[o:o + 21] == b"minikvm ckernel data\0"
        assert len([n for n in pnotes if n[1] == NT_PRSTATUS]) == 2
        c = gdb_on_core(CK, core, r'''
R["threads"] = len(gdb.selected_inferior().threads())
R["regs"] = {}
for t in gdb.selected_inferior().threads():
    t.switch()
    R["regs"][str(t.ptid[1])] = [ev("$pc"), ev("$sp"), ev("$rbx")]
R["message"] = evs("message")
''')
        assert c["threads"] == 2
        assert c["regs"] == r["regs"], (c["regs"], r["regs"])
        assert c["message"] == '"minikvm ckernel data"'
        # The identity p_vaddr lets gdb unwind the identity-mapped kernel.
        c = gdb_on_core(CK, core, 'ex("thread 1")\nR["bt"] = frames()')
        assert c["bt"] == FRAMES, c["bt"]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_gdb_gcore_writes_a_core_gdb_opens_with_the_same_threads_and_frames():
    """gdb's own gcore: minikvm's target description makes gdb's GNU/Linux
    x86-64 support take it (orig_rax), multiprocess gives gdb a real pid,
    and gdb reads /proc/1/maps (the guest's mapped RAM) through vFile to
    know what to write; gdb writes the memory and one NT_PRSTATUS per
    thread itself. Opened again, the core shows the live session."""
    d = tempfile.mkdtemp(prefix="minikvm-gcore-")
    core = os.path.join(d, "gcore.core")
    try:
        with Vmm(["-S", "-c", "2", "-m", "64", CK]) as vm:
            r = run_gdb(vm, CK, r'''
ex("break leaf")
ex("continue")
R["stopped"] = gdb.selected_thread().ptid[1]
R["regs"] = {}
for t in gdb.selected_inferior().threads():
    t.switch()
    R["regs"][str(t.ptid[1])] = [ev(x) for x in ("$pc", "$sp", "$rbp", "$rbx", "$rax", "$eflags")]
for t in gdb.selected_inferior().threads():
    if t.ptid[1] == R["stopped"]:
        t.switch()
R["bt"] = frames()
R["message_addr"] = ev("(unsigned long)&message")
R["message"] = ex("x/21xb &message")
R["maps"] = ex("info proc mappings")
R["orig_rax"] = ev("$orig_rax")
R["gcore"] = ex("gcore %s")
R["bt_after"] = frames()
ex("delete")
ex("continue")
''' % core)
            assert vm.finish() == 0
            assert "ckernel: done" in vm.stdout()  # gcore did not disturb the guest
        assert r["gcore"] == "Saved corefile %s\n" % core, r["gcore"]
        assert r["bt"] == r["bt_after"] == FRAMES, r["bt"]
        assert r["orig_rax"] == -1
        # /proc/1/maps: all of -m 64, mapped 1:1 by the ckernel's boot tables.
        assert "0x0" in r["maps"] and "0x4000000" in r["maps"], r["maps"]
        hdr, phdrs, notes, data = parse_core(core)
        assert hdr["type"] == 4 and hdr["machine"] == 62  # ET_CORE, EM_X86_64
        loads = [(p["vaddr"], p["filesz"]) for p in phdrs if p["type"] == PT_LOAD]
        assert loads == [(0, 64 << 20)], loads
        at = [p for p in phdrs if p["type"] == PT_LOAD and
              p["vaddr"] <= r["message_addr"] < p["vaddr"] + p["filesz"]][0]
        o = at["offset"] + r["message_addr"] - at["vaddr"]
        assert data[o:o + 21] == hexbytes(r["message"]) == b"minikvm ckernel data\0"
        assert len([n for n in notes if n[0] == "CORE" and n[1] == NT_PRSTATUS]) == 2, notes
        c = gdb_on_core(CK, core, r'''
R["threads"] = len(gdb.selected_inferior().threads())
R["regs"] = {}
for t in gdb.selected_inferior().threads():
    t.switch()
    R["regs"][str(t.ptid[1])] = [ev(x) for x in ("$pc", "$sp", "$rbp", "$rbx", "$rax", "$eflags")]
    if t.ptid[1] == %d:
        R["bt"] = frames()
R["message"] = evs("message")
R["message_bytes"] = ex("x/21xb &message")
''' % r["stopped"])
        assert c["threads"] == 2  # one per vCPU
        assert c["regs"] == r["regs"], (c["regs"], r["regs"])
        assert c["bt"] == FRAMES, c["bt"]
        assert c["message"] == '"minikvm ckernel data"'
        assert hexbytes(c["message_bytes"]) == hexbytes(r["message"])
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_gdb_gcore_of_a_32_bit_guest_with_paging_off():
    """The i386 layout (orig_eax) and a guest without page tables: the core
    holds RAM at its physical addresses; gdb's `set $pc` (which also writes
    orig_eax) is harmless."""
    elf = guest("elf32.elf")
    d = tempfile.mkdtemp(prefix="minikvm-gcore-")
    core = os.path.join(d, "gcore32.core")
    try:
        with Vmm(["-S", "-m", "16", elf]) as vm:
            r = run_gdb(vm, elf, r'''
ex("break main")
ex("continue")
R["regs"] = [ev("$eip"), ev("$esp"), ev("$ebp"), ev("$eflags")]
R["orig_eax"] = ev("$orig_eax")
R["maps"] = ex("info proc mappings")
R["gcore"] = ex("gcore %s")
ex("set $pc = $pc")
ex("delete")
ex("continue")
''' % core)
            assert vm.finish() == 5  # elf32's own exit: it ran on unharmed
        assert r["gcore"] == "Saved corefile %s\n" % core, r["gcore"]
        assert r["orig_eax"] == -1
        assert "0x0  0x1000000  0x1000000        0x0  rwxp" in r["maps"], r["maps"]
        c = gdb_on_core(elf, core, r'''
R["regs"] = [ev("$eip"), ev("$esp"), ev("$ebp"), ev("$eflags")]
R["bt"] = frames()
R["data_word"] = ev("data_word")
''')
        assert c["regs"] == r["regs"], (c["regs"], r["regs"])
        assert c["bt"] == ["main"]
        assert c["data_word"] == 0xfeedc0de
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_dump_errors_are_messages_and_the_guest_goes_on():
    """FILE is a plain name in --dump-dir: a path is refused, a name that
    cannot be written is one line on gdb's console; nothing is left behind."""
    d = tempfile.mkdtemp(prefix="minikvm-core-")
    try:
        os.mkdir(os.path.join(d, "sub"))
        with Vmm(["-S", "-m", "64", "--dump-dir", d, CK]) as vm:
            r = run_gdb(vm, CK, r'''
ex("break leaf")
ex("continue")
R["pc"] = ev("$pc")
# Like every monitor command's, the error is a message on gdb's console.
R["out"] = [ex("monitor dump-guest-memory " + p) for p in ("../x.core", "%s/x.core", "-p .x", "sub")]
R["pc_after"] = ev("$pc")
ex("maintenance flush register-cache")
R["pc_reread"] = ev("$pc")
R["bt"] = frames()
ex("delete")
ex("continue")
''' % d)
            assert vm.finish() == 0
            assert "ckernel: done" in vm.stdout()
        bad = "dump-guest-memory: bad file name '%s' (1-127 letters, digits, '_', '-', '.'; not " \
              "starting with '.'): it is written in --dump-dir " + d + "\n"
        assert r["out"] == [bad % "../x.core", bad % (d + "/x.core"), bad % ".x",
                            "dump-guest-memory: cannot write %s/sub: Is a directory\n" % d], r["out"]
        assert r["pc_after"] == r["pc"] == r["pc_reread"]
        assert r["bt"] == FRAMES
        assert os.listdir(d) == ["sub"]  # no partial or temporary file left
        assert os.listdir(os.path.join(d, "sub")) == []
        assert not os.path.exists(os.path.join(os.path.dirname(d), "x.core"))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_dump_without_dump_dir_is_refused_and_writes_nothing():
    """Issue 19: whoever reaches the gdb port could otherwise write any file
    minikvm's user may (~/.ssh/authorized_keys). Without --dump-dir, no file."""
    d = tempfile.mkdtemp(prefix="minikvm-core-")
    target = os.path.join(d, "authorized_keys")
    try:
        with Vmm(["-S", "-m", "64", CK]) as vm:
            r = run_gdb(vm, CK, r'''
R["out"] = [ex("monitor dump-guest-memory " + p) for p in ("%s", "-p %s", "core")]
ex("continue")
''' % (target, target))
            assert vm.finish() == 0
        refused = ("dump-guest-memory: refused: minikvm writes no file for a gdb client unless "
                   "started with --dump-dir DIR (then FILE is a name in DIR); gdb's own "
                   "`gcore FILE` writes a core on gdb's side\n")
        assert r["out"] == [refused] * 3, r["out"]
        assert os.listdir(d) == []
    finally:
        shutil.rmtree(d, ignore_errors=True)
