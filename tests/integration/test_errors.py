# SPDX-License-Identifier: MIT
"""Bad input: every case gets one clear line on stderr and a documented exit status."""
import os
import struct
import tempfile

import harness
from harness import expect, guest, run


def one_line(res):
    err = res.stderr.decode(errors="replace")
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, "expected exactly one error line, got %r" % (res,)
    assert lines[0].startswith("minikvm: "), repr(res)
    return lines[0]


def tmpfile(data, suffix=""):
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="minikvm-test-")
    os.write(fd, data)
    os.close(fd)
    return path


def elf64(machine=62, phoff=64, phnum=1, paddr=0x100000, filesz=16, memsz=16, cls=2, truncate=None):
    """A minimal ELF64 executable with one PT_LOAD segment carrying `hlt` bytes."""
    ehdr = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", cls, 1, 1, 0, 0, b"\0" * 7,
                       2, machine, 1, paddr, phoff, 0, 0, 64, 56, phnum, 64, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0x1000, paddr, paddr, filesz, memsz, 0x1000)
    img = bytearray(ehdr + phdr)
    img += b"\0" * (0x1000 - len(img)) + b"\xf4" * filesz
    if truncate is not None:
        img = img[:truncate]
    return bytes(img)


def test_usage_no_image():
    res = run([])
    expect(res, 1)
    assert "no guest image" in one_line(res)


def test_usage_unknown_option():
    res = run(["--frobnicate", guest("hello16.bin")])
    expect(res, 1)
    assert "unknown option '--frobnicate'" in one_line(res)


def test_usage_bad_memory_and_cpus():
    for args, words in ((["-m", "12Q"], "bad value '12Q' for --memory"),
                        (["-m", "1M"], "out of range"),
                        (["-c", "0"], "--cpus 0 is out of range"),
                        (["-c", "many"], "bad value 'many' for --cpus"),
                        (["--format", "zip"], "unknown format 'zip'"),
                        (["--serial", "tcp:1"], "bad --serial")):
        res = run(args + [guest("hello16.bin")])
        expect(res, 1)
        assert words in one_line(res), (args, res)


def test_help_and_version():
    res = run(["--help"])
    expect(res, 0)
    out = res.stdout.decode()
    assert out.startswith("Usage: minikvm [options] IMAGE")
    for words in ("--memory", "--cpus", "--format", "--trace-exits", "--stats", "Exit status",
                  "isa-debug-exit", "--dump-dir DIR", "--snapshot-dir DIR"):
        assert words in out, words
    res = run(["--version"])
    expect(res, 0)
    assert res.stdout.decode().startswith("minikvm ")


def test_missing_image():
    res = run(["/nonexistent/guest.bin"])
    expect(res, 1)
    line = one_line(res)
    assert "/nonexistent/guest.bin" in line and "No such file or directory" in line, line


def test_image_is_directory():
    res = run([tempfile.gettempdir()])
    expect(res, 1)
    one_line(res)


def test_empty_image():
    path = tmpfile(b"", ".bin")
    try:
        res = run([path])
        expect(res, 1)
        assert "empty" in one_line(res)
    finally:
        os.unlink(path)


def test_unknown_format():
    path = tmpfile(b"\x01\x02\x03 not a known image", ".img")
    try:
        res = run([path])
        expect(res, 1)
        line = one_line(res)
        assert "--format" in line, line
    finally:
        os.unlink(path)


def test_truncated_elf():
    path = tmpfile(elf64(truncate=40))
    try:
        res = run([path])
        expect(res, 1)
        assert "ELF" in one_line(res)
    finally:
        os.unlink(path)


def test_elf_data_beyond_file():
    path = tmpfile(elf64(truncate=0x1008))
    try:
        res = run([path])
        expect(res, 1)
        assert "ELF" in one_line(res)
    finally:
        os.unlink(path)


def test_wrong_architecture_elf():
    path = tmpfile(elf64(machine=183))  # AArch64
    try:
        res = run([path])
        expect(res, 1)
        line = one_line(res)
        assert "183" in line and "x86" in line, line
    finally:
        os.unlink(path)


def test_segment_beyond_ram():
    path = tmpfile(elf64(paddr=0x10000000))  # 256 MiB, RAM is 128 MiB
    try:
        res = run([path])
        expect(res, 1)
        assert "RAM" in one_line(res) or "memory" in one_line(res)
    finally:
        os.unlink(path)


def test_memory_too_small_for_image():
    res = run(["-m", "2M", "--format", "raw64", "--load-addr", "0x1ff000",
               tmpfile(b"\xf4" * 8192)])
    expect(res, 1)
    assert "does not fit" in one_line(res) or "beyond" in one_line(res)


def test_module_needs_multiboot():
    res = run(["--module", guest("hello16.bin"), guest("hello16.bin")])
    expect(res, 1)
    assert "multiboot" in one_line(res)


def test_no_kvm_is_host_error():
    # Run under a private mount namespace where /dev/kvm is missing, when we can.
    if os.geteuid() != 0 or not os.path.exists("/usr/bin/unshare"):
        raise harness.Skip("needs root and unshare to hide /dev/kvm")
    import subprocess
    proc = subprocess.run(["unshare", "-m", "sh", "-c",
                           "mount -t tmpfs none /dev && exec %s %s" % (harness.MINIKVM,
                                                                       guest("hello16.bin"))],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    err = proc.stderr.decode()
    assert "/dev/kvm does not exist" in err, err
