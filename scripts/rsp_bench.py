#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Measure a gdb stub with a raw RSP client (no gdb in the way).

usage: rsp_bench.py HOST:PORT|/path/to/unix.sock BP_ADDR
       rsp_bench.py --mem HOST:PORT|/path/to/unix.sock [ADDR [MIB [RUNS [FILE]]]]

Prints single steps/s, 'g' round trips/s, memory read MB/s (16 MiB from
0x100000 in the largest reads the stub's PacketSize allows) and breakpoint
hit cycles/s (the cycle gdb does: continue, stop, remove, step, insert).
The guest must be stopped (e.g. started with -S) with BP_ADDR in a loop.

--mem measures memory reads only: MIB MiB (default 16) from ADDR (default
0x100000), RUNS times (default 3), in hex 'm' packets and, where the stub
answers "x0,0", in binary 'x' packets; it prints each run's MiB/s and the
median. Both kinds must read the same bytes (checked on the first run),
and those of FILE if given (e.g. the raw image loaded at ADDR). The clock
runs while the client only frames the replies; it decodes them afterwards,
so that the stub, not this Python client, is what is measured (where the
host is emulated, decoding 16 MiB of hex in Python takes longer than the
stub takes to send it). "client busy" is its CPU time over the wall time.
Works with any stub (QEMU's too): a read the stub refuses is halved.
"""
import re
import socket
import statistics
import sys
import time


class Client:
    def __init__(self, where, supported=b"qSupported:swbreak+;hwbreak+"):
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
        feats = self.features = self.cmd(supported)
        self.packet_size = int([f for f in feats.split(b";") if f.startswith(b"PacketSize=")][0][11:], 16)
        if b"QStartNoAckMode+" in feats and self.cmd(b"QStartNoAckMode") == b"OK":
            self.ack = False

    def cmd(self, p):
        self.s.sendall(b"$" + p + b"#%02x" % (sum(p) & 0xff))
        return self.packet(unrle)

    def packet(self, decode):
        """The next reply's payload, through decode (the client must not be what is measured)."""
        start = 0
        if not isinstance(self.buf, bytearray):
            self.buf = bytearray(self.buf)
        while True:
            j = self.buf.find(b"$")
            i = self.buf.find(b"#", max(j + 1, start)) if j >= 0 else -1
            if j >= 0 and i >= 0 and len(self.buf) >= i + 3:
                p = bytes(self.buf[j + 1:i])
                del self.buf[:i + 3]
                if self.ack:
                    self.s.sendall(b"+")
                return decode(p)
            start = max(len(self.buf) - 1, 0)
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def cmd_binary(self, p):
        """A command whose reply is binary data: escapes and run-length encoding undone."""
        self.s.sendall(b"$" + p + b"#%02x" % (sum(p) & 0xff))
        return self.packet(unescape)


RLE = re.compile(rb"(.)\*(.)", re.S)


def unrle(p):
    """Undo the protocol's run-length encoding: X*n repeats X (n - 29) more times."""
    if b"*" not in p:
        return p
    return RLE.sub(lambda m: m.group(1) * (m.group(2)[0] - 29 + 1), p)


def unescape(p):
    """A binary payload: '}' x means x ^ 0x20, then X*n repeats X (n - 29) more times."""
    out, i = bytearray(), 0
    while True:
        j = p.find(b"}", i)
        k = p.find(b"*", i)
        if j < 0 and k < 0:
            out += p[i:]
            return bytes(out)
        if k < 0 or (0 <= j < k):
            out += p[i:j]
            out.append(p[j + 1] ^ 0x20)
            i = j + 2
        else:
            out += p[i:k]
            out += out[-1:] * (p[k + 1] - 29)
            i = k + 2


def rate(n, fn):
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - t)


def fetch_raw(c, p, raw, pos):
    """Send p; its reply goes as it came into raw from pos on (only framed, nothing
    decoded: that comes after the clock stops). Returns where the reply ends."""
    c.s.sendall(b"$" + p + b"#%02x" % (sum(p) & 0xff))
    view, start, end = memoryview(raw), pos, -1
    while end < 0 or pos < end:  # the reply ends two checksum digits after its '#' (never escaped data)
        n = c.s.recv_into(view[pos:])
        if not n:
            raise EOFError
        if end < 0:
            i = raw.find(b"#", max(start, pos - 1), pos + n)
            end = i + 3 if i >= 0 else -1
        pos += n
    if c.ack:
        c.s.sendall(b"+")
    return pos


def read_all(c, addr, total, chunk, binary):
    """total bytes from addr in reads of chunk; returns (bytes, seconds, client CPU seconds).
    Only the exchange is timed: the client frames each reply into one buffer made
    beforehand and decodes them all afterwards, so that its own work (slow where the
    host is emulated) is not what is measured."""
    count = (total + chunk - 1) // chunk
    raw = bytearray(b"\0") * (2 * total + 64 * count + (1 << 20))  # written now: no page faults later
    frames, got, pos = [], 0, 0
    cpu, t = time.process_time(), time.perf_counter()
    while got < total:
        n = min(chunk, total - got)
        end = fetch_raw(c, b"%s%x,%x" % (b"x" if binary else b"m", addr + got, n), raw, pos)
        frames.append((n, pos, end))
        got, pos = got + n, end
    secs, cpu = time.perf_counter() - t, time.process_time() - cpu
    parts = []
    for n, start, end in frames:
        f = bytes(raw[start:end])
        p = f[f.index(b"$") + 1:f.rindex(b"#")]
        if binary:
            r = unescape(p)
            if r[:1] == b"b":
                r = r[1:]  # gdb's form of the reply (binary-upload); lldb's has no 'b'
        else:
            r = bytes.fromhex(unrle(p).decode()) if not p.startswith(b"E") else b""
        if len(r) != n:
            raise SystemExit("a read of %d bytes answered %d" % (n, len(r)))
        parts.append(r)
    return b"".join(parts), secs, cpu


def largest_read(c, addr, hexed):
    """The largest read the stub takes: a power of two up to half its PacketSize, halved while refused."""
    chunk = 1 << ((c.packet_size // 2).bit_length() - 1)
    while chunk > 16:
        if hexed:
            r = c.cmd(b"m%x,%x" % (addr, chunk))
        else:
            r = c.cmd_binary(b"x%x,%x" % (addr, chunk))
        if not r.startswith(b"E"):
            return chunk
        chunk //= 2
    return chunk


def main_mem(argv):
    c = Client(argv[0], b"qSupported:swbreak+;hwbreak+;binary-upload+")
    addr = int(argv[1], 0) if len(argv) > 1 else 0x100000
    total = (int(argv[2], 0) if len(argv) > 2 else 16) << 20
    runs = int(argv[3]) if len(argv) > 3 else 3
    expect = open(argv[4], "rb").read()[:total] if len(argv) > 4 else None
    c.cmd(b"?")
    kinds = [("m", True)]
    if c.cmd_binary(b"x0,0") in (b"OK", b"b"):
        kinds.append(("x", False))
    print("PacketSize %#x, stub features: %s" % (c.packet_size, c.features.decode()))
    ref = None
    for name, hexed in kinds:
        chunk = largest_read(c, addr, hexed)
        rates, busy = [], []
        for i in range(runs):
            data, secs, cpu = read_all(c, addr, total, chunk, not hexed)
            busy.append(100 * cpu / secs)
            if expect is not None and i == 0 and data[:len(expect)] != expect:
                raise SystemExit("'%s' reads differ from the file's bytes" % name)
            if ref is None:
                ref = data
            elif i == 0 and data != ref:
                raise SystemExit("'%s' reads differ from 'm' reads" % name)
            rates.append(total / secs / (1 << 20))
        print("%s reads of %6d bytes: %s MiB/s, median %.2f (client busy %.0f%% of the time)" %
              (name, chunk, " ".join("%.2f" % r for r in rates), statistics.median(rates),
               statistics.median(busy)))
    # Kill, not detach: the guest may be no program at all (random bytes), and k has no reply.
    c.s.sendall(b"$k#6b")
    c.s.close()


def main():
    if sys.argv[1] == "--mem":
        return main_mem(sys.argv[2:])
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
