#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gdb sessions against minikvm-riscv64, all in one boot of the RISC-V host.

    import riscv_gdb
    ran = riscv_gdb.run([
        riscv_gdb.Session("hello", ["./minikvm-riscv64", "-S", "guest/riscv/hello.elf"],
                          ["p/x $pc", "stepi", "p/x $pc", "kill"]),
        riscv_gdb.Session("smp", ["./minikvm-riscv64", "-c", "2", "-S", "guest/riscv/smp.elf"],
                          my_function),
    ])
    ran["hello"].output, ran["hello"].stderr, ran["hello"].status

    python3 tests/riscv_gdb.py --selftest

minikvm-riscv64 runs where a RISC-V /dev/kvm works (scripts/onkvm-riscv64:
here an emulated host, up in under 10 s on an idle machine), gdb-multiarch
runs here. One
boot serves every session: onkvm-riscv64 --forward runs a shell script that,
for each session in turn, waits for one connection with
`busybox nc -l -p PORT -e ARGV...` and runs the session's minikvm on it, with
--gdb stdio (the protocol on stdin and stdout, which nc makes the connection;
the guest's serial output on stderr) inserted after ARGV[0]. minikvm's stderr
goes to build-riscv64/riscv-gdb/NAME.err and its exit status to NAME.status,
on the filesystem the host shares with this machine.

Each session has a port of its own: a connection made before nc listens is
taken by QEMU and closed at once, so gdb tries again (every second, for
CONNECT_TIMEOUT seconds, or the host's boot for the first); on one port a try
that came late could reach the next session's nc. A session's gdb commands
run in gdb-multiarch -batch with the session's ELF (the last argument of
ARGV, if it is one), whose architecture gdb takes from the ELF and from the
stub's target description; a try that did not connect stops before the
commands. minikvm outlives a gdb that detaches (the guest runs on): end a
session with `kill`, or run a guest that ends; each session is stopped
inside after CONNECT_TIMEOUT + its timeout seconds (status 143).

A session's gdb may instead be a function: it is called with the session's
Attach (port, elf; gdb(commands) runs gdb-multiarch as above, retry(attempt)
the same retries for a connection of its own) and what it returns is the
session's output.

Where a riscv64 /dev/kvm works, onkvm-riscv64 runs the script here (busybox
must then be installed) and nc listens on all of this machine's addresses
for as long as a session waits; emulated, only 127.0.0.1 here reaches it.

Everything is bounded: the host is stopped (every process of its session) when the
sessions are done, at the latest after the sum of their bounds, and on any
error. Run it as every use of onkvm-riscv64 here: under the machine's
emulated-host lock, if it has one.

Exit status of --selftest: 0 passed, 1 failed.
"""
import argparse
import os
import shlex
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ONKVM_RISCV64 = os.path.join(ROOT, "scripts", "onkvm-riscv64")
GDB = "gdb-multiarch"
WORK = os.path.join("build-riscv64", "riscv-gdb")  # relative to ROOT, where the host runs
BOOT_TIMEOUT = 600       # the host's boot (a first run also fetches its kernel)
CONNECT_TIMEOUT = 120    # a session's nc listening, from the previous session's end
SESSION_TIMEOUT = 120    # a session's gdb run, once connected
END_TIMEOUT = 60         # the host's power-off after the last session
NOT_CONNECTED = 75       # gdb's exit status when target remote failed (CONNECT_PY)

# Run by gdb before the session's commands: connect, or quit at once.
CONNECT_PY = """import gdb
try:
    gdb.execute("target remote 127.0.0.1:%d" % int(gdb.parse_and_eval("$riscv_gdb_port")))
except gdb.error as e:
    print("riscv_gdb: not connected: %s" % e)
    gdb.execute("quit {}")
""".format(NOT_CONNECTED)


class Session:
    """One minikvm run and the gdb that drives it.

    argv: the command, relative to the tree's top (["./minikvm-riscv64", ...]);
    gdb: gdb commands (a list) or a function of an Attach; elf: the file gdb
    loads (default: argv's last word if it is an ELF file, else none);
    timeout: seconds for the gdb run once connected; gdb_stdio: False runs argv
    as it is, without --gdb stdio (a stand-in, as in --selftest); listen: the
    stub listens on the port itself (--gdb 0.0.0.0:PORT; --gdb-allow-uid any,
    as QEMU's user network brings gdb from an address whose uid cannot be
    known), without nc: the guest runs before gdb comes, and gdb may come
    again after a detach (attach later, reattach). The session ends when
    minikvm does."""

    def __init__(self, name, argv, gdb, elf=None, timeout=SESSION_TIMEOUT, gdb_stdio=True,
                 listen=False):
        self.name, self.gdb, self.timeout, self.listen = name, gdb, timeout, listen
        if listen:
            self.argv = [argv[0], "--gdb", "0.0.0.0:{port}", "--gdb-allow-uid", "any"] + list(argv[1:])
        elif gdb_stdio:
            self.argv = [argv[0], "--gdb", "stdio"] + list(argv[1:])
        else:
            self.argv = list(argv)
        self.elf = elf if elf is not None else elf_of(argv)


def elf_of(argv):
    path = os.path.join(ROOT, argv[-1])
    try:
        with open(path, "rb") as f:
            return argv[-1] if f.read(4) == b"\x7fELF" else None
    except OSError:
        return None


class Result:
    """What a session gave: output (gdb's stdout and stderr, or what the function
    returned), stderr (minikvm's: its messages and the guest's serial output),
    status (minikvm's exit status; None if it did not end), connected, attempts."""

    def __init__(self, name):
        self.name = name
        self.output = None
        self.stderr = ""
        self.status = None
        self.connected = False
        self.attempts = 0

    def __repr__(self):
        return ("riscv_gdb.Result(%s: status %s, connected %s after %d attempts)\n--- output:\n%s\n--- stderr:\n%s"
                % (self.name, self.status, self.connected, self.attempts, self.output, self.stderr))


class Ran(dict):
    """name -> Result, and the host: host_status (onkvm-riscv64's exit status,
    None if it was stopped), host_stderr (its stderr)."""
    host_status = None
    host_stderr = ""


class Attach:
    """A session's end here: where to connect, until when, and the retries."""

    def __init__(self, session, port, result, deadline, host):
        self.session, self.port, self.result, self.deadline = session, port, result, deadline
        self.elf = session.elf
        self.host = host
        self.status_file = os.path.join(ROOT, WORK, session.name + ".status")

    def ended(self):
        """The session's minikvm has ended (its status is written), or the host has."""
        return self.host.poll() is not None or read_status(self.status_file) is not None

    def retry(self, attempt):
        """attempt() returns (connected, value); call it until it connects, the
        session has ended or its deadline has passed; the last value."""
        while True:
            self.result.attempts += 1
            connected, value = attempt()
            if connected or self.ended() or time.monotonic() > self.deadline:
                self.result.connected = connected
                return value
            time.sleep(1)

    def gdb(self, commands):
        """gdb-multiarch's output for the commands, connected to the session."""
        argv = [GDB, "-nx", "-batch", "-ex", "set confirm off", "-ex", "set tcp auto-retry off",
                "-ex", "set remotetimeout 60", "-ex", "set $riscv_gdb_port = %d" % self.port,
                "-x", os.path.join(WORK, "connect.py")]
        for c in commands:
            argv += ["-ex", c]
        if self.elf:
            argv.append(self.elf)

        def attempt():
            try:
                p = subprocess.run(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace",
                                   timeout=self.session.timeout)
            except subprocess.TimeoutExpired as e:
                out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
                return True, out + "\nriscv_gdb: gdb did not end within %d s" % self.session.timeout
            return p.returncode != NOT_CONNECTED, p.stdout
        return self.retry(attempt)


def read_status(path):
    try:
        with open(path) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def free_ports(n):
    """n distinct free TCP ports of 127.0.0.1 here."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def script(sessions, ports):
    """The host's shell script: each session in turn, on its port. The status
    is written after a sync, and synced (the host's 9p caches writes): once it
    is seen here, the session's stderr is all here too."""
    lines = []
    for s, port in zip(sessions, ports):
        base = shlex.quote(os.path.join(WORK, s.name))
        argv = " ".join(shlex.quote(a.replace("{port}", str(port))) for a in s.argv)
        # nc: stdout is the connection; listening itself, the guest's output is on stdout: keep it too.
        run, out = ("", " >%s.err 2>&1" % base) if s.listen else ("busybox nc -l -p %d -e " % port,
                                                                   " 2>%s.err" % base)
        lines.append("busybox timeout %d %s%s%s; s=$?; sync; echo $s >%s.status; sync"
                     % (CONNECT_TIMEOUT + s.timeout, run, argv, out, base))
    return "\n".join(lines)


def session_pids(sid):
    """The processes of session sid (from /proc/PID/stat)."""
    pids = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid:  # state, ppid, pgrp, session
            pids.append(int(d))
    return pids


def stop(host):
    """End the host: every process of its session (under ONKVM_TIMEOUT, QEMU
    is in a process group of its own), SIGKILL for those left after 30 s."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        host.poll()  # a zombie is still in its session until reaped
        pids = session_pids(host.pid)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + grace
        while pids and time.monotonic() < end:
            time.sleep(0.2)
            host.poll()
            pids = session_pids(host.pid)
        if not pids:
            break
    host.wait()


def run(sessions):
    """Run the sessions, in order, in one boot of the RISC-V host: a Ran."""
    names = [s.name for s in sessions]
    if len(set(names)) != len(names) or any(not n or "/" in n for n in names):
        raise ValueError("session names must be distinct file names: %s" % names)
    work = os.path.join(ROOT, WORK)
    os.makedirs(work, exist_ok=True)
    for name in os.listdir(work):
        os.unlink(os.path.join(work, name))
    with open(os.path.join(work, "connect.py"), "w") as f:
        f.write(CONNECT_PY)
    ports = free_ports(len(sessions))
    bound = BOOT_TIMEOUT + sum(CONNECT_TIMEOUT + s.timeout for s in sessions) + END_TIMEOUT
    env = dict(os.environ)
    env.setdefault("ONKVM_TIMEOUT", str(bound))
    ran = Ran()
    with open(os.path.join(work, "host.err"), "w+") as err:
        host = subprocess.Popen([ONKVM_RISCV64, "--forward", ",".join(map(str, ports)),
                                 "sh", "-c", script(sessions, ports)],
                                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)
        try:
            wait = BOOT_TIMEOUT
            for s, port in zip(sessions, ports):
                result = ran[s.name] = Result(s.name)
                attach = Attach(s, port, result, time.monotonic() + wait + CONNECT_TIMEOUT, host)
                result.output = s.gdb(attach) if callable(s.gdb) else attach.gdb(s.gdb)
                # Until minikvm has ended inside (the next session's nc listens then).
                end = time.monotonic() + CONNECT_TIMEOUT + s.timeout
                while not attach.ended() and time.monotonic() < end:
                    time.sleep(0.5)
                result.status = read_status(attach.status_file)
                wait = 0
            try:
                ran.host_status = host.wait(END_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        finally:
            stop(host)
            err.seek(0)
            ran.host_stderr = err.read()
    for s in sessions:
        try:
            with open(os.path.join(work, s.name + ".err"), errors="replace") as f:
                ran[s.name].stderr = f.read()
        except OSError:
            pass
    return ran


# --- The self-test: the plumbing, with busybox cat for minikvm ----------------

def echo_through(payload):
    """A function for Session: send payload on a connection of its own and
    return what comes back until the other end closes (None: nothing came)."""
    def talk(attach):
        def attempt():
            got = bytearray()
            try:
                with socket.create_connection(("127.0.0.1", attach.port), timeout=30) as c:
                    c.sendall(payload)
                    c.shutdown(socket.SHUT_WR)
                    while True:
                        data = c.recv(65536)
                        if not data:
                            break
                        got += data
            except OSError:
                pass  # refused, reset: QEMU had no one to pass it to
            return bool(got), bytes(got) if got else None
        return attach.retry(attempt)
    return talk


def selftest():
    payload = bytes(range(256)) * 64
    ran = run([
        Session("cat", ["busybox", "cat"], echo_through(payload), gdb_stdio=False),
        Session("cat_status", ["busybox", "sh", "-c", "echo cat_status on stderr >&2; busybox cat; exit 3"],
                echo_through(b"second session\n"), gdb_stdio=False),
    ])
    failed = []

    def check(what, ok, detail):
        print("%s %s" % ("PASS" if ok else "FAIL", what), flush=True)
        if not ok:
            failed.append(what)
            print(detail, flush=True)

    cat, second = ran.get("cat"), ran.get("cat_status")
    check("echo: %d bytes back, byte for byte (%s attempts)" % (len(payload), cat and cat.attempts),
          cat is not None and cat.output == payload, repr(cat)[:3000])
    check("echo: status 0, empty stderr", cat is not None and cat.status == 0 and cat.stderr == "",
          repr(cat)[:3000])
    check("second session on its own port: echo, stderr, status 3 (%s attempts)" % (second and second.attempts),
          second is not None and second.output == b"second session\n" and
          second.stderr == "cat_status on stderr\n" and second.status == 3, repr(second)[:3000])
    check("the host ended by itself with status 0", ran.host_status == 0,
          "host status %s\n%s" % (ran.host_status, ran.host_stderr[-3000:]))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--selftest", action="store_true",
                    help="busybox cat for minikvm: bytes echoed through --forward, two sessions in one boot")
    args = ap.parse_args()
    if not args.selftest:
        ap.error("nothing to do: this is a module for tests (import riscv_gdb); --selftest tries it")
    sys.exit(selftest())


if __name__ == "__main__":
    main()
