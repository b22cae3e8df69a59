# SPDX-License-Identifier: MIT
"""The guests in guest/ (built by `make guests`), run under minikvm.

Each test runs one guest and checks its exact serial output (stdout) and
exit status; guest/README.md and the comment at the top of each guest's
source say what it prints and why. Formats used here:
  hello16.bin      raw16 (auto: a .bin file)       i8042 reset -> 0
  pmode32.bin      --format raw32                  isa-debug-exit 0x10 -> 33
  long64.bin       --format raw64                  hypercall EXIT 0
  hypercall.bin    --format raw64                  hypercall EXIT 7
  smp.bin          --format raw32 -c N             hypercall EXIT N
  triplefault.bin  --format raw32                  triple fault -> 3
  mbkernel.elf     multiboot (ELF, auto)           hypercall EXIT 0
  mbkludge.bin     multiboot (a.out kludge, auto)  hypercall EXIT 0
  elf32.elf        ELF32 (auto)                    isa-debug-exit 2 -> 5
  ckernel.elf      ELF64 (auto)                    hypercall EXIT 0
"""
import os
import re
import tempfile

from harness import expect, guest, run


def need(*names):
    for name in names:
        path = guest(name)
        assert os.path.exists(path), "%s is missing: run `make guests`" % path


def test_hello16():
    need("hello16.bin")
    res = run([guest("hello16.bin")])
    expect(res, 0, "Hello, world! (real mode)\n")


def test_pmode32():
    need("pmode32.bin")
    res = run(["--format", "raw32", guest("pmode32.bin")])
    expect(res, 33,
           "Hello from 32-bit protected mode!\n"
           "pmode32: CR0.PE=1 CR0.PG=0 CS=0x0010 DS=0x0018 SS=0x0018\n"
           "pmode32: running at 0x00100000, exiting via isa-debug-exit 0x10\n")


def test_long64():
    need("long64.bin")
    res = run(["--format", "raw64", guest("long64.bin")])
    expect(res, 0,
           "long mode: EFER.LMA=1 EFER.LME=1 CR0.PG=1 CR4.PAE=1 CS=0x0010\n"
           "long64: wrote 0x0123456789abcdef at 0x0000000002000000,"
           " read back 0x0123456789abcdef\n"
           "long64: exiting via hypercall EXIT 0\n")


def test_hypercall():
    # raw64; every hypercall; stdin is echoed upper-cased until GETCHAR says EOF.
    need("hypercall.bin")
    res = run(["--format", "raw64", guest("hypercall.bin")], stdin=b"abc")
    expect(res, 7,
           "hypercall: version 1\n"
           "hypercall: this line came through WRITE\n"
           "hypercall: WRITE returned 40\n"
           "hypercall: vcpu id 0\n"
           "hypercall: unknown call 0x1234 returned -1\n"
           "hypercall: WRITE outside RAM returned -1\n"
           "hypercall: echo: ABC\n"
           "hypercall: end of input, EXIT 7\n")


def check_smp(cpus):
    need("smp.bin")
    res = run(["--format", "raw32", "-c", str(cpus), guest("smp.bin")])
    assert res.status == cpus, "expected exit %d, got %r" % (cpus, res)
    lines = res.stdout.decode(errors="replace").splitlines()
    plural = "" if cpus == 1 else "s"
    # The BSP's lines come first and the summary last; the APs race for the
    # console lock in between, so compare those sorted.
    assert lines[:2] == ["smp: ACPI MADT lists %d CPU%s, local APIC at 0xfee00000" % (cpus, plural),
                         "cpu 0: APIC id 0 (BSP)"], res
    assert lines[-1] == "smp: %d CPU%s online" % (cpus, plural), res
    expected_aps = sorted("cpu %d: APIC id %d" % (i, i) for i in range(1, cpus))
    assert sorted(lines[2:-1]) == expected_aps, res


def test_smp_1():
    check_smp(1)


def test_smp_2():
    check_smp(2)


def test_smp_4():
    check_smp(4)


def test_smp_8():
    check_smp(8)


def test_smp_16():
    check_smp(16)


def test_triplefault():
    need("triplefault.bin")
    res = run(["--format", "raw32", guest("triplefault.bin")])
    expect(res, 3, "about to triple fault\n")
    err = res.stderr.decode(errors="replace")
    assert "triple fault" in err.lower(), res
    rip = re.search(r"RIP=([0-9a-f]{16})", err)
    assert rip, res
    # AMD-V's KVM INITs a vCPU on a shutdown intercept, so the dump is the
    # reset state, and minikvm must say so; VT-x keeps where it died.
    just_reset = int(rip.group(1), 16) == 0xfff0 and "sel=f000 base=00000000ffff0000" in err
    said = "registers of a vCPU just reset" in err
    assert said == just_reset, res
    if os.path.isdir("/sys/module/kvm_amd"):  # this KVM is AMD-V's
        assert just_reset and said, res


def check_multiboot(image, kind_line, extra_args=()):
    need(image)
    with tempfile.TemporaryDirectory() as tmp:
        mod1 = os.path.join(tmp, "first.txt")
        mod2 = os.path.join(tmp, "second.cfg")
        data1 = b"first module, line one\nline two\n"
        data2 = b"key=value"              # no newline at all
        with open(mod1, "wb") as f:
            f.write(data1)
        with open(mod2, "wb") as f:
            f.write(data2)
        res = run(list(extra_args) + ["--append", "console=ttyS0 hello=world",
                                      "--module", mod1, "--module", mod2, guest(image)])
    assert res.status == 0, "expected exit 0, got %r" % res
    lines = res.stdout.decode(errors="replace").splitlines()
    head = ["multiboot: magic ok",
            kind_line,
            "bootloader: minikvm",
            "cmdline: console=ttyS0 hello=world",
            "mem_lower=639K mem_upper=130048K"]   # 128 MiB: 1 MiB .. 128 MiB
    tail = ["modules: 2",
            "module 0: %s %d bytes: first module, line one" % (mod1, len(data1)),
            "module 1: %s %d bytes: key=value" % (mod2, len(data2))]
    assert lines[:len(head)] == head, res
    assert lines[-len(tail):] == tail, res
    mmap = lines[len(head):-len(tail)]
    assert mmap, "no memory map: %r" % res
    for line in mmap:
        assert re.fullmatch(r"mmap: base=0x[0-9a-f]+ len=0x[0-9a-f]+ type=[1-5]", line), res
    # The memory above 1 MiB is RAM, up to the end of the default 128 MiB.
    assert "mmap: base=0x100000 len=0x7f00000 type=1" in mmap, res
    # Conventional memory starts at 0 and is RAM too.
    assert mmap[0].startswith("mmap: base=0x0 ") and mmap[0].endswith("type=1"), res


def test_mbkernel():
    check_multiboot("mbkernel.elf", "kernel: ELF, header flags 0x00000003")


def test_mbkludge():
    # --format auto must find the multiboot header before calling it raw16 by its name.
    check_multiboot("mbkludge.bin", "kernel: a.out kludge, header flags 0x00010003",
                    ["--format", "auto"])


def test_elf32():
    need("elf32.elf")
    res = run([guest("elf32.elf")])
    expect(res, 5,
           "elf32: hello from a 32-bit ELF\n"
           "elf32: CR0.PE=1 CR0.PG=0 CS=0x10 DS=0x18\n"
           "elf32: initialised data: 0xfeedc0de \"loaded from the file\"\n")


CKERNEL_OUTPUT = (
    "ckernel: hello from C in long mode\n"
    "ckernel: message=\"minikvm ckernel data\" checksum(pattern)=2016\n"
    "ckernel: compute(10)=295\n"
    "ckernel: point=(3,4) area=12\n"
    "ckernel: counter=55 sum=295\n"
    "mode: 0\n"
    "ckernel: done\n")


def test_ckernel():
    need("ckernel.elf")
    res = run([guest("ckernel.elf")])
    expect(res, 0, CKERNEL_OUTPUT)


def test_without_the_debugger():
    # build/minikvm-nodebug links no debugger and no gdbstub (the core knows
    # the debugger only through struct vm_hooks): guests run the same.
    import harness
    nodebug = harness.MINIKVM + "-nodebug"
    assert os.path.exists(nodebug), "%s is missing: run `make test`" % nodebug
    need("hello16.bin", "smp.bin")
    expect(run([guest("hello16.bin")], binary=nodebug), 0, "Hello, world! (real mode)\n")
    res = run(["--format", "raw32", "-c", "4", guest("smp.bin")], binary=nodebug)
    assert res.status == 4 and res.stdout.decode().endswith("smp: 4 CPUs online\n"), res
    res = run(["-g", "127.0.0.1:0", guest("hello16.bin")], binary=nodebug)
    assert res.status == 1 and res.stdout == b"", res
    assert res.stderr.decode() == ("minikvm: this minikvm was built without the debugger "
                                   "(build/minikvm-nodebug): --gdb and -S are not available\n"), res
