# SPDX-License-Identifier: MIT
# The RISC-V guests in guest/riscv/, cross-built with Debian's
# riscv64-linux-gnu-gcc (freestanding: no libc). Included by the top-level
# Makefile:
#   make riscv-guests        build them (make ARCH=riscv64 does too)
#   make riscv-guest-clean   remove their build outputs
# Outputs sit next to their sources: guest/riscv/NAME.elf (run it, or load it
# into gdb for symbols), guest/riscv/NAME.bin (the same program as a flat
# binary, for --format raw), *.o and *.d.
# Every guest is written for QEMU's virt board and runs there unchanged:
# linked at 0x8000_0000 (RAM's start), UART at 0x1000_0000, test device at
# 0x10_0000.

RISCV_CROSS   ?= riscv64-linux-gnu-
RISCV_GUEST_CC      := $(RISCV_CROSS)gcc
RISCV_GUEST_OBJCOPY := $(RISCV_CROSS)objcopy

RG := guest/riscv
RISCV_GUEST_ELFS := $(RG)/hello.elf $(RG)/ckernel.elf $(RG)/smp.elf $(RG)/ticker.elf
RISCV_GUEST_BINS := $(RG)/hello.bin

# rv64gc, medany (code anywhere in the address space, as at 0x8000_0000),
# no compressed-instruction surprises in gdb (the C extension is fine:
# every KVM host has it).
RISCV_GUEST_CFLAGS := -march=rv64gc -mabi=lp64d -mcmodel=medany -std=gnu11 \
	-Wall -Wextra -Werror -ffreestanding -nostdlib -fno-pie -fno-pic \
	-fno-stack-protector -fno-builtin -O1 -g -MMD -MP -I$(RG)
RISCV_GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -T $(RG)/virt.ld

.PHONY: riscv-guests riscv-guest-clean
riscv-guests: $(RISCV_GUEST_ELFS) $(RISCV_GUEST_BINS)

$(RG)/%.o: $(RG)/%.S $(RG)/riscv.mk
	$(RISCV_GUEST_CC) $(RISCV_GUEST_CFLAGS) -c -o $@ $<
$(RG)/%.o: $(RG)/%.c $(RG)/riscv.mk
	$(RISCV_GUEST_CC) $(RISCV_GUEST_CFLAGS) -c -o $@ $<

$(RG)/hello.elf: $(RG)/hello.o $(RG)/virt.ld
	$(RISCV_GUEST_CC) $(RISCV_GUEST_CFLAGS) $(RISCV_GUEST_LDFLAGS) -o $@ $(filter %.o,$^)
$(RG)/ckernel.elf: $(RG)/start.o $(RG)/trap.o $(RG)/ckernel.o $(RG)/virt.ld
	$(RISCV_GUEST_CC) $(RISCV_GUEST_CFLAGS) $(RISCV_GUEST_LDFLAGS) -o $@ $(filter %.o,$^)
$(RG)/smp.elf: $(RG)/start.o $(RG)/smp_secondary.o $(RG)/smp.o $(RG)/virt.ld
	$(RISCV_GUEST_CC) $(RISCV_GUEST_CFLAGS) $(RISCV_GUEST_LDFLAGS) -o $@ $(filter %.o,$^)
$(RG)/ticker.elf: $(RG)/start.o $(RG)/ticker.o $(RG)/virt.ld
	$(RISCV_GUEST_CC) $(RISCV_GUEST_CFLAGS) $(RISCV_GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

$(RG)/%.bin: $(RG)/%.elf
	$(RISCV_GUEST_OBJCOPY) -O binary $< $@

riscv-guest-clean:
	rm -f $(RG)/*.bin $(RG)/*.elf $(RG)/*.o $(RG)/*.d

-include $(wildcard $(RG)/*.d)
