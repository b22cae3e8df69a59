# SPDX-License-Identifier: MIT
"""Usage errors are found before /dev/kvm is opened, so they come out as
usage errors (status 1, one line naming the option) on any machine, with or
without a KVM: a bad --gdb endpoint, a --serial file that cannot be written,
a --loadvm file that is no snapshot or of another machine, and --load-addr
or --entry for an image that says itself where it goes.

Each runs minikvm where /dev/kvm is missing: on a host without one as it
is; on a host with one in a private mount namespace that hides it (root and
unshare(1)), else the test is skipped, since a KVM there would open and
prove nothing about the order.
"""
import os
import shutil
import struct
import subprocess
import tempfile
import zlib

import harness
from harness import guest

NEEDS_KVM = False


def run_without_kvm(args):
    """minikvm args where /dev/kvm does not exist: (status, stderr lines)."""
    cmd = [harness.MINIKVM] + list(args)
    if os.path.exists("/dev/kvm"):
        if os.geteuid() != 0 or not shutil.which("unshare"):
            raise harness.Skip("this host has /dev/kvm: hiding it needs root and unshare")
        # A tmpfs over /dev: no /dev/kvm (nor /dev/null: stdin is the parent's pipe).
        cmd = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs none /dev && exec "$@"', "sh"] + cmd
    proc = subprocess.run(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=30)
    lines = [l for l in proc.stderr.decode(errors="replace").splitlines() if l.strip()]
    return proc.returncode, lines


def usage_error(args, words):
    status, lines = run_without_kvm(args)
    assert status == 1 and len(lines) == 1, (args, status, lines)
    assert lines[0].startswith("minikvm: ") and words in lines[0], (args, words, lines)
    assert "/dev/kvm" not in lines[0], lines


def test_bad_gdb_endpoint():
    usage_error(["--gdb", "nowhere", guest("hello16.bin")],
                "bad --gdb endpoint 'nowhere' (PORT, HOST:PORT, tcp:HOST:PORT, unix:PATH or stdio)")
    usage_error(["-g", "unix:", guest("hello16.bin")], "bad --gdb unix socket path ''")
    usage_error(["-S", "--gdb", "tcp:localhost:0", guest("hello16.bin")], "bad --gdb endpoint")


def test_serial_file_that_cannot_be_written():
    usage_error(["--serial", "file:/nonexistent/dir/log", guest("hello16.bin")],
                "cannot open serial output file '/nonexistent/dir/log': No such file or directory")
    with tempfile.TemporaryDirectory() as d:
        usage_error(["--serial", "file:" + d, guest("hello16.bin")],
                    "cannot open serial output file '%s': Is a directory" % d)


def test_share_that_cannot_be_served():
    """--share: a missing DIR, a file, a bad option or tag, two shares with one tag, a fifth share."""
    hello = guest("hello16.bin")
    usage_error(["--share", "/nonexistent/dir", hello],
                "--share: cannot open the directory '/nonexistent/dir': No such file or directory")
    usage_error(["--share", hello, hello],
                "--share: cannot open the directory '%s': Not a directory" % hello)
    with tempfile.TemporaryDirectory() as d:
        usage_error(["--share", d + ",ro,bogus", hello], "bad --share '%s,ro,bogus' (DIR[,tag=TAG][,rw])" % d)
        usage_error(["--share", d + ",tag=a/b", hello], "bad tag in --share '%s,tag=a/b'" % d)
        usage_error(["--share", d, "--share", d + ",tag=host", hello],
                    "--share: two shares have the tag 'host'")
        usage_error(["--share", d] * 5 + [hello], "too many --share options (at most 4)")


def snapshot_header(mem_size, cpus):
    """A snapshot with no sections: its header parses, its machine is (mem_size, cpus, split)."""
    head = struct.pack("<8sIIQIIIIIIQ", b"MKVMSNAP", 1, 64, mem_size, cpus, 0, 2, 64, 0, 62, 64)
    return head + struct.pack("<II", zlib.crc32(head), 0)


def test_loadvm_file_that_is_no_snapshot_or_of_another_machine():
    usage_error(["--loadvm", "/nonexistent/s.mkvm"],
                "cannot open snapshot /nonexistent/s.mkvm: No such file or directory")
    readme = os.path.join(harness.ROOT, "README.md")
    usage_error(["--loadvm", readme, guest("hello16.bin")],
                "%s is not a usable snapshot: it does not start with MKVMSNAP" % readme)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.mkvm")
        with open(path, "wb") as f:
            f.write(snapshot_header(64 << 20, 2))
        usage_error(["--loadvm", path],
                    "%s is of a machine with 64 MiB of memory; this one has 128 MiB (-m 64M)" % path)
        usage_error(["-m", "64M", "--loadvm", path], "with 2 vCPUs; this one has 1 (-c 2)")


def test_load_addr_and_entry_for_an_image_that_says_where_it_goes():
    elf = guest("ckernel.elf")
    usage_error(["--load-addr", "0x200000", elf],
                "--load-addr and --entry are for raw images; '%s' is loaded as elf, "
                "which says where it goes" % elf)
    usage_error(["--entry", "0x100000", guest("mbkernel.elf")], "is loaded as multiboot")
    usage_error(["--format", "elf", "--entry", "0x100000", elf], "is loaded as elf")
