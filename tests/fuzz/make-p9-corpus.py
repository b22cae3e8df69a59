#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed inputs of fuzz_p9 to tests/fuzz/corpus-p9/.

An input is a mode byte (see tests/fuzz/fuzz_p9.c) and requests, each
len[2] and a 9P2000.L message. The seeds are sessions a Linux guest's v9fs
would have on tests/unit/p9_client.h's tree (fid 0 is its root: the fuzzer
attaches it first), one per kind of work: reading, listing, ways out,
writing, the rest. Message layouts: the 9P2000.L protocol description.

    python3 tests/fuzz/make-p9-corpus.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus-p9")

T = dict(statfs=8, lopen=12, lcreate=14, symlink=16, mknod=18, rename=20, readlink=22,
         getattr=24, setattr=26, xattrwalk=30, xattrcreate=32, readdir=40, fsync=50,
         lock=52, getlock=54, link=70, mkdir=72, renameat=74, unlinkat=76, version=100,
         auth=102, attach=104, flush=108, walk=110, read=116, write=118, clunk=120,
         remove=122)


def fields(fmt, *args):
    """b u8, w u16, d u32, q u64, s string, as p9_client.c's p9c_call; x raw bytes."""
    out = b""
    for f, a in zip(fmt, args):
        if f == "x":
            out += a
        elif f == "s":
            a = a.encode() if isinstance(a, str) else a
            out += struct.pack("<H", len(a)) + a
        else:
            out += struct.pack("<" + {"b": "B", "w": "H", "d": "I", "q": "Q"}[f], a)
    return out


class Session:
    def __init__(self, mode):
        self.data = bytes([mode])
        self.tag = 0

    def msg(self, name, fmt="", *args):
        self.tag += 1
        body = fields(fmt, *args)
        m = struct.pack("<IBH", 7 + len(body), T[name], self.tag) + body
        self.data += struct.pack("<H", len(m)) + m
        return self

    def walk(self, fid, newfid, path):
        names = [n for n in path.split("/") if n]
        return self.msg("walk", "ddw" + "s" * len(names), fid, newfid, len(names), *names)


def seeds():
    yield "read", (Session(0).walk(0, 1, "hello.txt").msg("lopen", "dd", 1, 0)
                   .msg("read", "dqd", 1, 0, 4096).msg("getattr", "dq", 1, 0x3FFF)
                   .walk(0, 2, "sub/deeper/leaf.txt").msg("lopen", "dd", 2, 0)
                   .msg("read", "dqd", 2, 2, 10).msg("clunk", "d", 1).msg("clunk", "d", 2))
    yield "readdir", (Session(4).walk(0, 1, "many").msg("lopen", "dd", 1, 0o200000)
                      .msg("readdir", "dqd", 1, 0, 64).msg("readdir", "dqd", 1, 0, 4000)
                      .walk(0, 2, "").msg("lopen", "dd", 2, 0).msg("readdir", "dqd", 2, 0, 300))
    yield "ways_out", (Session(0).walk(0, 1, "../..").walk(0, 2, "link_abs/outside.txt")
                       .walk(0, 3, "link_up").msg("readlink", "d", 3).msg("lopen", "dd", 3, 0)
                       .walk(0, 4, "sub/../../link_deep").msg("readlink", "d", 4)
                       .walk(0, 5, "fifo").msg("lopen", "dd", 5, 0))
    yield "ways_out_openat", (Session(2).walk(0, 1, "link_sub/inner.txt").walk(0, 2, "sub/deeper/../..")
                              .walk(2, 3, "../link_abs").msg("getattr", "dq", 3, 0x7FF))
    yield "misc", (Session(8).msg("statfs", "d", 0).msg("xattrwalk", "dds", 0, 1, "")
                   .msg("read", "dqd", 1, 0, 100).msg("xattrwalk", "dds", 0, 2, "user.x")
                   .walk(0, 3, "hello.txt").msg("lopen", "dd", 3, 0)
                   .msg("lock", "dbdqqds", 3, 1, 0, 0, 0, 42, "guest")
                   .msg("getlock", "dbqqds", 3, 0, 0, 10, 42, "guest")
                   .msg("flush", "w", 1).msg("auth", "dssd", 5, "u", "", 0)
                   .msg("remove", "d", 3).msg("version", "ds", 8192, "9P2000.L"))
    yield "session", (Session(32).msg("version", "ds", 65536, "9P2000.L")
                      .msg("attach", "ddssd", 0, 0xFFFFFFFF, "root", "", 0)
                      .walk(0, 1, "secret.txt").msg("lopen", "dd", 1, 0).msg("read", "dqd", 1, 0, 100))
    yield "write", (Session(1).walk(0, 1, "").msg("lcreate", "dsddd", 1, "new", 2, 0o644, 0)
                    .msg("write", "dqdx", 1, 0, 5, b"hello").msg("read", "dqd", 1, 0, 100)
                    .msg("fsync", "dd", 1, 0).msg("setattr", "dddddqqqqq", 1, 0x1FF, 0o600, 0, 0, 3, 0, 0, 5, 0)
                    .msg("mkdir", "dsdd", 0, "d", 0o755, 0).walk(0, 2, "d")
                    .msg("symlink", "dssd", 2, "sl", "../new", 0)
                    .msg("mknod", "dsdddd", 2, "p", 0o10644, 0, 0, 0)
                    .msg("link", "dds", 2, 1, "hard")
                    .msg("renameat", "dsds", 0, "new", 2, "moved")
                    .msg("rename", "dds", 2, 0, "d2")
                    .msg("unlinkat", "dsd", 2, "p", 0).msg("remove", "d", 1)
                    .walk(0, 3, "sub/inner.txt").msg("lopen", "dd", 3, 0o1001)
                    .msg("xattrcreate", "dsqd", 3, "user.x", 1, 0))
    yield "short_reply", (Session(16).walk(0, 1, "sub").msg("getattr", "dq", 1, 0x7FF)
                          .msg("readlink", "d", 1).msg("statfs", "d", 1))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, s in seeds():
        data = s.data
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
