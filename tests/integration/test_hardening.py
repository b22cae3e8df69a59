# SPDX-License-Identifier: MIT
"""A careless or hostile gdb client, a second minikvm, an exposed port:
minikvm never freezes, never loses its socket, never stays silent.
(docs/security.md says what is defended and what is not.)"""
import os
import re
import signal
import socket
import subprocess
import time

import harness
from harness import Rsp, Vmm, guest

TICKER = guest("ticker.elf")
CK = guest("ckernel.elf")


def ticks(vm):
    return vm.stdout().count("tick ")


def test_client_that_never_reads_is_dropped_and_signals_still_work():
    # A client that asks for 64 KiB of memory again and again and never reads
    # a reply. Before: minikvm blocked in write() holding the debugger's lock,
    # and SIGTERM, Ctrl-A x and the guest's own exit were ignored.
    with Vmm([TICKER]) as vm:
        vm.wait_output("tick 1\n")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(vm.sock)
        s.settimeout(5)
        def wire(p):
            return b"$" + p + b"#%02x" % (sum(p) & 0xff)
        s.sendall(b"+" + wire(b"QStartNoAckMode"))
        time.sleep(0.2)
        sent = 0
        try:
            for _ in range(400):  # 400 replies of 128 KiB of hex: far past minikvm's 4 MiB queue
                s.sendall(wire(b"m100000,10000"))
                sent += 1
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # dropped (or our own send buffer is full): either way minikvm moved on
        vm.wait_for(lambda: "dropping the gdb connection" in vm.stderr(), "the client dropped",
                    timeout=60)
        assert "does not read its replies" in vm.stderr() or "has not read" in vm.stderr(), \
            vm.stderr()
        # As on any disconnect, the guest runs on.
        n = ticks(vm)
        vm.wait_output("tick %d\n" % (n + 1))
        vm.proc.send_signal(signal.SIGTERM)
        assert vm.finish(timeout=20) == 128 + signal.SIGTERM
        s.close()
        assert sent > 0


def test_suspended_client_does_not_block_sigterm():
    # Like a gdb stopped with Ctrl-Z while minikvm has replies for it: it
    # reads nothing, and minikvm still ends on SIGTERM at once.
    with Vmm(["-S", CK]) as vm:
        c = Rsp(vm.sock)
        c.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.send_raw(b"+")
        assert c.cmd("qC") == b"QC1"
        for _ in range(40):
            c.send(b"m100000,10000")
        time.sleep(0.5)
        vm.proc.send_signal(signal.SIGTERM)
        assert vm.finish(timeout=20) == 128 + signal.SIGTERM
        c.close()


def test_second_minikvm_does_not_steal_a_live_unix_socket():
    with Vmm(["-S", CK]) as first:
        proc = subprocess.run([harness.MINIKVM, "-g", "unix:" + first.sock, "-S", CK],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        assert proc.returncode == 1, proc
        assert proc.stderr.decode() == (
            "minikvm: cannot listen for gdb on unix:%s: another process (a running minikvm?) "
            "listens there\n" % first.sock), proc.stderr
        # The first one still has its socket and answers on it.
        c = Rsp(first.sock)
        c.send_raw(b"+")
        assert c.cmd("qC") == b"QC1"
        c.send(b"k")
        c.close()
        assert first.finish() == 0


def test_stale_socket_is_replaced_and_only_our_own_is_removed():
    d = harness.tempfile.mkdtemp()
    path = os.path.join(d, "gdb.sock")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()  # a socket file nobody listens on: a crashed run's
    proc = subprocess.Popen([harness.MINIKVM, "-g", "unix:" + path, "-S", CK],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 20
        while True:  # until minikvm listens there (the stale file refuses)
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError, BlockingIOError):
                assert proc.poll() is None and time.monotonic() < end, "minikvm did not take the path"
                time.sleep(0.01)
            finally:
                probe.close()
        c = Rsp(path)  # it listens there now
        c.send_raw(b"+")
        assert c.cmd("qC") == b"QC1"
        c.send(b"D")
        assert c.reply() == b"OK"
        c.close()
        # Someone replaces the file while minikvm runs (another minikvm after ours went stale).
        os.unlink(path)
        other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        other.bind(path)
        other.listen(1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 128 + signal.SIGTERM
        assert os.path.exists(path), "minikvm removed a socket that was not its own"
        other.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    harness.shutil.rmtree(d)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_non_loopback_bind_warns():
    port = free_port()
    warning = ("minikvm: warning: 0.0.0.0:%d is reachable from other machines, and the gdb "
               "protocol has no authentication" % port)
    with Vmm(["-S", CK], gdb_args=["-g", "0.0.0.0:%d" % port]) as vm:
        vm.wait_for(lambda: warning in vm.stderr(), "the warning")
        # By default a peer on another machine, whose uid cannot be known, is refused.
        assert "refuses peers on other machines (their uid cannot be known) unless " \
            "--gdb-allow-uid any" in vm.stderr(), vm.stderr()
    port = free_port()
    with Vmm(["-S", CK], gdb_args=["-g", "0.0.0.0:%d" % port, "--gdb-allow-uid", "any"]) as vm:
        vm.wait_for(lambda: "gdb stub listening on" in vm.stderr(), "the stub")
        vm.wait_for(lambda: "whoever connects can read and write all guest memory" in vm.stderr(),
                    "the warning for anyone")
    port = free_port()
    with Vmm(["-S", CK], gdb_args=["-g", "127.0.0.1:%d" % port]) as vm:
        vm.wait_for(lambda: "gdb stub listening on" in vm.stderr(), "the stub")
        # A reply from the stub comes after anything minikvm prints at setup.
        c = socket.create_connection(("127.0.0.1", port), timeout=20)
        c.sendall(b"+$qC#b4")
        reply = b""
        while b"#" not in reply:
            chunk = c.recv(4096)
            assert chunk, "connection closed"
            reply += chunk
        c.close()
        assert b"QC1" in reply, reply
        assert "warning" not in vm.stderr(), vm.stderr()


def test_breakpoint_identity_is_type_address_kind():
    # Two Z0 at one address with different kinds are two breakpoints; each
    # z removes its own, and the original byte comes back only with the last.
    leaf = harness.symbols(CK)["leaf"]
    with Vmm(["-S", CK]) as vm:
        c = Rsp(vm.sock)
        c.send_raw(b"+")
        assert b"swbreak+" in c.cmd("qSupported:swbreak+;hwbreak+")  # stop replies name the reason
        orig = c.cmd("m%x,1" % leaf)
        assert re.fullmatch(rb"[0-9a-f]{2}", orig), orig
        assert c.cmd("Z0,%x,1" % leaf) == b"OK"
        assert c.cmd("Z0,%x,2" % leaf) == b"OK"
        assert c.cmd("m%x,1" % leaf) == orig           # gdb sees the original byte
        assert c.cmd("z0,%x,1" % leaf) == b"OK"
        assert c.cmd("z0,%x,1" % leaf) == b"OK"        # idempotent: gone already
        c.send(b"vCont;c")
        stop = c.reply()                                # the kind-2 one is still there
        assert stop.startswith(b"T05") and b"swbreak" in stop, stop
        assert int.from_bytes(bytes.fromhex(c.cmd("p10").decode()), "little") == leaf  # RIP
        assert c.cmd("z0,%x,2" % leaf) == b"OK"
        assert c.cmd("m%x,1" % leaf) == orig
        c.send(b"vCont;c")
        assert c.reply().startswith(b"W00")              # no breakpoint left: runs to its end
        c.close()
        assert vm.finish() == 0


def vm_rss_kib(pid):
    """minikvm's resident memory, the guest's RAM left out.

    The guest RAM mapping (128 MiB here) is the guest's: the host's
    khugepaged may make a 2 MiB huge page of it at any moment, which RSS
    counts; that is no leak of minikvm's.
    """
    total, size = 0, 0
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            if line.startswith("Size:"):
                size = int(line.split()[1])
            elif line.startswith("Rss:") and size < 64 * 1024:
                total += int(line.split()[1])
    return total


def no_huge_pages():
    """No transparent huge pages for this process and the ones it starts from
    now on (PR_SET_THP_DISABLE, kept across fork and exec): khugepaged may
    otherwise turn 4 KiB of minikvm's heap into a 2 MiB page at any moment,
    which RSS counts, growth that is no leak. (Set here, in the test runner,
    not in a preexec_fn: forking a threaded Python into ctypes can hang.)"""
    import ctypes
    assert ctypes.CDLL(None, use_errno=True).prctl(41, 1, 0, 0, 0) == 0


def vm_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def random_packet(rng, lo, hi):
    """A read-only or self-undoing request, well-formed or not (never resumes or kills)."""
    addr = rng.randrange(lo, hi)
    choice = rng.randrange(14)
    if choice == 0:
        return [b"?", b"g", b"qC", b"qfThreadInfo", b"qsThreadInfo", b"vCont?", b"qAttached",
                b"qSupported:swbreak+;hwbreak+", b"qXfer:features:read:target.xml:0,3fff",
                b"qXfer:threads:read::0,fff", b"QStartNoAckMode", b"Hg2", b"Hc-1", b"T1"][
                    rng.randrange(14)]
    if choice == 1:
        return b"m%x,%x" % (addr, rng.randrange(1, 0x900))
    if choice == 2:
        return b"p%x" % rng.randrange(0, 0x60)
    if choice == 3:
        return b"Z0,%x,1" % addr
    if choice == 4:
        return b"z0,%x,1" % addr
    if choice == 5:
        n = rng.choice([1, 2, 4, 8])
        return b"Z%d,%x,%x" % (rng.randrange(1, 5), addr & ~(n - 1), n)
    if choice == 6:
        return b"qRcmd," + b"".join(b"%02x" % c for c in rng.choice(
            [b"info sregs", b"stats", b"translate 0x100000", b"help", b"phys on", b"phys off",
             b"bogus command"]))
    if choice == 7:  # noise, behind a letter no request starts with ("k" alone would kill)
        return b"~" + bytes(rng.randrange(32, 127) for _ in range(rng.randrange(0, 40)))
    if choice == 8:
        return b"T%x" % rng.randrange(0, 100)
    if choice == 9:
        return b"m%x" % addr                 # malformed
    if choice == 10:
        return b"Z0,%x" % addr               # malformed
    if choice == 11:
        return b"vCont;x"                    # unknown action
    if choice == 12:
        return b"qRcmd,zz"                   # bad hex
    return b"X%x,0:" % addr                  # an empty binary write: changes nothing


def test_soak_connect_detach_and_random_sessions():
    # 500 attach/detach cycles and 200 sessions of random requests against a
    # running two-vCPU guest: it still runs, minikvm's memory stays flat and
    # no fd leaks.
    import random
    rng = random.Random(20261204)
    syms = harness.symbols(TICKER)
    lo, hi = 0x100000, max(v for k, v in syms.items() if v < 0x200000)
    no_huge_pages()
    with Vmm(["-c", "2", TICKER]) as vm:
        vm.wait_output("tick 1\n")

        def attach_detach():
            for _ in range(100):
                c = Rsp(vm.sock)
                try:
                    c.send_raw(b"+")
                    stop = c.cmd("?")
                except (EOFError, ConnectionResetError, BrokenPipeError):
                    # Turned away: minikvm had not yet seen the last client go.
                    c.close()
                    time.sleep(0.02)
                    continue
                assert stop.startswith(b"T"), stop
                assert c.cmd("D") == b"OK"
                c.close()
                return
            raise AssertionError("never got a session")

        def random_session():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            for _ in range(2000):
                try:
                    s.connect(vm.sock)
                    break
                except BlockingIOError:
                    time.sleep(0.01)  # the backlog is full: minikvm has not accepted yet
            try:
                for _ in range(rng.randrange(1, 25)):
                    p = random_packet(rng, lo, hi)
                    bad = rng.randrange(10) == 0
                    s.sendall(b"$" + p + b"#%02x" % ((sum(p) + bad) & 0xff))
                    if rng.randrange(20) == 0:
                        s.sendall(b"\x03")
            except (BrokenPipeError, ConnectionResetError):
                pass  # turned away: the last session's end had not been seen yet
            s.close()  # no detach: a client that just goes away

        # Warm up: first-time paths (buffers grown once, malloc arenas, monitor
        # commands) are not leaks; what grows with the count would be.
        for _ in range(20):
            attach_detach()
        for _ in range(40):
            random_session()
        attach_detach()
        time.sleep(0.5)
        rss0, fds0 = vm_rss_kib(vm.proc.pid), vm_fds(vm.proc.pid)
        for _ in range(500):
            attach_detach()
        for _ in range(200):
            random_session()
        attach_detach()
        vm.wait_for(lambda: vm.proc.poll() is None, "minikvm alive")
        n = ticks(vm)
        vm.wait_output("tick %d\n" % (n + 2), timeout=60)  # the guest runs on
        time.sleep(0.5)
        rss1, fds1 = vm_rss_kib(vm.proc.pid), vm_fds(vm.proc.pid)
        assert fds1 == fds0, (fds0, fds1, os.listdir("/proc/%d/fd" % vm.proc.pid))
        assert rss1 - rss0 <= 1024, "RSS grew from %d KiB to %d KiB" % (rss0, rss1)
        vm.proc.send_signal(signal.SIGTERM)
        assert vm.finish() == 128 + signal.SIGTERM


# ---- who may connect (docs/security.md, "Who may connect") -------------------

NOBODY = 65534
# The client another user runs: connects, says "+$qSupported", and reports
# what came back (hex) and whether minikvm closed (or reset) the connection.
OTHER_USER_CLIENT = r'''
import json, socket, sys
kind, where = sys.argv[1], sys.argv[2]
if kind == "tcp":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(("127.0.0.1", int(where)))
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(where)
data, eof = b"", False
try:
    s.sendall(b"+$qSupported#37")
except (BrokenPipeError, ConnectionResetError):  # closed before we said a word
    eof = True
while not eof:
    at = data.find(b"$")
    if at >= 0 and data.find(b"#", at) >= 0 and len(data) >= data.find(b"#", at) + 3:
        break
    try:
        chunk = s.recv(4096)
    except ConnectionResetError:  # closed with our request unread: a reset, not a FIN
        chunk = b""
    if not chunk:
        eof = True
        break
    data += chunk
print(json.dumps({"data": data.hex(), "eof": eof}))
'''


def as_other_user(kind, where):
    """Run the client as uid 65534 (a second local user); what it saw, as (bytes, eof)."""
    if os.geteuid() != 0:
        raise harness.Skip("needs root to connect as a second user (uid %d)" % NOBODY)
    # The system's python, which uid 65534 can run (a python under /root it may not reach);
    # user= and group= are set between fork and exec, with no Python in the child.
    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        raise harness.Skip("no %s for uid %d to run" % (python, NOBODY))
    proc = subprocess.run([python, "-I", "-c", OTHER_USER_CLIENT, kind, where], cwd="/",
                          env={"PATH": "/usr/bin:/bin"}, user=NOBODY, group=NOBODY, extra_groups=[],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert proc.returncode == 0, proc
    import json
    r = json.loads(proc.stdout)
    return bytes.fromhex(r["data"]), r["eof"]


class TcpRsp(Rsp):
    """harness.Rsp on 127.0.0.1:port."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""


def test_tcp_refuses_another_uid_by_default():
    # Before: anyone on the machine could attach to 127.0.0.1:PORT and read,
    # write or dump the guest. Now only minikvm's own uid, unless allowed.
    port = free_port()
    with Vmm(["-S", CK], gdb_args=["-g", "127.0.0.1:%d" % port]) as vm:
        vm.wait_for(lambda: "gdb stub listening on" in vm.stderr(), "the stub")
        data, eof = as_other_user("tcp", str(port))
        assert eof and b"$" not in data, (data, eof)   # closed, no reply, no stop reply
        vm.wait_for(lambda: "refused a gdb connection from uid %d (127.0.0.1:" % NOBODY in vm.stderr(),
                    "the refusal on stderr")
        assert "--gdb-allow-uid %d lets it in" % NOBODY in vm.stderr(), vm.stderr()
        # The starting uid still attaches and finds the -S guest at its entry.
        c = TcpRsp(port)
        c.send_raw(b"+")
        assert b"PacketSize=" in c.cmd("qSupported:swbreak+")
        assert c.cmd("?").startswith(b"T05"), "no stop reply"
        # A refused peer does not disturb the attached client (nor take its seat).
        data, eof = as_other_user("tcp", str(port))
        assert eof and b"$" not in data, (data, eof)
        vm.wait_for(lambda: vm.stderr().count("refused a gdb connection from uid") == 2,
                    "the second refusal")
        assert "one debugger at a time" not in vm.stderr(), vm.stderr()
        assert c.cmd("qC") == b"QC1"
        c.send(b"k")
        c.close()
        assert vm.finish() == 0


def test_tcp_gdb_allow_uid_lets_another_uid_in():
    for allow in (str(NOBODY), "1000,%d" % NOBODY, "any"):
        port = free_port()
        with Vmm(["-S", CK], gdb_args=["-g", "127.0.0.1:%d" % port,
                                        "--gdb-allow-uid", allow]) as vm:
            vm.wait_for(lambda: "gdb stub listening on" in vm.stderr(), "the stub")
            data, eof = as_other_user("tcp", str(port))
            assert b"$PacketSize=" in data, (allow, data, eof)
            assert "refused" not in vm.stderr(), vm.stderr()


def test_unix_socket_refuses_another_uid_by_peer_credentials():
    # The socket is created 0600; a user who loosens it (chmod 666) still
    # does not let anyone else debug: SO_PEERCRED says who connected.
    with Vmm(["-S", CK]) as vm:
        assert os.stat(vm.sock).st_mode & 0o777 == 0o600
        os.chmod(vm.dir, 0o711)
        os.chmod(vm.sock, 0o666)
        data, eof = as_other_user("unix", vm.sock)
        assert eof and b"$" not in data, (data, eof)
        vm.wait_for(lambda: "refused a gdb connection from uid %d (pid " % NOBODY in vm.stderr(),
                    "the refusal on stderr")
        c = Rsp(vm.sock)
        c.send_raw(b"+")
        assert c.cmd("qC") == b"QC1"
        c.send(b"k")
        c.close()
        assert vm.finish() == 0
