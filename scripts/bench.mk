# SPDX-License-Identifier: MIT
# `make bench`: minikvm and QEMU+KVM side by side (scripts/bench.py, docs/benchmarks.md).
# Included by the top-level Makefile.
#
#   make bench                      every row, 5 runs (3 for slow rows), A B A B
#   make bench BENCH_QUICK=1        a smoke run: 1 run, small sizes, no bzImage row
#   make bench ARCH=riscv64         minikvm-riscv64 beside QEMU on a RISC-V KVM
#                                   (scripts/bench_riscv64.py)
#   make bench BENCH_OUT=DIR        write results.json and results.md to DIR
#                                   (default bench/results/KIND, KIND the host's
#                                   kind: hardware, pvm or emulated-svm)
#
# Installs qemu-system-x86 with apt-get when it is missing; needs gdb. Without
# /dev/kvm it runs on the emulated AMD-V host of scripts/onkvm, and its figures
# are labelled (and filed) as measured under emulation.
# The Linux rows fetch Debian's kernel (with its -dbg vmlinux) through
# scripts/fetch-linux.sh. A benchmark never fails the build for a slow figure.

BENCH_OUT   ?=
BENCH_QUICK ?=

.PHONY: bench
ifeq ($(ARCH),riscv64)
# make bench ARCH=riscv64: scripts/bench_riscv64.py, on scripts/onkvm-riscv64's RISC-V KVM
# (BENCH_RUNS runs a row, default 5; BENCH_QEMU_RISCV64=DIR: a riscv64 root with QEMU).
BENCH_RUNS ?= 5
bench: minikvm-riscv64 riscv-guests
	BENCH_OUT='$(BENCH_OUT)' python3 scripts/bench_riscv64.py --runs $(BENCH_RUNS)
else
bench: minikvm guests bench-guests test-prereqs
	BENCH_OUT='$(BENCH_OUT)' BENCH_QUICK='$(BENCH_QUICK)' MINIKVM=./minikvm MINIKVM_LINUX_ENV=build/linux.env \
		scripts/onkvm python3 scripts/bench.py
endif
