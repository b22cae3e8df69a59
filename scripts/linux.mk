# SPDX-License-Identifier: MIT
# Debian's kernel and a busybox initramfs, cached under ${MINIKVM_CACHE:-~/.cache/minikvm}
# (included by the top-level Makefile). The paths are printed by
# `scripts/fetch-linux.sh --print-env`; see scripts/linux-env.sh.
#
#   make linux        fetch linux-image-*-cloud-amd64 and busybox-static, build the initramfs
#   make linux-dbg    the same, plus the -dbg package (vmlinux with DWARF; 283 MB) and the
#                     kernel's gdb scripts (lx-dmesg, lx-ps, ...; from linux-source, 151 MB)
#   make run-linux    boot it: minikvm -m 512M -c 2 --initrd INITRD --append console=ttyS0 VMLINUZ
#                     extra minikvm options: make run-linux LINUX_ARGS="-c 4 -s -S --append nokaslr"
#   make kernel       build a small x86-64 test kernel (bzImage, vmlinux with DWARF, the
#                     gdb scripts, the test module tests/kmod) from Debian's linux-source
#                     (scripts/build-kernel.sh, cached; minutes once, then a second) and
#                     print its paths: KTREE, KBZIMAGE, KVMLINUX, KGDB_SCRIPTS, KMODULE,
#                     KRELEASE; boot it with make run-linux LINUX_ARGS=<the KBZIMAGE path>
#   make run-linux ARCH=riscv64
#                     Debian trixie's riscv64 kernel and busybox in minikvm-riscv64, on a
#                     RISC-V KVM (scripts/run-linux-riscv64.sh; the emulated RISC-V host
#                     where this machine has none): LINUX_ARGS as above

LINUX_ARGS ?=

.PHONY: linux linux-dbg run-linux kernel

linux:
	scripts/fetch-linux.sh

linux-dbg:
	scripts/fetch-linux.sh --dbg --gdb-scripts --source

kernel:
	@scripts/build-kernel.sh --print-env

ifeq ($(ARCH),riscv64)
run-linux: minikvm-riscv64
	MINIKVM=./minikvm-riscv64 scripts/run-linux-riscv64.sh $(LINUX_ARGS)
else
run-linux: minikvm
	MINIKVM=./minikvm scripts/run-linux.sh $(LINUX_ARGS)
endif
