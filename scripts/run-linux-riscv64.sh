#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-linux-riscv64.sh — boot Debian's riscv64 kernel with a busybox initramfs in minikvm-riscv64.
#
#   scripts/run-linux-riscv64.sh [MINIKVM OPTIONS...]
#
# Fetches what is missing first (scripts/onkvm-riscv64 --guest-linux: Debian
# trixie's linux-image-riscv64 and busybox-static:riscv64, never installed),
# then runs, where a RISC-V /dev/kvm works (scripts/onkvm-riscv64: here on a
# riscv64 machine with KVM, else in the emulated RISC-V host),
#
#   minikvm-riscv64 -m 512M -c 2 --initrd $INITRD --append "console=ttyS0" [OPTIONS] $KERNEL
#
# Options are passed through to minikvm-riscv64 and come after the defaults,
# so they win: `-c 1`, `-m 1G`, `--stats`, `--serial file:log`. --append TEXT
# is added to the default command line rather than replacing it:
#   scripts/run-linux-riscv64.sh --append "minikvm.cmd=cat+/proc/cpuinfo"
#
# On a riscv64 machine the guest's shell is interactive. The emulated host
# passes no terminal through, so there the guest runs a command and powers
# off: minikvm.cmd= (see docs/linux.md) if --append gives one, else
# "uname -a; nproc; cat /proc/interrupts".
#
# $MINIKVM picks the binary (default: the repository's ./minikvm-riscv64).

set -euo pipefail

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/linux-env.sh"

usage() {
	sed -n '4,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

append=console=ttyS0 extra=()
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--append)
		[ $# -ge 2 ] || { printf '%s: --append needs an argument\n' "${0##*/}" >&2; exit 2; }
		append="$append $2"
		shift ;;
	--append=*) append="$append ${1#--append=}" ;;
	*) extra+=("$1") ;;
	esac
	shift
done

MINIKVM=${MINIKVM:-$MINIKVM_TOP/minikvm-riscv64}
[ -x "$MINIKVM" ] || die "$MINIKVM not found or not executable: build it with make ARCH=riscv64 (or set MINIKVM)"

ONKVM_RISCV64=$MINIKVM_SCRIPTS/onkvm-riscv64
env_text=$("$ONKVM_RISCV64" --guest-linux) || die "onkvm-riscv64 --guest-linux failed (see above)"
KERNEL='' INITRD=''
eval "$env_text"
{ [ -f "$KERNEL" ] && [ -f "$INITRD" ]; } || die "onkvm-riscv64 --guest-linux gave no kernel or initramfs"

case $("$ONKVM_RISCV64" --kind) in
emulated*)
	case " $append " in
	*" minikvm.cmd="*) ;;
	*)
		append="$append minikvm.cmd=uname+-a;nproc;cat+/proc/interrupts"
		log "the emulated RISC-V host passes no terminal through: the guest runs \"uname -a; nproc; cat /proc/interrupts\" and powers off (--append minikvm.cmd=... for another command)" ;;
	esac ;;
esac

exec "$ONKVM_RISCV64" "$MINIKVM" -m 512M -c 2 --initrd "$INITRD" --append "$append" \
	${extra[@]+"${extra[@]}"} "$KERNEL"
