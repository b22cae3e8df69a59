# SPDX-License-Identifier: MIT
"""The RISC-V machine's pure parts, unit-tested on this host: build/riscv_unit_tests
(tests/unit/riscv/, built with RISC-V's headers: RAM at 0x8000_0000, the
Linux Image, flat binary and initrd loaders, the device tree's room, the
command line's formats, the PLIC, the single-step instruction decoder). No KVM needed; every test must pass, and there must
be tests.
"""
import os
import subprocess

import harness

NEEDS_KVM = False


def test_riscv_unit_tests_pass():
    binary = os.path.join(os.path.dirname(harness.MINIKVM), "riscv_unit_tests")
    assert os.path.exists(binary), "%s is missing: make %s" % (binary, binary)
    p = subprocess.run([binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    lines = p.stdout.splitlines()
    passed = [l for l in lines if l.startswith("PASS ")]
    assert p.returncode == 0 and not any(l.startswith("FAIL ") for l in lines), p.stdout
    assert len(passed) >= 6 and lines[-1] == "unit: %d passed, 0 failed" % len(passed), p.stdout
