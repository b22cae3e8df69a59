# SPDX-License-Identifier: MIT
# make ARCH=riscv64: a static minikvm-riscv64, cross-built with Debian's
# riscv64-linux-gnu-gcc (packages gcc-riscv64-linux-gnu and
# libc6-dev-riscv64-cross; scripts/setup.sh installs them). Included by the
# top-level Makefile, which builds $(SRC) into $(BUILD).
#
# What this build leaves out, for now or for good:
# - everything only a PC has: port I/O devices (8259, PIT, i8042, RTC, ACPI
#   PM, PCI, POST, isa-debug-exit, the hypercall port), src/x86/, the x86
#   image formats (raw16/32/64, multiboot, bzImage, PVH);
# - the debugger (gdb stub, core dumps, snapshots): issue 23 brings it to
#   RISC-V; until then src/nodebug.c refuses its options with a clear error.

CROSS_COMPILE ?= riscv64-linux-gnu-
CC      := $(CROSS_COMPILE)gcc
AR      := $(CROSS_COMPILE)ar
override LDFLAGS += -static

# The core that does not need the debugger, the board's devices and loaders.
RISCV_CORE := console.c device.c error.c guest_mem.c host_file.c iobus.c main.c memslot.c \
	nodebug.c options.c runctl.c snapshot.c snapshot_state.c snapshot_store.c step_over.c \
	vcpu.c vm.c fdt.c
SRC := $(RISCV_CORE:%=src/%) $(wildcard src/riscv/*.c) src/dev/uart8250.c src/dev/sifive_test.c src/dev/plic.c \
	src/loader/elf.c src/loader/image.c src/loader/riscv.c

.PHONY: minikvm-riscv64 setup-riscv
# The cross compiler, installed when missing (scripts/setup.sh's one list).
setup-riscv:
	@scripts/setup.sh riscv
$(SRC:%.c=$(BUILD)/%.o): | setup-riscv

minikvm-riscv64: $(BUILD)/minikvm-riscv64
	cp $< $@

$(BUILD)/minikvm-riscv64: $(SRC:%.c=$(BUILD)/%.o)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
