# SPDX-License-Identifier: MIT
"""Debian's stock kernel: boot it, and debug it with its -dbg vmlinux.

The kernel, busybox and the -dbg package are fetched (and cached) by
scripts/fetch-linux.sh from Debian's archive. On hosts whose KVM runs guests
in hardware the whole boot to a shell is tested; where KVM emulates guests
(no vmx/svm: PVM), what a few minutes reach is tested, and the rest is
reported as skipped with that reason.
"""
import os
import re
import shlex
import subprocess

import harness
from harness import Vmm, run_gdb

FETCH = os.path.join(harness.ROOT, "scripts", "fetch-linux.sh")
ONE_AT_A_TIME = True  # one Linux guest at a time (tests/run.py)
_env = {}


def linux_env():
    """The paths of Debian's kernel and initramfs: from the file `make test`
    wrote beforehand (MINIKVM_LINUX_ENV; on the emulated host, apt must not run:
    no network, and apt's mmapped cache over 9p can stall), else fetched now."""
    if not _env:
        path = os.environ.get("MINIKVM_LINUX_ENV", "")
        if path and os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                text = f.read()
        else:
            proc = subprocess.run([FETCH, "--dbg", "--gdb-scripts", "--print-env"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, timeout=1200)
            if proc.returncode != 0:
                raise AssertionError("fetching Debian's kernel failed:\n" + proc.stderr[-2000:])
            text = proc.stdout
        for line in text.splitlines():
            k, _, v = line.partition("=")
            _env[k] = shlex.split(v)[0] if v else ""
    return _env


def gdb_index_opts():
    """gdb options for the vmlinux: its DWARF index from the index cache that
    fetch-linux.sh made (GDB_INDEX), so that gdb does not index the DWARF
    again at each load (on the emulated host, 19 s a load, and after
    lx-symbols reloads it, two minutes before the next expression)."""
    d = linux_env().get("GDB_INDEX")
    return ["-iex", "set index-cache directory " + d, "-iex", "set index-cache enabled on"] if d else []


def hardware_kvm():
    with open("/proc/cpuinfo") as f:
        flags = next((l for l in f if l.startswith("flags")), "")
    return " vmx" in flags or " svm" in flags


def need_hardware(what):
    if not hardware_kvm():
        raise harness.Skip(what + ": needs VT-x/AMD-V; this host's KVM emulates guests "
                           "(no vmx/svm in /proc/cpuinfo) and boots Linux too slowly for a test")


def memmap_for(mem_mib):
    """What minikvm's e820 holds for mem_mib MiB below 3 GiB (src/x86/layout.c)."""
    return [(0, 0x1000, 1), (0x1000, 0xe000, 2), (0xf000, 0x9fc00 - 0xf000, 1),
            (0x9fc00, 0x400, 2), (0xe0000, 0x20000, 2), (0x100000, mem_mib * 2**20 - 0x100000, 1)]


def start_kernel_session(image, extra_args=(), bp="hbreak"):
    env = linux_env()
    initrd_size = os.path.getsize(env["INITRD"])
    cmdline = "console=ttyS0 nokaslr minikvm.test=1"
    with Vmm(["-S", "-m", "256M", "--initrd", env["INITRD"], "--append", cmdline]
             + list(extra_args) + [image]) as vm:
        r = run_gdb(vm, env["VMLINUX"], r'''
ex("BP start_kernel")
ex("continue")
R["fn"] = fn()
R["cmdline"] = gdb.parse_and_eval("boot_command_line").string()
R["e820_entries"] = ev("boot_params.e820_entries")
R["e820"] = [[ev("boot_params.e820_table[%d].addr" % i), ev("boot_params.e820_table[%d].size" % i),
              ev("(int)boot_params.e820_table[%d].type" % i)] for i in range(R["e820_entries"])]
R["ramdisk_size"] = ev("boot_params.hdr.ramdisk_size")
R["ramdisk_image"] = ev("boot_params.hdr.ramdisk_image")
R["bt"] = frames()
R["comm"] = gdb.parse_and_eval("init_task.comm").string()
R["threads"] = len(gdb.selected_inferior().threads())
R["cr4"] = ev("$cr4")
R["translate"] = gdb.execute("monitor translate 0x%x" % ev("(unsigned long)&linux_banner"), to_string=True)
R["banner"] = bytes(gdb.selected_inferior().read_memory(ev("(unsigned long)&linux_banner"), 14)).decode()
ex("kill")
'''.replace("BP", bp), timeout=600, gdb_opts=gdb_index_opts())
        assert vm.finish() == 0
    return r, cmdline, initrd_size


_la57 = []


def la57_offered():
    """Does this KVM offer 5-level paging to guests (minikvm --host-report)?"""
    if not _la57:
        out = harness.run(["--host-report"]).stdout.decode()
        _la57.append("LA57 offered to guests yes" in out)
    return _la57[0]


def check_paging(r, levels):
    """The kernel's paging as gdb sees it through minikvm: CR4.LA57, the page
    walk of a kernel address, and the bytes read through it."""
    assert bool(r["cr4"] & (1 << 12)) == (levels == 5), (levels, hex(r["cr4"]))
    assert "%d-level paging" % levels in r["translate"], r["translate"]
    assert ("PML5E at GPA" in r["translate"]) == (levels == 5), r["translate"]
    assert "PML4E at GPA" in r["translate"] and "-> GPA 0x" in r["translate"], r["translate"]
    assert r["banner"] == "Linux version ", r["banner"]


def check_start_kernel(r, cmdline, initrd_size):
    assert r["fn"] == "start_kernel", r
    # What minikvm passed, as the kernel sees it (plus what an emulating host needs).
    assert r["cmdline"] == cmdline or r["cmdline"].startswith(cmdline + " noxsave"), r["cmdline"]
    assert r["ramdisk_size"] == initrd_size
    assert r["ramdisk_image"] % 4096 == 0 and r["ramdisk_image"] + initrd_size <= 256 * 2**20
    for entry in memmap_for(256):
        assert list(entry) in r["e820"], (entry, r["e820"])
    # x86_64_start_kernel -> x86_64_start_reservations -> start_kernel are tail calls
    assert r["bt"][:2] == ["start_kernel", "secondary_startup_64"], r["bt"]
    assert r["comm"] == "swapper"
    assert r["threads"] == 1


def test_vmlinux_pvh_to_start_kernel_with_gdb():
    env = linux_env()
    # A software breakpoint set before the kernel has page tables: minikvm
    # places it through the vmlinux's own segment map.
    r, cmdline, size = start_kernel_session(env["VMLINUX"], bp="break")
    # PVH: the kernel built boot_params from minikvm's hvm_start_info (memory map, initrd)
    check_start_kernel(r, cmdline, size)
    # PVH enters the kernel past its decompressor, whose trampoline is what
    # turns 5-level paging on: 4 levels, whatever the CPU offers.
    check_paging(r, 4)


def test_bzimage_to_start_kernel_with_gdb():
    env = linux_env()
    r, cmdline, size = start_kernel_session(env["VMLINUZ"])
    check_start_kernel(r, cmdline, size)
    assert r["e820_entries"] == len(memmap_for(256))  # the bzImage gets minikvm's e820 as is
    # Where the CPU offers LA57 the decompressor switches to 5-level paging (in
    # its trampoline below 640 KiB), and the debugger walks five levels.
    check_paging(r, 5 if la57_offered() else 4)


def test_bzimage_header_errors():
    env = linux_env()
    with open(env["VMLINUZ"], "rb") as f:
        data = bytearray(f.read(0x4000))
    data[0x236] = 0  # no XLF_KERNEL_64
    path = os.path.join(harness.tempfile.mkdtemp(), "vmlinuz")
    with open(path, "wb") as f:
        f.write(data)
    res = harness.run([path])
    harness.expect(res, 1)
    assert "no 64-bit entry point" in res.stderr.decode()


def boot_and_run(args, command, timeout=600):
    env = linux_env()
    cmd = command.replace(" ", "+")
    res = harness.run(["-m", "512M", "--initrd", env["INITRD"], "--append",
                       "console=ttyS0 quiet minikvm.cmd=" + cmd] + args + [env["VMLINUZ"]],
                      timeout=timeout)
    return res


def test_boot_to_shell_1_cpu():
    need_hardware("Linux boot to a shell")
    res = boot_and_run(["-c", "1"], "uname -r; nproc; grep -c processor /proc/cpuinfo; "
                       "echo hello > /tmp/f; cat /tmp/f; grep ' /tmp ' /proc/mounts")
    out = res.stdout.decode(errors="replace")
    env = linux_env()
    assert res.status == 0, res
    assert "minikvm-init: kernel %s cpus 1" % env["KVER"] in out, out
    assert re.search(r"^%s\r?$" % re.escape(env["KVER"]), out, re.M), out
    assert "hello" in out and "minikvm-cmd-exit: 0" in out, out
    assert re.search(r"^tmpfs /tmp tmpfs rw", out, re.M), out  # written to a tmpfs


def test_boot_to_shell_2_cpus():
    need_hardware("Linux SMP boot to a shell")
    res = boot_and_run(["-c", "2"], "nproc; grep -c processor /proc/cpuinfo; grep -c la57 /proc/cpuinfo | sed s/^/la57=/")
    out = res.stdout.decode(errors="replace")
    assert res.status == 0, res
    assert "cpus 2" in out and re.search(r"^2\r?$", out, re.M), out
    # Both CPUs with LA57 where it is offered (the second came up through the
    # real-mode trampoline into the boot CPU's 5-level tables).
    assert re.search(r"^la57=%d\r?$" % (2 if la57_offered() else 0), out, re.M), out


def test_dmesg_has_no_device_errors():
    need_hardware("Linux boot log check")
    res = boot_and_run(["-c", "1"], "dmesg")
    out = res.stdout.decode(errors="replace")
    assert res.status == 0, res
    for bad in ("ACPI Error", "timed out", "i8042: No controller found", "rtc_cmos: probe failed",
                "PCI: Fatal"):
        assert bad not in out, (bad, out)


def test_software_breakpoints_from_the_first_instruction_into_the_kernel():
    # The session a kernel developer starts with: at the bzImage's first
    # instruction (its 64-bit entry, on minikvm's identity map), `break` and
    # `hbreak` on one kernel address the guest has not mapped yet, through the
    # decompressor and its paging-mode switch (5-level where the CPU offers it)
    # into the kernel; there, a second software breakpoint further on.
    env = linux_env()
    with Vmm(["-S", "-m", "256M", "--initrd", env["INITRD"], "--append", "console=ttyS0 nokaslr",
              env["VMLINUZ"]]) as vm:
        r = run_gdb(vm, env["VMLINUX"], r'''
R["pc0"] = ev("$pc")
ex("break start_kernel")
ex("hbreak start_kernel")
ex("continue")
R["first"] = [fn(), [b.hit_count for b in gdb.breakpoints()]]
ex("break setup_arch")
ex("continue")
R["second"] = [fn(), frames()[:2], [b.hit_count for b in gdb.breakpoints()]]
ex("kill")
''', timeout=600, gdb_opts=gdb_index_opts())
        assert vm.finish() == 0
    assert r["pc0"] < 0x100000000, hex(r["pc0"])  # the decompressor's entry, a physical address
    assert r["first"] == ["start_kernel", [1, 1]], r["first"]
    assert r["second"] == ["setup_arch", ["setup_arch", "start_kernel"], [1, 1, 1]], r["second"]


def source_env():
    """SOURCE_DIR and the substitute-path pairs (fetch-linux.sh --source), or a skip."""
    env = linux_env()
    if not env.get("SOURCE_DIR") or not env.get("SUBSTITUTE_PATH"):
        raise harness.Skip("the kernel's source is not in the cache "
                           "(scripts/fetch-linux.sh --dbg --source; make test unpacks it)")
    return env


def file_lines(path):
    with open(path, errors="replace") as f:
        return f.read().splitlines()


def test_debian_kernel_source_lines_with_substitute_path():
    # Debian's DWARF names init/main.c relative to its build directory
    # (debian/build/build_amd64_none_cloud-amd64) and head_64.S by an absolute
    # path of its build machine: with fetch-linux.sh's two pairs, gdb shows
    # the lines of linux-source of the kernel's own version.
    env = source_env()
    main_c = file_lines(os.path.join(env["SOURCE_DIR"], "init", "main.c"))
    with Vmm(["-S", "-m", "256M", "--initrd", env["INITRD"], "--append", "console=ttyS0 nokaslr",
              env["VMLINUX"]]) as vm:
        r = run_gdb(vm, env["VMLINUX"], r'''
ex("set substitute-path " + %r)
ex("set substitute-path " + %r)
ex("break start_kernel")
ex("continue")
R["fn"] = fn()
sal = gdb.selected_frame().find_sal()
R["sal"] = [sal.symtab.filename, sal.symtab.fullname(), sal.line]
R["frame"] = ex("frame")
R["list"] = ex("list")
R["bt"] = ex("bt")
caller = gdb.selected_frame().older().find_sal()
R["caller"] = [caller.symtab.filename, caller.symtab.fullname(), caller.line]
ex("kill")
''' % (env["SUBSTITUTE_PATH"], env["SUBSTITUTE_PATH_ASM"]), timeout=600, gdb_opts=gdb_index_opts())
        assert vm.finish() == 0
    assert r["fn"] == "start_kernel", r
    filename, fullname, line = r["sal"]
    assert filename == "init/main.c", r["sal"]
    assert fullname == os.path.join(env["SOURCE_DIR"], "init", "main.c"), r["sal"]
    # start_kernel's first line in the file on disk, and gdb's stop a few lines on
    first = next(n for n, l in enumerate(main_c, 1) if l.startswith("void start_kernel(void)"))
    assert first <= line < first + 10, (first, line)
    # "#0  start_kernel () at init/main.c:913" and that line's text from the source
    assert re.match(r"#0\s+start_kernel \(\) at init/main\.c:%d\n%d\t%s\n" % (
        line, line, re.escape(main_c[line - 1])), r["frame"]), r["frame"]
    # list: ten lines around the stop, numbered, each the file's own text
    listed = [l.split("\t", 1) for l in r["list"].splitlines()]
    assert len(listed) == 10 and [int(n) for n, _ in listed] == list(range(line - 5, line + 5)), r["list"]
    assert all(text == main_c[int(n) - 1] for n, text in listed), r["list"]
    assert "void start_kernel(void)" in r["list"], r["list"]
    # bt: file:line in every frame; the caller is assembly, its absolute DWARF
    # name rewritten by the second pair to a file that exists
    bt = r["bt"].splitlines()
    assert re.match(r"#0\s+start_kernel \(\) at init/main\.c:%d$" % line, bt[0]), r["bt"]
    assert re.match(r"#1\s+0x[0-9a-f]+ in secondary_startup_64 \(\) at /\S+/arch/x86/kernel/head_64\.S:\d+$",
                    bt[1]), r["bt"]
    cfile, cfull, cline = r["caller"]
    assert cfull == os.path.join(env["SOURCE_DIR"], "arch", "x86", "kernel", "head_64.S"), r["caller"]
    assert 0 < cline <= len(file_lines(cfull)) and cfile.endswith("/arch/x86/kernel/head_64.S"), r["caller"]
