# SPDX-License-Identifier: MIT
"""The device tree writer (src/fdt.c), read back by dtc, the reference
device tree compiler (Debian's device-tree-compiler): build/fdt_sample writes
the tree of tests/unit/fdt_sample.h; dtc must accept the blob and decompile
it to the nodes and properties written. No KVM needed; skipped without dtc.
"""
import os
import re
import shutil
import subprocess

import harness

NEEDS_KVM = False


def decompiled():
    dtc = shutil.which("dtc")
    if not dtc:
        raise harness.Skip("dtc is not installed (Debian package device-tree-compiler)")
    sample = os.path.join(os.path.dirname(harness.MINIKVM), "fdt_sample")
    assert os.path.exists(sample), "%s is missing: make %s" % (sample, sample)
    blob = subprocess.run([sample], stdout=subprocess.PIPE, check=True).stdout
    proc = subprocess.run([dtc, "-I", "dtb", "-O", "dts", "-q", "-"], input=blob,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.returncode == 0, "dtc refused the blob: %s" % proc.stderr.decode()
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
