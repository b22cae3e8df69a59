# SPDX-License-Identifier: MIT
"""scripts/minikvm-run's own checks and the command line it builds: no guest, no KVM."""
import os
import shlex
import shutil
import subprocess
import tempfile

import harness

NEEDS_KVM = False
RUN = os.path.join(harness.ROOT, "scripts", "minikvm-run")
NEEDED = ["VIRTIO_MMIO", "VIRTIO_MMIO_CMDLINE_DEVICES", "NET_9P", "NET_9P_VIRTIO", "9P_FS", "OVERLAY_FS",
          "TMPFS", "DEVTMPFS", "SERIAL_8250_CONSOLE"]


def run(args, cwd):
    env = dict(os.environ, MINIKVM=harness.MINIKVM)
    p = subprocess.run([RUN] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def fake_tree(config_lines):
    """A directory that looks like a built kernel tree (the image's bytes are never read here)."""
    t = tempfile.mkdtemp(prefix="minikvm-tree-")
    os.makedirs(os.path.join(t, "arch", "x86", "boot"))
    for name in ("arch/x86/boot/bzImage", "vmlinux", "Makefile"):
        open(os.path.join(t, name), "w").close()
    with open(os.path.join(t, ".config"), "w") as f:
        f.write("".join(l + "\n" for l in config_lines))
    return t


def test_loop_cli_without_a_tree_says_so_with_status_125():
    d = tempfile.mkdtemp()
    try:
        status, out, err = run(["--", "true"], d)
        assert status == 125, (status, err)
        assert err.count("\n") == 1 and "no arch/x86/boot/bzImage in " + d in err, err
    finally:
        shutil.rmtree(d)


def test_loop_cli_names_the_config_options_the_loop_needs():
    t = fake_tree(["CONFIG_64BIT=y"] + ["CONFIG_%s=y" % o for o in NEEDED if o not in ("9P_FS", "OVERLAY_FS")]
                  + ["CONFIG_OVERLAY_FS=m"])
    try:
        status, out, err = run(["--", "true"], t)
        assert status == 125, (status, err)
        assert "lacks CONFIG_9P_FS CONFIG_OVERLAY_FS (=y)" in err and "scripts/kconfig/minikvm.config" in err, err
        assert err.count("\n") == 1, err
    finally:
        shutil.rmtree(t)


def test_loop_cli_bad_options_are_one_line_and_125():
    t = fake_tree(["CONFIG_%s=y" % o for o in NEEDED])
    try:
        for args, words in ((["--bogus"], "unknown option '--bogus'"),
                            (["--gdb", "99999"], "--gdb 99999: a TCP port"),
                            (["--rwdir", "/nonexistent/dir"], "--rwdir /nonexistent/dir: not a directory"),
                            (["-k", "/nonexistent/kernel"], "-k /nonexistent/kernel: no such kernel"),
                            (["--vmlinux"], "lacks CONFIG_PVH=y"),
                            (["-m"], "-m needs an argument")):
            status, out, err = run(args, t)
            assert status == 125 and words in err and err.count("\n") == 1, (args, status, err)
    finally:
        shutil.rmtree(t)


def test_loop_cli_dry_run_shows_the_minikvm_command_line():
    t = fake_tree(["CONFIG_%s=y" % o for o in NEEDED])
    rw = tempfile.mkdtemp()
    try:
        status, out, err = run(["-m", "768M", "-c", "3", "--rwdir", rw, "--append", "loglevel=5", "-S", "-g", "4321",
                                "--dry-run", "--", "make", "-C", "x"], t)
        assert status == 0, (status, err)
        argv = shlex.split(out)
        assert argv[0] == harness.MINIKVM and argv[-1] == t + "/arch/x86/boot/bzImage", argv
        assert argv[argv.index("-m") + 1] == "768M" and argv[argv.index("-c") + 1] == "3", argv
        shares = [argv[i + 1] for i, a in enumerate(argv) if a == "--share"]
        assert shares[0] == "/,tag=root", shares
        assert shares[1].endswith(",tag=minikvm-io,rw") and "/minikvm-run." in shares[1], shares
        assert shares[2] == rw + ",tag=rw0,rw", shares
        assert argv[argv.index("--gdb") + 1] == "127.0.0.1:4321" and "-S" in argv, argv
        cmdline = argv[argv.index("--append") + 1].split()
        init = os.path.join(harness.ROOT, "build", "minikvm-init")
        for word in ("console=ttyS0", "nokaslr", "root=root", "rootfstype=9p", "ro", "init=" + init,
                     "minikvm.io=minikvm-io", "quiet", "loglevel=5"):
            assert word in cmdline, (word, cmdline)
        # Waiting for gdb: a panic stays for the debugger to see.
        assert "panic=-1" not in cmdline, cmdline
        # The orders' directory is gone with the dry run.
        assert not os.path.exists(shares[1].split(",")[0]), shares
    finally:
        shutil.rmtree(t)
        shutil.rmtree(rw)


def test_loop_init_refuses_to_run_as_a_command():
    init = os.path.join(harness.ROOT, "build", "minikvm-init")
    p = subprocess.run([init], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    assert p.returncode == 2 and b"not a command" in p.stderr, (p.returncode, p.stderr)
