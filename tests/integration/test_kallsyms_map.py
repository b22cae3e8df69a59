# SPDX-License-Identifier: MIT
"""scripts/kallsyms-map.py: a System.map read out of a kernel Image's own
kallsyms tables, on Images made here with those tables laid out as Linux
6.4+ lays them (scripts/onkvm-riscv64 --guest-linux runs it on Debian's
riscv64 kernel, whose packaged System.map is a stub; tests/riscv_linux_gdb_test.py
uses the result). No KVM needed.
"""
import os
import struct
import subprocess
import tempfile

import harness

NEEDS_KVM = False

SCRIPT = os.path.join(harness.ROOT, "scripts", "kallsyms-map.py")
BASE = 0xffffffff80000000
BANNER = b"Linux version 6.99.0-test (kallsyms-map)\n\0"


def pad(blob):
    return blob + b"\0" * (-len(blob) % 8)


def tokens():
    """Every printable character is its own token (so "0".."9" are in a row);
    the other codes get two-character tokens, as the kernel's pairs would."""
    return [bytes([c]) if 0x21 <= c <= 0x7e else b"~" + bytes([0x41 + c % 26]) for c in range(256)]


def image(symbols, banner_at, banner=BANNER):
    """An Image: _start's code, the banner at banner_at, then the tables.
    symbols: [(offset from BASE, type letter, name)] in address order."""
    toks = tokens()
    body = bytearray(b"\x13\x00\x00\x00" * (banner_at // 4))  # nops
    body += banner
    body = bytearray(pad(bytes(body)))
    names, markers = bytearray(), []
    for i, (_, kind, name) in enumerate(symbols):
        if i % 256 == 0:
            markers.append(len(names))
        text = (kind + name).encode()
        # One token per character; a long name takes the two-byte length.
        names += bytes([len(text)]) if len(text) < 0x80 else bytes([0x80 | (len(text) & 0x7f), len(text) >> 7])
        names += text
    table = b"".join(t + b"\0" for t in toks)
    index, at = [], 0
    for t in toks:
        index.append(at)
        at += len(t) + 1
    body += pad(struct.pack("<I", len(symbols)))
    body += pad(bytes(names))
    body += pad(struct.pack("<%dI" % len(markers), *markers))
    body += pad(table)
    body += pad(struct.pack("<256H", *index))
    body += pad(struct.pack("<%di" % len(symbols), *(o for o, _, _ in symbols)))
    body += struct.pack("<Q", BASE)
    return bytes(body)


def run(data):
    with tempfile.NamedTemporaryFile(suffix=".Image") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["python3", SCRIPT, f.name], capture_output=True, text=True, timeout=60)


def sample(count=600, banner_at=0x1000):
    syms = [(0, "T", "_start"), (0x40, "t", "pe_head_start")]
    syms += [(0x100 + 4 * i, "tT"[i % 2], "func_%d" % i) for i in range(count)]
    syms.append((banner_at, "D", "linux_banner"))
    syms.append((banner_at + 0x100, "d", "a_" + "very_long_name_" * 10))  # 161 characters
    return syms


def test_symbols_come_back_in_system_map_form():
    syms = sample()
    p = run(image(syms, 0x1000))
    assert p.returncode == 0, p.stderr
    want = "".join("%016x %s %s\n" % (BASE + o, k, n) for o, k, n in syms)
    assert p.stdout == want, p.stdout[:2000]
    assert p.stdout.startswith("ffffffff80000000 T _start\n"), p.stdout[:200]
    assert "ffffffff80001000 D linux_banner\n" in p.stdout


def test_banner_elsewhere_is_refused():
    # linux_banner says 0x1000, but the bytes there are not the banner: the
    # tables were misread, or the file is not the kernel from _start on.
    syms = sample()
    data = bytearray(image(syms, 0x1000))
    data[0x1000:0x1000 + 5] = b"Xinux"
    p = run(bytes(data))
    assert p.returncode == 1 and p.stdout == "", (p.returncode, p.stdout[:200])
    assert 'linux_banner (0xffffffff80001000) does not read "Linux version "' in p.stderr, p.stderr


def test_no_tables_is_one_clear_line():
    p = run(b"\x13\x00\x00\x00" * 4096)
    assert p.returncode == 1 and p.stdout == "", p.returncode
    assert "no kallsyms_token_table" in p.stderr and len(p.stderr.splitlines()) == 1, p.stderr
