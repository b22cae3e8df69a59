# SPDX-License-Identifier: MIT
# The RISC-V KVM host's probe and tests (included by the top-level Makefile).
#
#   make riscv64-probe    build/riscv64/kvm_probe: tests/riscv64/kvm_probe.c,
#                         static, for riscv64 (Debian's cross compiler,
#                         gcc-riscv64-linux-gnu; the native one on riscv64)
#   make test-riscv64-host
#                         tests/onkvm_riscv64_test.py: the probe and the
#                         command's output and status on scripts/onkvm-riscv64's
#                         RISC-V KVM (emulated here unless this is riscv64 with
#                         KVM); about a minute with the emulated host.
#                         `make test` runs it too, and counts it.

RISCV64_CC ?= $(if $(filter riscv64,$(shell uname -m)),$(CC),riscv64-linux-gnu-gcc)

.PHONY: riscv64-probe test-riscv64-host
riscv64-probe: $(BUILD)/riscv64/kvm_probe

# build/riscv64/benchrun: the timer `make bench ARCH=riscv64` runs in the RISC-V host.
$(BUILD)/riscv64/kvm_probe $(BUILD)/riscv64/benchrun: $(BUILD)/riscv64/%: tests/riscv64/%.c
	@mkdir -p $(dir $@)
	$(RISCV64_CC) -static -O2 -std=gnu11 $(WARN) -o $@ $<

test-riscv64-host: $(BUILD)/riscv64/kvm_probe
	python3 tests/onkvm_riscv64_test.py --probe $<
