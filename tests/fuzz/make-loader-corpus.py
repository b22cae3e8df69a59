#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed images of fuzz_loader to tests/fuzz/corpus-loader/.

One small valid image per format, each of which loads into the fuzzer's
4 MiB guest: a raw boot sector, ELF64 and ELF32 executables, multiboot
kernels (address fields, and ELF), a bzImage-shaped file and a vmlinux-shaped
ELF with a PVH note. Layouts: the System V ELF ABI, the Multiboot 0.6.96
specification, Linux's Documentation/arch/x86/boot.rst.

    python3 tests/fuzz/make-loader-corpus.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus-loader")
MIB = 1 << 20
LOOP = b"\xeb\xfe"  # jmp $


def elf(is64, machine, entry, segs):
    """segs: (type, vaddr, paddr, memsz, data). Headers, then data at 16-byte offsets."""
    ehsize, phsize = (64, 56) if is64 else (52, 32)
    off = (ehsize + phsize * len(segs) + 15) & ~15
    phdrs, blobs = b"", b""
    for typ, vaddr, paddr, memsz, data in segs:
        at = off + len(blobs)
        if is64:
            phdrs += struct.pack("<IIQQQQQQ", typ, 7, at, vaddr, paddr, len(data), memsz, 16)
        else:
            phdrs += struct.pack("<IIIIIIII", typ, at, vaddr, paddr, len(data), memsz, 7, 16)
        blobs += data + b"\0" * (-len(data) % 16)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1]) + b"\0" * 9
    if is64:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, entry, ehsize, 0, 0,
                                 ehsize, phsize, len(segs), 0, 0, 0)
    else:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", 2, machine, 1, entry, ehsize, 0, 0,
                                 ehsize, phsize, len(segs), 0, 0, 0)
    head = eh + phdrs
    return head + b"\0" * (off - len(head)) + blobs


def multiboot_header(flags, addrs=None):
    magic = 0x1BADB002
    h = struct.pack("<III", magic, flags, (-(magic + flags)) & 0xFFFFFFFF)
    return h + (struct.pack("<5I", *addrs) if addrs else b"")


def bzimage():
    setup_sects = 1
    b = bytearray((setup_sects + 1) * 512)
    b[0x1f1] = setup_sects
    struct.pack_into("<H", b, 0x1fe, 0xAA55)
    b[0x200], b[0x201] = 0xEB, 0x6A               # the jump over the header (ends 0x26c)
    b[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", b, 0x206, 0x020F)      # boot protocol 2.15
    b[0x211] = 0x01                               # LOADED_HIGH
    struct.pack_into("<I", b, 0x22c, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into("<I", b, 0x230, 0x200000)    # kernel_alignment
    b[0x234] = 1                                  # relocatable
    struct.pack_into("<H", b, 0x236, 0x0001)      # XLF_KERNEL_64
    struct.pack_into("<I", b, 0x238, 255)         # cmdline_size
    struct.pack_into("<Q", b, 0x258, 0x200000)    # pref_address
    struct.pack_into("<I", b, 0x260, 0x10000)     # init_size
    return bytes(b) + LOOP * 256


def pvh():
    note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", 0x200000)
    return elf(True, 62, 0xffffffff80200000, [
        (1, 0xffffffff80200000, 0x200000, 0x2000, LOOP * 64),
        (4, 0, 0, len(note), note),
    ])


def main():
    os.makedirs(OUT, exist_ok=True)
    mb_aout = bytearray(512)
    mb_aout[0x10:0x30] = multiboot_header(0x10003, (0x100010, 0x100000, 0, 0x101000, 0x100030))
    mb_aout[0x30:0x32] = LOOP
    mb_elf_code = multiboot_header(0x3) + LOOP
    seeds = {
        "raw16-boot-sector.bin": LOOP + b"\0" * 508 + b"\x55\xaa",
        "elf64.elf": elf(True, 62, MIB, [(1, MIB, MIB, 64, LOOP * 8)]),
        "elf32-two-segments.elf": elf(False, 3, MIB, [
            (1, MIB, MIB, 32, LOOP * 4),
            (1, 0xC0200000, 0x200000, 0x1000, b"data" * 4),
        ]),
        "multiboot-aout.bin": bytes(mb_aout),
        "multiboot-elf.elf": elf(False, 3, MIB, [(1, MIB, MIB, 64, mb_elf_code)]),
        "bzimage.bin": bzimage(),
        "vmlinux-pvh.elf": pvh(),
    }
    for name, data in seeds.items():
        assert len(data) < 8192, name
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
