# SPDX-License-Identifier: MIT
# The benchmark guests in guest/bench/ (scripts/bench.py; docs/benchmarks.md).
# Included from guest/guest.mk, after it (uses its GUEST_* variables and lib rules):
#   make bench-guests        build them
#   make bench-guest-clean   remove their build outputs (hooked into guest-clean)
# All three are PVH ELFs loaded at 1 MiB that boot unchanged on minikvm and on
# QEMU (-kernel FILE, -M microvm or -M pc): exit.elf and serial.elf are ELF32 in
# 32-bit protected mode, loop.elf an ELF64 that switches to long mode itself.
# Outputs stay in guest/bench/.

GB := guest/bench

BENCH_GUESTS += $(GB)/exit.elf $(GB)/serial.elf $(GB)/loop.elf

GB_LDSCRIPT := $(GB)/pvh.ld
GB_INC := -I$(G) -I$(GB)

.PHONY: bench-guests bench-guest-clean
bench-guests: $(BENCH_GUESTS)

$(GB)/pvh_start32.o: $(GB)/pvh_start.S $(GB)/bench.mk
	$(GUEST_CC) $(GUEST_ASFLAGS32) $(GB_INC) -c -o $@ $<
$(GB)/pvh_start64.o: $(GB)/pvh_start.S $(GB)/bench.mk
	$(GUEST_CC) $(GUEST_ASFLAGS64) $(GB_INC) -DLONG64 -c -o $@ $<

# exit and serial: 32-bit, optimised like the other 32-bit C guests.
$(GB)/exit.o $(GB)/serial.o: $(GB)/%.o: $(GB)/%.c $(GB)/bench.mk
	$(GUEST_CC) $(GUEST_CFLAGS32) $(GB_INC) -c -o $@ $<
# loop: 64-bit, -O0 -g (GUEST_CFLAGS64) so that gdb sees every line and variable.
$(GB)/loop.o: $(GB)/loop.c $(GB)/bench.mk
	$(GUEST_CC) $(GUEST_CFLAGS64) $(GB_INC) -c -o $@ $<

$(GB)/exit.elf: $(GB)/pvh_start32.o $(GB)/exit.o $(GB_LDSCRIPT)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GB_LDSCRIPT) -o $@ $(filter %.o,$^)
$(GB)/serial.elf: $(GB)/pvh_start32.o $(GB)/serial.o $(GB_LDSCRIPT)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GB_LDSCRIPT) -o $@ $(filter %.o,$^)
$(GB)/loop.elf: $(GB)/pvh_start64.o $(GB)/loop.o $(GUEST_LIB64) $(GB_LDSCRIPT)
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GB_LDSCRIPT) -o $@ $(filter %.o,$^)

bench-guest-clean:
	rm -f $(GB)/*.elf $(GB)/*.o $(GB)/*.d

-include $(wildcard $(GB)/*.d)
