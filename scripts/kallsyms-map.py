#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The System.map of a kernel Image, read from the kallsyms tables inside it.

    kallsyms-map.py IMAGE [-o OUT]

Debian's linux-image packages ship a stub boot/System.map-KVER (one line:
"The real System.map is in the linux-image-<version>-dbg package", which is
about 1 GB). The kernel carries its symbols itself, for /proc/kallsyms:
every function and, with CONFIG_KALLSYMS_ALL (Debian's), every variable,
each with its nm type letter. This reads them out of an uncompressed Image
(riscv64's, arm64's: the file is the kernel from its first byte, _start) and
prints them as System.map does, sorted by address:

    ffffffff80000000 T _start

The addresses are the link-time ones, where the kernel runs when it is not
relocated (KASLR off: `nokaslr`).

The tables, as scripts/kallsyms.c lays them out since Linux 6.4 (64-bit,
little-endian, each one 8-byte aligned, in this order):

  kallsyms_num_syms       u32: N
  kallsyms_names          per symbol: a length L (one byte; two when bit 7
                          is set: its low 7 bits, then the next byte << 7),
                          then L token numbers; the tokens' text, joined, is
                          the type letter and the name
  kallsyms_markers        u32 per 256 symbols: where symbol 256*k starts in
                          kallsyms_names
  kallsyms_token_table    256 NUL-terminated strings, the tokens
  kallsyms_token_index    256 u16: where each token starts in the table
  kallsyms_offsets        s32 per symbol: its address - kallsyms_relative_base
                          (names and offsets are both in address order)
  kallsyms_relative_base  u64

None of them has a header to search for. The token table does have a
fingerprint: a character that symbol names use is its own token, so the
tokens of '0'..'9' are "0\\0" .. "9\\0", in a row. From there the token
index follows, the markers lie just before the table, and the names before
them (N is found where the names, decoded, meet the markers exactly).

Checks before anything is written: every marker agrees with the decoded
names, the addresses are in order, and linux_banner's bytes in the file
read "Linux version ". Exit status: 0 written, 1 not found or not
consistent (a message on stderr), 2 usage.
"""
import argparse
import struct
import sys

DIGIT_TOKENS = b"".join(bytes([c]) + b"\0" for c in b"0123456789")
ALIGN = 8
SEARCH = 1 << 16  # bytes: from the digits to the token index, from the names' end to their start


class NotFound(Exception):
    pass


def align(n):
    return (n + ALIGN - 1) & ~(ALIGN - 1)


def u32(data, at):
    return struct.unpack_from("<I", data, at)[0]


def token_table(data):
    """(start of kallsyms_token_table, start of kallsyms_token_index, the 256 tokens)."""
    at = data.find(DIGIT_TOKENS)
    while at >= 0:
        for index in range(align(at), min(at + SEARCH, len(data) - 512), ALIGN):
            offs = struct.unpack_from("<256H", data, index)
            if offs[0] != 0 or any(offs[i] >= offs[i + 1] for i in range(255)):
                continue
            table = at - offs[ord("0")]
            if table < 0 or table % ALIGN or table + offs[255] >= index:
                continue
            # Each token ends with the NUL just before the next one starts.
            if all(data[table + offs[i + 1] - 1] == 0 for i in range(255)):
                tokens = [data[table + o:data.index(b"\0", table + o)] for o in offs]
                return table, index, tokens
        at = data.find(DIGIT_TOKENS, at + 1)
    raise NotFound("no kallsyms_token_table (the tokens \"0\" to \"9\" in a row, then an index)")


def markers_before(data, table):
    """(start of kallsyms_markers, the markers): u32s rising from 0 up to the token table."""
    at = table - 4
    if u32(data, at) == 0 and u32(data, at - 4) != 0:
        at -= 4  # the alignment's padding
    found = []
    while at >= 0:
        v = u32(data, at)
        if found and v >= found[-1]:
            break
        found.append(v)
        if v == 0:
            return at, found[::-1]
        at -= 4
    raise NotFound("no kallsyms_markers before the token table")


def decode_names(data, at, count, tokens):
    """(each name with its type letter first, where each starts relative to at, the end)."""
    names, starts, pos = [], [], at
    for _ in range(count):
        starts.append(pos - at)
        n = data[pos]
        if n & 0x80:
            n = (n & 0x7F) | (data[pos + 1] << 7)
            pos += 2
        else:
            pos += 1
        names.append(b"".join(tokens[t] for t in data[pos:pos + n]))
        pos += n
    return names, starts, pos


def names_before(data, markers_at, markers, tokens):
    """(kallsyms_num_syms' place, the names): where a count and its names meet the markers."""
    m = len(markers)
    last = markers_at - markers[-1] - ALIGN  # the names' start is at or before this
    for num in range(last & ~(ALIGN - 1), max(last - SEARCH, -1), -ALIGN):
        count = u32(data, num)
        if not (m - 1) * 256 < count <= m * 256:
            continue
        try:
            names, starts, end = decode_names(data, num + ALIGN, count, tokens)
        except IndexError:
            continue
        if align(end) == markers_at and all(starts[k * 256] == markers[k] for k in range(m)):
            return num, names
    raise NotFound("no kallsyms_num_syms whose names meet the markers")


def symbols(data):
    """[(address, type letter, name)] in address order, from the Image's bytes."""
    table, index, tokens = token_table(data)
    markers_at, markers = markers_before(data, table)
    _, names = names_before(data, markers_at, markers, tokens)
    offsets_at = align(index + 512)
    offsets = struct.unpack_from("<%di" % len(names), data, offsets_at)
    base = struct.unpack_from("<Q", data, align(offsets_at + 4 * len(names)))[0]
    if any(offsets[i] > offsets[i + 1] for i in range(len(offsets) - 1)):
        raise NotFound("kallsyms_offsets are not in address order: not the tables this reads")
    syms = [((base + o) & (2**64 - 1), n[:1].decode(), n[1:].decode(errors="replace"))
            for o, n in zip(offsets, names)]
    check(data, syms)
    return syms


def check(data, syms):
    """The file is the kernel from _start (or _text) on: linux_banner is where its address says."""
    first = {}
    for addr, _, name in syms:
        first.setdefault(name, addr)
    start = first.get("_start", first.get("_text"))
    banner = first.get("linux_banner")
    if start is None:
        raise NotFound("neither _start nor _text among the symbols")
    if banner is not None and not data[banner - start:].startswith(b"Linux version "):
        raise NotFound("linux_banner (%#x) does not read \"Linux version \" at file offset %#x"
                       % (banner, banner - start))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("image", help="an uncompressed kernel Image (riscv64, arm64)")
    ap.add_argument("-o", "--output", help="write here (default: stdout)")
    args = ap.parse_args()
    with open(args.image, "rb") as f:
        data = f.read()
    try:
        syms = symbols(data)
    except NotFound as e:
        print("kallsyms-map.py: %s: %s" % (args.image, e), file=sys.stderr)
        return 1
    text = "".join("%016x %s %s\n" % s for s in syms)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
