# SPDX-License-Identifier: MIT
# libFuzzer targets:
#   fuzz_gdbstub  the packet parser and command dispatcher (Z0/Z1 conditions too)
#   fuzz_agent    the agent-expression evaluator alone (the input is the bytecode)
#   fuzz_loader   the guest image loaders: the input is an image, through format
#                 detection and every loader (raw16/32/64, ELF, multiboot,
#                 bzImage, PVH)
#   make fuzz                  build all three, run each FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=600
#   make fuzz-gdbstub / make fuzz-agent / make fuzz-loader   one of them
# New inputs go to build-fuzz/corpus (build-fuzz/corpus-agent,
# build-fuzz/corpus-loader); the seeds in tests/fuzz/corpus (corpus-agent,
# corpus-loader) are read.
# A crash leaves build-fuzz/crash-*: rerun it with build-fuzz/fuzz_gdbstub FILE.

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
FUZZ_LOADER_SRC := tests/fuzz/fuzz_loader.c $(wildcard src/loader/*.c) src/guest_mem.c \
                   src/error.c src/options.c src/x86/layout.c src/x86/acpi.c
FUZZ_AGENT_ARGS := -max_total_time=$(FUZZ_SECONDS) -max_len=1024 -timeout=10 \
                   -dict=tests/fuzz/agent.dict -print_final_stats=1 \
                   -artifact_prefix=build-fuzz/agent-

build-fuzz/sim_target.o: tests/unit/sim_target.c tests/unit/sim_target.h $(wildcard gdbstub/*.h)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_SIM_CFLAGS) -c -o $@ $<

build-fuzz/fuzz_gdbstub: $(FUZZ_SRC) build-fuzz/sim_target.o $(wildcard gdbstub/*.h)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRC) build-fuzz/sim_target.o

build-fuzz/fuzz_agent: tests/fuzz/fuzz_agent.c gdbstub/agent.c gdbstub/agent.h
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_agent.c gdbstub/agent.c

build-fuzz/fuzz_loader: $(FUZZ_LOADER_SRC) $(wildcard src/*.h src/loader/*.h src/x86/*.h)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DMINIKVM_VERSION='"fuzz"' -o $@ $(FUZZ_LOADER_SRC)

.PHONY: fuzz fuzz-gdbstub fuzz-agent fuzz-loader
fuzz: fuzz-gdbstub fuzz-agent fuzz-loader

fuzz-gdbstub: build-fuzz/fuzz_gdbstub
	@mkdir -p build-fuzz/corpus
	build-fuzz/fuzz_gdbstub $(FUZZ_ARGS) build-fuzz/corpus tests/fuzz/corpus

fuzz-agent: build-fuzz/fuzz_agent
	@mkdir -p build-fuzz/corpus-agent
	build-fuzz/fuzz_agent $(FUZZ_AGENT_ARGS) build-fuzz/corpus-agent tests/fuzz/corpus-agent

fuzz-loader: build-fuzz/fuzz_loader
	@mkdir -p build-fuzz/corpus-loader
	build-fuzz/fuzz_loader $(FUZZ_LOADER_ARGS) build-fuzz/corpus-loader tests/fuzz/corpus-loader
