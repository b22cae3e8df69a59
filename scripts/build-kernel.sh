#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# build-kernel.sh — build a small x86-64 test kernel, with debug info, gdb
# scripts and a test module, for the kernel developer's loop.
#
#   scripts/build-kernel.sh [--offline] [--print-env] [-j N]
#
# The source is Debian's linux-source-6.1 package (the same `linux` source as
# the cloud kernel fetch-linux.sh fetches): a linux-source-6.1_*_all.deb
# already in $MINIKVM_CACHE/debs is used as it is (the newest, or the version
# MINIKVM_KSRC_VERSION names); otherwise `apt-get download` fetches apt's
# candidate into that directory. Nothing else is ever downloaded, nothing is
# installed. Its tarball is unpacked into
#
#   $MINIKVM_CACHE/kernel-tree/linux-source-6.1-DEBVERSION-HASH/
#
# (HASH: of the settings in scripts/kconfig/minikvm.config and of
# configure_tree below, the two things that decide the configuration: an
# edited setting gets a fresh tree, an edited comment does not) and built in place, the
# way a developer's tree is (objtree = srctree):
#
#   make tinyconfig
#   scripts/kconfig/merge_config.sh -m .config .../scripts/kconfig/minikvm.config
#   make olddefconfig
#   make -j$(nproc) bzImage vmlinux modules scripts_gdb
#   make -j$(nproc) M=$TREE/minikvm-test modules      # tests/kmod, copied there
#
# make's output goes to $TREE.log; progress lines, and on failure the log's
# tail and its first error line, go to stderr. Each step leaves a stamp in
# the tree when it has succeeded (.minikvm-unpacked, .minikvm-configured,
# .minikvm-built), so an interrupted build resumes where it stopped (make is
# incremental) and a finished one is found at once: a second run only checks
# files. The module is rebuilt when tests/kmod changes.
#
#   --print-env  print on stdout, one shell assignment each (for eval, or
#                Python's shlex.split), as fetch-linux.sh --print-env does:
#                  KTREE='/…/kernel-tree/linux-source-6.1-…'  the built tree
#                  KBZIMAGE='$KTREE/arch/x86/boot/bzImage'
#                  KVMLINUX='$KTREE/vmlinux'                   ELF with DWARF
#                  KGDB_SCRIPTS='$KTREE/vmlinux-gdb.py'
#                  KMODULE='$KTREE/minikvm-test/minikvm_hello.ko'
#                  KRELEASE='6.1.192'                          uname -r in the guest
#   --offline    never use the network, and never start a kernel build: exit 3
#                unless a finished build is in the cache (the test module is
#                still rebuilt if tests/kmod changed: seconds)
#   -j N         make's jobs (default: nproc)
#
# Environment: MINIKVM_CACHE (default ~/.cache/minikvm), MINIKVM_KSRC_VERSION
# (the linux-source-6.1 version to use, e.g. 6.1.192-3).
# Exit status: 0 built (or already built), 1 error (message on stderr),
# 2 usage error, 3 --offline and not built.
# Needs: gcc, make, bc, bison, flex, libelf-dev (objtool), perl, xz
# (scripts/setup.sh kernel installs them). From make: `make kernel`.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/linux-env.sh"

usage() { sed -n '4,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

offline='' print_env='' jobs=''
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--offline) offline=1 ;;
	--print-env) print_env=1 ;;
	-j) [ $# -ge 2 ] || { printf '%s: -j needs a number\n' "${0##*/}" >&2; exit 2; }
	    jobs=$2; shift ;;
	-j*) jobs=${1#-j} ;;
	*) printf '%s: unknown argument %s (try --help)\n' "${0##*/}" "$1" >&2; exit 2 ;;
	esac
	shift
done
case $jobs in
'') jobs=$(nproc 2>/dev/null || echo 1) ;;
*[!0-9]*|0) printf '%s: -j wants a positive number, not %s\n' "${0##*/}" "$jobs" >&2; exit 2 ;;
esac

SRC_PKG=linux-source-6.1
FRAGMENT=$MINIKVM_SCRIPTS/kconfig/minikvm.config
KMOD_SRC=$MINIKVM_TOP/tests/kmod
TREES=$MINIKVM_CACHE/kernel-tree
START=$SECONDS

progress() { log "$* ($((SECONDS - START)) s)"; }

# not_built WHAT: in --offline mode, give up with status 3.
not_built() {
	log "not built yet: $* (run ${0##*/} without --offline to build it; a few minutes)"
	exit 3
}

# configure_tree: the configuration, in the current directory (the tree).
# Its text is part of the tree's name: change it and a new tree is built.
configure_tree() {
	make -s tinyconfig &&
		scripts/kconfig/merge_config.sh -m .config "$FRAGMENT" &&
		make -s olddefconfig
}

# --- Which source ----------------------------------------------------------------
# A .deb in the cache wins (no apt-cache call: a finished build is found in a
# fraction of a second); apt is asked only when there is none.
deb_version() { local v=${1##*/"${SRC_PKG}"_}; v=${v%_all.deb}; printf '%s' "${v//%3a/:}"; }
SRCVER=${MINIKVM_KSRC_VERSION:-}
if [ -z "$SRCVER" ]; then
	newest=$(printf '%s\n' "$MINIKVM_DEBS/${SRC_PKG}"_*_all.deb | sort -V | tail -n 1)
	[ -s "$newest" ] && SRCVER=$(deb_version "$newest")
fi
if [ -z "$SRCVER" ]; then
	[ -z "$offline" ] || not_built "no $SRC_PKG .deb in $MINIKVM_DEBS"
	apt_known update "$SRC_PKG" || die "apt knows no package $SRC_PKG: is this Debian bookworm with network access?"
	SRCVER=${APT_VER[$SRC_PKG]}
fi
SRC_DEB=$MINIKVM_DEBS/$(deb_name "$SRC_PKG" "$SRCVER" all)

# Only the fragment's settings count, not its comments.
hash=$({ grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$FRAGMENT"; declare -f configure_tree; } |
	sha256sum | cut -c1-12)
TREE=$TREES/$SRC_PKG-${SRCVER//:/_}-$hash
LOG=$TREE.log
STAMP_UNPACKED=$TREE/.minikvm-unpacked
STAMP_CONFIGURED=$TREE/.minikvm-configured
STAMP_BUILT=$TREE/.minikvm-built
KMOD_DIR=$TREE/minikvm-test

KTREE=$TREE
KBZIMAGE=$TREE/arch/x86/boot/bzImage
KVMLINUX=$TREE/vmlinux
KGDB_SCRIPTS=$TREE/vmlinux-gdb.py
KMODULE=$KMOD_DIR/minikvm_hello.ko
KRELEASE=

env_lines() {
	local v
	for v in KTREE KBZIMAGE KVMLINUX KGDB_SCRIPTS KMODULE KRELEASE; do
		printf '%s=%s\n' "$v" "$(shquote "${!v}")"
	done
}

# kmod_current: the module in the tree is built from tests/kmod as it is now.
kmod_current() {
	local f
	[ -f "$KMODULE" ] || return 1
	for f in "$KMOD_SRC"/*; do
		cmp -s "$f" "$KMOD_DIR/${f##*/}" || return 1
	done
}

# run_make WHAT ARGS...: make in the tree, its output appended to the log; on
# failure, the log's tail and its first error line, then exit 1.
run_make() {
	local what=$1 err
	shift
	printf '\n### make %s\n' "$*" >>"$LOG"
	if ! make -C "$TREE" "$@" >>"$LOG" 2>&1; then
		tail -n 25 "$LOG" >&2
		err=$(grep -m1 -E 'error:|Error [0-9]|\*\*\*' "$LOG" || true)
		die "$what failed: ${err:-see $LOG} (whole log: $LOG)"
	fi
}

# --- The fast path: a finished build ----------------------------------------------
# One lock per tree: two runs at once would build over each other.
mkdir -p "$TREES"
exec 9>"$TREE.lock"
if ! flock -n 9; then
	log "another ${0##*/} is building $TREE; waiting for it"
	flock 9
fi

if [ ! -f "$STAMP_BUILT" ]; then
	[ -z "$offline" ] || not_built "$TREE"

	# --- Unpack ---------------------------------------------------------------
	if [ ! -f "$STAMP_UNPACKED" ]; then
		if [ ! -s "$SRC_DEB" ]; then
			apt_known update "$SRC_PKG" || die "apt knows no package $SRC_PKG: is this Debian bookworm with network access?"
			fetch_deb "$SRC_PKG" "$SRCVER" all
		fi
		command -v xz >/dev/null 2>&1 || die "xz not found: linux-source is a .tar.xz (apt-get install xz-utils)"
		progress "unpacking ${SRC_DEB##*/} into $TREE"
		tmp=$(mktemp -d "$TREE.partial.XXXXXX")
		MINIKVM_CLEANUP+=("$tmp")
		# The .deb holds one tarball, usr/src/linux-source-6.1.tar.xz: stream it
		# out rather than unpack 140 MB of .xz first.
		dpkg --fsys-tarfile "$SRC_DEB" | tar -xO "./usr/src/$SRC_PKG.tar.xz" |
			xz -dc -T0 | tar -x -C "$tmp" --strip-components=1 ||
			die "cannot unpack ${SRC_DEB##*/} (corrupt download? delete it from $MINIKVM_DEBS and retry)"
		{ [ -f "$tmp/Makefile" ] && [ -d "$tmp/scripts/kconfig" ]; } ||
			die "${SRC_DEB##*/} holds no kernel tree in usr/src/$SRC_PKG.tar.xz"
		printf '%s\n' "${SRC_DEB##*/}" >"$tmp/.minikvm-unpacked"
		rm -rf "$TREE"
		mv "$tmp" "$TREE"
	fi

	# --- Configure ----------------------------------------------------------------
	for tool in gcc make bc bison flex perl; do
		command -v "$tool" >/dev/null 2>&1 ||
			die "$tool not found: building a kernel needs gcc make bc bison flex libelf-dev (scripts/setup.sh kernel)"
	done
	[ -f /usr/include/gelf.h ] || [ -f /usr/include/libelf.h ] ||
		die "libelf's headers not found: x86's objtool needs them (apt-get install libelf-dev; scripts/setup.sh kernel)"
	if [ "$(cat "$STAMP_CONFIGURED" 2>/dev/null)" != "$hash" ]; then
		progress "configuring: tinyconfig + ${FRAGMENT#"$MINIKVM_TOP"/}"
		printf '### configure\n' >>"$LOG"
		(cd "$TREE" && configure_tree) >>"$LOG" 2>&1 || { tail -n 25 "$LOG" >&2; die "configuring failed (log: $LOG)"; }
		# Every setting of the fragment must have survived olddefconfig: a
		# CONFIG_X=v line as it is, a "# CONFIG_X is not set" as no CONFIG_X=.
		dropped=$({
			grep -E '^CONFIG_[A-Za-z0-9_]+=' "$FRAGMENT" | grep -vxF -f "$TREE/.config"
			sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=/p' "$FRAGMENT" |
				grep -F -f - "$TREE/.config" | grep -v '^#'
		} | tr '\n' ' ' || true)
		[ -z "$dropped" ] ||
			die "olddefconfig did not keep what the fragment asks for (a dependency missing?): $dropped"
		printf '%s\n' "$hash" >"$STAMP_CONFIGURED"
	fi

	# --- Build ----------------------------------------------------------------------
	progress "building bzImage, vmlinux and the gdb scripts with make -j$jobs (log: $LOG)"
	run_make "the kernel build" -j"$jobs" bzImage vmlinux modules scripts_gdb
fi

# --- The test module ------------------------------------------------------------------
# Copied into the tree, so that `lx-symbols TREE` finds its .ko there.
if ! kmod_current; then
	progress "building the test module (tests/kmod) in $KMOD_DIR"
	mkdir -p "$KMOD_DIR"
	for f in "$KMOD_SRC"/*; do
		cmp -s "$f" "$KMOD_DIR/${f##*/}" || cp "$f" "$KMOD_DIR/"
	done
	run_make "building the test module" -j"$jobs" M="$KMOD_DIR" modules
	[ -f "$KMODULE" ] || die "make M=$KMOD_DIR modules made no ${KMODULE##*/}"
fi

KRELEASE=$(cat "$TREE/include/config/kernel.release")
for f in "$KBZIMAGE" "$KVMLINUX" "$KGDB_SCRIPTS" "$KMODULE"; do
	[ -e "$f" ] || die "the build made no $f (see $LOG)"
done
if [ ! -f "$STAMP_BUILT" ]; then
	env_lines >"$STAMP_BUILT"
	progress "built $KRELEASE in $TREE"
fi

if [ -n "$print_env" ]; then
	env_lines
else
	log "tree     $KTREE"
	log "bzImage  $KBZIMAGE"
	log "vmlinux  $KVMLINUX"
	log "module   $KMODULE"
	log "boot it: scripts/run-linux.sh $KBZIMAGE   (or $KVMLINUX)"
fi
