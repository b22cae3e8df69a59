# SPDX-License-Identifier: MIT
"""What scripts/onkvm-riscv64 tells Python callers (tests/riscv_test.py, tests/riscv_linux_gdb_test.py,
scripts/bench_riscv64.py)."""
import os
import shlex
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONKVM_RISCV64 = os.path.join(ROOT, "scripts", "onkvm-riscv64")


def assignments(option):
    """The NAME='value' lines `onkvm-riscv64 OPTION` prints (--guest-linux: KERNEL, INITRD,
    SYSTEM_MAP, '' when the kernel's symbols were not found; --guest-qemu: QEMU_ROOT),
    as {NAME: value}; (None, its status and stderr's end) when it fails."""
    p = subprocess.run([ONKVM_RISCV64, option], cwd=ROOT, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=900)
    if p.returncode:
        return None, "onkvm-riscv64 %s failed (status %d): %s" % (option, p.returncode, p.stderr[-2000:])
    return {k: shlex.split(v)[0] for k, v in (l.split("=", 1) for l in p.stdout.splitlines() if "=" in l)}, None


def host_kind():
    """What `onkvm-riscv64 --kind` says of the RISC-V KVM host (its first line)."""
    p = subprocess.run([ONKVM_RISCV64, "--kind"], cwd=ROOT, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return (p.stdout.splitlines() or ["unknown"])[0]
