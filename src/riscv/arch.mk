# SPDX-License-Identifier: MIT
# make ARCH=riscv64: a static minikvm-riscv64, cross-built with Debian's
# riscv64-linux-gnu-gcc (packages gcc-riscv64-linux-gnu and
# libc6-dev-riscv64-cross; scripts/setup.sh installs them). Included by the
# top-level Makefile, which builds $(SRC) into $(BUILD).
#
# What this build leaves out: everything only a PC has: port I/O devices
# (8259, PIT, i8042, RTC, ACPI PM, PCI, POST, isa-debug-exit, the hypercall
# port), src/x86/, the x86 image formats (raw16/32/64, multiboot, bzImage,
# PVH).
# The debugger is here: the same src/debug*.c and gdbstub/ as on x86, with
# src/riscv/debug.c for what the architecture gives it; so are snapshots
# (src/snapshot*.c, with src/riscv/snapshot.c for a hart's state).

CROSS_COMPILE ?= riscv64-linux-gnu-
CC      := $(CROSS_COMPILE)gcc
AR      := $(CROSS_COMPILE)ar
override LDFLAGS += -static

# The core that does not need the debugger, the board's devices and loaders.
RISCV_CORE := console.c device.c error.c guest_mem.c host_file.c iobus.c main.c memslot.c \
	options.c runctl.c snapshot.c snapshot_state.c snapshot_store.c step_over.c \
	vcpu.c vm.c fdt.c coredump.c \
	debug.c debug_bp.c debug_mem.c debug_options.c debug_report.c debug_snapshot.c debug_verdict.c \
	gdb_conn.c gdb_endpoint.c gdb_peer.c
SRC := $(RISCV_CORE:%=src/%) $(wildcard src/riscv/*.c) src/dev/uart8250.c src/dev/sifive_test.c src/dev/plic.c \
	src/loader/elf.c src/loader/image.c src/loader/riscv.c \
	src/share_options.c src/dev/virtqueue.c src/dev/virtio_mmio.c src/dev/virtio_9p.c $(wildcard src/p9/*.c)

.PHONY: minikvm-riscv64 setup-riscv
# The cross compiler, installed when missing (scripts/setup.sh's one list).
setup-riscv:
	@scripts/setup.sh riscv
$(SRC:%.c=$(BUILD)/%.o): | setup-riscv

minikvm-riscv64: $(BUILD)/minikvm-riscv64
	cp $< $@

$(BUILD)/minikvm-riscv64: $(SRC:%.c=$(BUILD)/%.o) $(BUILD)/libgdbstub.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
