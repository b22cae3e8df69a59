#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Measure a gdb stub with a raw RSP client (no gdb in the way).

usage: rsp_bench.py HOST:PORT|/path/to/unix.sock BP_ADDR

Prints single steps/s, 'g' round trips/s, memory read MB/s (16 MiB from
0x100000 in the largest reads the stub's PacketSize allows) and breakpoint
hit cycles/s (the cycle gdb does: continue, stop, remove, step, insert).
The guest must be stopped (e.g. started with -S) with BP_ADDR in a loop.
"""
import socket
import sys
import time


class Client:
    def __init__(self, where):
        if ":" in where:
            host, port = where.rsplit(":", 1)
            self.s = socket.create_connection((host or "127.0.0.1", int(port)))
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            self.s = socket.socket(socket.AF_UNIX)
            self.s.connect(where)
        self.buf = b""
        self.s.sendall(b"+")
        self.ack = True
        feats = self.cmd(b"qSupported:swbreak+;hwbreak+")
        self.packet_size = int([f for f in feats.split(b";") if f.startswith(b"PacketSize=")][0][11:], 16)
        if b"QStartNoAckMode+" in feats and self.cmd(b"QStartNoAckMode") == b"OK":
            self.ack = False

    def cmd(self, p):
        self.s.sendall(b"$" + p + b"#%02x" % (sum(p) & 0xff))
        while True:
            i = self.buf.find(b"#")
            if i >= 0 and len(self.buf) >= i + 3:
                j = self.buf.find(b"$")
                payload = unrle(self.buf[j + 1:i])
                self.buf = self.buf[i + 3:]
                if self.ack:
                    self.s.sendall(b"+")
                return payload
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError
            self.buf += chunk


def unrle(p):
    """Undo the protocol's run-length encoding: X*n repeats X (n - 29) more times."""
    out = bytearray()
    i = 0
    while i < len(p):
        if p[i] == 0x2a and out:
            out += out[-1:] * (p[i + 1] - 29)
            i += 2
        else:
            out.append(p[i])
            i += 1
    return bytes(out)


def rate(n, fn):
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - t)


def main():
    c = Client(sys.argv[1])
    bp = int(sys.argv[2], 0)
    c.cmd(b"?")
    steps = rate(3000, lambda: c.cmd(b"vCont;s:1"))
    gs = rate(3000, lambda: c.cmd(b"g"))
    chunk = (c.packet_size - 32) // 2 // 4096 * 4096
    total, addr = 16 << 20, 0x100000
    t = time.perf_counter()
    got = 0
    while got < total:
        n = min(chunk, total - got)
        r = c.cmd(b"m%x,%x" % (addr + got, n))
        got += len(r) // 2
    mbs = total / (time.perf_counter() - t) / 1e6

    def cycle():
        c.cmd(b"Z0,%x,1" % bp)
        c.cmd(b"vCont;c")
        c.cmd(b"z0,%x,1" % bp)
        c.cmd(b"vCont;s:1")
    hits = rate(1000, cycle)
    print("single steps/s     %10.0f" % steps)
    print("g round trips/s    %10.0f" % gs)
    print("memory read MB/s   %10.1f  (reads of %d KiB)" % (mbs, chunk >> 10))
    print("breakpoint hits/s  %10.0f  (Z0, continue, stop, z0, step)" % hits)
    c.cmd(b"D")


if __name__ == "__main__":
    main()
