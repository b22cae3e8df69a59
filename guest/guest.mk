# SPDX-License-Identifier: MIT
# The guests in guest/, built from source with the stock toolchain (gcc, as via
# gcc, ld, objcopy). Included by the top-level Makefile:
#   make guests        build every guest
#   make guest-clean   remove every build output in guest/
# Outputs sit next to their sources: guest/NAME.bin (raw images), guest/NAME.elf
# (ELF images), guest/NAME.bin.elf (the linked ELF a raw image was cut from: load
# it into gdb for symbols), guest/*.o and guest/*.d (objects and dependencies).

GUEST_CC      ?= gcc
GUEST_LD      ?= ld
GUEST_OBJCOPY ?= objcopy

G := guest

GUEST_BINS := $(addprefix $(G)/,hello16.bin pmode32.bin long64.bin hypercall.bin \
	smp.bin triplefault.bin mbkludge.bin modeswitch.bin int3.bin)
GUEST_ELFS := $(addprefix $(G)/,mbkernel.elf elf32.elf ckernel.elf ticker.elf irq.elf)

# Freestanding: no libc, no libgcc, no PIE, no stack protector, no SSE (the VMM
# does not promise an FPU/SSE setup), no red zone (nothing may scribble below
# RSP, but an interrupt would). Every object is built with -g for gdb.
GUEST_WARN   := -Wall -Wextra -Werror
GUEST_COMMON := -std=gnu11 $(GUEST_WARN) -ffreestanding -nostdlib -fno-pie -fno-pic \
	-fno-stack-protector -fno-builtin -fcf-protection=none -mgeneral-regs-only \
	-g -MMD -MP -I$(G)
GUEST_CFLAGS32 := -m32 $(GUEST_COMMON) -Og -fno-asynchronous-unwind-tables
# ckernel.elf is the gdb tests' subject: -O0 keeps every variable and line.
GUEST_CFLAGS64 := -m64 $(GUEST_COMMON) -O0 -mno-red-zone -mcmodel=small
GUEST_ASFLAGS32 := -m32 -g -MMD -MP -I$(G) -Wa,--fatal-warnings
GUEST_ASFLAGS64 := -m64 -g -MMD -MP -I$(G) -Wa,--fatal-warnings
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack
GUEST_LDSCRIPT := $(G)/lib/guest.ld
GUEST_LIB := console kprintf string

.PHONY: guests guest-clean
guests: $(GUEST_BINS) $(GUEST_ELFS)

# --- objects ---------------------------------------------------------------

GUEST_S32 := hello16 pmode32 triplefault smp_trampoline
GUEST_C32 := smp elf32 multiboot
GUEST_S64 := long64 hypercall ckernel_start modeswitch int3 irq_entry
GUEST_C64 := ckernel ticker irq

$(GUEST_S32:%=$(G)/%.o): $(G)/%.o: $(G)/%.S $(G)/guest.mk
	$(GUEST_CC) $(GUEST_ASFLAGS32) -c -o $@ $<
$(GUEST_C32:%=$(G)/%.o): $(G)/%.o: $(G)/%.c $(G)/guest.mk
	$(GUEST_CC) $(GUEST_CFLAGS32) -c -o $@ $<
$(GUEST_S64:%=$(G)/%.o): $(G)/%.o: $(G)/%.S $(G)/guest.mk
	$(GUEST_CC) $(GUEST_ASFLAGS64) -c -o $@ $<
$(GUEST_C64:%=$(G)/%.o): $(G)/%.o: $(G)/%.c $(G)/guest.mk
	$(GUEST_CC) $(GUEST_CFLAGS64) -c -o $@ $<

# The shared library in guest/lib/, built once per mode; objects stay in guest/.
$(G)/lib32-%.o: $(G)/lib/%.c $(G)/guest.mk
	$(GUEST_CC) $(GUEST_CFLAGS32) -c -o $@ $<
$(G)/lib64-%.o: $(G)/lib/%.c $(G)/guest.mk
	$(GUEST_CC) $(GUEST_CFLAGS64) -c -o $@ $<
$(G)/lib32-start32.o: $(G)/lib/start32.S $(G)/guest.mk
	$(GUEST_CC) $(GUEST_ASFLAGS32) -c -o $@ $<

# The multiboot head, once per kernel kind.
$(G)/mbkernel_head.o: $(G)/multiboot_head.S $(G)/guest.mk
	$(GUEST_CC) $(GUEST_ASFLAGS32) -c -o $@ $<
$(G)/mbkludge_head.o: $(G)/multiboot_head.S $(G)/guest.mk
	$(GUEST_CC) $(GUEST_ASFLAGS32) -DAOUT_KLUDGE -c -o $@ $<

GUEST_LIB32 := $(GUEST_LIB:%=$(G)/lib32-%.o)
GUEST_LIB64 := $(GUEST_LIB:%=$(G)/lib64-%.o)

# --- links -----------------------------------------------------------------

# hello16.bin: a boot sector, linked where a BIOS would load it.
$(G)/hello16.bin.elf: $(G)/hello16.o
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -Ttext 0x7c00 -e _start -o $@ $^

# modeswitch.bin: a boot sector too, in an ELF64 so gdb reads it with the x86-64 layout.
$(G)/modeswitch.bin.elf: $(G)/modeswitch.o
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -Ttext 0x7c00 -e _start -o $@ $^

# Everything else is linked at 1 MiB by guest/lib/guest.ld.
$(G)/pmode32.bin.elf: $(G)/pmode32.o $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)
$(G)/triplefault.bin.elf: $(G)/triplefault.o $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)
$(G)/smp.bin.elf: $(G)/lib32-start32.o $(G)/smp.o $(G)/smp_trampoline.o $(GUEST_LIB32) $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)
$(G)/mbkludge.bin.elf: $(G)/mbkludge_head.o $(G)/multiboot.o $(GUEST_LIB32) $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)
$(G)/long64.bin.elf: $(G)/long64.o $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)
$(G)/int3.bin.elf: $(G)/int3.o $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)
$(G)/hypercall.bin.elf: $(G)/hypercall.o $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)

$(G)/mbkernel.elf: $(G)/mbkernel_head.o $(G)/multiboot.o $(GUEST_LIB32) $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)
$(G)/elf32.elf: $(G)/lib32-start32.o $(G)/elf32.o $(GUEST_LIB32) $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)
$(G)/ckernel.elf: $(G)/ckernel_start.o $(G)/ckernel.o $(GUEST_LIB64) $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)
$(G)/ticker.elf: $(G)/ckernel_start.o $(G)/ticker.o $(GUEST_LIB64) $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)
$(G)/irq.elf: $(G)/ckernel_start.o $(G)/irq.o $(G)/irq_entry.o $(GUEST_LIB64) $(GUEST_LDSCRIPT)
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_LDSCRIPT) -o $@ $(filter %.o,$^)

# A raw image is the linked program's loadable bytes from its lowest address on.
$(G)/%.bin: $(G)/%.bin.elf
	$(GUEST_OBJCOPY) -O binary $< $@

guest-clean: bench-guest-clean
	rm -f $(G)/*.bin $(G)/*.elf $(G)/*.o $(G)/*.d

-include $(wildcard $(G)/*.d)

# Guests for `make bench` (PVH ELFs that QEMU boots too).
include $(G)/bench/bench.mk
