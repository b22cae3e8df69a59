# SPDX-License-Identifier: MIT
"""The kernel's own gdb scripts (lx-dmesg, lx-ps, ...) against Debian's kernel,
and scripts/run-linux.sh booting a kernel of your own (scripts/build-kernel.sh's).

scripts/fetch-linux.sh --gdb-scripts sets them up from Debian's linux-source
package of the kernel's version (docs/linux.md). One boot, with 2 vCPUs, to
the initramfs's shell; then one gdb session attaches and runs every command.
"""
import os
import re
import shlex
import subprocess

import harness
from harness import Vmm, run_gdb
from test_linux import gdb_index_opts, linux_env, need_hardware

ONE_AT_A_TIME = True  # one Linux guest at a time (tests/run.py)
MARKER = "minikvm_lx_test=1"


def test_lx_commands_on_a_booted_kernel():
    need_hardware("Linux boot to a shell for the kernel's gdb scripts")
    env = linux_env()
    if not env.get("GDB_SCRIPTS"):
        raise harness.Skip("the kernel's gdb scripts are not in the cache "
                           "(scripts/fetch-linux.sh --gdb-scripts; make test fetches them)")
    scripts_dir = os.path.dirname(env["GDB_SCRIPTS"])
    vmlinux = os.path.join(scripts_dir, "vmlinux")  # -> the -dbg package's vmlinux
    # The command writes a line of its own into the kernel's log, then waits for gdb.
    cmd = "echo+minikvm-lx-kmsg+>/dev/kmsg;echo+minikvm-lx-ready;sleep+1000"
    cmdline = "console=ttyS0 quiet nokaslr %s minikvm.cmd=%s" % (MARKER, cmd)
    with Vmm(["-c", "2", "-m", "256M", "--initrd", env["INITRD"], "--append", cmdline,
              env["VMLINUZ"]]) as vm:
        vm.wait_output("minikvm-lx-ready", timeout=300)
        r = run_gdb(vm, vmlinux, r'''
ex("cd %s")
R["threads"] = len(gdb.selected_inferior().threads())
R["cmdline"] = ex("lx-cmdline")
R["dmesg"] = ex("lx-dmesg")
R["ps"] = ex("lx-ps")
R["lsmod"] = ex("lx-lsmod")
R["sk_before"] = ev("&start_kernel")
R["symbols"] = ex("lx-symbols")
R["sk_after"] = ev("&start_kernel")
R["pid"] = ev("$lx_current().pid")
R["comm"] = gdb.parse_and_eval("$lx_current().comm").string()
R["version"] = ex("lx-version")
# The banner's bytes in guest memory, up to its NUL: gdb's own type of
# linux_banner may be a declaration's "const char []" of unknown size (which
# reads as ""), depending on which compilation units gdb has expanded.
R["banner"] = bytes(gdb.selected_inferior().read_memory(ev("(unsigned long)&linux_banner"), 1024)).split(b"\0")[0].decode()
ex("kill")
''' % scripts_dir, timeout=600,
                  # gdb's own "source", not from inside the Python test script: a
                  # nested source keeps the outer __file__, and vmlinux-gdb.py
                  # finds its modules through __file__.
                  gdb_opts=gdb_index_opts() + ["-iex", "add-auto-load-safe-path " + scripts_dir,
                                               "-ex", "source " + env["GDB_SCRIPTS"]])
        assert vm.finish() == 0
    assert r["threads"] == 2, r
    assert MARKER in r["cmdline"] and "minikvm.cmd=" in r["cmdline"], r["cmdline"]
    dmesg = r["dmesg"]
    assert "Linux version 6.1" in dmesg, dmesg[:2000]
    assert "Run /init as init process" in dmesg, dmesg[-3000:]  # the kernel, late in boot
    assert "minikvm-lx-kmsg" in dmesg, dmesg[-3000:]          # userspace, later still
    ps = r["ps"]
    # lx-ps: "0x<task> <pid> <comm>"
    assert re.search(r"^0x[0-9a-f]+\s+1\s+(init|sh)$", ps, re.M), ps
    assert re.search(r"^0x[0-9a-f]+\s+2\s+kthreadd$", ps, re.M), ps
    assert re.search(r"^0x[0-9a-f]+\s+0\s+swapper/0$", ps, re.M), ps
    assert re.search(r"\ssleep$", ps, re.M), ps  # the command waiting in the shell
    # No module is loaded from this initramfs: the header and nothing else.
    lsmod = [l for l in r["lsmod"].splitlines() if l.strip()]
    assert len(lsmod) == 1 and lsmod[0].split()[:3] == ["Address", "Module", "Size"], r["lsmod"]
    # lx-symbols reloads vmlinux (no modules to add) and its symbols are back.
    assert r["symbols"].strip() == "loading vmlinux", r["symbols"]
    assert r["sk_after"] == r["sk_before"] and r["sk_before"] >> 32 == 0xffffffff, r
    # $lx_current() (per-cpu current_task of the selected vCPU's CPU, which the
    # scripts find through "monitor info version") is a task lx-ps listed.
    assert re.search(r"^0x[0-9a-f]+\s+%d\s+%s$" % (r["pid"], re.escape(r["comm"])), ps, re.M), r
    assert r["version"].strip() == r["banner"].strip(), (r["version"], r["banner"])
    assert r["version"].startswith("Linux version %s" % env["KVER"]), r["version"]


BUILD_KERNEL = os.path.join(harness.ROOT, "scripts", "build-kernel.sh")
RUN_LINUX = os.path.join(harness.ROOT, "scripts", "run-linux.sh")


def test_kernel_envs():
    """scripts/build-kernel.sh --offline --print-env: the test kernel's paths,
    or a skip when it is not built (make test builds it first, out of the
    emulated host; inside it, it never starts a build)."""
    proc = subprocess.run([BUILD_KERNEL, "--offline", "--print-env"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=300)
    if proc.returncode == 3:
        raise harness.Skip("the test kernel is not built (scripts/build-kernel.sh; make kernel)")
    assert proc.returncode == 0, proc
    env = dict((k, shlex.split(v)[0] if v else "") for k, _, v in
               (line.partition("=") for line in proc.stdout.splitlines()))
    for key in ("KTREE", "KBZIMAGE", "KVMLINUX", "KGDB_SCRIPTS", "KMODULE"):
        assert os.path.exists(env[key]), (key, env)
    assert re.match(r"^6\.1\.\d+", env["KRELEASE"]), env
    return env


def test_run_linux_boots_your_own_kernel():
    """run-linux.sh with a kernel you built, bzImage and vmlinux: it boots
    that one (uname -r says so) with the busybox initramfs."""
    need_hardware("Linux boot to a shell with your own kernel")
    kenv = test_kernel_envs()
    for image in (kenv["KBZIMAGE"], kenv["KVMLINUX"]):
        proc = subprocess.run([RUN_LINUX, "-m", "256M", "-c", "1", image, "--append",
                               "loglevel=4 nokaslr minikvm.cmd=uname+-r"],
                              env=dict(os.environ, MINIKVM=harness.MINIKVM), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
        out = proc.stdout.decode(errors="replace")
        # Status 0 is the guest's ACPI poweroff (S5): a kernel whose ACPI did
        # not load its tables (CONFIG_PCI=n, scripts/kconfig/minikvm.config) halts.
        assert proc.returncode == 0, (image, proc.returncode, out[-3000:], proc.stderr[-2000:])
        assert "ACPI Error" not in out, (image, out)
        assert re.search(r"^%s\r?$" % re.escape(kenv["KRELEASE"]), out, re.M), (image, out[-3000:])
        assert "minikvm-cmd-exit: 0" in out, (image, out[-3000:])
