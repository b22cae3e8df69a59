#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""minikvm-riscv64 and the RISC-V guests, on a RISC-V KVM.

They run here, outside the RISC-V host, and drive scripts/onkvm-riscv64
(which runs a command where a RISC-V /dev/kvm works: directly on a riscv64
machine with KVM, else on Debian's riscv64 kernel under QEMU, about a minute
a boot here). One boot runs every case (a shell script of minikvm-riscv64
runs, each one's stdout, stderr and exit status written into
build-riscv64/riscv-test/, which the host shares); then each test checks its
cases' real output and status:

  test_hello           guest/riscv/hello.elf prints its line on the UART and
                       ends through the test device with code 42
  test_flat_binary     hello.bin, a flat binary, at the default 0x8000_0000
                       and at --load-addr 0x80200000
  test_ckernel         the C kernel finds the device tree in a1 (its magic),
                       writes through SBI DBCN, takes 3 timer interrupts
                       (Sstc, or SBI TIME where KVM has no Sstc), computes
                       fib(50), ends with 7
  test_smp_stats       -c 2 -m 64M: the device tree moves to the top of the
                       smaller RAM, hart 1 waits stopped (0 exits), --stats
                       counts the SBI exits
  test_smp             guest/riscv/smp.elf with -c 1, 2 and 4: finds the
                       harts in the device tree, starts the others with SBI
                       HSM hart_start (KVM's), each prints its line once
                       under a spinlock and all meet at a barrier; exit
                       code 0x20 + the number of harts
  test_exit_paths      the test device's pass (0x5555) and reset (0x7777) and
                       an SBI system reset shutdown all end with status 0,
                       -v saying which
  test_trace_exits     --trace-exits shows each UART byte and the exit write
  test_cli_errors      x86 options, a bad --gdb endpoint, raw16, an x86 ELF and
                       --initrd with an ELF are usage errors with a clear word
  test_share           Linux with two --share directories (virtio-9p over
                       virtio-mmio, found in the device tree): the read-only
                       one is mounted, a file of it read, a write refused
                       (EROFS), symlinks out of it resolve in the guest, not
                       on the host; a file written in the rw one is on the host

`make test` runs it (and counts it in the closing line, through the suite's
results file, --resume FILE); `make test-riscv` alone. Exit status: 0 all
passed, 1 some failed.
"""
import functools
import os
import shlex
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import results as results_file  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import onkvm_riscv64  # noqa: E402

ONKVM_RISCV64 = onkvm_riscv64.ONKVM_RISCV64
MINIKVM = "./minikvm-riscv64"
GUESTS = "guest/riscv"
WORK = os.path.join("build-riscv64", "riscv-test")  # relative to ROOT, where the host runs
TIMEOUT = 900  # one boot of the emulated host, and every case in it

# Tiny flat binaries, RV64 instructions as words: each ends the machine one way.
LUI = lambda rd, imm20: (imm20 << 12) | (rd << 7) | 0x37            # noqa: E731
ADDI = lambda rd, rs1, imm: ((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13  # noqa: E731
SW = lambda rs2, rs1: (rs2 << 20) | (rs1 << 15) | (2 << 12) | 0x23  # noqa: E731  sw rs2, 0(rs1)
ECALL, LOOP = 0x73, 0x6f                                            # ecall; j .
T0, T1, A0, A1, A6, A7 = 5, 6, 10, 11, 16, 17


def test_device_write(value):
    """lui t0, 0x100 (the test device); t1 = value; sw t1, 0(t0); j ."""
    return [LUI(T0, 0x100), LUI(T1, value >> 12), ADDI(T1, T1, value & 0xfff), SW(T1, T0), LOOP]


def sbi_shutdown():
    """SBI SRST (a7 = 0x53525354) system_reset (a6 = 0) type shutdown (a0 = 0), reason 0."""
    return [LUI(A7, 0x53525), ADDI(A7, A7, 0x354), ADDI(A6, 0, 0), ADDI(A0, 0, 0), ADDI(A1, 0, 0),
            ECALL, LOOP]


BINARIES = {"pass.bin": test_device_write(0x5555), "reset.bin": test_device_write(0x7777),
            "shutdown.bin": sbi_shutdown()}

# name -> minikvm-riscv64's arguments (paths relative to ROOT)
CASES = {
    "hello": ["%s/hello.elf" % GUESTS],
    "hello_bin": ["%s/hello.bin" % GUESTS],
    "hello_bin_at": ["-v", "--load-addr", "0x80200000", "%s/hello.bin" % GUESTS],
    "ckernel": ["-v", "%s/ckernel.elf" % GUESTS],
    "smp_stats": ["-c", "2", "-m", "64M", "--stats", "%s/ckernel.elf" % GUESTS],
    "smp_1": ["-c", "1", "%s/smp.elf" % GUESTS],
    "smp_2": ["-c", "2", "%s/smp.elf" % GUESTS],
    "smp_4": ["-c", "4", "%s/smp.elf" % GUESTS],
    # Debian trixie's riscv64 kernel and a busybox initramfs (onkvm-riscv64
    # --guest-linux; the paths are filled in by linux_cases()).
    "linux_1": ["-v", "-c", "1", "-m", "256M", "LINUX"],
    "linux_2": ["-v", "-c", "2", "-m", "256M", "LINUX"],
    "pass": ["-v", "%s/pass.bin" % WORK],
    "reset": ["-v", "%s/reset.bin" % WORK],
    "shutdown": ["-v", "%s/shutdown.bin" % WORK],
    "trace": ["--trace-exits", "%s/hello.elf" % GUESTS],
    "err_irqchip": ["--irqchip", "kernel", "%s/hello.elf" % GUESTS],
    "err_gdb": ["--gdb", "nowhere", "%s/hello.elf" % GUESTS],
    "err_raw16": ["--format", "raw16", "%s/hello.bin" % GUESTS],
    "err_x86_elf": ["guest/ckernel.elf"],
    "err_initrd": ["--initrd", "%s/hello.bin" % GUESTS, "%s/hello.elf" % GUESTS],
    # Two shares (run_all makes them): "host" read-only, "rw" writable.
    "share": ["-v", "-m", "256M", "--share", "%s/share" % WORK, "--share", "%s/share_rw,tag=rw,rw" % WORK,
              "SHARE_LINUX"],
}


LINUX_CMD = "minikvm.cmd=uname+-m;nproc;grep+-c+%5Eprocessor+/proc/cpuinfo"
# virtio-mmio and 9p are modules in Debian's riscv64 kernel (the guest initramfs has them in
# /modules, their order in /modules/order); the rest is check.sh.
SHARE_CMD = ('minikvm.cmd="for m in $(cat /modules/order); do busybox insmod /modules/$m; done; '
             'mount -t 9p -o trans=virtio,version=9p2000.L host /mnt && sh /mnt/check.sh"')
SHARE_HELLO = "hello from the host, through virtio-9p"
SHARE_SECRET = "OUTSIDE-THE-SHARE"
SHARE_WRITTEN = "written by the guest\n"
# What the guest runs from the read-only share; each line's result on a line of its own.
SHARE_CHECK = r"""
echo "share-ls: $(ls /mnt | tr '\n' ' ')"
echo "share-cat: $(cat /mnt/hello.txt)"
out=$(sh -c 'echo x > /mnt/new.txt' 2>&1); echo "share-write: $? $out"
echo "share-escape: $(cat /mnt/escape 2>&1)"
echo "share-dotdot: $(cat /mnt/sub/../../secret.txt 2>&1)"
echo "share-abs: $(cat /mnt/abs/hostname 2>&1)"
mkdir -p /rw && mount -t 9p -o trans=virtio,version=9p2000.L rw /rw &&
	printf 'written by the guest\n' > /rw/out.txt && sync && umount /rw && echo "share-rw: done"
"""


@functools.lru_cache(maxsize=None)
def guest_linux():
    """{"KERNEL": path, "INITRD": path} from onkvm-riscv64 --guest-linux (fetched once)."""
    paths, why = onkvm_riscv64.assignments("--guest-linux")
    if not paths or not {"KERNEL", "INITRD"} <= paths.keys():
        raise AssertionError(why or "onkvm-riscv64 --guest-linux printed no KERNEL or INITRD")
    return paths


def linux_args(args):
    """A Linux case's arguments: "LINUX" becomes the kernel, its initramfs and command line."""
    word = "LINUX" if "LINUX" in args else "SHARE_LINUX" if "SHARE_LINUX" in args else None
    if not word:
        return args
    unq = guest_linux()
    i = args.index(word)
    cmd = LINUX_CMD if word == "LINUX" else SHARE_CMD
    return args[:i] + ["--initrd", unq["INITRD"], "--append", "console=ttyS0 " + cmd, unq["KERNEL"]] + args[i + 1:]


def make_shares(work):
    """The shares of the "share" case, and a file beside them that must stay out of reach."""
    share, share_rw = os.path.join(work, "share"), os.path.join(work, "share_rw")
    os.makedirs(os.path.join(share, "sub"))
    os.makedirs(share_rw)
    with open(os.path.join(work, "secret.txt"), "w") as f:
        f.write(SHARE_SECRET + "\n")
    with open(os.path.join(share, "hello.txt"), "w") as f:
        f.write(SHARE_HELLO + "\n")
    with open(os.path.join(share, "check.sh"), "w") as f:
        f.write(SHARE_CHECK)
    os.symlink("../secret.txt", os.path.join(share, "escape"))
    os.symlink("/etc", os.path.join(share, "abs"))


class Session:
    """Every case, run once in one boot of the RISC-V host."""
    ran = None

    @classmethod
    def get(cls):
        if cls.ran is None:
            cls.ran = cls.run_all()
        return cls.ran

    @staticmethod
    def run_all():
        work = os.path.join(ROOT, WORK)
        os.makedirs(work, exist_ok=True)
        for name in os.listdir(work):
            path = os.path.join(work, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        make_shares(work)
        for name, words in BINARIES.items():
            with open(os.path.join(work, name), "wb") as f:
                f.write(struct.pack("<%dI" % len(words), *words))
        lines = []
        for name, args in CASES.items():
            args = linux_args(args)
            out = os.path.join(WORK, name)
            lines.append("timeout 120 %s %s >%s.out 2>%s.err; echo $? >%s.status"
                         % (MINIKVM, " ".join(shlex.quote(a) for a in args), out, out, out))
        p = subprocess.run([ONKVM_RISCV64, "sh", "-c", "\n".join(lines)], cwd=ROOT,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
        ran = {"host": p}
        for name in CASES:
            base = os.path.join(work, name)
            try:
                with open(base + ".status") as f:
                    status = int(f.read())
                with open(base + ".out", errors="replace") as f:
                    out = f.read()
                with open(base + ".err", errors="replace") as f:
                    err = f.read()
                ran[name] = (status, out, err)
            except (OSError, ValueError):
                pass
        return ran


def case(name):
    ran = Session.get()
    if name not in ran:
        p = ran["host"]
        raise AssertionError("case %s did not run: onkvm-riscv64 exited %d\n--- stderr:\n%s"
                             % (name, p.returncode, p.stderr.decode(errors="replace")[-3000:]))
    return ran[name]


def expect(name, status, out_has=(), err_has=()):
    got, out, err = case(name)
    shown = "\n--- case %s: status %d\n--- stdout:\n%s\n--- stderr:\n%s" % (name, got, out, err)
    assert got == status, "exit status %d, not %d%s" % (got, status, shown)
    for s in out_has:
        assert s in out, "stdout lacks %r%s" % (s, shown)
    for s in err_has:
        assert s in err, "stderr lacks %r%s" % (s, shown)
    return out, err


def test_hello():
    out, _ = expect("hello", 42)
    assert out == "Hello from RISC-V!\n", repr(out)


def test_flat_binary():
    out, _ = expect("hello_bin", 42)
    assert out == "Hello from RISC-V!\n", repr(out)
    expect("hello_bin_at", 42, ["Hello from RISC-V!\n"],
           ["loaded at 0x80200000-0x80200052, entry 0x80200000"])


def test_ckernel():
    out, _ = expect("ckernel", 7, [
        "ckernel: hart 0x0000000000000000, device tree at 0x0000000087ff0000 (magic ok)\n",
        "ckernel: hello through SBI DBCN\nckernel: dbcn write ok\n!\n",
        "ckernel: 3 timer interrupts\n",
        "ckernel: fib(50) = 0x00000002ee333961\n",
        "ckernel: exiting with code 7\n"],
        ["S-mode, loaded at 0x80000000", "entry 0x80000000",
         "128 MiB of RAM at 0x80000000, 1 vCPU", "VM ended: test device: fail with code 7 (exit status 7)"])
    # Its timer: Sstc where the device tree names it (KVM has it on), else SBI TIME.
    assert ("ckernel: timer: Sstc (stimecmp)\n" in out) != ("ckernel: timer: SBI TIME (set_timer)\n" in out), out


def test_smp_stats():
    _, err = expect("smp_stats", 7,
                    ["device tree at 0x0000000083ff0000 (magic ok)", "3 timer interrupts"],
                    ["vCPU 1: 0 exits\n"])
    sbi = [l for l in err.splitlines() if l.strip().startswith("RISCV_SBI")]
    assert sbi and int(sbi[0].split()[1]) >= 3, err  # 3 DBCN calls at least


def test_smp():
    for n in (1, 2, 4):
        out, _ = expect("smp_%d" % n, 0x20 + n)
        lines = out.splitlines(keepends=True)
        # The boot hart's line first and the meeting last; the others in any order, once each.
        assert lines[:1] == ["smp: hart 0 up\n"], out
        assert lines[-1:] == ["smp: %d harts met\n" % n], out
        assert sorted(lines[:-1]) == ["smp: hart %d up\n" % i for i in range(n)], out


def test_linux():
    """Linux boots to init, runs the command and powers off with status 0, on 1 and 2 harts."""
    for n in (1, 2):
        _, err = expect("linux_%d" % n, 0)
        # Debian's kernel powers off through the device tree's syscon-poweroff
        # (the test device); one without that driver would use SBI SRST.
        assert ("VM ended: test device: pass (exit status 0)" in err or
                "VM ended: guest system event: shutdown or reset (exit status 0)" in err), err[-3000:]
        out = case("linux_%d" % n)[1].replace("\r\n", "\n")  # the guest's tty adds the CRs
        for want in ("minikvm-init: up\n", "minikvm-init: kernel ", "riscv64\n%d\n%d\n" % (n, n),
                     "minikvm-cmd-exit: 0\n"):
            assert want in out, "linux_%d: stdout lacks %r\n%s" % (n, want, out[-3000:])
        assert "cpus %d\n" % n in out, out[-3000:]
        assert "Linux version " in out and "Kernel panic" not in out, out[-3000:]


def test_share():
    _, err = expect("share", 0)
    out = case("share")[1].replace("\r\n", "\n")
    shown = "\n--- stdout:\n%s\n--- stderr:\n%s" % (out[-4000:], err[-2000:])
    for want in ("share-ls: abs check.sh escape hello.txt sub \n",
                 "share-cat: %s\n" % SHARE_HELLO,
                 "share-write: 1 sh: can't create /mnt/new.txt: Read-only file system\n",
                 # The links resolve in the guest: its / has no secret.txt, its /etc/hostname is its own.
                 "share-escape: cat: can't open '/mnt/escape': No such file or directory\n",
                 "share-dotdot: cat: can't open '/mnt/sub/../../secret.txt': No such file or directory\n",
                 "share-abs: minikvm\n",
                 "share-rw: done\n", "minikvm-cmd-exit: 0\n"):
        assert want in out, "stdout lacks %r%s" % (want, shown)
    assert SHARE_SECRET not in out, shown
    assert "Kernel panic" not in out, shown
    assert not os.path.exists(os.path.join(ROOT, WORK, "share", "new.txt")), shown
    with open(os.path.join(ROOT, WORK, "share_rw", "out.txt")) as f:
        assert f.read() == SHARE_WRITTEN, shown


def test_exit_paths():
    expect("pass", 0, err_has=["VM ended: test device: pass (exit status 0)"])
    expect("reset", 0, err_has=["VM ended: test device: reset (exit status 0)"])
    expect("shutdown", 0, err_has=["VM ended: guest system event: shutdown or reset (exit status 0)"])


def test_trace_exits():
    _, err = expect("trace", 42, ["Hello from RISC-V!\n"])
    writes = [l for l in err.splitlines() if l.startswith("vcpu0: MMIO write addr=0x10000000 size=1")]
    assert "".join(chr(int(l.split("data=")[1].split()[0], 16)) for l in writes) == \
        "Hello from RISC-V!\n", err
    assert "vcpu0: MMIO write addr=0x100000 size=4 data=0x2a3333" in err, err


def test_cli_errors():
    expect("err_irqchip", 1, err_has=["--irqchip and --module are x86 options"])
    expect("err_gdb", 1, err_has=["bad --gdb endpoint 'nowhere' (PORT, HOST:PORT"])
    expect("err_raw16", 1, err_has=["unknown format 'raw16' (auto, raw, elf, linux)"])
    expect("err_x86_elf", 1, err_has=["ELF machine 62 (x86-64) is not RISC-V; minikvm runs RISC-V guests"])
    expect("err_initrd", 1, err_has=["--initrd needs a Linux Image, but"])


TESTS = [("riscv_test:" + fn.__name__, fn) for fn in
         (test_hello, test_flat_binary, test_ckernel, test_smp_stats, test_smp, test_linux,
          test_share, test_exit_paths, test_trace_exits, test_cli_errors)]


# The tests that ran guests on the RISC-V KVM (test_cli_errors's cases end before a VM is made).
RAN_GUESTS = {"riscv_test:" + fn.__name__ for fn in
              (test_hello, test_flat_binary, test_ckernel, test_smp_stats, test_smp, test_linux,
               test_share, test_exit_paths, test_trace_exits)}


def main():
    for path in (MINIKVM, GUESTS + "/hello.elf", GUESTS + "/ckernel.elf", GUESTS + "/smp.elf"):
        if not os.path.exists(os.path.join(ROOT, path)):
            print("riscv_test: %s is missing: make ARCH=riscv64" % path, file=sys.stderr)
    return results_file.main_recorded(__doc__.split("\n\n")[0], TESTS,
                                      kvm=lambda name: "riscv64" if name in RAN_GUESTS else False,
                                      host=functools.lru_cache(maxsize=None)(onkvm_riscv64.host_kind))


if __name__ == "__main__":
    sys.exit(main())
