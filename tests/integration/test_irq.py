# SPDX-License-Identifier: MIT
"""guest/irq.elf (the PC's interrupt controllers, end to end) under each --irqchip.

The guest checks the chips itself and says so line by line (guest/irq.c says
what each line means); here we run it once per interrupt-controller mode and
compare its output: exactly where the numbers are fixed by the hardware
(register values, interrupt counts, vectors), by relation where they depend on
timing (the PIT channel 2 counter reads and the number of polls).

  --irqchip kernel   KVM's own 8259s, IOAPIC and 8254 (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2)
  --irqchip split    minikvm's 8259s, IOAPIC and 8254, KVM's local APIC

Tests: test_irq_kernel, test_irq_split.
"""
import os
import re

from harness import guest, run

IRQCHIPS = ["kernel", "split"]

EXIT_ALL_PASSED = 33  # isa-debug-exit 0x10

HEAD = [
    "irq: local apic id 0, SVR 0x1ff (software enabled, spurious vector 0xff)",
    "irq: ioapic id 0, version register 0x00170011: version 0x11, max redirection entry 23",
    "irq: ioapic reset: 24 of 24 redirection entries masked",
    "irq: ioapic entry 5: wrote 0x0f0000000001a95a, read back 0x0f0000000001a95a",
    "irq: ioapic timer: 20 interrupts on vector 0x30 (GSI 2, edge, PIT channel 0 mode 2 count 1193)",
]

PIT_CHANNEL2 = re.compile(
    r"irq: pit channel 2: OUT2 0 after programming, counter 0x([0-9a-f]+) then 0x([0-9a-f]+)"
    r" \(decreasing\), OUT2 1 after (\d+) polls, read-back status 0xb0 \(mode 0, OUT 1\)")

PIC = ("irq: pic: IMR master 0xfe slave 0xff, 10 interrupts on vector 0x20,"
       " ISR 0x01 before EOI and 0x00 after")

# The interrupt handler writes this line to COM1 one byte per interrupt.
LEVEL_MESSAGE = "level-irq ok"

# One spurious interrupt is allowed where the host takes the local APIC's EOI
# when it injects the interrupt (kvm_pvm does): see check_ioapic_level() in guest/irq.c.
IOAPIC_LEVEL = re.compile(
    r"irq: ioapic level: 14 THRE interrupts on vector 0x34 \(GSI 4, 13 bytes \+ the final THRE\),"
    r" ([01]) spurious, remote IRR 0")

TAIL = "irq: all checks passed"


def check_irq(irqchip):
    path = guest("irq.elf")
    assert os.path.exists(path), "%s is missing: run `make guests`" % path
    res = run(["--irqchip", irqchip, path])
    assert res.status == EXIT_ALL_PASSED, "expected exit %d, got %r" % (EXIT_ALL_PASSED, res)
    lines = res.stdout.decode(errors="replace").splitlines()
    assert len(lines) == len(HEAD) + 5, "expected %d lines: %r" % (len(HEAD) + 5, res)

    assert lines[:len(HEAD)] == HEAD, res
    pit, pic, message, level, tail = lines[len(HEAD):]

    m = PIT_CHANNEL2.fullmatch(pit)
    assert m, "PIT channel 2 line: %r" % pit
    first, second = int(m.group(1), 16), int(m.group(2), 16)
    # Mode 0 counts down from 0x2000 and OUT2 was still low when both were latched.
    assert 0x2000 >= first > second > 0, "counter reads 0x%x then 0x%x" % (first, second)

    assert pic == PIC, res
    assert message == LEVEL_MESSAGE, res
    assert IOAPIC_LEVEL.fullmatch(level), "IOAPIC level line: %r" % level
    assert tail == TAIL, res


def make_test(irqchip):
    def test():
        check_irq(irqchip)
    test.__name__ = "test_irq_" + irqchip
    return test


# tests/run.py finds module-level functions named test_*: one per mode.
for _irqchip in IRQCHIPS:
    globals()["test_irq_" + _irqchip] = make_test(_irqchip)
