#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests of scripts/onkvm-riscv64, the place where a RISC-V /dev/kvm works.

They drive it, so they run here, outside the RISC-V host: `make test` runs
them before the suite and records them in the suite's results file
(--resume FILE, as tests/run.py), so that the closing line counts them.
On an x86 machine each run boots Debian's riscv64 kernel under QEMU (about
10-20 s); on a riscv64 machine with KVM the probe runs directly.

test_kind: `--kind` says what it is, and `scripts/onkvm --arch riscv64` is
the same command.
test_probe: build/riscv64/kvm_probe (tests/riscv64/kvm_probe.c) makes a VM
and a vCPU on that /dev/kvm and runs one store to 0x10000000, which must
come back as KVM_EXIT_MMIO with that address, length, direction and data,
then an ebreak under KVM_SET_GUEST_DEBUG as KVM_EXIT_DEBUG at its pc;
around it, bytes on stdout and stderr come back as they were written, and
the command's exit status (7) is onkvm-riscv64's.
test_silence: a command that writes one heartbeat line and then nothing is
taken for a frozen host after ONKVM_SILENCE seconds: exit 124, saying so,
stopped by the watchdog onkvm shares with it.
"""
import argparse
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import results as results_file  # noqa: E402
import riscv_test  # noqa: E402

ONKVM_RISCV64 = os.path.join(ROOT, "scripts", "onkvm-riscv64")
ONKVM = os.path.join(ROOT, "scripts", "onkvm")
TIMEOUT = 300  # one boot of the emulated host takes 10-20 s; a busy machine, more


def run(cmd, env=None, timeout=TIMEOUT):
    # ONKVM_TIMEOUT: a host that hangs is stopped by onkvm-riscv64 itself,
    # before this timeout kills the script and leaves its QEMU behind.
    full = dict(os.environ, ONKVM_TIMEOUT=str(timeout - 30))
    full.update(env or {})
    return subprocess.run(cmd, cwd=ROOT, env=full, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def show(p):
    return "\n--- stdout:\n%s\n--- stderr:\n%s" % (p.stdout.decode(errors="replace")[-3000:],
                                                   p.stderr.decode(errors="replace")[-3000:])


def test_kind(probe):
    a = run([ONKVM_RISCV64, "--kind"])
    b = run([ONKVM, "--arch", "riscv64", "--kind"])
    assert a.returncode == 0 and b.returncode == 0, "--kind failed" + show(a) + show(b)
    assert a.stdout == b.stdout, "onkvm --arch riscv64 --kind differs:%s%s" % (show(a), show(b))
    kind = a.stdout.decode()
    if platform.machine() != "riscv64":
        assert kind.startswith("emulated: this machine is %s;" % platform.machine()), kind
    else:
        assert kind.startswith(("direct:", "emulated:")), kind


def test_probe(probe):
    assert os.path.isfile(probe), "%s is not built (make riscv64-probe)" % probe
    line = ("%s; s=$?; printf '\\001\\377\\000end\\n'; printf 'probe %%s\\n' $s >&2; "
            "printf 'to stderr\\n' >&2; exit 7" % probe)
    p = run([ONKVM_RISCV64, "sh", "-c", line])
    assert p.returncode == 7, "exit status %d, not the command's 7%s" % (p.returncode, show(p))
    assert p.stderr.endswith(b"probe 0\nto stderr\n"), "stderr does not end as written%s" % show(p)
    tail = b"\x01\xff\x00end\n"
    assert p.stdout.endswith(tail), "stdout's last bytes are not as written%s" % show(p)
    facts = dict(l.split("=", 1) for l in p.stdout[:-len(tail)].decode().splitlines() if "=" in l)
    want = {
        "exit_reason": "6 KVM_EXIT_MMIO",
        "mmio_phys_addr": "0x10000000",
        "mmio_len": "4",
        "mmio_is_write": "1",
        "mmio_data": "0x1234abcd",
        "cap_set_guest_debug": "1",
        "debug_exit_reason": "4 KVM_EXIT_DEBUG",
        "debug_pc": "0x80000004",
    }
    got = {k: facts.get(k) for k in want}
    assert got == want, "the probe saw %s, not %s%s" % (got, want, show(p))
    print("onkvm_riscv64_test: %s" % ", ".join("%s=%s" % kv for kv in got.items()), flush=True)


def test_silence(probe):
    silence = 5
    start = time.monotonic()
    p = run([ONKVM_RISCV64, "sh", "-c", 'echo "one beat" >"$ONKVM_HEARTBEAT"; echo started; sleep 1000'],
            env={"ONKVM_FORCE": "emulated", "ONKVM_SILENCE": str(silence)})
    took = time.monotonic() - start
    assert p.returncode == 124, "exit status %d, not 124%s" % (p.returncode, show(p))
    err = p.stderr.decode(errors="replace")
    assert "fell silent" in err and '"one beat"' in err, "no word of the silence%s" % show(p)
    assert p.stdout == b"started\n", "stdout %r" % p.stdout
    assert took < 200, "took %.0f s (the timeout stopped it, not the silence?)" % took


TESTS = [("onkvm_riscv64_test:test_kind", test_kind),
         ("onkvm_riscv64_test:test_probe", test_probe),
         ("onkvm_riscv64_test:test_silence", test_silence)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--probe", default="build/riscv64/kvm_probe")
    ap.add_argument("--resume", metavar="FILE", default=None,
                    help="record the results in FILE (tests/run.py's results file)")
    ap.add_argument("-k", metavar="PATTERN", default="", help="only the tests whose name contains PATTERN")
    args = ap.parse_args()
    tests = [(name, fn) for name, fn in TESTS if args.k in name]
    return results_file.run_recorded(tests, args.resume, os.path.abspath(args.probe),
                                     kvm=lambda name: "riscv64" if name.endswith(":test_probe") else False,
                                     host=riscv_test.onkvm_riscv64.host_kind)


if __name__ == "__main__":
    sys.exit(main())
