# SPDX-License-Identifier: MIT
# minikvm — build, test, check (ASan+UBSan), install, clean.

CC      ?= cc
PREFIX  ?= /usr/local
VERSION := 0.1.0

WARN    := -Wall -Wextra -Werror
# ARCH picks the machine: x86 (the default, this host's) or riscv64, which
# cross-builds a static minikvm-riscv64 with Debian's riscv64-linux-gnu-gcc
# (src/riscv/arch.mk). x86_64 and amd64 are x86.
ARCH    ?= x86
ifneq ($(filter x86_64 amd64,$(ARCH)),)
override ARCH := x86
endif
ifeq ($(filter x86 riscv64,$(ARCH)),)
$(error ARCH=$(ARCH): minikvm builds for x86 (the default) or riscv64)
endif
# src/ARCH/: x86's directory is src/x86, riscv64's src/riscv.
ARCH_DIR := $(if $(filter riscv64,$(ARCH)),riscv,x86)
# #include "x86/layout.h" means src/x86/layout.h from anywhere, and the
# arch's own directory comes next (vm.h's "vm_arch.h", the kvmtool way).
# -iquote, not -I: <error.h> must stay glibc's, not src/error.h.
INCLUDE := -iquote src -iquote src/$(ARCH_DIR)
CFLAGS  ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) $(INCLUDE) -pthread -D_GNU_SOURCE -DMINIKVM_VERSION='"$(VERSION)"'
LDLIBS  += -pthread

# BUILD selects an output tree; `make check` builds a sanitized one beside the normal one.
BUILD   ?= $(if $(filter x86,$(ARCH)),build,build-$(ARCH))
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# The VMM's objects (all of src/ but main), and gdbstub/ as a static library:
# the protocol layer knows nothing of KVM and links on its own.
# src/nodebug.c stands in for the debugger's options in build/minikvm-nodebug only.
# Files only the other architecture needs are not built here: src/riscv/
# (and src/fdt.c, the device tree writer only RISC-V boots with) on x86; on
# RISC-V the list in src/riscv/arch.mk.
RISCV_ONLY := $(wildcard src/riscv/*.c) src/fdt.c src/loader/riscv.c src/dev/sifive_test.c src/dev/plic.c
.DEFAULT_GOAL := all
ifeq ($(ARCH),x86)
SRC      := $(filter-out $(RISCV_ONLY),$(wildcard src/*.c src/*/*.c))
else
include src/riscv/arch.mk
endif
LIB_SRC  := $(filter-out src/main.c src/nodebug.c,$(SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
GDB_SRC  := $(wildcard gdbstub/*.c)
GDB_LIB  := $(BUILD)/libgdbstub.a
UNIT_SRC := $(filter-out tests/unit/fdt_sample.c tests/unit/riscv_tdesc.c,$(wildcard tests/unit/*.c))
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
DEPS     := $(wildcard $(BUILD)/src/*.d $(BUILD)/src/*/*.d $(BUILD)/gdbstub/*.d $(BUILD)/tests/unit/*.d \
	$(BUILD)/riscv-host/*/*.d $(BUILD)/riscv-host/*/*/*.d $(BUILD)/riscv-host/*/*/*/*.d)

.PHONY: all guests test check unit clean install demo setup setup-demo
ifeq ($(ARCH),x86)
all: minikvm guests $(BUILD)/minikvm-init
else
all: minikvm-$(ARCH) riscv-guests
endif

ifeq ($(BUILD),build)
minikvm: $(BUILD)/minikvm
	cp $< $@
endif

$(BUILD)/minikvm: $(BUILD)/src/main.o $(LIB_OBJ) $(GDB_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The guest's init of the kernel loop (scripts/minikvm-run): static, so it
# runs before anything of the guest is set up; the guest finds it at this
# path on the host's root it mounts over 9p.
$(BUILD)/minikvm-init: kinit/minikvm-init.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static $(LDFLAGS) -o $@ $<

# The VMM without the debugger (proof that the core does not need it: the
# debugger plugs in through struct vm_hooks, its options through
# options.h's modules). `make test` builds and runs it.
DEBUGGER_SRC := src/debug.c src/debug_bp.c src/debug_mem.c src/debug_options.c src/debug_report.c src/debug_snapshot.c src/debug_verdict.c src/gdb_conn.c src/gdb_endpoint.c src/gdb_peer.c src/x86/debug_hw.c src/x86/regs.c \
		src/x86/probe.c src/x86/debug_report.c
$(BUILD)/minikvm-nodebug: $(BUILD)/src/main.o $(BUILD)/src/nodebug.o $(filter-out $(DEBUGGER_SRC:%.c=$(BUILD)/%.o),$(LIB_OBJ))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The unit tests run here, on x86; the device tree writer is arch-neutral and tested here too.
$(BUILD)/unit_tests: $(UNIT_OBJ) $(LIB_OBJ) $(BUILD)/src/fdt.o $(GDB_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The RISC-V machine's pure parts (loaders, RAM at 0x8000_0000, the device
# tree's room, its options), built for this host with RISC-V's headers and
# unit-tested here: build/riscv_unit_tests (tests/integration/test_riscv_units.py runs it).
RV_BOARD_SRC := src/riscv/board.c src/fdt.c src/guest_mem.c src/error.c src/riscv/layout.c
RV_UNIT_SRC := tests/unit/main.c tests/unit/riscv/test_riscv_loader.c src/loader/riscv.c \
	tests/unit/riscv/test_plic.c src/dev/plic.c src/snapshot_state.c tests/unit/riscv/test_insn.c src/riscv/insn.c \
	tests/unit/riscv/test_mmu.c src/riscv/mmu.c \
	src/loader/elf.c src/loader/image.c src/options.c src/riscv/options.c $(RV_BOARD_SRC)
RV_UNIT_OBJ := $(RV_UNIT_SRC:%.c=$(BUILD)/riscv-host/%.o)
$(BUILD)/riscv-host/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(subst -iquote src/$(ARCH_DIR),-iquote src/riscv,$(CFLAGS)) -MMD -MP -c -o $@ $<
$(BUILD)/riscv_unit_tests: $(RV_UNIT_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# The board's device tree on stdout, for tests/integration/test_fdt.py's dtc.
$(BUILD)/riscv_board_fdt: $(patsubst %.c,$(BUILD)/riscv-host/%.o,tests/unit/riscv/board_fdt.c $(RV_BOARD_SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The sample device tree tests/integration/test_fdt.py decompiles with dtc.
$(BUILD)/fdt_sample: $(BUILD)/tests/unit/fdt_sample.o $(BUILD)/src/fdt.o $(BUILD)/src/error.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The rv64 target description tests/integration/test_gdb_riscv_tdesc.py gives gdb-multiarch.
$(BUILD)/riscv_tdesc: $(BUILD)/tests/unit/riscv_tdesc.o $(GDB_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(GDB_LIB): $(GDB_SRC:%.c=$(BUILD)/%.o)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

include guest/guest.mk
include guest/riscv/riscv.mk
-include tests/fuzz/fuzz.mk
include tests/riscv64/riscv64.mk
-include scripts/linux.mk
-include scripts/bench.mk

# The whole suite: unit tests, then integration tests against KVM and gdb.
# scripts/onkvm runs it here when /dev/kvm works, else on Debian's kernel
# under QEMU with emulated AMD-V (no network in there: Debian's kernel for
# the Linux tests is fetched first, out here).
# On the emulated host the suite takes about 3 minutes, the whole of make
# test between 4 and 5 (docs/testing.md says where it goes). That host has been seen to freeze now
# and then (soft lockups of the vCPU and PIT threads of a guest under the
# nested KVM, QEMU TCG underneath; or both CPUs stuck with nothing printed).
# tests/run.py sends onkvm a heartbeat every 5 s; a host silent for
# ONKVM_SILENCE (90) seconds is stopped, as is one whose kernel panics on a
# lockup, and onkvm exits 124 (ONKVM_TIMEOUT, 30 minutes a run, is the last
# resort). Each finished test is recorded in $(BUILD)/test-results.jsonl, so
# after a 124 the next run resumes: only the tests that had not finished run
# again, and the closing line says how many. Six runs at most (a freeze costs one, about two minutes; one suite run has seen three). A test
# that failed in a run the freeze cut short runs again (it may have timed out waiting on the frozen host; a real failure fails again);
# a failure in a run that finished stands.
# Where the host is emulated, tests/onkvm_test.py first proves that on onkvm
# itself (a QEMU stopped with SIGSTOP; about 40 s); its result goes into
# the same file and the closing line.
# Then tests/onkvm_riscv64_test.py, out here as well, runs the RISC-V KVM
# probe (tests/riscv64/riscv64.mk) on scripts/onkvm-riscv64's host: about
# a minute, three boots of the emulated RISC-V host; also in the closing line.
# And tests/riscv_test.py runs minikvm-riscv64 (make ARCH=riscv64) and the
# RISC-V guests there: one more boot, every case in it; tests/riscv_gdb_test.py
# drives minikvm-riscv64's gdb stub with gdb-multiarch from out here: one more;
# tests/riscv_linux_gdb_test.py, one more: Debian's riscv64 Linux under gdb;
# tests/riscv_snapshot_test.py, one more: snapshots and core files.
# Before that, out here too, tests/demo_test.py tries `make demo` as a user
# would (through onkvm's --tty and --forward without /dev/kvm); its results
# count in the closing line as well (run.py --extra-results).
# ONKVM_QEMU=10 runs all of it on an emulated host made by QEMU 10 instead of
# the system's QEMU (CI runs both; docs/testing.md). TEST_ARGS=--kvm-only
# leaves out of the suite the tests that run no guest (CI's second pass:
# what does not touch KVM ran in the first).
# $(1): the build tree (its minikvm, unit_tests and test-results.jsonl),
# $(2): ONKVM_TIMEOUT, $(3): more environment for the suite, $(4): more options.
SUITE = for run in 1 2 3 4 5 6; do \
		if [ $$run = 1 ]; then echo "make: suite run 1 of 6 at most; finished tests are recorded in $(1)/test-results.jsonl"; \
		else echo "make: suite run $$run of 6 at most, resumed: in run $$((run - 1)) the emulated KVM host stopped answering (onkvm exit 124); the tests that had not finished run now"; fi; \
		$(3) MINIKVM_LINUX_ENV=$(BUILD)/linux.env ONKVM_TIMEOUT=$(2) scripts/onkvm python3 tests/run.py \
			--minikvm $(1)/minikvm --unit $(1)/unit_tests --resume $(1)/test-results.jsonl $(4); s=$$?; \
		[ $$s = 124 ] || exit $$s; \
	done; exit 124
DEMO_RESULTS := $(BUILD)/demo-results.jsonl
test: setup minikvm $(BUILD)/minikvm-nodebug guests $(BUILD)/unit_tests $(BUILD)/fdt_sample $(BUILD)/riscv_tdesc $(BUILD)/riscv_unit_tests $(BUILD)/riscv_board_fdt test-prereqs
	@rm -f $(BUILD)/test-results.jsonl
	@python3 tests/demo_test.py --results $(DEMO_RESULTS) || true
	@if scripts/onkvm --kind | grep -q '^emulated'; then \
		python3 tests/onkvm_test.py --minikvm $(BUILD)/minikvm --scratch $(BUILD) \
			--resume $(BUILD)/test-results.jsonl || echo "make test: tests/onkvm_test.py exited $$?"; \
	fi
	@$(MAKE) --no-print-directory $(BUILD)/riscv64/kvm_probe || echo "make test: the RISC-V probe did not build; its test will say so"
	@python3 tests/onkvm_riscv64_test.py --probe $(BUILD)/riscv64/kvm_probe \
		--resume $(BUILD)/test-results.jsonl || echo "make test: tests/onkvm_riscv64_test.py exited $$?"
	@$(MAKE) --no-print-directory ARCH=riscv64 BUILD=build-riscv64 all || echo "make test: make ARCH=riscv64 failed; the RISC-V tests will say so"
	@python3 tests/riscv_test.py --resume $(BUILD)/test-results.jsonl || echo "make test: tests/riscv_test.py exited $$?"
	@python3 tests/riscv_gdb_test.py --resume $(BUILD)/test-results.jsonl || echo "make test: tests/riscv_gdb_test.py exited $$?"
	@python3 tests/riscv_linux_gdb_test.py --resume $(BUILD)/test-results.jsonl || echo "make test: tests/riscv_linux_gdb_test.py exited $$?"
	@python3 tests/riscv_snapshot_test.py --resume $(BUILD)/test-results.jsonl || echo "make test: tests/riscv_snapshot_test.py exited $$?"
	@$(call SUITE,$(BUILD),1800,,--extra-results $(DEMO_RESULTS) $(TEST_ARGS))

# The RISC-V guests and minikvm-riscv64 on scripts/onkvm-riscv64's RISC-V KVM
# (tests/riscv_test.py: one boot of the emulated host runs every case), then
# gdb-multiarch against its stub (tests/riscv_gdb_test.py: one boot more;
# tests/riscv_linux_gdb_test.py: Linux under gdb, one more;
# tests/riscv_snapshot_test.py: snapshots and core files, one more).
.PHONY: test-riscv
test-riscv:
	@$(MAKE) --no-print-directory ARCH=riscv64 BUILD=build-riscv64 all
	python3 tests/riscv_test.py
	python3 tests/riscv_gdb_test.py
	python3 tests/riscv_linux_gdb_test.py
	python3 tests/riscv_snapshot_test.py

# Debian's kernel (fetched) and the loop's test kernel (built from Debian's
# linux-source: once, 13 to 20 minutes on two shared cores, 2.1 GB in
# ~/.cache/minikvm/kernel-tree; then a fraction of a second. The tests find it
# with scripts/build-kernel.sh --offline).
.PHONY: test-prereqs
test-prereqs:
	@mkdir -p $(BUILD)
	@scripts/fetch-linux.sh --dbg --gdb-scripts --source --print-env > $(BUILD)/linux.env || \
		echo "make test: could not fetch Debian's kernel; the Linux tests will say why"
	@scripts/build-kernel.sh --print-env > $(BUILD)/kernel.env || \
		echo "make test: could not build the test kernel (scripts/build-kernel.sh); the tests that boot it will say why"

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

# Same suite, built with AddressSanitizer and UndefinedBehaviorSanitizer.
check: setup guests test-prereqs
	$(MAKE) BUILD=build-san CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" build-san/minikvm build-san/minikvm-nodebug build-san/unit_tests build-san/fdt_sample build-san/riscv_tdesc build-san/riscv_unit_tests build-san/riscv_board_fdt
	@rm -f build-san/test-results.jsonl
	@$(call SUITE,build-san,3600,ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1)

# The Debian/Ubuntu packages a job needs, installed when missing (sudo when
# not root): one list, in scripts/setup.sh, for make, .ci/run and the README.
# Silent and quick when nothing is missing.
setup:
	@scripts/setup.sh test
setup-demo:
	@scripts/setup.sh demo

# The README's run command: the demo guest with its gdb stub on
# 127.0.0.1:$(DEMO_PORT), waiting for gdb (-S); this terminal is its console
# (Ctrl-A x quits). Without a usable /dev/kvm it runs on scripts/onkvm's
# emulated KVM host, with this terminal joined to it (--tty) and the port
# forwarded from this machine's 127.0.0.1 (--forward), so that
# `gdb guest/ckernel.elf -ex "target remote :1234"` here attaches to it; with
# one, onkvm just runs it. tests/demo_test.py runs this command.
DEMO_PORT  ?= 1234
DEMO_GUEST ?= guest/ckernel.elf
DEMO_ARGS  ?= -S
demo: setup-demo minikvm guests
	scripts/onkvm --tty --forward $(DEMO_PORT) ./minikvm --gdb $(DEMO_PORT) $(DEMO_ARGS) $(DEMO_GUEST)

install: minikvm $(BUILD)/minikvm-init
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/minikvm $(DESTDIR)$(PREFIX)/share/doc/minikvm
	install -m 0755 minikvm scripts/minikvm-run $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(BUILD)/minikvm-init $(DESTDIR)$(PREFIX)/libexec/minikvm/minikvm-init
	install -m 0644 README.md $(wildcard docs/*.md) $(DESTDIR)$(PREFIX)/share/doc/minikvm/

clean: guest-clean riscv-guest-clean
	rm -rf build build-san build-fuzz build-riscv64 minikvm minikvm-riscv64
	find tests scripts -name __pycache__ -type d -prune -exec rm -rf {} +

-include $(DEPS)
