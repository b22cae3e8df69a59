# SPDX-License-Identifier: MIT
# libFuzzer target for gdbstub's packet parser and command dispatcher.
#   make fuzz                  build build-fuzz/fuzz_gdbstub, run it FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=600
# New inputs go to build-fuzz/corpus; the seeds in tests/fuzz/corpus are read.
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

build-fuzz/sim_target.o: tests/unit/sim_target.c tests/unit/sim_target.h $(wildcard gdbstub/*.h)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_SIM_CFLAGS) -c -o $@ $<

build-fuzz/fuzz_gdbstub: $(FUZZ_SRC) build-fuzz/sim_target.o $(wildcard gdbstub/*.h)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRC) build-fuzz/sim_target.o

.PHONY: fuzz
fuzz: build-fuzz/fuzz_gdbstub
	@mkdir -p build-fuzz/corpus
	build-fuzz/fuzz_gdbstub $(FUZZ_ARGS) build-fuzz/corpus tests/fuzz/corpus
