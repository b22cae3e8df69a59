# SPDX-License-Identifier: MIT
"""Helpers shared by the integration tests."""
import os
import subprocess

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


def run(args, stdin=b"", timeout=60, env=None):
    """Run minikvm with args; stdin bytes (None: inherit nothing, /dev/null)."""
    proc = subprocess.run([MINIKVM] + list(args), input=stdin, stdout=subprocess.PIPE,
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
