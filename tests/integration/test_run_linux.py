# SPDX-License-Identifier: MIT
"""scripts/run-linux.sh's command line: which argument is the kernel.

A stand-in for minikvm (MINIKVM) prints the arguments it was given, one
<...> each, and answers --help with the real minikvm's text (run-linux.sh
learns from it which options take a value). No guest runs; the busybox
initramfs must be in the cache (scripts/fetch-linux.sh --offline).
"""
import atexit
import os
import shutil
import subprocess
import tempfile

import harness

NEEDS_KVM = False

RUN_LINUX = os.path.join(harness.ROOT, "scripts", "run-linux.sh")
FETCH = os.path.join(harness.ROOT, "scripts", "fetch-linux.sh")
_fake = []


def fake_minikvm():
    if not _fake:
        if not os.access(harness.MINIKVM, os.X_OK):
            raise harness.Skip("no minikvm built at %s (make all)" % harness.MINIKVM)
        if subprocess.run([FETCH, "--offline", "--print-env"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=120).returncode != 0:
            raise harness.Skip("the busybox initramfs is not in the cache (scripts/fetch-linux.sh)")
        d = tempfile.mkdtemp(prefix="minikvm-run-linux-test.")
        atexit.register(shutil.rmtree, d, True)
        path = os.path.join(d, "minikvm")
        with open(path, "w") as f:
            f.write('#!/bin/sh\n[ "$1" = --help ] && exec %s --help\n'
                    'for a; do printf "<%%s>" "$a"; done; echo\n' % harness.MINIKVM)
        os.chmod(path, 0o755)
        _fake.append(path)
    return _fake[0]


def run_linux(*args):
    proc = subprocess.run([RUN_LINUX] + list(args), env=dict(os.environ, MINIKVM=fake_minikvm()),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    argv = proc.stdout.strip()[1:-1].split("><") if proc.stdout.strip() else []
    return proc.returncode, argv, proc.stderr


ELF = os.path.join(harness.ROOT, "guest", "ckernel.elf")


def test_debians_kernel_when_none_is_named():
    status, argv, err = run_linux("-c", "4")
    assert status == 0, (status, argv, err)
    assert argv[:2] == ["-m", "512M"] and argv[-3:-1] == ["-c", "4"], argv
    assert os.path.basename(argv[-1]).startswith("vmlinuz-"), argv


def test_your_kernel_replaces_debians_wherever_it_stands():
    for args in ([ELF], [ELF, "-m", "1G", "-s"], ["-m", "1G", ELF, "-s"], ["-s", "-m", "1G", "--", ELF]):
        status, argv, err = run_linux(*args)
        assert status == 0, (args, status, argv, err)
        assert argv[-1] == ELF and not any("vmlinuz" in a for a in argv), (args, argv)
        assert argv.count(ELF) == 1, (args, argv)
        # After the defaults (-m 512M -c 2 --initrd X --append Y), what was given.
        assert sorted(argv[8:-1]) == sorted(a for a in args if a not in (ELF, "--")), (args, argv)


def test_a_value_is_not_taken_for_the_kernel():
    # --initrd FILE, --serial MODE, -g PORT: values, though the first is a file.
    status, argv, err = run_linux("--initrd", ELF, "--serial", "none", "-g", "1235")
    assert status == 0, (status, argv, err)
    assert os.path.basename(argv[-1]).startswith("vmlinuz-"), argv
    assert argv[-7:-1] == ["--initrd", ELF, "--serial", "none", "-g", "1235"], argv


def test_a_vmlinux_is_its_own_symbol_file_and_needs_no_nokaslr():
    status, argv, err = run_linux(ELF, "-s")
    assert status == 0, (status, argv, err)
    assert 'symbols: gdb %s -ex "target remote :1234"' % ELF in err, err
    assert "nokaslr" not in err, err


def test_a_bzimage_finds_the_vmlinux_of_its_tree():
    tree = tempfile.mkdtemp(prefix="minikvm-run-linux-tree.")
    atexit.register(shutil.rmtree, tree, True)
    os.makedirs(os.path.join(tree, "arch", "x86", "boot"))
    bz = os.path.join(tree, "arch", "x86", "boot", "bzImage")
    for path in (bz, os.path.join(tree, "vmlinux")):
        with open(path, "wb") as f:
            f.write(b"\0" * 1024)
    status, argv, err = run_linux(bz, "-s")
    assert status == 0 and argv[-1] == bz, (status, argv, err)
    assert 'symbols: gdb %s/vmlinux -ex' % tree in err, err
    assert "without --append nokaslr" in err, err


def test_two_kernels_or_a_missing_one_are_errors():
    status, argv, err = run_linux(ELF, ELF)
    assert status == 2 and "two kernels named" in err and argv == [], (status, argv, err)
    status, argv, err = run_linux("/nonexistent/bzImage")
    assert status == 1 and "no such readable file" in err and argv == [], (status, argv, err)
