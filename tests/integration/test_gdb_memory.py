# SPDX-License-Identifier: MIT
"""Memory reads through the stub's fast path (framed straight from guest RAM, issue 21):
real bytes compared with the image they came from, through gdb and raw 'm'/'x' packets."""
import os
import random
import re
import tempfile

from harness import Rsp, Vmm, elf_bytes, guest, run_gdb, symbols

CK = guest("ckernel.elf")
IMAGE_BASE = 0x100000          # raw64 images load here, identity-mapped
IMAGE_SIZE = 4 << 20


def xb_bytes(text):
    """The bytes of gdb's x/Nxb output ("0x100010 <leaf>:\t0x55\t0x48 ...", line by line)."""
    values = " ".join(l.split(":", 1)[1] for l in text.splitlines() if ":" in l)
    return bytes(int(b, 16) for b in re.findall(r"\b0x([0-9a-f]{2})\b", values))


def random_image(d):
    """IMAGE_SIZE bytes that are the same every run, with every byte value and runs of them."""
    rng = random.Random(21)
    data = bytearray(rng.randbytes(IMAGE_SIZE // 4))
    data += bytes(IMAGE_SIZE // 4)                                      # a zeroed MiB
    data += b"".join(bytes([b]) * 97 for b in range(256)) * 40          # runs of every byte
    data += rng.randbytes(IMAGE_SIZE - len(data))
    path = os.path.join(d, "image.bin")
    with open(path, "wb") as f:
        f.write(data)
    return path, bytes(data)


def unescape(p):
    """A binary payload as it came: '}' X is X ^ 0x20, X '*' N repeats X N - 29 more times."""
    out, i = bytearray(), 0
    while i < len(p):
        c = p[i]
        if c == 0x7d:
            out.append(p[i + 1] ^ 0x20)
            i += 2
        elif c == 0x2a and out:
            out += out[-1:] * (p[i + 1] - 29)
            i += 2
        else:
            out.append(c)
            i += 1
    return bytes(out)


def first_difference(got, want):
    return next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), None)


class RawRsp(Rsp):
    """harness.Rsp, keeping each payload as it came (binary replies are decoded by the test)."""

    @staticmethod
    def unrle(p):
        return p


def test_gdb_x_shows_the_elf_bytes_and_hides_breakpoints():
    leaf = symbols(CK)["leaf"]
    want = elf_bytes(CK, leaf, 16)
    with Vmm(["-S", CK]) as vm:
        r = run_gdb(vm, CK, r'''
ex("set breakpoint always-inserted on")
R["plain"] = ex("x/16xb leaf")
ex("break *leaf")
ex("break *(leaf + 1)")
R["with_bps"] = ex("x/16xb leaf")
R["raw"] = list(gdb.selected_inferior().read_memory(ev("(long)&leaf") - 3, 8).tobytes())
ex("monitor phys on")
R["phys"] = ex("x/16xb %d" % ev("(long)&leaf"))
ex("monitor phys off")
ex("delete")
ex("continue")
''')
        assert xb_bytes(r["plain"]) == want, r["plain"]
        assert xb_bytes(r["with_bps"]) == want, r["with_bps"]
        assert bytes(r["raw"]) == elf_bytes(CK, leaf - 3, 8)
        # ckernel runs on minikvm's identity map: physical reads give the same bytes.
        assert xb_bytes(r["phys"]) == want, r["phys"]
        assert vm.finish() == 0


def test_gdb_dump_binary_memory_is_the_guest_image():
    with tempfile.TemporaryDirectory(prefix="minikvm-mem-") as d:
        path, data = random_image(d)
        out = os.path.join(d, "dump.bin")
        with Vmm(["-S", "--format", "raw64", "--serial", "none", path]) as vm:
            r = run_gdb(vm, None, r'''
ex("set architecture i386:x86-64")
ex("dump binary memory %s %#x %#x")
try:
    gdb.selected_inferior().read_memory(0x7fff00000000, 16)
    R["unmapped"] = "read"
except gdb.MemoryError:
    R["unmapped"] = "error"
ex("kill")
''' % (out, IMAGE_BASE, IMAGE_BASE + IMAGE_SIZE), timeout=300)
            with open(out, "rb") as f:
                got = f.read()
            assert len(got) == IMAGE_SIZE
            assert got == data, "first difference at %#x" % next(
                i for i in range(IMAGE_SIZE) if got[i] != data[i])
            assert r["unmapped"] == "error"


def test_raw_m_and_x_read_the_same_bytes_and_refuse_junk():
    with tempfile.TemporaryDirectory(prefix="minikvm-mem-") as d:
        path, data = random_image(d)
        with Vmm(["-S", "-m", "8M", "--format", "raw64", "--serial", "none", path]) as vm:
            c = RawRsp(vm.sock)
            c.send_raw(b"+")
            feats = Rsp.unrle(c.cmd("qSupported:swbreak+;binary-upload+"))  # "PacketSize=20*!"
            assert b";binary-upload+" in feats, feats
            size = int(re.search(rb"PacketSize=([0-9a-f]+)", feats).group(1), 16)
            assert c.cmd("x0,0") == b"b"
            for off, n in ((0, 16), (0x1ff0, 0x40), (IMAGE_SIZE // 4 - 8, 0x20000),
                           (IMAGE_SIZE // 2, 0x10000), (IMAGE_SIZE - 0x10000, 0x10000)):
                a = IMAGE_BASE + off
                raw = c.cmd("m%x,%x" % (a, n))
                hexed = bytes.fromhex(Rsp.unrle(raw).decode())
                binary = unescape(c.cmd("x%x,%x" % (a, n)))
                want = data[off:off + min(n, size // 2)]
                assert hexed == want, (hex(a), n, len(hexed), len(want), size, first_difference(hexed, want))
                assert binary[:1] == b"b" and binary[1:] == want, (
                    hex(a), n, len(binary), first_difference(binary[1:], want))
            # RAM ends at 8 MiB: a read across the end gives what was there, past it an error.
            end = 8 << 20
            got = unescape(c.cmd("x%x,%x" % (end - 16, 64)))
            assert len(got) == 1 + 16, got
            assert c.cmd("m%x,10" % end).startswith(b"E")
            assert c.cmd("x%x,10" % end).startswith(b"E")
            assert c.cmd("x7fff00000000,10").startswith(b"E")    # unmapped
            for junk in ("xffffffffffffffff,2", "x100000", "x100000,", "xzz,4", "x,4",
                         "x100000,4,", "x10000000000000000,1"):
                assert c.cmd(junk) == b"E16", junk
            # lldb's form for a client that did not ask for gdb's.
            c.cmd("qSupported:swbreak+")
            assert c.cmd("x0,0") == b"OK"
            assert unescape(c.cmd("x%x,8" % IMAGE_BASE)) == data[:8]
            c.send(b"D")
            c.close()
