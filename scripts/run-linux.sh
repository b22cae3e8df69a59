#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-linux.sh — boot a Linux kernel with the busybox initramfs in minikvm:
# Debian's cloud kernel, or one you built.
#
#   scripts/run-linux.sh [--dbg] [MINIKVM OPTIONS...] [KERNEL]
#
# Fetches what is missing first (scripts/fetch-linux.sh; --dbg also fetches the
# -dbg package with the vmlinux gdb needs), then runs
#
#   minikvm -m 512M -c 2 --initrd $INITRD --append "console=ttyS0" [OPTIONS] KERNEL
#
# KERNEL is Debian's $VMLINUZ unless you name one: a bzImage
# (arch/x86/boot/bzImage of your tree) or a vmlinux (booted through PVH),
# anywhere among the options, as with minikvm itself:
#   scripts/run-linux.sh ~/linux/arch/x86/boot/bzImage --append nokaslr -s
#   eval "$(scripts/build-kernel.sh --print-env)"; scripts/run-linux.sh "$KVMLINUX"
# Your kernel then needs only the initramfs from the cache (no Debian kernel
# is fetched if it is there), and must be able to run it: a serial 8250
# console, ACPI, initramfs with gzip (scripts/kconfig/minikvm.config has it all).
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
# For your own kernel the symbols are its tree's vmlinux (--dbg is not needed;
# a vmlinux booted through PVH never randomises itself).
#
# $MINIKVM picks the binary (default: the repository's ./minikvm).

set -euo pipefail

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/linux-env.sh"

usage() {
	sed -n '4,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

MINIKVM=${MINIKVM:-$MINIKVM_TOP/minikvm}
[ -x "$MINIKVM" ] || die "$MINIKVM not found or not executable: build it with make (or set MINIKVM)"

# The options of this minikvm that take a value, from its --help ("  -m,
# --memory SIZE   text": one space, then the value's name), so that a value
# (-m 1G, --serial file:x) is never taken for the kernel.
valued=' '
help_re='^ +(-[A-Za-z])?(, )?(--[A-Za-z0-9-]+)? [^ ]'
while IFS= read -r line; do
	if [[ $line =~ $help_re ]]; then
		valued+="${BASH_REMATCH[1]:+${BASH_REMATCH[1]} }${BASH_REMATCH[3]:+${BASH_REMATCH[3]} }"
	fi
done < <("$MINIKVM" --help 2>&1 || true)

# The kernel named on the command line, if any: its path, absolute.
kernel=''
take_kernel() {
	[ -z "$kernel" ] || { printf '%s: two kernels named: %s and %s\n' "${0##*/}" "$kernel" "$1" >&2; exit 2; }
	{ [ -f "$1" ] && [ -r "$1" ]; } || die "kernel $1: no such readable file"
	kernel=$(cd "$(dirname "$1")" && printf '%s/%s' "$PWD" "${1##*/}")
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
	--) shift; for a; do take_kernel "$a"; done; break ;;
	-*) extra+=("$1")
	    case $valued in
	    *" $1 "*) [ $# -lt 2 ] || { extra+=("$2"); shift; } ;;
	    esac ;;
	*) take_kernel "$1" ;;
	esac
	shift
done

VMLINUZ='' VMLINUX='' INITRD=''
if [ -n "$kernel" ]; then
	# Only the initramfs is wanted: the one fetch-linux.sh last named in
	# $MINIKVM_CACHE/env if it is still there (no apt call at all), else
	# what fetch-linux.sh has in the cache, else fetched.
	[ -z "$dbg" ] || log "note: --dbg fetches Debian's vmlinux; your kernel's symbols are in its own tree"
	env_text=$(grep -E "^[A-Z_]+='[^']*'\$" "$MINIKVM_CACHE/env" 2>/dev/null) || env_text=''
	eval "$env_text"
	if [ -z "$INITRD" ] || [ ! -f "$INITRD" ] || [ ! -f "$VMLINUZ" ]; then
		env_text=$("$MINIKVM_SCRIPTS/fetch-linux.sh" --offline --print-env 2>/dev/null) ||
			env_text=$("$MINIKVM_SCRIPTS/fetch-linux.sh" --print-env) ||
			die "fetch-linux.sh failed (see above)"
	fi
else
	env_text=$("$MINIKVM_SCRIPTS/fetch-linux.sh" --print-env ${dbg:+--dbg}) ||
		die "fetch-linux.sh failed (see above)"
fi
VMLINUZ='' VMLINUX='' INITRD='' SUBSTITUTE_PATH='' SUBSTITUTE_PATH_ASM=''
eval "$env_text"
{ [ -f "$VMLINUZ" ] && [ -f "$INITRD" ]; } || die "fetch-linux.sh gave no kernel or initramfs"

if [ -n "$kernel" ]; then
	VMLINUZ=$kernel VMLINUX=''
	# The symbols: the vmlinux itself, or the one at the top of a bzImage's tree.
	if [ "$(head -c 4 "$kernel" | od -An -c | tr -d ' ')" = 177ELF ]; then
		VMLINUX=$kernel
	else
		case $kernel in
		*/arch/x86/boot/bzImage) [ ! -f "${kernel%/arch/x86/boot/bzImage}/vmlinux" ] ||
			VMLINUX=${kernel%/arch/x86/boot/bzImage}/vmlinux ;;
		esac
	fi
fi

if [ -n "$gdb" ]; then
	if [ -n "$VMLINUX" ]; then
		case $endpoint in
		unix:*) target=${endpoint#unix:} ;;
		[0-9]*) [[ $endpoint == *:* ]] && target=$endpoint || target=:$endpoint ;;
		*) target=$endpoint ;;
		esac
		log "symbols: gdb $VMLINUX -ex \"target remote $target\""
		if [ -n "$kernel" ]; then
			:  # your tree's DWARF names its own files
		elif [ -n "$SUBSTITUTE_PATH" ]; then
			log "source lines: add -ex \"set substitute-path $SUBSTITUTE_PATH\" -ex \"set substitute-path $SUBSTITUTE_PATH_ASM\""
		else
			log "source lines: unpack the kernel's source once with scripts/fetch-linux.sh --dbg --source"
		fi
	elif [ -n "$kernel" ]; then
		log "symbols: gdb YOUR-TREE/vmlinux (none found beside $kernel)"
	else
		log "symbols: fetch them once with ${0##*/} --dbg (or make linux-dbg)"
	fi
	# (a vmlinux boots through PVH, which never randomises)
	if [ -z "$kernel" ] || [ "$VMLINUX" != "$kernel" ]; then
		case " $append " in
		*" nokaslr "*) ;;
		*) log "note: without --append nokaslr the kernel's addresses will not match vmlinux's symbols" ;;
		esac
	fi
fi

exec "$MINIKVM" -m 512M -c 2 --initrd "$INITRD" --append "$append" ${extra[@]+"${extra[@]}"} "$VMLINUZ"
