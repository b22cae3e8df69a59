#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-linux.sh — boot Debian's cloud kernel with the busybox initramfs in minikvm.
#
#   scripts/run-linux.sh [--dbg] [MINIKVM OPTIONS...]
#
# Fetches what is missing first (scripts/fetch-linux.sh; --dbg also fetches the
# -dbg package with the vmlinux gdb needs), then runs
#
#   minikvm -m 512M -c 2 --initrd $INITRD --append "console=ttyS0" [OPTIONS] $VMLINUZ
#
# Options are passed through to minikvm and come after the defaults, so they
# win: `-c 4`, `-m 1G`, `-s -S`, `--serial file:log`. --append TEXT is added to
# the default command line rather than replacing it:
#   scripts/run-linux.sh --append "minikvm.cmd=uname+-r"   # run a command, power off
#   scripts/run-linux.sh --append "quiet"
#
# Debugging with symbols: Debian's kernel is built with KASLR, so it places
# itself at a random address and the symbols in vmlinux do not match where the
# code really is. Boot with `nokaslr` whenever gdb should use vmlinux's symbols:
#   scripts/run-linux.sh --dbg -s -S --append nokaslr
#   gdb $VMLINUX -ex "target remote :1234" -ex "hbreak start_kernel" -ex continue
# It prints that gdb command line, and, once `scripts/fetch-linux.sh --dbg --source`
# has unpacked the kernel's source, the `set substitute-path` pairs that show
# its lines (list, bt; docs/linux.md, "Source lines").
#
# $MINIKVM picks the binary (default: the repository's ./minikvm).

set -euo pipefail

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/linux-env.sh"

usage() {
	sed -n '4,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

dbg='' append=console=ttyS0 gdb='' endpoint=:1234 extra=()
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--dbg) dbg=1 ;;
	--append)
		[ $# -ge 2 ] || { printf '%s: --append needs an argument\n' "${0##*/}" >&2; exit 2; }
		append="$append $2"
		shift ;;
	--append=*) append="$append ${1#--append=}" ;;
	-s|-S|--wait-gdb) gdb=1; extra+=("$1") ;;
	-g|--gdb) gdb=1; extra+=("$1"); [ $# -ge 2 ] && { extra+=("$2"); endpoint=$2; shift; } ;;
	--gdb=*) gdb=1; extra+=("$1"); endpoint=${1#--gdb=} ;;
	-g*) gdb=1; extra+=("$1"); endpoint=${1#-g} ;;
	*) extra+=("$1") ;;
	esac
	shift
done

MINIKVM=${MINIKVM:-$MINIKVM_TOP/minikvm}
[ -x "$MINIKVM" ] || die "$MINIKVM not found or not executable: build it with make (or set MINIKVM)"

env_text=$("$MINIKVM_SCRIPTS/fetch-linux.sh" --print-env ${dbg:+--dbg}) ||
	die "fetch-linux.sh failed (see above)"
VMLINUZ='' VMLINUX='' INITRD='' SUBSTITUTE_PATH='' SUBSTITUTE_PATH_ASM=''
eval "$env_text"
{ [ -f "$VMLINUZ" ] && [ -f "$INITRD" ]; } || die "fetch-linux.sh gave no kernel or initramfs"

if [ -n "$gdb" ]; then
	if [ -n "$VMLINUX" ]; then
		case $endpoint in
		unix:*) target=${endpoint#unix:} ;;
		[0-9]*) [[ $endpoint == *:* ]] && target=$endpoint || target=:$endpoint ;;
		*) target=$endpoint ;;
		esac
		log "symbols: gdb $VMLINUX -ex \"target remote $target\""
		if [ -n "$SUBSTITUTE_PATH" ]; then
			log "source lines: add -ex \"set substitute-path $SUBSTITUTE_PATH\" -ex \"set substitute-path $SUBSTITUTE_PATH_ASM\""
		else
			log "source lines: unpack the kernel's source once with scripts/fetch-linux.sh --dbg --source"
		fi
	else
		log "symbols: fetch them once with ${0##*/} --dbg (or make linux-dbg)"
	fi
	case " $append " in
	*" nokaslr "*) ;;
	*) log "note: without --append nokaslr the kernel's addresses will not match vmlinux's symbols" ;;
	esac
fi

exec "$MINIKVM" -m 512M -c 2 --initrd "$INITRD" --append "$append" ${extra[@]+"${extra[@]}"} "$VMLINUZ"
