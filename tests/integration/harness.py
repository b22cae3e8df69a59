# SPDX-License-Identifier: MIT
"""Helpers shared by the integration tests."""
import os
import re
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUEST = os.path.join(ROOT, "guest")
MINIKVM = os.path.join(ROOT, "build", "minikvm")  # set by run.py


class Skip(Exception):
    """Raised by a test that cannot run on this host; the message names why."""


def kvm_problem():
    """None when /dev/kvm is usable, else a reason."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
        os.close(fd)
        return None
    except OSError as e:
        return "/dev/kvm: " + e.strerror


_host_kind = []


def host_kind():
    """What minikvm's probe calls this host's KVM ("hardware VT-x/AMD-V",
    "PVM (...)", "emulated AMD-V (...)"), from its -v output."""
    if not _host_kind:
        d = tempfile.mkdtemp(prefix="minikvm-kind-")
        try:
            proc = subprocess.run([MINIKVM, "-v", "-g", "unix:" + os.path.join(d, "s"),
                                   guest("hello16.bin")], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        err = proc.stderr.decode(errors="replace")
        kind = [l.split("host KVM: ", 1)[1] for l in err.splitlines() if "host KVM: " in l]
        kind = kind[0] if kind else "unknown (minikvm -v said: %s)" % err[-300:]
        if os.environ.get("ONKVM_QEMU_VERSION"):
            kind += ", made by QEMU %s" % os.environ["ONKVM_QEMU_VERSION"]
        _host_kind.append(kind)
    return _host_kind[0]


def symbols(elf):
    """{name: address} of an ELF's symbols (nm)."""
    out = subprocess.run(["nm", elf], stdout=subprocess.PIPE, text=True, check=True).stdout
    return {f[2]: int(f[0], 16) for f in (l.split() for l in out.splitlines()) if len(f) == 3}


def guest(name):
    return os.path.join(GUEST, name)


class Result:
    def __init__(self, status, stdout, stderr):
        self.status = status
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self):
        return "exit %d\n--- stdout:\n%s\n--- stderr:\n%s" % (
            self.status, self.stdout.decode(errors="replace")[-3000:],
            self.stderr.decode(errors="replace")[-3000:])


def run(args, stdin=b"", timeout=60, env=None, binary=None):
    """Run minikvm (or binary) with args; stdin bytes (None: inherit nothing, /dev/null)."""
    proc = subprocess.run([binary or MINIKVM] + list(args), input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, env=env)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def expect(res, status, stdout=None, stderr_contains=None):
    """Assert exit status and (exact) stdout, with a readable failure."""
    assert res.status == status, "expected exit %d, got %r" % (status, res)
    if stdout is not None:
        out = stdout.encode() if isinstance(stdout, str) else stdout
        assert res.stdout == out, "stdout mismatch: expected %r, got %r" % (out, res)
    if stderr_contains is not None:
        err = res.stderr.decode(errors="replace")
        assert stderr_contains in err, "stderr lacks %r: %r" % (stderr_contains, res)


# ---- gdb sessions ------------------------------------------------------------

import json  # noqa: E402
import select  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402

GDB = shutil.which("gdb") or "gdb"


def elf_bytes(elf, addr, n):
    """n bytes of the ELF's loaded image at virtual address addr (objdump -s)."""
    out = subprocess.run(["objdump", "-s", "--start-address=%#x" % addr,
                          "--stop-address=%#x" % (addr + n), elf],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    data = b""
    # Four groups a line; five on the first when addr is not aligned ("554889 e54883ec ... e8").
    for m in re.finditer(r"^ ([0-9a-f]+) ((?:[0-9a-f]{2,8} ){1,5})", out, re.M):
        data += bytes.fromhex(m.group(2).replace(" ", ""))
    return data[:n]


def source_line(path, text):
    """The 1-based line number of the first line of path containing text."""
    with open(os.path.join(ROOT, path)) as f:
        for n, line in enumerate(f, 1):
            if text in line:
                return n
    raise AssertionError("%r not in %s" % (text, path))


class Vmm:
    """minikvm in the background with its gdb stub on a private unix socket."""

    def __init__(self, args, gdb_args=None, stdin=subprocess.DEVNULL):
        self.dir = tempfile.mkdtemp(prefix="minikvm-gdb-")
        self.sock = os.path.join(self.dir, "gdb.sock")
        gdb_args = gdb_args if gdb_args is not None else ["-g", "unix:" + self.sock]
        self.out_path = os.path.join(self.dir, "stdout")
        self.err_path = os.path.join(self.dir, "stderr")
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([MINIKVM] + gdb_args + list(args), stdin=stdin,
                                     stdout=self.out, stderr=self.err)
        if "-g" in gdb_args and gdb_args[gdb_args.index("-g") + 1].startswith("unix:"):
            self.wait_for(lambda: os.path.exists(self.sock), "the gdb socket")

    def wait_for(self, cond, what, timeout=20.0):
        end = time.monotonic() + timeout
        while not cond():
            if self.proc.poll() is not None:
                raise AssertionError("minikvm exited (%d) before %s: %s" % (
                    self.proc.returncode, what, self.stderr()))
            if time.monotonic() > end:
                raise AssertionError("timed out waiting for " + what)
            time.sleep(0.01)

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_output(self, text, timeout=20.0):
        self.wait_for(lambda: text in self.stdout(), repr(text), timeout)

    def finish(self, timeout=30):
        """Wait for minikvm to end; returns its exit status (output stays readable)."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("minikvm did not end; stderr: " + self.stderr())

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


GDB_PRELUDE = r'''
import gdb, json, traceback
R = {}
def ex(c):
    return gdb.execute(c, to_string=True)
def ev(e):
    return int(gdb.parse_and_eval(e))
def evs(e):
    return str(gdb.parse_and_eval(e))
def frames():
    f, out = gdb.newest_frame(), []
    while f is not None:
        out.append(f.name())
        f = f.older()
    return out
def line():
    return gdb.selected_frame().find_sal().line
def fn():
    return gdb.selected_frame().name()
gdb.execute("set confirm off")
gdb.execute("set pagination off")
try:
'''

GDB_EPILOGUE = r'''
except Exception:
    R["error"] = traceback.format_exc()
print("@@RESULT " + json.dumps(R))
'''


def run_gdb(vmm_or_target, elf, body, timeout=90, gdb_opts=(), core=None):
    """Run a gdb Python script against a target; returns the dict R it filled.

    body is Python run inside gdb after "target remote"; it stores results
    in R. Any exception inside becomes an assertion failure here. With core
    (and vmm_or_target None) gdb opens elf and that core file instead.
    """
    if core:
        script = GDB_PRELUDE + "    pass\n"
        gdb_opts = tuple(gdb_opts) + (elf, core)
        elf = None
    else:
        target = vmm_or_target.sock if isinstance(vmm_or_target, Vmm) else vmm_or_target
        script = GDB_PRELUDE + "    gdb.execute('target remote %s')\n" % target
    script += "".join("    " + l + "\n" for l in body.strip("\n").splitlines())
    script += GDB_EPILOGUE
    fd, path = tempfile.mkstemp(suffix=".py", prefix="minikvm-gdb-")
    os.write(fd, script.encode())
    os.close(fd)
    try:
        cmd = [GDB, "-nx", "-q", "-batch"] + list(gdb_opts) + ([elf] if elf else []) + ["-x", path]
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
    finally:
        os.unlink(path)
    out = proc.stdout.decode(errors="replace")
    for l in out.splitlines():
        if l.startswith("@@RESULT "):
            r = json.loads(l[9:])
            assert "error" not in r, "gdb script failed:\n%s\n--- gdb output:\n%s" % (
                r["error"], out[-3000:])
            r["_output"] = out
            return r
    raise AssertionError("gdb gave no result (exit %d):\n%s" % (proc.returncode, out[-3000:]))


class Rsp:
    """A raw GDB remote-protocol client, for what gdb itself cannot be asked to do."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(20)
        # The socket file appears at bind(), a moment before listen(): until
        # then a connect is refused (seen on slow, emulated hosts); a full
        # backlog (minikvm has not accepted the last ones yet) says EAGAIN.
        end = time.monotonic() + 20
        while True:
            try:
                self.s.connect(path)
                break
            except (ConnectionRefusedError, BlockingIOError):
                if time.monotonic() > end:
                    raise
                time.sleep(0.01)
        self.buf = b""

    def send_raw(self, data):
        self.s.sendall(data)

    def send(self, payload):
        if isinstance(payload, str):
            payload = payload.encode()
        self.s.sendall(b"$" + payload + b"#%02x" % (sum(payload) & 0xff))

    def reply(self):
        """The next packet's payload (acks skipped, ack sent), un-RLE'd."""
        while True:
            while b"#" not in self.buf or len(self.buf) < self.buf.index(b"#") + 3:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise EOFError("connection closed")
                self.buf += chunk
            start = self.buf.find(b"$")
            if start < 0:
                self.buf = b""
                continue
            end = self.buf.index(b"#", start)
            if len(self.buf) < end + 3:
                continue
            payload = self.buf[start + 1:end]
            self.buf = self.buf[end + 3:]
            try:
                self.s.sendall(b"+")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the stub's last word (W00: the guest ended and minikvm with it)
            return self.unrle(payload)

    @staticmethod
    def unrle(p):
        out = bytearray()
        i = 0
        while i < len(p):
            c = p[i]
            if c == ord("*") and out:
                out += bytes([out[-1]]) * (p[i + 1] - 29)
                i += 2
            else:
                out.append(c)
                i += 1
        return bytes(out)

    def cmd(self, payload):
        self.send(payload)
        return self.reply()

    def close(self):
        self.s.close()
