# SPDX-License-Identifier: MIT
# libFuzzer targets:
#   fuzz_gdbstub  the packet parser and command dispatcher (Z0/Z1 conditions too;
#                 non-stop, vFile and monitor commands with mode bits 4 + 7)
#   fuzz_agent    the agent-expression evaluator alone (the input is the bytecode)
#   fuzz_loader   the guest image loaders: the input is an image, through format
#                 detection and every loader (raw16/32/64, ELF, multiboot,
#                 bzImage, PVH)
#   fuzz_snapshot the snapshot loader: the input is a snapshot file, through
#                 snapshot_parse (header, checksums, sections; a mutated file
#                 is also tried with its checksums repaired) and
#                 snapshot_restore (every device's load, every vCPU's
#                 records, the clock) on a machine with a fake KVM
#                 (tests/fuzz/fake_machine.c); then a "guest" reads every
#                 device register, runs an I/O program from the restored
#                 RAM and lets the PIT's timer run (a timer that spins aborts);
#                 an input without the magic is one device's section alone
#                 (the first byte picks the device)
#   fuzz_p9       the 9P2000.L server (src/p9) on a real tree in a temporary
#                 directory: the input is a mode byte (writable, the
#                 openat2-less walk, msize, a short reply buffer, a session
#                 or none) and requests, each len[2] + bytes; every reply's
#                 frame is checked, and that nothing outside the export
#                 changed (nothing at all when read-only), that no reply
#                 holds the outside file's text, that no fd is left open
#   make fuzz                  build all five, run each FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=600
#   make fuzz-gdbstub / fuzz-agent / fuzz-loader / fuzz-snapshot / fuzz-p9   one of them
#   make fuzz-snapshot-corpus  remake tests/fuzz/corpus-snapshot (savevm files
#                              of the fake machine: snapshot_take, as monitor
#                              savevm does)
# New inputs go to build-fuzz/corpus (build-fuzz/corpus-agent,
# build-fuzz/corpus-loader, build-fuzz/corpus-snapshot, build-fuzz/corpus-p9);
# the seeds in tests/fuzz/corpus (corpus-agent, corpus-loader,
# corpus-snapshot, corpus-p9: tests/fuzz/make-p9-corpus.py) are read.
# A crash leaves build-fuzz/crash-* (agent-, loader-, snapshot-, p9-crash-*):
# rerun it with build-fuzz/fuzz_gdbstub FILE (fuzz_agent, ...).

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE $(INCLUDE) \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRC     := tests/fuzz/fuzz_gdbstub.c $(wildcard gdbstub/*.c)
# The simulated target and the output checker are the harness, not the code
# under test: sanitized but without coverage feedback, which would only slow
# the fuzzer down comparing every byte of every reply.
FUZZ_SIM_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE $(INCLUDE) \
                   -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_ARGS    := -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
                -dict=tests/fuzz/gdbstub.dict -print_final_stats=1 \
                -artifact_prefix=build-fuzz/
FUZZ_LOADER_ARGS := -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 \
                    -print_final_stats=1 -artifact_prefix=build-fuzz/loader-
# The loaders and what they call (no KVM, no files: the image comes in memory).
FUZZ_LOADER_SRC := tests/fuzz/fuzz_loader.c $(filter-out $(RISCV_ONLY),$(wildcard src/loader/*.c)) src/guest_mem.c src/x86/options.c \
                   src/error.c src/options.c src/x86/layout.c src/x86/acpi.c
FUZZ_AGENT_ARGS := -max_total_time=$(FUZZ_SECONDS) -max_len=1024 -timeout=10 \
                   -dict=tests/fuzz/agent.dict -print_final_stats=1 \
                   -artifact_prefix=build-fuzz/agent-

FUZZ_SNAPSHOT_ARGS := -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
                      -dict=tests/fuzz/snapshot.dict \
                      -print_final_stats=1 -artifact_prefix=build-fuzz/snapshot-
FUZZ_P9_ARGS := -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
                -dict=tests/fuzz/p9.dict -print_final_stats=1 \
                -artifact_prefix=build-fuzz/p9-
# The server under test with coverage; the test client that makes its tree without.
FUZZ_P9_SRC := tests/fuzz/fuzz_p9.c $(wildcard src/p9/*.c)

# The whole VMM but main() (as the unit tests link it), on the fake KVM.
FUZZ_VMM_SRC := $(filter-out src/main.c $(RISCV_ONLY),$(wildcard src/*.c src/*/*.c)) $(wildcard gdbstub/*.c) \
                tests/fuzz/fake_machine.c
# KVM's structures end in flexible arrays that the VMM wraps (a GNU extension clang names).
FUZZ_VMM_CFLAGS := -pthread -Wno-gnu-variable-sized-type-not-at-end -DMINIKVM_VERSION='"fuzz"'
FUZZ_VMM_DEPS := $(FUZZ_VMM_SRC) tests/fuzz/fake_machine.h $(wildcard src/*.h src/*/*.h gdbstub/*.h)

build-fuzz/sim_target.o: tests/unit/sim_target.c tests/unit/sim_target.h $(wildcard gdbstub/*.h)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_SIM_CFLAGS) -c -o $@ $<

build-fuzz/p9_client.o: tests/unit/p9_client.c tests/unit/p9_client.h $(wildcard src/p9/*.h)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_SIM_CFLAGS) -c -o $@ $<

build-fuzz/fuzz_p9: $(FUZZ_P9_SRC) build-fuzz/p9_client.o $(wildcard src/p9/*.h)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_P9_SRC) build-fuzz/p9_client.o

build-fuzz/fuzz_gdbstub: $(FUZZ_SRC) build-fuzz/sim_target.o $(wildcard gdbstub/*.h)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRC) build-fuzz/sim_target.o

build-fuzz/fuzz_agent: tests/fuzz/fuzz_agent.c gdbstub/agent.c gdbstub/agent.h
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_agent.c gdbstub/agent.c

build-fuzz/fuzz_loader: $(FUZZ_LOADER_SRC) $(wildcard src/*.h src/loader/*.h src/x86/*.h)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DMINIKVM_VERSION='"fuzz"' -o $@ $(FUZZ_LOADER_SRC)

build-fuzz/fuzz_snapshot: tests/fuzz/fuzz_snapshot.c $(FUZZ_VMM_DEPS)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_VMM_CFLAGS) -o $@ \
		tests/fuzz/fuzz_snapshot.c $(FUZZ_VMM_SRC)

# Not a fuzzer: sanitized, no coverage.
build-fuzz/make_snapshot_corpus: tests/fuzz/make_snapshot_corpus.c $(FUZZ_VMM_DEPS)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_SIM_CFLAGS) $(FUZZ_VMM_CFLAGS) -o $@ \
		tests/fuzz/make_snapshot_corpus.c $(FUZZ_VMM_SRC)

.PHONY: fuzz fuzz-gdbstub fuzz-agent fuzz-loader fuzz-snapshot fuzz-snapshot-corpus fuzz-p9
fuzz: fuzz-gdbstub fuzz-agent fuzz-loader fuzz-snapshot fuzz-p9

fuzz-gdbstub: build-fuzz/fuzz_gdbstub
	@mkdir -p build-fuzz/corpus
	build-fuzz/fuzz_gdbstub $(FUZZ_ARGS) build-fuzz/corpus tests/fuzz/corpus

fuzz-agent: build-fuzz/fuzz_agent
	@mkdir -p build-fuzz/corpus-agent
	build-fuzz/fuzz_agent $(FUZZ_AGENT_ARGS) build-fuzz/corpus-agent tests/fuzz/corpus-agent

fuzz-loader: build-fuzz/fuzz_loader
	@mkdir -p build-fuzz/corpus-loader
	build-fuzz/fuzz_loader $(FUZZ_LOADER_ARGS) build-fuzz/corpus-loader tests/fuzz/corpus-loader

fuzz-snapshot: build-fuzz/fuzz_snapshot
	@mkdir -p build-fuzz/corpus-snapshot
	build-fuzz/fuzz_snapshot $(FUZZ_SNAPSHOT_ARGS) build-fuzz/corpus-snapshot tests/fuzz/corpus-snapshot

fuzz-snapshot-corpus: build-fuzz/make_snapshot_corpus
	@mkdir -p tests/fuzz/corpus-snapshot
	build-fuzz/make_snapshot_corpus tests/fuzz/corpus-snapshot

fuzz-p9: build-fuzz/fuzz_p9
	@mkdir -p build-fuzz/corpus-p9
	build-fuzz/fuzz_p9 $(FUZZ_P9_ARGS) build-fuzz/corpus-p9 tests/fuzz/corpus-p9
