#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""minikvm and QEMU+KVM side by side: `make bench` (docs/benchmarks.md).

usage: bench.py [--out DIR] [--quick] [--runs N] [--rows ID,ID...] [--list]

Runs the same guests (guest/bench/) on minikvm and on qemu-system-x86_64
(-M microvm and -M pc, -nodefaults -no-user-config -enable-kvm), alternating
the VMMs run by run (A B A B ...) so that drift on a shared machine hits both,
and prints one table: for each row the median and [min-max] of every VMM, and
the ratio minikvm / QEMU with the row's direction (lower or higher is better).
The same table goes to DIR/results.md and, with every single run, to
DIR/results.json, beside a description of the machine.

Environment: BENCH_OUT (default bench/results/KIND), BENCH_QUICK=1 (one run per
row, small sizes, no bzImage row), MINIKVM (default ./minikvm), QEMU (default
qemu-system-x86_64; installed with apt-get when missing), GDB (default gdb).

A row a VMM cannot do shows "fails: REASON", the reason taken from that run
(its exit status, its stderr, the stop it reported). Nothing here asserts a
speed: the script reports; it fails (status 1) only when it cannot run at all.
"""
import argparse
import datetime
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from rsp_bench import Client, largest_read, read_all  # noqa: E402  (the raw RSP client, extended below)

GUESTS = os.path.join(ROOT, "guest", "bench")
EXIT_ELF = os.path.join(GUESTS, "exit.elf")
SERIAL_ELF = os.path.join(GUESTS, "serial.elf")
LOOP_ELF = os.path.join(GUESTS, "loop.elf")
LOOP_C = os.path.join(GUESTS, "loop.c")

GUEST_MEM = "128M"
EXIT_STATUS = 85             # isa-debug-exit value 0x2a: (0x2a << 1) | 1
DUMP_AREA, DUMP_SIZE = 0x1000000, 16 << 20   # what loop.elf fills (guest/bench/loop.c)
PATTERN = struct.pack("<Q", 0x0123456789abcdef)
INIT_MARKER = b"minikvm-init: up"   # what the initramfs's /init prints (scripts/mkinitramfs.py)
BP_BROKEN = {}               # vmm key -> why its breakpoints never stop the guest here (row 5 found it)
BP_PATIENCE = 20.0           # a breakpoint that has not stopped the guest in this long never will
SLOW = 45.0                  # a run longer than this is not repeated (one run is reported)


class Fail(Exception):
    """This VMM cannot do this row; the message is the one-line reason."""


class Censored(Exception):
    """The run was stopped after `limit` seconds: the figure is more than that (a lower bound)."""

    def __init__(self, limit):
        super().__init__("stopped after %.0f s" % limit)
        self.limit = limit


def one_line(text, limit=110):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --------------------------------------------------------------------------
# The machine


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


HOST_KIND = []


def host_kind():
    """(slug, description) of this host's KVM, as minikvm's probe sees it:
    hardware, pvm or emulated-svm (a nested KVM on QEMU TCG)."""
    if not HOST_KIND:
        with tempfile.TemporaryDirectory(prefix="minikvm-kind-") as d:
            proc = subprocess.run([minikvm_path(), "-v", "-g", "unix:" + os.path.join(d, "s"),
                                   os.path.join(ROOT, "guest", "hello16.bin")],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, timeout=120)
        desc = next((l.split("host KVM: ", 1)[1] for l in proc.stderr.splitlines()
                     if "host KVM: " in l), "unknown")
        slug = ("hardware" if desc.startswith("hardware") else "pvm" if desc.startswith("PVM")
                else "emulated-svm" if desc.startswith("emulated") else "unknown")
        if slug == "hardware":
            desc += " (%s)" % ("VT-x" if "vmx" in cpu_flags() else "AMD-V")
        if slug == "emulated-svm":
            # QEMU 7.2's and QEMU 10's emulated AMD-V behave differently: their figures never mix.
            made_by = os.environ.get("ONKVM_QEMU_VERSION", "")
            if made_by:
                slug += "-qemu" + ".".join(made_by.split(".")[:2])
                desc += " made by QEMU %s (scripts/onkvm)" % made_by
            desc += ": figures measured under software emulation, never to be compared with hardware ones"
        HOST_KIND.extend([slug, desc])
    return HOST_KIND[0], HOST_KIND[1]


def hardware_kvm():
    """Guests run with VT-x/AMD-V semantics (real or emulated): Linux boots to a shell."""
    return host_kind()[0] == "hardware" or host_kind()[0].startswith("emulated-svm")


def machine_description(qemu_version):
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "kvm": host_kind()[1],
        "host_kind": host_kind()[0],
        "qemu": qemu_version,
        "gdb": version_of([gdb_path(), "--version"]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "minikvm": version_of([minikvm_path(), "--version"]) or "",
    }


def version_of(argv):
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=20, text=True).stdout
        return out.splitlines()[0].strip() if out else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def minikvm_path():
    return os.environ.get("MINIKVM") or os.path.join(ROOT, "minikvm")


def qemu_path():
    return os.environ.get("QEMU") or "qemu-system-x86_64"


def gdb_path():
    return os.environ.get("GDB") or "gdb"


def ensure_tool(exe, package):
    """exe's path, installing Debian's `package` with apt-get when it is missing; or (None, reason)."""
    if shutil.which(exe):
        return shutil.which(exe), ""
    log("%s not found: installing %s with apt-get" % (exe, package))
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if sudo is None:
        return None, "%s missing and not root (install %s)" % (exe, package)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (sudo + ["apt-get", "update"],
                 sudo + ["apt-get", "install", "-y", "--no-install-recommends", package]):
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                              text=True)
        if proc.returncode != 0:
            return None, "apt-get failed: " + one_line(proc.stdout.strip().splitlines()[-1:])
    if shutil.which(exe):
        return shutil.which(exe), ""
    return None, "%s still missing after apt-get install %s" % (exe, package)


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Guests and symbols


def symbols(elf):
    out = subprocess.run(["nm", elf], stdout=subprocess.PIPE, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return syms


def tag_line(path, tag):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if "BENCH:" + tag in line:
                return n
    raise RuntimeError("no BENCH:%s in %s" % (tag, path))


def patched_serial_elf(nbytes, workdir):
    """A copy of serial.elf whose serial_bytes is nbytes (found through the symbol and the ELF32 program headers)."""
    with open(SERIAL_ELF, "rb") as f:
        data = bytearray(f.read())
    addr = symbols(SERIAL_ELF)["serial_bytes"]
    phoff, = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    for i in range(phnum):
        p_type, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIIII", data, phoff + i * phentsize)
        if p_type == 1 and p_vaddr <= addr < p_vaddr + p_filesz:
            struct.pack_into("<I", data, p_offset + addr - p_vaddr, nbytes)
            path = os.path.join(workdir, "serial-%d.elf" % nbytes)
            with open(path, "wb") as f:
                f.write(data)
            return path
    raise RuntimeError("serial_bytes is not in a loaded segment of " + SERIAL_ELF)


# --------------------------------------------------------------------------
# Processes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether something listens on 127.0.0.1:port, without connecting (a probe would be a gdb session)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


def wait_listening(proc, port, timeout=30.0):
    end = time.monotonic() + timeout
    while not listening(port):
        if proc.poll() is not None:
            raise Fail("exited (status %d) before its gdb stub listened: %s"
                       % (proc.returncode, proc.reason()))
        if time.monotonic() > end:
            raise Fail("gdb stub not listening after %.0f s" % timeout)
        time.sleep(0.001)


class Proc:
    """A VMM process with stderr (and stdout unless piped) captured in files."""

    def __init__(self, argv, workdir, stdout_pipe=False):
        self.argv = argv
        self.err_path = os.path.join(workdir, "stderr-%d" % time.monotonic_ns())
        self.err = open(self.err_path, "w+b")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE if stdout_pipe else subprocess.DEVNULL,
                                  stderr=self.err, start_new_session=True)
        self.pid = self.p.pid
        self.stdout = self.p.stdout

    def poll(self):
        return self.p.poll()

    @property
    def returncode(self):
        return self.p.returncode

    def wait(self, timeout):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Fail("still running after %.0f s" % timeout)

    def settle(self, timeout=2.0):
        """A VMM that is failing: give it up to timeout to exit (and finish its message)."""
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            pass  # still alive: its stderr is what it is

    def stderr_text(self):
        self.err.flush()
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def reason(self):
        """The telling line of the VMM's stderr (QEMU's CPUID warnings are not telling)."""
        lines = [l.strip() for l in self.stderr_text().splitlines() if l.strip()]
        lines = [l for l in lines if "host doesn't support requested feature" not in l]
        keys = ("emulation failure", "internal error", "error", "fail", "cannot", "triple")
        for key in keys:
            hits = [l for l in lines if key in l.lower()]
            if hits:
                joined = hits[0]
                if key == "internal error":  # QEMU: "KVM internal error. Suberror: 1" + "emulation failure"
                    more = [l for l in lines if "emulation failure" in l.lower()]
                    joined += (" / " + more[0]) if more else ""
                return one_line(joined)
        return one_line(lines[-1]) if lines else "no message"

    def kill(self):
        if self.p.poll() is None:
            try:
                self.p.kill()  # our own child, by its pid
            except ProcessLookupError:
                pass
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                pass

    def close(self):
        self.kill()
        if self.p.stdout:
            self.p.stdout.close()
        self.err.close()
        try:
            os.unlink(self.err_path)
        except OSError:
            pass


# --------------------------------------------------------------------------
# The VMMs


class Vmm:
    def __init__(self, key, label, machine=None):
        self.key, self.label, self.machine = key, label, machine
        self.unavailable = ""  # set when the VMM cannot run at all here

    @property
    def is_qemu(self):
        return self.machine is not None

    def argv(self, image, mem=GUEST_MEM, serial=None, gdb_port=None, wait=False, cpus=1,
             initrd=None, append=None):
        """serial: None (no console), "stdio" or a file path."""
        if not self.is_qemu:
            a = [minikvm_path(), "-m", mem, "-c", str(cpus)]
            a += ["--serial", "none" if serial is None else serial if serial == "stdio" else "file:" + serial]
            if gdb_port:
                a += ["-g", "tcp:127.0.0.1:%d" % gdb_port] + (["-S"] if wait else [])
            if initrd:
                a += ["--initrd", initrd]
            if append:
                a += ["--append", append]
            return a + [image]
        a = [qemu_path(), "-M", self.machine, "-nodefaults", "-no-user-config", "-enable-kvm",
             "-display", "none", "-m", mem, "-smp", str(cpus),
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        a += ["-serial", "null" if serial is None else serial if serial == "stdio" else "file:" + serial]
        if gdb_port:
            a += ["-gdb", "tcp:127.0.0.1:%d" % gdb_port] + (["-S"] if wait else [])
        a += ["-kernel", image]
        if initrd:
            a += ["-initrd", initrd]
        if append:
            a += ["-append", append]
        return a


MINIKVM = Vmm("minikvm", "minikvm")
MICROVM = Vmm("microvm", "QEMU microvm", "microvm")
PC = Vmm("pc", "QEMU pc", "pc")
VMMS = [MINIKVM, MICROVM, PC]


# --------------------------------------------------------------------------
# A raw RSP client (scripts/rsp_bench.py's, with timeouts, Ctrl-C and stop replies)


def fast_unrle(p):
    """X*n repeats X n - 29 more times; no '*', nothing to do."""
    if b"*" not in p:
        return p
    return re.sub(rb"(.)\*(.)", lambda m: m.group(1) * (m.group(2)[0] - 29 + 1), p, flags=re.S)


class Rsp(Client):
    def __init__(self, port, timeout=30.0):
        super().__init__("127.0.0.1:%d" % port, b"qSupported:swbreak+;hwbreak+;binary-upload+")
        self.s.settimeout(timeout)
        stop = self.cmd(b"?")
        m = re.search(rb"thread:([0-9a-fA-Fp.\-]+);", stop)
        self.tid = m.group(1) if m else b"1"

    def raw(self, data):
        self.s.sendall(data)

    def cmd(self, p, decode=True):
        self.s.sendall(b"$" + p + b"#%02x" % (sum(p) & 0xff))
        return self.reply(decode)

    def reply(self, decode=True):
        """The next packet from the stub, run-length encoding undone unless decode is
        False: a rate loop only frames replies, so that the stub is what is measured,
        not this Python client's decoding (slow where the host is emulated)."""
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
                return fast_unrle(p) if decode else p
            start = max(len(self.buf) - 1, 0)
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def stop_cmd(self, p):
        """A resume command whose answer is a stop reply; anything but a SIGTRAP stop is a Fail."""
        r = self.cmd(p, decode=False)
        if not (r.startswith(b"T05") or r.startswith(b"S05")):
            raise Fail("stop reply %r after %s" % (r[:40].decode(errors="replace"), p.decode()))
        return r

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def reach_ready(c):
    """Run the stopped loop.elf to bench_ready (its 16 MiB filled) with a software
    breakpoint. Where the stub's breakpoints never stop (QEMU's on an emulated
    AMD-V host), stop it with Ctrl-C once the fill is seen done instead: returns
    None, or why breakpoints cannot be measured on this stub here."""
    ready = SYMS["bench_ready"]
    c.cmd(b"Z0,%x,1" % ready)
    c.raw(b"$vCont;c#%02x" % (sum(b"vCont;c") & 0xff))
    c.s.settimeout(BP_PATIENCE)
    try:
        stop = c.reply()
        why = None
    except socket.timeout:
        c.s.settimeout(30.0)
        c.raw(b"\x03")
        stop = c.reply()
        why = "its breakpoint at bench_ready did not stop the guest in %.0f s" % BP_PATIENCE
    c.s.settimeout(30.0)
    if not (stop.startswith(b"T") or stop.startswith(b"S")):
        raise Fail("stop reply %r on the way to bench_ready" % stop[:40].decode(errors="replace"))
    c.cmd(b"z0,%x,1" % ready)
    last = DUMP_AREA + DUMP_SIZE - 16
    for _ in range(100):  # stopped by Ctrl-C: wait, running, for fill() to be done
        if c.cmd(b"m%x,10" % last) == (PATTERN * 2).hex().encode():
            return why
        c.raw(b"$vCont;c#%02x" % (sum(b"vCont;c") & 0xff))
        time.sleep(0.2)
        c.raw(b"\x03")
        c.reply()
    raise Fail("loop.elf had not filled its 16 MiB after 20 s")


def rsp_session(vmm, workdir, fn):
    """Start loop.elf stopped (-S), connect, run it to bench_ready, fn(client, proc, why)."""
    port = free_port()
    proc = Proc(vmm.argv(LOOP_ELF, gdb_port=port, wait=True), workdir)
    c = None
    try:
        wait_listening(proc, port)
        c = Rsp(port)
        return fn(c, proc, reach_ready(c))
    except (EOFError, ConnectionError, socket.timeout, OSError) as e:
        proc.kill()
        raise Fail("%s; VMM: %s" % (one_line(repr(e), 50), proc.reason()))
    except Fail as e:
        proc.settle()
        proc.kill()
        raise Fail("%s; VMM: %s" % (e, proc.reason()))
    finally:
        if c:
            c.close()
        proc.close()


# --------------------------------------------------------------------------
# Real gdb, driven through a small server loop in gdb's own Python


GDB_SERVER = r'''
import gdb, json, os, sys, time
out = os.fdopen(int(os.environ["BENCH_FD"]), "w", buffering=1)
last_stop = [""]
def on_stop(ev):
    if isinstance(ev, gdb.BreakpointEvent):
        last_stop[0] = "breakpoint %s" % ",".join(str(b.number) for b in ev.breakpoints)
    elif isinstance(ev, gdb.SignalEvent):
        last_stop[0] = "signal " + ev.stop_signal
    else:
        last_stop[0] = "stop"
gdb.events.stop.connect(on_stop)
for c in ("set pagination off", "set confirm off", "set width 0", "set height 0",
          "set remotetimeout 60", "set tcp connect-timeout 30", "set print frame-info location"):
    gdb.execute(c)
out.write(json.dumps({"ok": True, "ready": True}) + "\n")
for line in sys.stdin:
    req = json.loads(line)
    rep = {"ok": True}
    try:
        if req["op"] == "quit":
            break
        last_stop[0] = ""
        t = time.monotonic()
        if req["op"] == "ex":
            rep["out"] = gdb.execute(req["cmd"], to_string=True)
        elif req["op"] == "ev":
            rep["val"] = str(gdb.parse_and_eval(req["expr"]))
        elif req["op"] == "line":
            sal = gdb.selected_frame().find_sal()
            rep["val"] = sal.line
        rep["t"] = time.monotonic() - t
        rep["end"] = time.monotonic()
    except Exception as e:
        rep = {"ok": False, "err": str(e)}
    rep["stop"] = last_stop[0]
    out.write(json.dumps(rep) + "\n")
'''


class Gdb:
    """One gdb process for many VMM sessions (a symbol file is loaded once)."""

    def __init__(self, elf, workdir):
        script = os.path.join(workdir, "gdb_server.py")
        with open(script, "w") as f:
            f.write(GDB_SERVER)
        rfd, wfd = os.pipe()
        self.log_path = os.environ.get("BENCH_GDB_LOG") or os.path.join(workdir, "gdb-%d.log" % time.monotonic_ns())
        self.log = open(self.log_path, "ab" if os.environ.get("BENCH_GDB_LOG") else "wb")
        self.p = subprocess.Popen([gdb_path(), "-nx", "-q", "-batch", elf, "-x", script],
                                  stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT,
                                  pass_fds=(wfd,), env=dict(os.environ, BENCH_FD=str(wfd)),
                                  start_new_session=True)
        os.close(wfd)
        self.rfd = rfd
        self.buf = b""
        self.dead = False
        r = self.reply(600)
        if not r.get("ready"):
            raise RuntimeError("gdb did not start: " + self.tail())

    def tail(self):
        """gdb's last words (the end of its log)."""
        self.log.flush()
        with open(self.log_path, "rb") as f:
            lines = [l.strip() for l in f.read().decode(errors="replace").splitlines() if l.strip()]
        return " / ".join(lines[-3:])[-200:] or "no output"

    def reply(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self.rfd, 65536)
            if not chunk:
                raise RuntimeError("gdb exited: " + self.tail())
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send(self, req):
        try:
            self.p.stdin.write((json.dumps(req) + "\n").encode())
            self.p.stdin.flush()
        except (BrokenPipeError, ValueError):
            self.dead = True
            raise RuntimeError("gdb exited: " + self.tail())

    def do(self, req, timeout=120, proc=None):
        """One request; a Fail (with the VMM's words when it died) unless it worked."""
        try:
            return self._do(req, timeout, proc)
        except RuntimeError as e:  # gdb itself died: this row fails, the next one gets a new gdb
            self.dead = True
            raise Fail(one_line(e))

    def _do(self, req, timeout, proc):
        self.send(req)
        try:
            r = self.reply(timeout)
        except TimeoutError:
            # End this gdb (the session is over; the caller ends the VMM). Interrupting it
            # with SIGINT instead made gdb 13 die of "Recursive internal problem" at times.
            self.kill()
            raise Fail("%s: no answer within %.0f s" % (req.get("cmd") or req.get("op"), timeout))
        if not r["ok"]:
            why = one_line(r["err"], 60)
            if proc:
                proc.settle()
                why += "; VMM: " + proc.reason()
            raise Fail(why)
        return r

    def ex(self, cmd, timeout=120, proc=None):
        return self.do({"op": "ex", "cmd": cmd}, timeout, proc)

    def ev(self, expr, proc=None):
        return self.do({"op": "ev", "expr": expr}, 60, proc)["val"]

    def end_session(self, proc):
        """Kill the VM through gdb (the usual way), then make sure the process is gone."""
        if self.dead:
            proc.close()
            return
        try:
            self.send({"op": "ex", "cmd": "kill"})
            self.reply(20)
        except (TimeoutError, RuntimeError):
            pass
        try:
            proc.p.wait(5)
        except subprocess.TimeoutExpired:
            pass
        proc.close()
        try:  # a VMM that died leaves gdb connected to nothing
            self.send({"op": "ex", "cmd": "disconnect"})
            self.reply(20)
        except (TimeoutError, RuntimeError):
            pass

    def kill(self):
        self.dead = True
        if self.p.poll() is None:
            self.p.kill()  # our own child, by its pid
        self.p.wait()

    def close(self):
        if self.dead:
            self.kill()
            os.close(self.rfd)
            self.log.close()
            return
        try:
            self.send({"op": "quit"})
            self.p.wait(20)
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            self.p.kill()
            self.p.wait()
        os.close(self.rfd)
        self.log.close()


# --------------------------------------------------------------------------
# Rows


class Row:
    def __init__(self, rid, title, unit, better, note=""):
        self.id, self.title, self.unit, self.better, self.note = rid, title, unit, better, note
        self.runs = {}   # vmm key -> [values]
        self.fail = {}   # vmm key -> reason
        self.skip = {}   # vmm key -> why not run (not a failure)
        self.censored = {}  # vmm key -> limit (stopped there: the value is above it)

    def result(self, key, value):
        self.runs.setdefault(key, []).append(value)

    def failed(self, key, reason):
        self.fail.setdefault(key, one_line(reason))


class Group:
    """Rows measured together in one run of one VMM: the unit of A B A B alternation."""

    def __init__(self, name, rows, vmms, fn, runs, max_runs=None, skip=None, slow=SLOW):
        self.name, self.rows, self.vmms, self.fn, self.runs = name, rows, vmms, fn, runs
        self.slow = slow                 # a run longer than this is not repeated
        self.max_runs = max_runs or {}   # vmm key -> at most this many runs
        self.skip = skip or {}           # vmm key -> reason not run


def run_group(g, workdir):
    done = {v.key: 0 for v in g.vmms}
    single = set()
    dead = set()
    for row in g.rows:
        for key, why in g.skip.items():
            row.skip[key] = why
    for i in range(g.runs):
        for vmm in g.vmms:
            if vmm.key in g.skip or vmm.key in single or vmm.key in dead:
                continue
            if done[vmm.key] >= g.max_runs.get(vmm.key, g.runs):
                continue
            if vmm.unavailable:
                for row in g.rows:
                    row.failed(vmm.key, vmm.unavailable)
                dead.add(vmm.key)
                continue
            log("%s: %s, run %d" % (g.name, vmm.label, i + 1))
            NOW[0] = "%s: %s, run %d" % (g.name, vmm.label, i + 1)
            t = time.monotonic()
            try:
                res = g.fn(vmm, workdir)
            except (Fail, Censored) as e:
                res = {row.id: e for row in g.rows}
            done[vmm.key] += 1
            ids = {row.id for row in g.rows}
            for k, v in res.items():
                if k not in ids and not isinstance(v, (Fail, Censored)):
                    EXTRA.setdefault(k, {}).setdefault(vmm.key, []).append(v)
            for row in g.rows:
                v = res.get(row.id)
                if isinstance(v, Fail):
                    row.failed(vmm.key, str(v))
                elif isinstance(v, Censored):
                    row.censored[vmm.key] = v.limit
                    single.add(vmm.key)
                elif v is not None:
                    row.result(vmm.key, v)
            if all(vmm.key in row.fail or vmm.key in row.censored for row in g.rows):
                dead.add(vmm.key)  # the same failure again would tell nothing new
            if time.monotonic() - t > g.slow:
                single.add(vmm.key)
    for row in g.rows:
        for key in single:
            if len(row.runs.get(key, [])) == 1 and g.runs > 1:
                row.note = (row.note + " " if row.note else "") + \
                    "%s: one run (a run over %.0f s is not repeated)." % (
                        next(v.label for v in g.vmms if v.key == key), g.slow)


# ---- 1. start to exit ----


def m_start_exit(vmm, workdir):
    proc = Proc(vmm.argv(EXIT_ELF), workdir)
    try:
        status = proc.wait(60)
        t = time.monotonic() - proc.t0
        if status != EXIT_STATUS:
            raise Fail("exit status %d, not %d: %s" % (status, EXIT_STATUS, proc.reason()))
        return {"start_exit": t * 1e3}
    finally:
        proc.close()


# ---- 2. Linux ----


LINUX = {}


def read_env_file(path):
    env = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                env[k] = v.strip("'\"")
    return env


def linux_env():
    # `make bench` fetches Debian's kernel out here first (MINIKVM_LINUX_ENV):
    # on the emulated KVM host there is no network, and apt must not run there.
    path = os.environ.get("MINIKVM_LINUX_ENV", "")
    if not LINUX and path:
        if os.path.exists(path) and os.path.getsize(path):
            LINUX.update(read_env_file(path))
        else:
            LINUX["error"] = "Debian's kernel could not be fetched (%s is empty)" % path
    if not LINUX:
        proc = subprocess.run([os.path.join(ROOT, "scripts", "fetch-linux.sh"), "--dbg", "--print-env"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            LINUX["error"] = "fetch-linux.sh --dbg failed: " + one_line(proc.stderr.strip().splitlines()[-1:])
        else:
            for line in proc.stdout.splitlines():
                k, _, v = line.partition("=")
                LINUX[k] = v.strip("'\"")
    if "error" in LINUX:
        raise Fail(LINUX["error"])
    return LINUX


GDBS = {}  # the gdb processes alive (closed at the end, whatever happens)


def new_gdb(elf, workdir):
    """A fresh gdb for one session, its symbols loaded before the VMM starts. (One gdb for
    many sessions saved little and, after interrupted sessions, died of internal errors.)"""
    try:
        g = Gdb(elf, workdir)
    except RuntimeError as e:
        raise Fail(one_line(e))
    GDBS[id(g)] = g
    return g


def done_gdb(g, proc):
    g.end_session(proc)
    g.close()
    GDBS.pop(id(g), None)


def m_start_kernel(vmm, workdir):
    if vmm.key in BP_BROKEN:
        raise Fail("not run: in row 5, " + BP_BROKEN[vmm.key])
    env = linux_env()
    image = env["VMLINUZ"] if vmm.key == "pc" else env["VMLINUX"]
    g = new_gdb(env["VMLINUX"], workdir)
    port = free_port()
    proc = Proc(vmm.argv(image, mem="256M", serial=os.devnull, gdb_port=port, wait=True,
                         initrd=env["INITRD"], append="console=ttyS0 nokaslr"), workdir)
    try:
        wait_listening(proc, port, 120)
        g.ex("delete")
        g.ex("target remote 127.0.0.1:%d" % port, 60, proc)
        g.ex("hbreak start_kernel", 60, proc)
        r = g.ex("continue", 900, proc)
        if g.ev("(unsigned long)$pc == (unsigned long)&start_kernel", proc) != "1":
            raise Fail("stopped at %s (%s), not start_kernel" % (g.ev("$pc", proc), r["stop"]))
        return {"linux_start_kernel": r["end"] - proc.t0}
    except Fail as e:
        if proc.poll() is None and "VMM:" not in str(e):
            raise Fail("%s; VMM: %s" % (e, proc.reason()))
        raise
    finally:
        done_gdb(g, proc)


def m_linux_boot(cpus):
    def m(vmm, workdir):
        env = linux_env()
        image = env["VMLINUZ"] if vmm.key == "pc" else env["VMLINUX"]
        proc = Proc(vmm.argv(image, mem="512M", serial="stdio", cpus=cpus, initrd=env["INITRD"],
                             append="console=ttyS0 quiet minikvm.cmd=true"), workdir, stdout_pipe=True)
        try:
            marker, out = None, b""
            end = proc.t0 + 300
            while time.monotonic() < end:
                if not select.select([proc.stdout], [], [], max(0.0, end - time.monotonic()))[0]:
                    break
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
                if marker is None and INIT_MARKER in out:
                    marker = time.monotonic() - proc.t0
            status = proc.wait(max(1.0, end - time.monotonic()))
            total = time.monotonic() - proc.t0
            if marker is None:
                raise Fail("no 'minikvm-init: up' on the console (status %d): %s"
                           % (status, proc.reason()))
            if status != 0:
                raise Fail("exit status %d after the init marker: %s" % (status, proc.reason()))
            return {"linux_init_%d" % cpus: marker, "linux_exit_%d" % cpus: total}
        finally:
            proc.close()
    return m


TRACEFS = "/sys/kernel/tracing"


class ExitCounter:
    """VM exits by reason while a VMM runs, counted in the host kernel: a histogram
    trigger on KVM's tracepoints (kvm:kvm_exit, every exit to the hypervisor;
    kvm:kvm_userspace_exit, those KVM_RUN returns to the VMM for). The same
    count for every VMM, whatever it counts itself. Needs root and a kernel with
    CONFIG_HIST_TRIGGERS (Debian's has it)."""

    EVENTS = ("kvm_exit", "kvm_userspace_exit")

    def __init__(self):
        if not os.path.isdir(os.path.join(TRACEFS, "events")):
            subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], stderr=subprocess.DEVNULL)
        self.names = {ev: self.symbols(ev) for ev in self.EVENTS}

    @staticmethod
    def symbols(event):
        """The reason names in the tracepoint's own print format: {code: name}."""
        try:
            with open(os.path.join(TRACEFS, "events", "kvm", event, "format")) as f:
                fmt = f.read()
        except OSError as e:
            raise Fail("no kvm:%s tracepoint to count exits with (%s)" % (event, e.strerror))
        return {int(code, 0): name for code, name in re.findall(r'\{\s*(0x[0-9a-fA-F]+|\d+),\s*"([^"]+)"\s*\}', fmt)}

    def trigger(self, event, text):
        with open(os.path.join(TRACEFS, "events", "kvm", event, "trigger"), "w") as f:
            f.write(text)

    # KVM_EXIT_* (linux/kvm.h), for a kernel whose kvm_userspace_exit format names none.
    KVM_EXITS = {0: "UNKNOWN", 1: "EXCEPTION", 2: "IO", 3: "HYPERCALL", 4: "DEBUG", 5: "HLT", 6: "MMIO",
                 7: "IRQ_WINDOW_OPEN", 8: "SHUTDOWN", 9: "FAIL_ENTRY", 10: "INTR", 11: "SET_TPR",
                 17: "INTERNAL_ERROR", 24: "SYSTEM_EVENT", 26: "IOAPIC_EOI"}
    VECTORS = {1: "#DB", 3: "#BP", 6: "#UD", 7: "#NM", 13: "#GP", 14: "#PF", 17: "#AC", 18: "#MC"}

    def name(self, event, code):
        if code in self.names[event]:
            return self.names[event][code]
        if event == "kvm_userspace_exit" and code in self.KVM_EXITS:
            return "KVM_EXIT_" + self.KVM_EXITS[code]
        if event == "kvm_exit" and "svm" in cpu_flags() and 0x40 <= code < 0x60:
            # AMD-V's exception intercepts, 0x40 + vector (AMD APM vol. 2, VMCB exit codes)
            v = code - 0x40
            return "excp %s" % self.VECTORS.get(v, "vector %d" % v)
        return "reason %d" % code

    def key(self, event):
        return "exit_reason" if event == "kvm_exit" else "reason"

    def start(self):
        for ev in self.EVENTS:
            self.trigger(ev, "hist:keys=%s:size=256" % self.key(ev))

    def stop(self):
        """{event: {reason name: count}} since start(); the triggers are removed."""
        out = {}
        for ev in self.EVENTS:
            with open(os.path.join(TRACEFS, "events", "kvm", ev, "hist")) as f:
                hist = f.read()
            self.trigger(ev, "!hist:keys=%s:size=256" % self.key(ev))
            counts = {}
            for code, n in re.findall(r"\{ %s:\s*(\d+)\s*\} hitcount:\s*(\d+)" % self.key(ev), hist):
                name = self.name(ev, int(code))
                counts[name] = counts.get(name, 0) + int(n)
            out[ev] = counts
        return out


def m_linux_exits(vmm, workdir):
    """One boot to process exit (1 vCPU), every VM exit counted by reason."""
    counter = ExitCounter()
    counter.start()
    try:
        m_linux_boot(1)(vmm, workdir)
    finally:
        counts = counter.stop()
    return {"linux_exits": sum(counts["kvm_exit"].values()),
            "linux_user_exits": sum(counts["kvm_userspace_exit"].values()),
            "linux_exit_reasons": counts}


def exit_table(extra, vmms):
    """Markdown: the VM exits of one Linux boot by reason, side by side."""
    reasons = extra.get("linux_exit_reasons", {})
    present = [v for v in vmms if reasons.get(v.key)]
    if not present:
        return []
    lines = []
    for ev, title in (("kvm_exit", "every exit to KVM (kvm:kvm_exit)"),
                      ("kvm_userspace_exit", "exits KVM hands to the VMM (kvm:kvm_userspace_exit)")):
        first = {v.key: reasons[v.key][0][ev] for v in present}
        names = sorted({n for c in first.values() for n in c}, key=lambda n: -max(c.get(n, 0) for c in first.values()))
        lines += ["", "VM exits of one Linux boot to process exit (1 vCPU), by reason: %s" % title, "",
                  "| reason | " + " | ".join(v.label for v in present) + " |",
                  "|---|" + "---|" * len(present)]
        for n in names:
            lines.append("| %s | %s |" % (n, " | ".join("%d" % first[v.key].get(n, 0) for v in present)))
        lines.append("| **total** | %s |" % " | ".join("**%d**" % sum(first[v.key].values()) for v in present))
    return lines


# ---- 3. serial ----


def m_serial(nbytes):
    def m(vmm, workdir):
        image = patched_serial_elf(nbytes, workdir)
        out = os.path.join(workdir, "serial-%s.out" % vmm.key)
        proc = Proc(vmm.argv(image, serial=out), workdir)
        try:
            status = proc.wait(1200)
            t = time.monotonic() - proc.t0
            size = os.path.getsize(out) if os.path.exists(out) else 0
            if status != EXIT_STATUS:
                raise Fail("exit status %d: %s" % (status, proc.reason()))
            if size != nbytes:
                raise Fail("%d bytes on the serial port, not %d" % (size, nbytes))
            return {"serial": t}  # turned into MB/s in finish_serial()
        finally:
            proc.close()
            if os.path.exists(out):
                os.unlink(out)
    return m


# ---- 4. memory ----


def m_memory(vmm, workdir):
    out = os.path.join(workdir, "mem-%s.out" % vmm.key)
    proc = Proc(vmm.argv(LOOP_ELF, serial=out), workdir)
    try:
        end = time.monotonic() + 120
        while True:
            if os.path.exists(out):
                with open(out, "rb") as f:
                    if b"loop: spinning" in f.read():
                        break
            if proc.poll() is not None:
                raise Fail("exited with status %d: %s" % (proc.returncode, proc.reason()))
            if time.monotonic() > end:
                raise Fail("no 'loop: spinning' on the console within 120 s")
            time.sleep(0.05)
        hwm = None
        with open("/proc/%d/status" % proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
        ram_kb = int(GUEST_MEM[:-1]) * 1024
        guest = 0
        with open("/proc/%d/smaps" % proc.pid) as f:
            size = path = None
            for line in f:
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    parts = line.split()
                    path = parts[5] if len(parts) > 5 else ""
                elif line.startswith("Size:"):
                    size = int(line.split()[1])
                elif line.startswith("Rss:") and size == ram_kb and not path:
                    guest += int(line.split()[1])
        if not guest:
            raise Fail("no %s anonymous mapping (the guest RAM) in /proc/PID/smaps" % GUEST_MEM)
        return {"memory": (hwm - guest) / 1024.0, "memory_peak": hwm / 1024.0,
                "memory_guest": guest / 1024.0}
    finally:
        proc.close()
        if os.path.exists(out):
            os.unlink(out)


# ---- 5. gdb stub through a raw RSP client ----


def rate(n, fn):
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - t)


RSP_KEYS = ("rsp_g", "rsp_step", "rsp_mem", "rsp_mem_x", "rsp_ctrlc", "rsp_z1", "rsp_z0")


def rsp_memory(c, res, total):
    """16 MiB of loop.elf's pattern in the largest reads the stub takes: hex `m`,
    then binary `x` where the stub offers it (gdb 16 asks for it). Only the
    exchange is timed (rsp_bench.read_all); the bytes are checked afterwards."""
    want = PATTERN * (total // len(PATTERN))
    for key, hexed in (("rsp_mem", True), ("rsp_mem_x", False)):
        if not hexed and c.cmd_binary(b"x0,0") not in (b"OK", b"b"):
            res[key] = Fail("not offered: the stub has no binary `x` reads")
            continue
        chunk = largest_read(c, DUMP_AREA, hexed)
        data, secs, _ = read_all(c, DUMP_AREA, total, chunk, not hexed)
        if data != want:
            raise Fail("`%s` reads of %#x: not loop.elf's pattern" % ("m" if hexed else "x", DUMP_AREA))
        res[key] = total / secs / 1e6
        res[key + "_chunk"] = chunk


def rsp_all(vmm, workdir):
    res = {}
    n_g, n_step, mem_total, n_bp, n_int = (300, 300, 1 << 20, 50, 5) if QUICK else \
        (3000, 2000, DUMP_SIZE, 300, 20)

    def body(c, proc, no_bp):
        if len(fast_unrle(c.cmd(b"g", decode=False))) < 2 * 164:
            raise Fail("`g` answered fewer bytes than x86-64's general registers")
        res["rsp_g"] = rate(n_g, lambda: c.cmd(b"g", decode=False))
        step = b"vCont;s:" + c.tid
        res["rsp_step"] = rate(n_step, lambda: c.stop_cmd(step))
        rsp_memory(c, res, mem_total)

        def ctrl_c():  # last: the guest runs on to its spin loop meanwhile
            # Ctrl-C: let the guest run 10 ms, send the interrupt byte, time the stop reply.
            lat = []
            for _ in range(n_int):
                c.raw(b"$vCont;c#%02x" % (sum(b"vCont;c") & 0xff))
                time.sleep(0.01)
                t = time.perf_counter()
                c.raw(b"\x03")
                r = c.reply()
                lat.append(time.perf_counter() - t)
                if not (r.startswith(b"T") or r.startswith(b"S")):
                    raise Fail("Ctrl-C answered %r" % r[:40])
            res["rsp_ctrlc"] = statistics.median(lat) * 1e3

        if no_bp:
            for v in VMMS:  # QEMU's machines share one gdb stub
                if v.key == vmm.key or (v.is_qemu and vmm.is_qemu):
                    BP_BROKEN[v.key] = no_bp
            res["rsp_z1"] = res["rsp_z0"] = Fail(no_bp)
            ctrl_c()
            return res

        def cycles(kind):  # what gdb does at a breakpoint: insert, continue, stop, remove, step
            f = SYMS["f"]

            def cycle():
                c.cmd(b"Z%d,%x,1" % (kind, f))
                c.stop_cmd(b"vCont;c")
                c.cmd(b"z%d,%x,1" % (kind, f))
                c.stop_cmd(step)
            return rate(n_bp, cycle)
        res["rsp_z1"] = cycles(1)
        res["rsp_z0"] = cycles(0)
        ctrl_c()
        return res
    try:
        rsp_session(vmm, workdir, body)
    except Fail as e:
        # Whatever was measured before the failure stands; the rest failed for this reason.
        for k in RSP_KEYS:
            if k not in res:
                res[k] = e
    return res


# ---- 6. real gdb ----


def gdb_session(vmm, workdir, g):
    port = free_port()
    proc = Proc(vmm.argv(LOOP_ELF, gdb_port=port, wait=True), workdir)
    try:
        wait_listening(proc, port)
        g.ex("target remote 127.0.0.1:%d" % port, 60, proc)
        g.ex("hbreak bench_ready", 60, proc)
        g.ex("continue", 120, proc)
        g.ex("delete")
    except Fail as e:
        proc.settle()
        reason = e if "VMM:" in str(e) else Fail("%s; VMM: %s" % (e, proc.reason()))
        g.end_session(proc)
        raise reason
    return proc


def gdb_scenario(key, body):
    """A row measured in its own session of loop.elf under real gdb, from bench_ready on."""
    def m(vmm, workdir):
        if vmm.key in BP_BROKEN:  # each run would wait minutes for a breakpoint
            raise Fail("not run: in row 5, " + BP_BROKEN[vmm.key])
        g = new_gdb(LOOP_ELF, workdir)
        proc = None
        try:
            proc = gdb_session(vmm, workdir, g)
            return {key: body(g, proc)}
        except Fail as e:
            if proc is not None and "VMM:" not in str(e):
                proc.settle()
                e = Fail("%s; VMM: %s" % (e, proc.reason()))
            raise e
        finally:
            if proc is not None:
                g.end_session(proc)
            g.close()
            GDBS.pop(id(g), None)
    return m


def goto_line(g, proc, tag):
    g.ex("hbreak %s:%d" % (os.path.basename(LOOP_C), tag_line(LOOP_C, tag)), 60, proc)
    g.ex("continue", 120, proc)
    g.ex("delete")


def s_dump(g, proc):
    path = os.path.join(os.path.dirname(proc.err_path), "dump.bin")
    r = g.ex("dump binary memory %s %#x %#x" % (path, DUMP_AREA, DUMP_AREA + DUMP_SIZE), 600, proc)
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    if len(data) != DUMP_SIZE or data[:16] != PATTERN * 2 or data[-8:] != PATTERN:
        raise Fail("the dump is %d bytes, not loop.elf's 16 MiB pattern" % len(data))
    return r["t"]


def s_cond(how, limit):
    def body(g, proc):
        g.ex("%s f if i == 99999" % how, 60, proc)
        try:
            r = g.ex("continue", limit, proc)
        except Fail as e:
            if "no answer within" in str(e):
                raise Censored(limit)
            raise
        i = g.ev("i", proc)
        if i != "99999":
            raise Fail("stopped by %s with i = %s, not at f with i == 99999"
                       % ((r["stop"] or "?").replace("signal ", ""), i))
        return r["t"]
    return body


def s_next(g, proc):
    goto_line(g, proc, "next")
    r = g.ex("next", 600, proc)
    line = g.do({"op": "line"}, 60, proc)["val"]
    want = tag_line(LOOP_C, "after-next")
    if line != want:
        raise Fail("next ended on line %s, not %d (%s)" % (line, want, r["stop"]))
    return r["t"]


def s_stepi(g, proc):
    goto_line(g, proc, "spin")
    c0 = int(g.ev("counter", proc))
    r = g.ex("stepi 10000", 600, proc)
    c1 = int(g.ev("counter", proc))
    if not 2000 <= c1 - c0 <= 3000:  # 4 instructions an increment
        raise Fail("counter moved by %d over stepi 10000, not ~2500" % (c1 - c0))
    return r["t"]


# --------------------------------------------------------------------------
# Output


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000:
        return "%.0f" % v
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3g" % v


def cell(row, key):
    if key in row.fail:
        return "fails: " + row.fail[key]
    if key in row.censored:
        return "> %s (stopped there)" % fmt(row.censored[key])
    if key in row.skip:
        return row.skip[key]
    runs = row.runs.get(key)
    if not runs:
        return "-"
    med = statistics.median(runs)
    if len(runs) == 1:
        return "%s (1 run)" % fmt(med)
    return "%s [%s-%s]" % (fmt(med), fmt(min(runs)), fmt(max(runs)))


def ratio(row, key):
    a, b = row.runs.get("minikvm"), row.runs.get(key)
    if a and key in row.censored and "minikvm" not in row.fail:  # QEMU took more than the limit
        return "< %.3g" % (statistics.median(a) / row.censored[key])
    if not a or not b or "minikvm" in row.fail or key in row.fail:
        return "-"
    q = statistics.median(b)
    if q == 0:
        return "-"
    return "%.3g" % (statistics.median(a) / q)


def num_or_none(text):
    try:
        return float(text)
    except ValueError:
        return None


def table_rows(rows, vmms):
    head = ["row", "unit", "better"] + [v.label for v in vmms] + \
        ["minikvm/%s" % v.label for v in vmms if v.is_qemu]
    body = []
    for row in rows:
        body.append([row.title, row.unit, row.better] + [cell(row, v.key) for v in vmms] +
                    [ratio(row, v.key) for v in vmms if v.is_qemu])
    return head, body


def text_table(head, body):
    wrapped = []
    for r in [head] + body:
        wrapped.append([textwrap.wrap(c, 34) or [""] for c in r])
    widths = [max(max(len(l) for l in r[i]) for r in wrapped) for i in range(len(head))]
    out = []
    for n, r in enumerate(wrapped):
        for k in range(max(len(c) for c in r)):
            out.append("  ".join((c[k] if k < len(c) else "").ljust(widths[i]) for i, c in enumerate(r)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def md_table(head, body):
    esc = lambda s: s.replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(esc(h) for h in head) + " |", "|" + "---|" * len(head)]
    for r in body:
        out.append("| " + " | ".join(esc(c) for c in r) + " |")
    return "\n".join(out)


# --------------------------------------------------------------------------


QUICK = False
SYMS = {}
EXTRA = {}   # figures that are not rows (read sizes, peak RSS...): name -> vmm key -> runs


NOW = ["starting"]  # what the benchmark is doing, for the heartbeat


def start_heartbeat():
    """Inside scripts/onkvm's emulated host: a line every 5 s on ONKVM_HEARTBEAT,
    so that onkvm stops a host that freezes (docs/testing.md) instead of
    waiting for its overall timeout; a later `--merge` run measures the rest."""
    path = os.environ.get("ONKVM_HEARTBEAT")
    if not path:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as e:
        log("no heartbeat: %s: %s" % (path, e.strerror))
        return

    def beat():
        while True:
            try:
                os.write(fd, ("bench: %s\n" % NOW[0])[:200].encode())
            except OSError:
                pass  # a full port: the next line will do
            time.sleep(5)
    threading.Thread(target=beat, name="heartbeat", daemon=True).start()


def merge_previous(where, R, run_ids, machine):
    """--merge: the rows this run does not measure keep their figures from
    where/results.json, if that file was measured on the same kind of host."""
    try:
        with open(os.path.join(where, "results.json")) as f:
            old = json.load(f)
    except (OSError, ValueError):
        return
    if old.get("machine", {}).get("host_kind") != machine["host_kind"]:
        log("--merge: %s is from another kind of host; not merged" % where)
        return
    for o in old.get("rows", []):
        r = R.get(o["id"])
        if r is None or r.id in run_ids:
            continue
        r.runs, r.fail, r.skip = o.get("runs", {}), o.get("fails", {}), o.get("not_run", {})
        r.censored, r.note = o.get("censored_above", {}), o.get("note", r.note)
        r.merged = old["machine"].get("date", "?")
        if r.id == "rsp_z0":  # what row 5 found out about breakpoints holds for this run too
            for key, why in r.fail.items():
                if why.startswith("its breakpoint at bench_ready did not stop"):
                    BP_BROKEN[key] = why
                    for v in VMMS:
                        if v.is_qemu and key != "minikvm":
                            BP_BROKEN[v.key] = why
    for k, v in old.get("extra", {}).items():
        if k == "serial_seconds" and "serial" not in run_ids and "serial" in R:
            R["serial"].runs = v  # the row's runs are made from these again
        EXTRA.setdefault(k, v)


class Output:
    """results.json and results.md in one directory, rewritten after every group."""

    def __init__(self, where, machine, runs, slow_runs, serial_bytes):
        self.where, self.machine, self.runs, self.slow_runs = where, machine, runs, slow_runs
        self.serial_bytes = serial_bytes

    def shown_rows(self, groups, R):
        """Every row with a figure or a reason, in title order; serial in MB/s."""
        rows = [R[r.id] for g in groups for r in g.rows
                if R[r.id].runs or R[r.id].fail or R[r.id].censored]
        rows = sorted(rows, key=lambda r: int(r.title.split(".")[0]))
        extra = dict(EXTRA)
        if "serial" in R and R["serial"].runs:
            # serial: seconds -> MB/s, net of the process's own start and exit
            base = {k: statistics.median(v) / 1e3 for k, v in R["start_exit"].runs.items() if v}
            shown = Row("serial", R["serial"].title, R["serial"].unit, R["serial"].better, R["serial"].note)
            shown.fail, shown.skip, shown.censored = R["serial"].fail, R["serial"].skip, R["serial"].censored
            for k, ts in R["serial"].runs.items():
                shown.runs[k] = [self.serial_bytes / max(t - base.get(k, 0.0), 1e-6) / 1e6 for t in ts]
            rows = [shown if r.id == "serial" else r for r in rows]
            extra["serial_seconds"] = R["serial"].runs
            extra["serial_bytes"] = self.serial_bytes
        return rows, extra

    def write(self, groups, R, elapsed, quiet=False):
        machine = self.machine
        rows, extra = self.shown_rows(groups, R)
        for r in rows:
            if getattr(r, "merged", None) and "earlier run" not in r.note:
                r.note = (r.note + " " if r.note else "") + "Figures from an earlier run (%s)." % r.merged
        head, body = table_rows(rows, VMMS)
        notes = ["%s — %s" % (one_line(r.title, 48), r.note) for r in rows if r.note]
        title = "minikvm vs QEMU+KVM on %s KVM (%s)" % (
            {"hardware": "a hardware", "pvm": "a PVM", "emulated-svm": "an EMULATED (QEMU TCG, nested)"}.get(
                machine["host_kind"].split("-qemu")[0], "an unknown"),
            "BENCH_QUICK: 1 run, small sizes" if QUICK else
            "median [min-max] of %d runs, %d for slow rows" % (self.runs, self.slow_runs))
        desc = "Machine: %s, %d CPUs; Linux %s; KVM: %s; %s; %s; %s" % (
            machine["cpu"], machine["cpus"], machine["kernel"], machine["kvm"], machine["qemu"],
            machine["gdb"], machine["date"])
        ratio_note = ("Ratios are minikvm / QEMU of the medians. Where `better` is lower (times), a ratio "
                      "below 1 means minikvm is faster; where it is higher (rates), a ratio above 1 means "
                      "minikvm is faster.")
        if not quiet:
            print("\n".join([title, desc, "", text_table(head, body), "", ratio_note] +
                            ["note: " + n for n in notes]) + "\n")
        md = "\n".join(["# " + title, "", desc, "", md_table(head, body)] + exit_table(extra, VMMS) +
                       ["", ratio_note, ""] + ["- " + n for n in notes] +
                       ["", "Produced by `make bench%s` (scripts/bench.py) in %.0f s; see docs/benchmarks.md."
                        % (" BENCH_QUICK=1" if QUICK else "", elapsed)]) + "\n"
        data = {
            "machine": machine, "quick": QUICK, "runs": self.runs, "slow_runs": self.slow_runs,
            "elapsed_s": elapsed,
            "rows": [{"id": r.id, "title": r.title, "unit": r.unit, "better": r.better, "note": r.note,
                      "runs": r.runs, "fails": r.fail, "not_run": r.skip,
                      "median": {k: statistics.median(v) for k, v in r.runs.items() if v},
                      "ratio": {v.key: num_or_none(ratio(r, v.key)) for v in VMMS if v.is_qemu},
                      "ratio_text": {v.key: ratio(r, v.key) for v in VMMS if v.is_qemu},
                      "censored_above": r.censored} for r in rows],
            "extra": extra,
        }
        for name, text in (("results.json", json.dumps(data, indent=1) + "\n"), ("results.md", md)):
            tmp = os.path.join(self.where, name + ".tmp")
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, os.path.join(self.where, name))
        if not quiet:
            log("wrote %s and %s (%.0f s)" % (os.path.join(self.where, "results.json"),
                                               os.path.join(self.where, "results.md"), elapsed))


def main():
    global QUICK
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.environ.get("BENCH_OUT"),
                    help="where results go (default bench/results/KIND: hardware, pvm or emulated-svm, "
                         "so that figures of different kinds of host never mix)")
    ap.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in ("", "0"))
    ap.add_argument("--runs", type=int, help="runs per row (default 5, 3 for slow rows; 1 with --quick)")
    ap.add_argument("--groups", help="only these groups (comma-separated; see --list)")
    ap.add_argument("--skip-qemu", metavar="REASON",
                    help="measure minikvm alone; QEMU's columns say 'not run: REASON' (e.g. where a "
                         "nested QEMU+KVM under emulation does not get to its first instruction)")
    ap.add_argument("--merge", action="store_true",
                    help="keep the figures of the rows not measured now (see --groups) from DIR/results.json")
    ap.add_argument("--list", action="store_true", help="list the groups and their rows")
    args = ap.parse_args()
    QUICK = args.quick

    hw = hardware_kvm()
    args.out = args.out or os.path.join(ROOT, "bench", "results", host_kind()[0])
    # Under emulation everything is tens of times slower: smaller serial transfers.
    big_serial = host_kind()[0] == "hardware"
    runs = args.runs or (1 if QUICK else 5)
    slow_runs = args.runs or (1 if QUICK else 3)
    serial_bytes = (64 << 10) if QUICK else ((16 << 20) if big_serial else (1 << 20))

    R = {}

    def row(rid, *a, **k):
        R[rid] = Row(rid, *a, **k)
        return R[rid]

    groups = []
    groups.append(Group("start", [row("start_exit", "1. start to first instruction and exit (exit.elf, whole process)",
                                      "ms", "lower")], VMMS, m_start_exit, runs))
    # Row 5 first: it finds out whether a VMM's breakpoints stop the guest here (BP_BROKEN).
    gdb_vmms = [MINIKVM, MICROVM]
    rsp_rows = [
        row("rsp_g", "5. RSP: `g` round trips", "1/s", "higher"),
        row("rsp_step", "5. RSP: single steps (vCont;s)", "1/s", "higher"),
        row("rsp_mem", "5. RSP: memory read, %s in the stub's largest `m`" %
            ("1 MiB" if QUICK else "16 MiB"), "MB/s", "higher"),
        row("rsp_mem_x", "5. RSP: memory read, %s in the stub's largest binary `x`" %
            ("1 MiB" if QUICK else "16 MiB"), "MB/s", "higher"),
        row("rsp_z0", "5. RSP: breakpoint cycles, Z0 (Z, c, stop, z, s)", "1/s", "higher"),
        row("rsp_z1", "5. RSP: breakpoint cycles, Z1 (Z, c, stop, z, s)", "1/s", "higher"),
        row("rsp_ctrlc", "5. RSP: Ctrl-C (0x03) to stop reply", "ms", "lower"),
    ]
    # Many short figures in one session: every run counts, however long the session.
    groups.append(Group("rsp", rsp_rows, gdb_vmms, rsp_all, runs, slow=600.0))
    sk_rows = [row("linux_start_kernel",
                   "2. Linux: process start to `hbreak start_kernel` hit in gdb (vmlinux via PVH; QEMU pc: bzImage)",
                   "s", "lower")]
    pc_skip = {"pc": "not run (BENCH_QUICK)"} if QUICK else {}
    groups.append(Group("linux-start_kernel", sk_rows, VMMS, m_start_kernel, slow_runs,
                        max_runs={"pc": 1}, skip=pc_skip))
    for cpus in (1, 2):
        rows = [row("linux_init_%d" % cpus, "2. Linux boot to `minikvm-init: up` on the console, %d vCPU%s"
                    % (cpus, "s" if cpus > 1 else ""), "s", "lower"),
                row("linux_exit_%d" % cpus, "2. Linux boot to process exit (minikvm.cmd=true), %d vCPU%s"
                    % (cpus, "s" if cpus > 1 else ""), "s", "lower")]
        skip = {} if hw else {v.key: "not run: needs VT-x/AMD-V" for v in VMMS}
        groups.append(Group("linux-boot-%d" % cpus, rows, VMMS, m_linux_boot(cpus), slow_runs, skip=skip))
    exit_rows = [row("linux_exits", "2. Linux boot to process exit, 1 vCPU: VM exits (kvm:kvm_exit)", "exits", "lower"),
                 row("linux_user_exits", "2. ... of which KVM_RUN returned to the VMM (kvm:kvm_userspace_exit)",
                     "exits", "lower")]
    groups.append(Group("linux-exits", exit_rows, [MINIKVM, MICROVM], m_linux_exits, 1,
                        skip={} if hw else {v.key: "not run: needs VT-x/AMD-V" for v in VMMS}))
    serial_vmms = [MINIKVM, MICROVM]
    size = "%d KiB" % (serial_bytes >> 10) if serial_bytes < 1 << 20 else "%d MiB" % (serial_bytes >> 20)
    why = ("BENCH_QUICK" if QUICK else "this host has VT-x/AMD-V" if big_serial
           else "no hardware VT-x/AMD-V here: 16 MiB with")
    groups.append(Group("serial", [row("serial", "3. serial throughput: %s to COM1, an OUT a byte (%s)"
                                       % (size, why), "MB/s", "higher")],
                        serial_vmms, m_serial(serial_bytes), runs if big_serial else slow_runs))
    groups.append(Group("memory", [row("memory", "4. VMM memory: peak RSS minus resident guest RAM (loop.elf, 128 MiB)",
                                       "MiB", "lower")], VMMS, m_memory, slow_runs))
    climit = 30 if QUICK else 60
    gdb_rows = [
        ("gdb-dump", row("gdb_dump", "6. gdb: `dump binary memory` of 16 MiB", "s", "lower"), s_dump),
        ("gdb-cond", row("gdb_cond", "6. gdb: `break f if i == 99999`, 100 000 calls, continue to the stop",
                         "s", "lower"), s_cond("break", 600)),
        ("gdb-hcond", row("gdb_hcond", "6. gdb: `hbreak f if i == 99999` (the same with a hardware breakpoint)",
                          "s", "lower", note="Not in issue 5's list: QEMU's figure where its software "
                          "breakpoints fail; runs are stopped after %d s." % climit), s_cond("hbreak", climit)),
        ("gdb-next", row("gdb_next", "6. gdb: `next` over a 100 000-instruction statement", "s", "lower"), s_next),
        ("gdb-stepi", row("gdb_stepi", "6. gdb: `stepi 10000`", "s", "lower"), s_stepi),
    ]
    for name, r, body in gdb_rows:
        groups.append(Group(name, [r], gdb_vmms, gdb_scenario(r.id, body), slow_runs))
    gdb_rows = [r for _, r, _ in gdb_rows]
    others = [v.label for v in VMMS if v.is_qemu and v not in serial_vmms]
    R["serial"].note = ("MB/s = bytes / (wall time - the VMM's row-1 median, when row 1 ran). "
                        "%s not run (the same UART code as microvm)." % ", ".join(others))
    for r in rsp_rows + gdb_rows:
        r.skip["pc"] = "not run (same gdb stub as microvm)"
    R["rsp_mem"].note = "Read sizes: see results.json (rsp_mem_chunk, rsp_mem_x_chunk)."

    if args.list:
        for g in groups:
            print("%-20s %s" % (g.name, "; ".join(r.id for r in g.rows)))
        return 0
    all_groups = groups
    if args.groups:
        want = set(args.groups.split(","))
        groups = [g for g in groups if g.name in want]

    for path in (minikvm_path(), EXIT_ELF, SERIAL_ELF, LOOP_ELF):
        if not os.path.exists(path):
            log("%s is missing: run `make minikvm guests bench-guests` first (or `make bench`)" % path)
            return 1
    if not ensure_tool(gdb_path(), "gdb")[0]:
        log("gdb is missing and could not be installed: apt-get install gdb")
        return 1
    qemu, why = ensure_tool(qemu_path(), "qemu-system-x86")
    qemu_version = version_of([qemu, "--version"]) if qemu else ""
    if not qemu or args.skip_qemu:
        for v in VMMS:
            if v.is_qemu:
                v.unavailable = "not run: " + args.skip_qemu if args.skip_qemu else why
    SYMS.update(symbols(LOOP_ELF))
    machine = machine_description(qemu_version)
    log("machine: %s; %d CPUs; kernel %s; KVM %s; %s" % (machine["cpu"], machine["cpus"], machine["kernel"],
                                                         machine["kvm"], qemu_version))

    os.makedirs(args.out, exist_ok=True)
    run_ids = {r.id for g in groups for r in g.rows}
    if args.merge:
        merge_previous(args.out, R, run_ids, machine)
    out = Output(args.out, machine, runs, slow_runs, serial_bytes)
    start_heartbeat()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="minikvm-bench-") as workdir:
        try:
            for g in groups:
                run_group(g, workdir)
                # After each group: a host that freezes later (docs/testing.md) loses no figure.
                out.write(all_groups, R, time.monotonic() - started, quiet=True)
        finally:
            for gdb in list(GDBS.values()):
                gdb.close()
    out.write(all_groups, R, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    sys.exit(main())
