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


def loop(args, cwd=None, timeout=600, stdin=subprocess.DEVNULL):
    """minikvm-run ARGS from the test kernel's tree (or cwd); (status, stdout, stderr)."""
    env = dict(os.environ, MINIKVM=harness.MINIKVM)
    proc = subprocess.run([RUN] + args, cwd=cwd or kernel_env()["KTREE"], stdin=stdin,
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
        # The command's bytes as it wrote them: no CR added by the console for a pipe.
        assert "\r\n" not in out, repr(out[-500:])
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_loop_writes_stay_in_the_guest_unless_rwdir():
    k = kernel_env()
    ro, rw = scratch(), scratch()
    try:
        with open(os.path.join(ro, "keep"), "w") as f:
            f.write("host\n")
        script = ('echo guest > %s/new && cat %s/new && rm %s/keep && ls %s; '
                  'echo written > %s/out; echo sig; kill -9 $$') % (ro, ro, ro, ro, rw)
        status, out, err = loop(["-k", k["KTREE"], "--rwdir", rw, "--", "sh", "-c", script])
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
