# SPDX-License-Identifier: MIT
# libFuzzer targets for gdbstub:
#   fuzz_gdbstub  the packet parser and command dispatcher (Z0/Z1 conditions too)
#   fuzz_agent    the agent-expression evaluator alone (the input is the bytecode)
#   make fuzz                  build both, run each FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=600
#   make fuzz-gdbstub / make fuzz-agent   one of them
# New inputs go to build-fuzz/corpus (build-fuzz/corpus-agent); the seeds in
# tests/fuzz/corpus (tests/fuzz/corpus-agent) are read.
# A crash leaves build-fuzz/crash-*: rerun it with build-fuzz/fuzz_gdbstub FILE.

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRC     := tests/fuzz/fuzz_gdbstub.c $(wildcard gdbstub/*.c)
# The simulated target and the output checker are the harness, not the code
# under test: sanitized but without coverage feedback, which would only slow
# the fuzzer down comparing every byte of every reply.
FUZZ_SIM_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE \
                   -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_ARGS    := -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
                -dict=tests/fuzz/gdbstub.dict -print_final_stats=1 \
                -artifact_prefix=build-fuzz/
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

.PHONY: fuzz fuzz-gdbstub fuzz-agent
fuzz: fuzz-gdbstub fuzz-agent

fuzz-gdbstub: build-fuzz/fuzz_gdbstub
	@mkdir -p build-fuzz/corpus
	build-fuzz/fuzz_gdbstub $(FUZZ_ARGS) build-fuzz/corpus tests/fuzz/corpus

fuzz-agent: build-fuzz/fuzz_agent
	@mkdir -p build-fuzz/corpus-agent
	build-fuzz/fuzz_agent $(FUZZ_AGENT_ARGS) build-fuzz/corpus-agent tests/fuzz/corpus-agent
