# SPDX-License-Identifier: MIT
"""The kernel developer's loop (scripts/minikvm-run) on a kernel built here.

scripts/build-kernel.sh builds a small kernel from Debian's linux-source
with scripts/kconfig/minikvm.config merged, plus a test module, once per
machine (cached); `make test` writes its paths to build/kernel.env. Each test
boots that tree the way a developer would, from the tree, with this
machine's root (here: the emulated host's) over virtio-9p.
"""
import os
import shlex
import shutil
import subprocess
import tempfile
import time

import harness

ONE_AT_A_TIME = True  # each boots a whole Linux (tests/run.py)
RUN = os.path.join(harness.ROOT, "scripts", "minikvm-run")
_env = {}


def kernel_env():
    """KTREE, KBZIMAGE, KVMLINUX, KGDB_SCRIPTS, KMODULE, KRELEASE of the test kernel."""
    if not _env:
        path = os.environ.get("MINIKVM_KERNEL_ENV") or os.path.join(harness.ROOT, "build", "kernel.env")
        text = ""
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
        if not text.strip():
            proc = subprocess.run([os.path.join(harness.ROOT, "scripts", "build-kernel.sh"), "--offline",
                                   "--print-env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if proc.returncode != 0:
                raise AssertionError("the test kernel is not built (make kernel; make test builds it first): "
                                     + proc.stderr[-1500:])
            text = proc.stdout
        for line in text.splitlines():
            k, _, v = line.partition("=")
            _env[k] = shlex.split(v)[0] if v else ""
    return _env


def loop(args, cwd=None, timeout=600, stdin=subprocess.DEVNULL, input_bytes=None):
    """minikvm-run ARGS from the test kernel's tree (or cwd); (status, stdout, stderr)."""
    env = dict(os.environ, MINIKVM=harness.MINIKVM)
    proc = subprocess.run([RUN] + args, cwd=cwd or kernel_env()["KTREE"],
                          stdin=stdin if input_bytes is None else None, input=input_bytes,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=env)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def scratch():
    """A directory on the host's root that the guest also sees (not /tmp: the guest gets its own)."""
    base = os.path.join(harness.ROOT, "build", "loop-scratch")
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(dir=base)


def test_loop_runs_a_command_in_the_tree_and_gives_back_its_status():
    k = kernel_env()
    d = scratch()
    try:
        with open(os.path.join(d, "token"), "w") as f:
            f.write("token-from-the-host\n")
        script = ('echo "release=$(uname -r)"; echo "cwd=$(pwd)"; cat token; '
                  'echo "root=$(stat -f -c %T /)"; grep -c processor /proc/cpuinfo; '
                  'grep " 9p " /proc/mounts | head -1; exit 7')
        status, out, err = loop(["-k", k["KTREE"], "-c", "2", "-m", "512M", "--", "sh", "-c", script], cwd=d)
        assert status == 7, (status, out[-2000:], err[-2000:])
        assert "release=" + k["KRELEASE"] in out, out[-2000:]
        assert "cwd=" + d in out, out[-2000:]
        assert "token-from-the-host" in out, out[-2000:]
        assert "root=overlayfs" in out, out[-2000:]
        assert "\n2\n" in out.replace("\r", ""), out[-2000:]
        # The command's bytes as it wrote them: no CR added by the console for a pipe (the
        # kernel's own "reboot: Power down" at the end is the console driver's, with its CR).
        command_out = out.split("reboot: Power down")[0]
        assert "\r" not in command_out, repr(command_out[-500:])
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_loop_writes_stay_in_the_guest_unless_rwdir():
    k = kernel_env()
    # One under the host's /tmp: the guest sees the host's /tmp (overlaid), so a tree, a
    # working directory or an --rwdir there works too (CI's clone is under /tmp).
    ro, rw = tempfile.mkdtemp(prefix="minikvm-loop-ro-"), scratch()
    try:
        with open(os.path.join(ro, "keep"), "w") as f:
            f.write("host\n")
        script = ('echo guest > %s/new && cat %s/new && rm %s/keep && ls %s; '
                  'echo written > %s/out; echo sig; kill -9 $$') % (ro, ro, ro, ro, rw)
        status, out, err = loop(["-k", k["KTREE"], "--vmlinux", "--rwdir", rw, "--", "sh", "-c", script])
        # Killed by SIGKILL: 128 + 9, as a shell says.
        assert status == 137, (status, out[-2000:], err[-2000:])
        assert "guest\n" in out and "sig" in out, out[-2000:]
        # The overlay took the guest's changes: the host's directory is as it was.
        assert sorted(os.listdir(ro)) == ["keep"], os.listdir(ro)
        with open(os.path.join(ro, "keep")) as f:
            assert f.read() == "host\n"
        # --rwdir: the guest's file is on the host, byte for byte.
        with open(os.path.join(rw, "out")) as f:
            assert f.read() == "written\n"
    finally:
        shutil.rmtree(ro, ignore_errors=True)
        shutil.rmtree(rw, ignore_errors=True)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, proc, timeout=60.0):
    """Until something listens on 127.0.0.1:port (/proc/net/tcp: connecting to
    find out would be a gdb client that comes and goes, and the stub would let
    the guest run)."""
    want = ":%04X" % port
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1].endswith(want) and fields[3] == "0A":
                    return
        if proc.poll() is not None:
            raise AssertionError("minikvm-run exited (%d) before its gdb stub listened" % proc.returncode)
        time.sleep(0.05)
    raise AssertionError("nothing listened on port %d within %d s" % (port, timeout))


class Background:
    """minikvm-run ARGS in the background, its output in files; .out and .err once it is over."""

    def __init__(self, args, cwd):
        self.logs = tempfile.mkdtemp(prefix="minikvm-loop-")
        self.out_f = open(os.path.join(self.logs, "out"), "w+b")
        self.err_f = open(os.path.join(self.logs, "err"), "w+b")
        self.proc = subprocess.Popen([RUN] + args, cwd=cwd, stdout=self.out_f, stderr=self.err_f,
                                     env=dict(os.environ, MINIKVM=harness.MINIKVM))
        self.out = self.err = ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f, attr in ((self.out_f, "out"), (self.err_f, "err")):
            f.seek(0)
            setattr(self, attr, f.read().decode(errors="replace"))
            f.close()
        shutil.rmtree(self.logs, ignore_errors=True)


def gdb_session(target, vm, elf, body, **kw):
    """harness.run_gdb, and on failure what minikvm-run and the guest printed meanwhile."""
    try:
        return harness.run_gdb(target, elf, body, **kw)
    except AssertionError as e:
        if vm.proc.poll() is None:
            vm.proc.kill()
            vm.proc.wait()
        with open(vm.out_f.name, "rb") as o, open(vm.err_f.name, "rb") as er:
            raise AssertionError("%s\n--- minikvm-run's stdout:\n%s\n--- its stderr:\n%s" % (
                e, o.read()[-3000:].decode(errors="replace"), er.read()[-2000:].decode(errors="replace")))


def test_loop_under_gdb_source_lines_lx_scripts_and_a_module():
    """The whole loop: boot the tree with -S, gdb with the tree's vmlinux and
    vmlinux-gdb.py stops at start_kernel on its source line, lx-symbols
    follows the tree's module into the guest, a breakpoint in the module is
    hit with the module's source line, and the command's status comes back."""
    k = kernel_env()
    port = free_port()
    script = "insmod %s && echo > /proc/minikvm_hello && cat /proc/minikvm_hello" % k["KMODULE"]
    with Background(["-k", k["KTREE"], "-S", "-g", str(port), "--", "sh", "-c", script], k["KTREE"]) as vm:
        wait_listening(port, vm.proc)
        r = gdb_session("127.0.0.1:%d" % port, vm, k["KVMLINUX"], r'''
ex("set breakpoint pending on")
ex("hbreak start_kernel")
ex("continue")
sal = gdb.selected_frame().find_sal()
R["fn"] = fn()
R["file"] = sal.symtab.fullname()
R["line"] = sal.line
R["list"] = ex("list start_kernel")
R["bt"] = ex("bt")
R["version"] = ex("lx-version")
ex("delete")
R["symbols"] = ex("lx-symbols %s" % TREE)
ex("break minikvm_hello_poke")
ex("continue")
sal = gdb.selected_frame().find_sal()
R["mod_fn"] = fn()
R["mod_file"] = sal.symtab.fullname()
R["mod_line"] = sal.line
R["why"] = gdb.parse_and_eval("why").string()
R["lsmod"] = ex("lx-lsmod")
ex("continue")
R["why2"] = gdb.parse_and_eval("why").string()
R["pokes"] = ev("minikvm_hello_pokes")
ex("delete")
ex("continue")
'''.replace("TREE", repr(k["KTREE"])), timeout=900,
            gdb_opts=["-iex", "add-auto-load-safe-path " + k["KTREE"]])
        vm.proc.wait(timeout=300)
    out, err = vm.out, vm.err
    assert r["fn"] == "start_kernel", r
    assert r["file"] == os.path.join(k["KTREE"], "init", "main.c") and r["line"] > 0, r
    assert "start_kernel(void)" in r["list"], r["list"]
    assert "init/main.c:%d" % r["line"] in r["bt"], r["bt"]
    assert k["KRELEASE"] in r["version"], r["version"]
    assert r["mod_fn"] == "minikvm_hello_poke" and r["why"] == "init", r
    assert r["mod_file"].endswith("/minikvm_hello.c") and os.path.exists(r["mod_file"]), r
    assert "minikvm_hello" in r["lsmod"], r["lsmod"]
    assert r["why2"] == "write" and r["pokes"] == 1, r
    assert vm.proc.returncode == 0, (vm.proc.returncode, out[-2000:], err[-2000:])
    assert "\n2\n" in "\n" + out, out[-2000:]
    # -S printed the gdb command line that attaches with the tree's symbols and scripts.
    printed = err.split("waiting for gdb:\n")[1].splitlines()[0].strip()
    assert shlex.split(printed) == ["gdb", "-iex", "add-auto-load-safe-path " + k["KTREE"], k["KTREE"] + "/vmlinux",
                                    "-ex", "target remote 127.0.0.1:%d" % port], printed


def test_loop_debug_starts_gdb_at_start_kernel_with_lx_scripts():
    """--debug: minikvm-run starts gdb itself, stopped at start_kernel on its
    source line with the tree's lx-* commands; gdb reads the rest of its
    commands from stdin here (a person would type them), and after the
    guest's command ends, its status is minikvm-run's."""
    k = kernel_env()
    port = free_port()
    gdb_input = b"info source\nlx-version\nbt 1\ncontinue\n"
    status, out, err = loop(["-k", k["KTREE"], "--debug", "-g", str(port), "--", "sh", "-c", "echo from-the-guest; exit 3"],
                            stdin=None, input_bytes=gdb_input)
    text = out + err
    assert status == 3, (status, text[-3000:])
    assert "start_kernel () at init/main.c:" in text, text[-3000:]
    assert "Current source file is init/main.c" in text, text[-3000:]
    assert "Linux version " + k["KRELEASE"] in text, text[-3000:]
    assert "guest console: " in err, err[-1000:]
    log = err.split("guest console: ")[1].split(" ")[0]
    try:
        with open(log, "rb") as f:
            # The guest's console went to that file, not to gdb's terminal.
            assert b"from-the-guest\n" in f.read()
        assert "from-the-guest" not in out
    finally:
        os.unlink(log)


def test_vscode_tree_configuration_on_the_test_kernel():
    """docs/ide's "this tree's vmlinux" configuration, run as VS Code runs it
    (its preLaunchTask, then gdb/MI with its commands) on the test kernel's tree."""
    import json
    import re
    k = kernel_env()
    ide = os.path.join(harness.ROOT, "docs", "ide")
    with open(os.path.join(ide, "launch.json")) as f:
        conf = next(c for c in json.load(f)["configurations"] if "this tree's vmlinux" in c["name"])
    with open(os.path.join(ide, "tasks.json")) as f:
        task = next(t for t in json.load(f)["tasks"] if t["label"] == conf["preLaunchTask"])

    def expand(s):
        return s.replace("${workspaceFolder}", k["KTREE"])
    assert task["command"] == "minikvm-run" and conf["miDebuggerServerAddress"] == "localhost:1234", (task, conf)
    port = free_port()  # the task's 1234, moved: other tests share this host
    args = [expand(a) for a in task["args"]] + ["-g", str(port), "--", "sh", "-c", "echo ide-done"]
    with Background(args, k["KTREE"]) as vm:
        wait_listening(port, vm.proc)
        setup = [expand(c["text"]) for c in conf["setupCommands"]]
        post = [expand(c["text"]) for c in conf["postRemoteConnectCommands"]]
        cmds = ["-gdb-set confirm off"] + setup + [
            "-file-exec-and-symbols %s" % expand(conf["program"]),
            "-target-select remote localhost:%d" % port] + post + [
            "-exec-continue", "-stack-list-frames", "-interpreter-exec console \"lx-version\"",
            "-break-delete", "-exec-continue", "-gdb-exit"]
        proc = subprocess.run([harness.GDB, "--interpreter=mi3", "-nx", "-q"], input="\n".join(cmds).encode() + b"\n",
                              cwd=expand(conf["cwd"]), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        out = proc.stdout.decode(errors="replace")
        vm.proc.wait(timeout=300)
    guest = vm.out
    main_c = os.path.join(k["KTREE"], "init", "main.c")
    assert re.search(r'\*stopped,reason="breakpoint-hit",disp="keep",bkptno="1",frame=\{addr="0x[0-9a-f]+",'
                     r'func="start_kernel",args=\[\],file="init/main\.c",fullname="%s",line="\d+"' % re.escape(main_c),
                     out), out[-3000:]
    assert re.search(r'\^done,stack=\[frame=\{level="0",addr="0x[0-9a-f]+",func="start_kernel"', out), out[-3000:]
    assert ("Linux version %s " % k["KRELEASE"]) in out, out[-3000:]
    assert vm.proc.returncode == 0 and "ide-done" in guest, (vm.proc.returncode, guest[-2000:])
