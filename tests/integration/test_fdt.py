# SPDX-License-Identifier: MIT
"""The device tree writer (src/fdt.c), read back by dtc, the reference
device tree compiler (Debian's device-tree-compiler): build/fdt_sample writes
the tree of tests/unit/fdt_sample.h, build/riscv_board_fdt the RISC-V board's
(src/riscv/board.c, for tests/unit/riscv/board_sample.h's two-hart VM); dtc
must accept each blob without a warning and decompile it to the nodes and
properties written. No KVM needed; skipped without dtc.
"""
import os
import re
import shutil
import subprocess

import harness

NEEDS_KVM = False


def decompiled(program="fdt_sample", quiet=True):
    dtc = shutil.which("dtc")
    if not dtc:
        raise harness.Skip("dtc is not installed (Debian package device-tree-compiler)")
    sample = os.path.join(os.path.dirname(harness.MINIKVM), program)
    assert os.path.exists(sample), "%s is missing: make %s" % (sample, sample)
    blob = subprocess.run([sample], stdout=subprocess.PIPE, check=True).stdout
    proc = subprocess.run([dtc, "-I", "dtb", "-O", "dts"] + (["-q"] if quiet else []) + ["-"],
                          input=blob, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.returncode == 0, "dtc refused the blob: %s" % proc.stderr.decode()
    assert quiet or not proc.stderr, "dtc warns: %s" % proc.stderr.decode()
    return proc.stdout.decode()


def node(dts, path):
    """The text of the node at path ("/cpus/cpu@0"), its children included."""
    text = dts
    for name in path.strip("/").split("/"):
        m = re.search(r"^(\s*)%s \{\n(.*?)^\1\};" % re.escape(name), text, re.S | re.M)
        assert m, "no node %s in:\n%s" % (path, dts)
        text = m.group(2)
    return text


def test_dtc_reads_back_every_node_and_property():
    dts = decompiled()
    assert dts.startswith("/dts-v1/;")
    assert '#address-cells = <0x02>;' in dts and 'compatible = "riscv-virtio";' in dts
    chosen = node(dts, "/chosen")
    assert 'bootargs = "console=ttyS0 quiet";' in chosen
    assert 'stdout-path = "/soc/serial@10000000";' in chosen
    assert "linux,initrd-start = <0x00 0x87000000>;" in chosen
    assert "linux,initrd-end = <0x00 0x87f00000>;" in chosen
    memory = node(dts, "/memory@80000000")
    assert 'device_type = "memory";' in memory
    assert "reg = <0x00 0x80000000 0x00 0x8000000>;" in memory
    cpu = node(dts, "/cpus/cpu@0")
    assert 'riscv,isa = "rv64imafdc";' in cpu and 'mmu-type = "riscv,sv48";' in cpu
    intc = node(dts, "/cpus/cpu@0/interrupt-controller")
    assert "interrupt-controller;" in intc and "phandle = <0x02>;" in intc
    test = node(dts, "/test@100000")
    assert 'compatible = "sifive,test1\\0sifive,test0\\0syscon";' in test


def test_dtc_reads_the_riscv_board_tree_without_a_warning():
    dts = decompiled("riscv_board_fdt", quiet=False)
    assert 'model = "riscv-virtio,qemu (minikvm)";' in dts
    chosen = node(dts, "/chosen")
    assert 'bootargs = "console=ttyS0 earlycon=sbi";' in chosen
    assert 'stdout-path = "/soc/serial@10000000";' in chosen
    assert "linux,initrd-start = <0x00 0x83000000>;" in chosen
    assert "linux,initrd-end = <0x00 0x83100000>;" in chosen
    assert "reg = <0x00 0x80000000 0x00 0x4000000>;" in node(dts, "/memory@80000000")
    assert "timebase-frequency = <0x989680>;" in node(dts, "/cpus")
    for hart in (0, 1):
        cpu = node(dts, "/cpus/cpu@%d" % hart)
        assert "reg = <0x%02x>;" % hart in cpu and 'riscv,isa = "rv64imafdch";' in cpu
        assert 'mmu-type = "riscv,sv57";' in cpu and 'status = "okay";' in cpu
        intc = node(dts, "/cpus/cpu@%d/interrupt-controller" % hart)
        assert 'compatible = "riscv,cpu-intc";' in intc and "phandle = <0x%02x>;" % (3 + hart) in intc
    serial = node(dts, "/soc/serial@10000000")
    assert 'compatible = "ns16550a";' in serial and "reg = <0x00 0x10000000 0x00 0x100>;" in serial
    assert "interrupt-parent = <0x02>;" in serial and "interrupts = <0x0a>;" in serial
    plic = node(dts, "/soc/plic@c000000")
    assert 'compatible = "sifive,plic-1.0.0\\0riscv,plic0";' in plic and "phandle = <0x02>;" in plic
    assert "reg = <0x00 0xc000000 0x00 0x600000>;" in plic and "riscv,ndev = <0x1f>;" in plic
    assert "interrupts-extended = <0x03 0x09 0x04 0x09>;" in plic and "interrupt-controller;" in plic
    for i in (0, 1):  # one virtio-mmio slot per --share (the sample has two), as QEMU's virt board
        virtio = node(dts, "/soc/virtio_mmio@1000%d000" % (i + 1))
        assert 'compatible = "virtio,mmio";' in virtio, virtio
        assert "reg = <0x00 0x1000%d000 0x00 0x1000>;" % (i + 1) in virtio, virtio
        assert "interrupt-parent = <0x02>;" in virtio and "interrupts = <0x%02x>;" % (i + 1) in virtio, virtio
    assert "virtio_mmio@10003000" not in dts
    test = node(dts, "/soc/test@100000")
    assert "reg = <0x00 0x100000 0x00 0x1000>;" in test and "phandle = <0x01>;" in test
    poweroff, reboot = node(dts, "/poweroff"), node(dts, "/reboot")
    assert "regmap = <0x01>;" in poweroff and "value = <0x5555>;" in poweroff
    assert "regmap = <0x01>;" in reboot and "value = <0x7777>;" in reboot
