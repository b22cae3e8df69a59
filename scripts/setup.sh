#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# setup.sh — install the Debian/Ubuntu packages minikvm's build, tests and demo use.
#
#   scripts/setup.sh [--check] [--list] [WHAT...]
#
# The one list of the packages the project needs (README, Makefile and .ci/run
# all come here). WHAT names what is about to run (default: test):
#
#   build   make all: build-essential (gcc, make), binutils, python3
#   demo    make demo: build + gdb
#   test    make test, make check: demo + lldb, kernel (the loop's tests boot a
#           kernel built from source), and the RISC-V side: its cross
#           toolchain (gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross; not on
#           riscv64, whose own gcc builds it), gdb-multiarch, device-tree-compiler
#   fuzz    make fuzz: build + clang
#   kernel  make kernel (scripts/build-kernel.sh: a test kernel from Debian's
#           linux-source): build + bc, bison, flex, libelf-dev (x86's
#           objtool), xz-utils
#   riscv   make ARCH=riscv64: build + the RISC-V packages test names
#   ci      .ci/run: all of the above, and the emulated KVM host's packages
#           whether or not /dev/kvm works here
#
# Where /dev/kvm is not usable (scripts/onkvm --kind says "emulated") demo,
# test and ci also need the emulated KVM host: qemu-system-x86, busybox-static,
# xz-utils. Where it works they are not installed (they are large, and the
# tests do not use them). Likewise test and ci need qemu-system-misc where
# scripts/onkvm-riscv64 --kind says "emulated" (everywhere but a riscv64
# machine with KVM): the emulated RISC-V KVM host (it boots with QEMU's own
# OpenSBI, so the opensbi package is not needed).
#
# What is missing is asked of dpkg-query; when nothing is, this prints nothing
# and calls no apt. Otherwise it runs apt-get update, then apt-get install
# --no-install-recommends (noninteractive), through sudo when not root.
#
#   --check  install nothing: name what is missing on stdout (exit 1 if anything)
#   --list   print the packages WHAT needs here, one a line, and exit
#
# Exit status: 0 every package needed is installed (or now is); 1 some could
# not be installed (no apt-get, no sudo, or apt-get failed): one line on stderr
# names them and the command to run; with --check, 1 when some are missing;
# 2 usage error. On a system without dpkg-query (not Debian or Ubuntu) nothing
# can be checked: one line on stderr names the packages whose equivalents are
# needed, and the status is 0.

set -euo pipefail

PKGS_BUILD="build-essential binutils python3"
PKGS_DEMO="gdb"
PKGS_TEST="lldb"
PKGS_FUZZ="clang"
# Building a kernel (scripts/build-kernel.sh) beyond gcc, make and perl:
# bc (kernel/time/timeconst.h), bison and flex (scripts/kconfig, dtc),
# libelf-dev (objtool, which x86-64 builds always run), xz-utils (the
# source tarball), kmod (insmod: the loop's test loads the tree's module in
# the guest with the host's own tools). No libssl-dev (no module signing)
# nor dwarves (no BTF).
PKGS_KERNEL="bc bison flex libelf-dev xz-utils kmod"
PKGS_KVMHOST="qemu-system-x86 busybox-static xz-utils"
# RISC-V: building for it (a cross compiler except on riscv64), debugging it,
# and scripts/onkvm-riscv64's emulated host (whose kernel and busybox are
# Debian trixie's riscv64 packages, fetched by it, never installed).
PKGS_RISCV="gdb-multiarch device-tree-compiler"
[ "$(uname -m 2>/dev/null)" = riscv64 ] || PKGS_RISCV="gcc-riscv64-linux-gnu libc6-dev-riscv64-cross $PKGS_RISCV"
PKGS_RISCVHOST="qemu-system-misc xz-utils"
# Debian's kernel (the Linux tests' guest, the emulated host's kernel) comes
# from Debian's archive; elsewhere (Ubuntu) through a private apt
# configuration that needs Debian's key (scripts/linux-env.sh, MINIKVM_APT).
PKGS_DEBIAN_KEY="debian-archive-keyring"

me=${0##*/}
usage() { sed -n '4,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

check_only='' list_only='' whats=()
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--check) check_only=1 ;;
	--list) list_only=1 ;;
	build|demo|test|fuzz|kernel|riscv|ci) whats+=("$1") ;;
	*) printf '%s: unknown argument %s (try --help)\n' "$me" "$1" >&2; exit 2 ;;
	esac
	shift
done
[ ${#whats[@]} -gt 0 ] || whats=(test)

# The emulated host's packages are needed where scripts/onkvm would make one.
kvmhost_needed() {
	local kind
	kind=$("$(dirname "${BASH_SOURCE[0]}")/onkvm" --kind 2>/dev/null) || return 0
	case $kind in emulated*) return 0 ;; *) return 1 ;; esac
}

# And the emulated RISC-V KVM host's, where scripts/onkvm-riscv64 would make one.
riscv_kvmhost_needed() {
	local kind
	kind=$("$(dirname "${BASH_SOURCE[0]}")/onkvm-riscv64" --kind 2>/dev/null) || return 0
	case $kind in emulated*) return 0 ;; *) return 1 ;; esac
}

# Not Debian itself (Ubuntu, other derivatives): Debian's packages come from Debian.
not_debian() {
	local id=''
	# shellcheck disable=SC1091
	[ -r /etc/os-release ] && id=$(. /etc/os-release && printf '%s' "${ID:-}")
	[ "$id" != debian ] && [ "${MINIKVM_APT:-}" != system ] || [ "${MINIKVM_APT:-}" = debian ]
}

wanted=''
for what in "${whats[@]}"; do
	wanted="$wanted $PKGS_BUILD"
	case $what in
	demo) wanted="$wanted $PKGS_DEMO" ;;
	test) wanted="$wanted $PKGS_DEMO $PKGS_TEST $PKGS_KERNEL $PKGS_RISCV" ;;
	fuzz) wanted="$wanted $PKGS_FUZZ" ;;
	kernel) wanted="$wanted $PKGS_KERNEL" ;;
	riscv) wanted="$wanted $PKGS_RISCV" ;;
	ci) wanted="$wanted $PKGS_DEMO $PKGS_TEST $PKGS_FUZZ $PKGS_KERNEL $PKGS_KVMHOST $PKGS_RISCV $PKGS_RISCVHOST" ;;
	esac
	case $what in
	demo|test) ! kvmhost_needed || wanted="$wanted $PKGS_KVMHOST" ;;
	esac
	case $what in
	test) ! riscv_kvmhost_needed || wanted="$wanted $PKGS_RISCVHOST" ;;
	esac
	case $what in
	test|ci) ! not_debian || wanted="$wanted $PKGS_DEBIAN_KEY" ;;
	demo) ! { not_debian && kvmhost_needed; } || wanted="$wanted $PKGS_DEBIAN_KEY" ;;
	esac
done
# Each once, in the order first named.
packages=()
for p in $wanted; do
	case " ${packages[*]-} " in *" $p "*) ;; *) packages+=("$p") ;; esac
done

if [ -n "$list_only" ]; then
	printf '%s\n' "${packages[@]}"
	exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
	printf '%s: not Debian or Ubuntu (no dpkg-query), so nothing was checked: make sure the equivalents of these are installed: %s\n' \
		"$me" "${packages[*]}" >&2
	exit 0
fi

# One dpkg-query for all (a package dpkg never heard of is simply not listed).
missing_now() {
	local installed p
	installed=" $(dpkg-query -W -f='${db:Status-Status}:${Package} ' "${packages[@]}" 2>/dev/null || true) "
	for p in "${packages[@]}"; do
		case $installed in *" installed:$p "*) ;; *) printf '%s\n' "$p" ;; esac
	done
}
mapfile -t missing < <(missing_now)
[ ${#missing[@]} -gt 0 ] || exit 0

if [ -n "$check_only" ]; then
	printf '%s\n' "${missing[@]}"
	exit 1
fi

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
how="${sudo[*]+sudo }apt-get install"
cannot() { # REASON: the one line, then exit 1
	printf '%s: error: cannot install %s (%s); run: %s %s\n' "$me" "${missing[*]}" "$1" "$how" "${missing[*]}" >&2
	exit 1
}
command -v apt-get >/dev/null 2>&1 || cannot "no apt-get here"
if [ ${#sudo[@]} -gt 0 ] && ! command -v sudo >/dev/null 2>&1; then
	how="as root: apt-get install"
	cannot "not root, and no sudo"
fi

printf '%s: installing %s (apt-get%s)\n' "$me" "${missing[*]}" "${sudo[*]+, with sudo}" >&2
# sudo drops most of the environment: env sets DEBIAN_FRONTEND past it. An
# update that fails for one unreachable source may still leave what we need.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
	printf '%s: apt-get update failed; trying the install anyway\n' "$me" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
	cannot "apt-get install failed"
mapfile -t missing < <(missing_now)
[ ${#missing[@]} = 0 ] || cannot "still not installed after apt-get install"
