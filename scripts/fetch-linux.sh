#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# fetch-linux.sh — get Debian's cloud kernel and a busybox initramfs for minikvm.
#
# Downloads linux-image-KVER (the release linux-image-cloud-amd64 currently
# depends on) and busybox-static with `apt-get download`, unpacks them with
# `dpkg -x` under ~/.cache/minikvm (never into the host's /boot; nothing is
# installed), and builds the initramfs with scripts/mkinitramfs.py. With --dbg
# it also fetches linux-image-KVER-dbg (283 MB download, 1.7 GB unpacked), whose
# vmlinux carries the DWARF gdb needs, and indexes that DWARF once for gdb's
# index cache where gdb is installed. With --gdb-scripts it also builds the
# kernel's own gdb helpers (lx-dmesg, lx-ps, ...; see "The kernel's gdb
# scripts" below). Work already done is skipped: a second
# run only asks apt-cache for the current versions and checks files.
#
# The output interface (--print-env, $MINIKVM_CACHE/env) is described at the
# top of scripts/linux-env.sh.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/linux-env.sh"

usage() {
	cat <<EOF
Usage: ${0##*/} [--dbg] [--gdb-scripts] [--source] [--offline] [--print-env]

Fetch Debian's $MINIKVM_KERNEL_META kernel and busybox-static into
$MINIKVM_CACHE (unpacked with dpkg -x, never installed) and build a
busybox initramfs for minikvm.

  --dbg        also fetch the matching -dbg package (vmlinux with DWARF for gdb;
               283 MB download, 1.7 GB unpacked)
  --gdb-scripts
               also set up the kernel's gdb scripts (vmlinux-gdb.py: lx-dmesg,
               lx-ps, ...) from linux-source-X.Y, with linux/constants.py
               generated from the linux-headers packages of the same version
               (151 MB download, 3 MB kept)
  --source     also unpack the kernel's source (linux-source-X.Y of exactly the
               kernel's version; the same 151 MB download, 1.3 GB unpacked), so
               that gdb shows source lines: SOURCE_DIR, and SUBSTITUTE_PATH and
               SUBSTITUTE_PATH_ASM for gdb's "set substitute-path" (with --dbg)
  --offline    never use the network (no apt-get update or download); exit 3 if
               something is missing from the cache (the initramfs is still built
               locally if only it is missing)
  --print-env  print KVER, VMLINUZ, VMLINUX, SYSTEM_MAP, INITRD, BUSYBOX,
               GDB_SCRIPTS, GDB_INDEX, SOURCE_DIR, SUBSTITUTE_PATH,
               SUBSTITUTE_PATH_ASM and MINIKVM_CACHE as shell assignments on
               stdout (for eval)
  -h, --help   this text

Environment: MINIKVM_CACHE (default ~/.cache/minikvm), MINIKVM_KERNEL_META
(default linux-image-cloud-amd64), MINIKVM_KVER (pin a release, e.g.
6.1.0-56-cloud-amd64). Progress and errors go to stderr.
Exit status: 0 done, 1 error, 2 usage error, 3 --offline and not cached.
EOF
}

dbg='' gdb_scripts='' source='' offline='' print_env=''
while [ $# -gt 0 ]; do
	case $1 in
	--dbg) dbg=1 ;;
	--gdb-scripts) gdb_scripts=1 ;;
	--source) source=1 ;;
	--offline) offline=1 ;;
	--print-env) print_env=1 ;;
	-h|--help) usage; exit 0 ;;
	*) printf '%s: unknown argument %s (try --help)\n' "${0##*/}" "$1" >&2; exit 2 ;;
	esac
	shift
done

# missing WHAT: in --offline mode, give up with status 3.
missing() {
	log "not in the cache: $* (run ${0##*/} without --offline to fetch it)"
	exit 3
}

# --- Which kernel and which busybox ------------------------------------------
# One apt-cache call for both; `apt-get update` only if apt knows neither the
# package nor has the cache something to offer instead.
apt_load "$MINIKVM_KERNEL_META" "$MINIKVM_BUSYBOX_PKG"

KVER='' KPKGVER=''
if [ -n "${MINIKVM_KVER:-}" ]; then
	KVER=$MINIKVM_KVER
elif read -r KVER KPKGVER < <(kver_of_meta); then
	:
elif [ -n "$(cached_kvers)" ]; then
	KVER=$(cached_kvers | tail -n 1)
	log "apt does not know $MINIKVM_KERNEL_META; using the cached kernel $KVER"
elif [ -n "$offline" ]; then
	missing "a kernel ($MINIKVM_KERNEL_META is unknown to apt and nothing is cached)"
else
	apt_known update "$MINIKVM_KERNEL_META" ||
		die "apt knows no package $MINIKVM_KERNEL_META: is this Debian (bookworm or later) with network access? (or set MINIKVM_KVER)"
	read -r KVER KPKGVER < <(kver_of_meta) ||
		die "cannot find a linux-image-* dependency of $MINIKVM_KERNEL_META in apt-cache show"
fi

KDIR=$MINIKVM_CACHE/linux-$KVER
IMAGE_PKG=linux-image-$KVER

# --- The kernel image ----------------------------------------------------------
if [ -n "$KPKGVER" ] && unpacked "$KDIR/image" "$(deb_name "$IMAGE_PKG" "$KPKGVER" amd64)"; then
	:	# the wanted version is there
elif [ -z "$KPKGVER" ] && unpacked "$KDIR/image"; then
	:	# pinned or cached release, whichever version of it we have
elif [ -n "$offline" ]; then
	missing "$IMAGE_PKG${KPKGVER:+ $KPKGVER}"
else
	if [ -z "$KPKGVER" ]; then
		apt_known update "$IMAGE_PKG" ||
			die "apt knows no package $IMAGE_PKG: is this Debian with network access? (MINIKVM_KVER may name a release the archive no longer has)"
		KPKGVER=${APT_VER[$IMAGE_PKG]}
	fi
	ensure_unpacked "$IMAGE_PKG" "$KPKGVER" amd64 "$KDIR/image"
fi
# The version actually unpacked, from the stamp (linux-image-KVER_VERSION_amd64.deb).
stamp=$(cat "$KDIR/image/$MINIKVM_STAMP")
stamp=${stamp#"${IMAGE_PKG}_"}
KPKGVER=${stamp%_*.deb}
KPKGVER=${KPKGVER//%3a/:}

VMLINUZ=$KDIR/image/boot/vmlinuz-$KVER
# shellcheck disable=SC2034  # printed through ${!v} below
SYSTEM_MAP=$KDIR/image/boot/System.map-$KVER
[ -f "$VMLINUZ" ] || die "$IMAGE_PKG has no boot/vmlinuz-$KVER (unpacked in $KDIR/image): not a Debian kernel image package?"

# --- The -dbg package (only on request) ----------------------------------------
DBG_PKG=$IMAGE_PKG-dbg
DBG_DEB=$(deb_name "$DBG_PKG" "$KPKGVER" amd64)
if [ -n "$dbg" ] && ! unpacked "$KDIR/dbg" "$DBG_DEB"; then
	[ -z "$offline" ] || missing "$DBG_PKG $KPKGVER"
	apt_known update "$DBG_PKG" || die "apt knows no package $DBG_PKG: is this Debian with network access?"
	[ "${APT_VER[$DBG_PKG]}" = "$KPKGVER" ] ||
		log "note: apt's candidate of $DBG_PKG is ${APT_VER[$DBG_PKG]}; fetching $KPKGVER to match the kernel"
	log "$DBG_PKG is large (about 283 MB to download, 1.7 GB unpacked); this takes a while once"
	ensure_unpacked "$DBG_PKG" "$KPKGVER" amd64 "$KDIR/dbg"
fi
VMLINUX=
if unpacked "$KDIR/dbg" "$DBG_DEB"; then
	VMLINUX=$KDIR/dbg/usr/lib/debug/boot/vmlinux-$KVER
	[ -f "$VMLINUX" ] || VMLINUX=$KDIR/dbg/usr/lib/debug/vmlinux-$KVER
	[ -f "$VMLINUX" ] || die "$DBG_PKG has no usr/lib/debug/boot/vmlinux-$KVER (unpacked in $KDIR/dbg)"
fi

# --- gdb's index of that vmlinux (with --dbg, where gdb is installed) -------------
# Each time gdb loads the vmlinux it indexes its DWARF (hundreds of MB) again,
# and lx-symbols loads it anew. The index gdb keeps in an index cache
# (`set index-cache directory DIR`, `set index-cache enabled on`) spares that
# work: made here once, then used by every gdb pointed at the directory. On
# an emulated KVM host (scripts/onkvm, QEMU TCG) it cut a load from 19 s to
# 5 s, and the first expression evaluated after lx-symbols from two minutes
# to a tenth of a second.
GDB_INDEX=
if [ -n "$VMLINUX" ] && command -v gdb >/dev/null 2>&1; then
	if ! unpacked "$KDIR/gdb-index" "$DBG_DEB"; then
		log "indexing the vmlinux's DWARF for gdb (once; cached in $KDIR/gdb-index)"
		work=$(mktemp -d "$KDIR/gdb-index.partial.XXXXXX")
		MINIKVM_CLEANUP+=("$work")
		gdb -nx -q -batch -iex "set index-cache directory $work" -iex "set index-cache enabled on" \
			"$VMLINUX" >/dev/null 2>&1 || true
		if ls "$work"/*.gdb-index >/dev/null 2>&1; then
			printf '%s\n' "$DBG_DEB" >"$work/$MINIKVM_STAMP"
			chmod -R go+rX "$work"
			rm -rf "$KDIR/gdb-index"
			mv "$work" "$KDIR/gdb-index"
		else
			log "note: gdb wrote no index of the vmlinux (gdb 13 or later does); gdb will read its DWARF each time"
		fi
	fi
	! unpacked "$KDIR/gdb-index" "$DBG_DEB" || GDB_INDEX=$KDIR/gdb-index
fi

# --- The kernel's gdb scripts (only on request) ---------------------------------
# Linux keeps its gdb helpers in scripts/gdb of its source; a kernel build
# tree holds vmlinux-gdb.py (a link to scripts/gdb/vmlinux-gdb.py, which
# adds ./scripts/gdb to Python's path) next to vmlinux. We rebuild that
# layout in $KDIR/gdb-scripts from the same Debian source package version as
# the kernel: scripts/gdb out of linux-source-X.Y's tarball, and
# linux/constants.py generated as scripts/gdb/linux/Makefile does at kernel
# build time, by the C preprocessor over constants.py.in with the kernel's
# configuration and headers (linux-headers-KVER, the flavour's generated
# headers and .config, and linux-headers-ABI-common, the rest).
GDBDIR=$KDIR/gdb-scripts
SRC_PKG=linux-source-${KVER%%.*}.$(v=${KVER#*.}; printf '%s' "${v%%.*}")
SRC_DEB=$(deb_name "$SRC_PKG" "$KPKGVER" all)
if [ -n "$gdb_scripts" ] && ! unpacked "$GDBDIR" "$SRC_DEB"; then
	[ -z "$offline" ] || [ -s "$MINIKVM_DEBS/$SRC_DEB" ] || missing "$SRC_PKG $KPKGVER"
	command -v cpp >/dev/null 2>&1 || die "cpp not found: it generates the gdb scripts' constants.py (apt-get install cpp)"
	command -v xz >/dev/null 2>&1 || die "xz not found: linux-source is a .tar.xz (apt-get install xz-utils)"
	HDR_PKG=linux-headers-$KVER
	# linux-headers-6.1.0-57-cloud-amd64 depends on linux-headers-6.1.0-57-common
	HDR_COMMON=linux-headers-$(v=${KVER#*-}; printf '%s-%s' "${KVER%%-*}" "${v%%-*}")-common
	if [ -z "$offline" ]; then
		apt_known update "$SRC_PKG" "$HDR_PKG" "$HDR_COMMON" ||
			die "apt knows no package $SRC_PKG, $HDR_PKG or $HDR_COMMON: is this Debian with network access?"
		[ "${APT_VER[$SRC_PKG]}" = "$KPKGVER" ] ||
			log "note: apt's candidate of $SRC_PKG is ${APT_VER[$SRC_PKG]}; fetching $KPKGVER to match the kernel"
	fi
	for p in "$HDR_PKG:amd64" "$HDR_COMMON:all"; do
		[ -z "$offline" ] || [ -s "$MINIKVM_DEBS/$(deb_name "${p%:*}" "$KPKGVER" "${p#*:}")" ] ||
			missing "${p%:*} $KPKGVER"
	done
	log "setting up the kernel's gdb scripts from $SRC_PKG $KPKGVER (downloads about 151 MB once)"
	fetch_deb "$SRC_PKG" "$KPKGVER" all
	src_deb=$FETCHED_DEB
	work=$(mktemp -d "$GDBDIR.partial.XXXXXX")
	MINIKVM_CLEANUP+=("$work")
	mkdir "$work/src" "$work/hdr" "$work/out"
	dpkg -x "$src_deb" "$work/src" || die "dpkg -x ${src_deb##*/} failed (corrupt download? delete it from $MINIKVM_DEBS and retry)"
	tarball=$(find "$work/src/usr/src" -maxdepth 1 -name 'linux-source-*.tar.xz' | head -n 1)
	[ -n "$tarball" ] || die "$SRC_PKG has no usr/src/linux-source-*.tar.xz"
	top=$(basename "$tarball" .tar.xz)
	tar -xJf "$tarball" -C "$work/out" --strip-components=1 "$top/scripts/gdb" ||
		die "cannot extract $top/scripts/gdb from ${tarball##*/}"
	rm -rf "$work/src"
	for p in "$HDR_PKG:amd64" "$HDR_COMMON:all"; do
		fetch_deb "${p%:*}" "$KPKGVER" "${p#*:}"
		dpkg -x "$FETCHED_DEB" "$work/hdr" || die "dpkg -x ${FETCHED_DEB##*/} failed"
	done
	obj=$work/hdr/usr/src/$HDR_PKG src=$work/hdr/usr/src/$HDR_COMMON
	[ -f "$obj/include/generated/autoconf.h" ] && [ -f "$src/include/linux/kconfig.h" ] ||
		die "$HDR_PKG / $HDR_COMMON do not hold the kernel's headers where expected"
	# The kernel Makefile's LINUXINCLUDE and USERINCLUDE for an out-of-tree
	# build (srctree = the -common headers, objtree = the flavour's), plus
	# the -include of compiler_types.h that scripts/Makefile.lib adds.
	gen=$work/out/scripts/gdb/linux/constants.py
	cpp -E -x c -P -nostdinc -D__KERNEL__ \
		-I"$src/arch/x86/include" -I"$obj/arch/x86/include/generated" \
		-I"$src/include" -I"$obj/include" \
		-I"$src/arch/x86/include/uapi" -I"$obj/arch/x86/include/generated/uapi" \
		-I"$src/include/uapi" -I"$obj/include/generated/uapi" \
		-include "$src/include/linux/compiler-version.h" \
		-include "$src/include/linux/kconfig.h" \
		-include "$src/include/linux/compiler_types.h" \
		"$gen.in" >"$gen" || die "cpp failed on scripts/gdb/linux/constants.py.in"
	sed -i '1,/<!-- end-c-headers -->/d;' "$gen"
	grep -q '^LX_NR_CPUS = [0-9]' "$gen" || die "the generated constants.py lacks LX_NR_CPUS: $(head -c 300 "$gen")"
	rm -rf "$work/hdr"
	ln -s scripts/gdb/vmlinux-gdb.py "$work/out/vmlinux-gdb.py"
	printf '%s\n' "$SRC_DEB" >"$work/out/$MINIKVM_STAMP"
	rm -rf "$GDBDIR"
	mv "$work/out" "$GDBDIR"
	rm -rf "$work"
fi
GDB_SCRIPTS=
if unpacked "$GDBDIR" "$SRC_DEB"; then
	GDB_SCRIPTS=$GDBDIR/vmlinux-gdb.py
	# As in a kernel build tree: vmlinux beside vmlinux-gdb.py (lx-symbols
	# reloads a file whose name ends in "vmlinux", else ./vmlinux).
	if [ -n "$VMLINUX" ] && [ "$(readlink "$GDBDIR/vmlinux" 2>/dev/null)" != "$VMLINUX" ]; then
		ln -sfn "$VMLINUX" "$GDBDIR/vmlinux"
	fi
fi

# --- The kernel's source (only on request) -------------------------------------
# gdb finds a line's text by the file name the DWARF gives. Debian builds
# its kernel in /build/reproducible-path/linux-VERSION, out of tree in
# debian/build/build_amd64_none_FLAVOUR, and maps the source directory away
# (-fdebug-prefix-map): a C file's compilation unit says "init/main.c" in
# the compilation directory "debian/build/build_amd64_none_cloud-amd64",
# relative to nothing; an assembly file's (the assembler is not told) says
# "/build/reproducible-path/linux-6.1.192/arch/x86/kernel/head_64.S". The
# source, unpacked in $KDIR/source from linux-source-X.Y of the kernel's
# own package version, is found with two `set substitute-path` pairs, the
# first of them the one C code needs; both are read from the vmlinux's DWARF
# (its first compilation units), once, into $KDIR/source-map.
SOURCE_DIR=$KDIR/source
if [ -n "$source" ] && ! unpacked "$SOURCE_DIR" "$SRC_DEB"; then
	[ -z "$offline" ] || [ -s "$MINIKVM_DEBS/$SRC_DEB" ] || missing "$SRC_PKG $KPKGVER"
	command -v xz >/dev/null 2>&1 || die "xz not found: linux-source is a .tar.xz (apt-get install xz-utils)"
	if [ -z "$offline" ] && [ ! -s "$MINIKVM_DEBS/$SRC_DEB" ]; then
		apt_known update "$SRC_PKG" || die "apt knows no package $SRC_PKG: is this Debian with network access?"
		[ "${APT_VER[$SRC_PKG]}" = "$KPKGVER" ] ||
			log "note: apt's candidate of $SRC_PKG is ${APT_VER[$SRC_PKG]}; fetching $KPKGVER to match the kernel"
	fi
	fetch_deb "$SRC_PKG" "$KPKGVER" all
	src_deb=$FETCHED_DEB
	# Lines of another version would be shown as if they were this kernel's.
	v=$(dpkg-deb -f "$src_deb" Version) || die "cannot read ${src_deb##*/} (corrupt download? delete it from $MINIKVM_DEBS and retry)"
	[ "$v" = "$KPKGVER" ] || die "${src_deb##*/} is $SRC_PKG $v, not the kernel's $KPKGVER: refusing its source (delete it from $MINIKVM_DEBS)"
	log "unpacking the kernel's source from ${src_deb##*/} into $SOURCE_DIR (1.3 GB, once)"
	work=$(mktemp -d "$SOURCE_DIR.partial.XXXXXX")
	MINIKVM_CLEANUP+=("$work")
	dpkg-deb --fsys-tarfile "$src_deb" | tar -xOf - "./usr/src/$SRC_PKG.tar.xz" |
		tar -xJf - -C "$work" --strip-components=1 ||
		die "cannot unpack usr/src/$SRC_PKG.tar.xz of ${src_deb##*/} (disk full? corrupt download? delete it from $MINIKVM_DEBS and retry)"
	# Its top Makefile says which upstream release it is: 6.1.192 for 6.1.192-3.
	upstream=${KPKGVER#*:}
	upstream=${upstream%%-*}
	v=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = //p; s/^SUBLEVEL = //p' "$work/Makefile" 2>/dev/null | paste -sd.)
	[ "$v" = "$upstream" ] || die "the source in ${src_deb##*/} is Linux '$v', not the kernel's $upstream: refusing it"
	printf '%s\n' "$SRC_DEB" >"$work/$MINIKVM_STAMP"
	rm -rf "$SOURCE_DIR"
	mv "$work" "$SOURCE_DIR"
fi
SUBSTITUTE_PATH='' SUBSTITUTE_PATH_ASM=''
if unpacked "$SOURCE_DIR" "$SRC_DEB"; then
	if [ -n "$VMLINUX" ]; then
		map=$KDIR/source-map
		if [ "$(head -n 1 "$map" 2>/dev/null)" != "$DBG_DEB" ]; then
			command -v readelf >/dev/null 2>&1 || die "readelf not found: it reads the vmlinux's compilation directories (apt-get install binutils)"
			# The first compilation unit with a relative compilation directory
			# (C) and the first whose absolute one ends with that (assembly).
			# (|| true: awk's exit closes the pipe under readelf)
			dirs=$( { readelf --debug-dump=info --dwarf-depth=1 "$VMLINUX" 2>/dev/null || true; } | awk '
				/DW_AT_comp_dir/ { d = $NF
					if (d !~ /^\// && rel == "") rel = d
					else if (d ~ /^\// && absd == "") absd = d
					if (rel != "" && absd != "") exit }
				END { if (rel != "" && substr(absd, length(absd) - length(rel)) == "/" rel)
					print rel, substr(absd, 1, length(absd) - length(rel) - 1) }')
			[ -n "$dirs" ] || die "cannot find the build directories in $VMLINUX's DWARF (not a Debian-built kernel?)"
			printf '%s\n%s\n' "$DBG_DEB" "$dirs" >"$map.tmp"
			mv "$map.tmp" "$map"
		fi
		read -r rel root < <(sed -n 2p "$map")
		SUBSTITUTE_PATH="$rel $SOURCE_DIR"
		# shellcheck disable=SC2034  # printed through ${!v} below
		SUBSTITUTE_PATH_ASM="$root $SOURCE_DIR"
	fi
else
	SOURCE_DIR=
fi

# --- busybox ---------------------------------------------------------------------
BBVER=${APT_VER[$MINIKVM_BUSYBOX_PKG]:-}
if [ -z "$BBVER" ]; then
	cached_bb=$(for d in "$MINIKVM_CACHE"/busybox-*/"$MINIKVM_STAMP"; do
		[ -f "$d" ] && basename "$(dirname "$d")"; done | sort -V | tail -n 1)
	if [ -n "$cached_bb" ]; then
		BBDIR=$MINIKVM_CACHE/$cached_bb
		log "apt does not know $MINIKVM_BUSYBOX_PKG; using the cached $cached_bb"
	elif [ -n "$offline" ]; then
		missing "$MINIKVM_BUSYBOX_PKG"
	else
		apt_known update "$MINIKVM_BUSYBOX_PKG" ||
			die "apt knows no package $MINIKVM_BUSYBOX_PKG: is this Debian with network access?"
		BBVER=${APT_VER[$MINIKVM_BUSYBOX_PKG]}
	fi
fi
if [ -n "$BBVER" ]; then
	BBDIR=$MINIKVM_CACHE/busybox-${BBVER#*:}
	BBARCH=${APT_ARCH[$MINIKVM_BUSYBOX_PKG]:-amd64}
	if ! unpacked "$BBDIR" "$(deb_name "$MINIKVM_BUSYBOX_PKG" "$BBVER" "$BBARCH")"; then
		[ -z "$offline" ] || missing "$MINIKVM_BUSYBOX_PKG $BBVER"
		ensure_unpacked "$MINIKVM_BUSYBOX_PKG" "$BBVER" "$BBARCH" "$BBDIR"
	fi
fi
BUSYBOX=$BBDIR/bin/busybox
[ -f "$BUSYBOX" ] || die "$MINIKVM_BUSYBOX_PKG has no bin/busybox (unpacked in $BBDIR)"

# --- The initramfs -----------------------------------------------------------------
# Named after busybox and a hash of the generator, so an edited mkinitramfs.py
# (or another checkout's) gets its own archive and never a stale one.
MKINITRAMFS=$MINIKVM_SCRIPTS/mkinitramfs.py
hash=$(sha256sum "$MKINITRAMFS" | cut -c1-12)
INITRD=$MINIKVM_CACHE/initramfs/initramfs-${BBDIR##*/}-$hash.cpio.gz
if [ ! -s "$INITRD" ]; then
	command -v python3 >/dev/null 2>&1 || die "python3 not found: it builds the initramfs (apt-get install python3)"
	mkdir -p "${INITRD%/*}"
	tmp=$(mktemp "$INITRD.partial.XXXXXX")
	MINIKVM_CLEANUP+=("$tmp")
	log "building ${INITRD##*/}"
	python3 "$MKINITRAMFS" --busybox "$BUSYBOX" -o "$tmp" || { rm -f "$tmp"; die "mkinitramfs.py failed"; }
	chmod 0644 "$tmp"
	mv "$tmp" "$INITRD"
fi

# --- Results --------------------------------------------------------------------
env_lines() {
	local v
	for v in KVER VMLINUZ VMLINUX SYSTEM_MAP INITRD BUSYBOX GDB_SCRIPTS GDB_INDEX SOURCE_DIR SUBSTITUTE_PATH \
		 SUBSTITUTE_PATH_ASM MINIKVM_CACHE; do
		printf '%s=%s\n' "$v" "$(shquote "${!v}")"
	done
}
tmp=$(mktemp "$MINIKVM_CACHE/env.XXXXXX")
MINIKVM_CLEANUP+=("$tmp")
{
	echo "# Written by minikvm's scripts/fetch-linux.sh; see scripts/linux-env.sh."
	env_lines
} >"$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$MINIKVM_CACHE/env"

if [ -n "$print_env" ]; then
	env_lines
else
	log "kernel  $KVER ($KPKGVER)"
	log "vmlinuz $VMLINUZ"
	log "initrd  $INITRD"
	if [ -n "$VMLINUX" ]; then
		log "vmlinux $VMLINUX"
	else
		log "vmlinux (not fetched: run ${0##*/} --dbg, or make linux-dbg, for gdb symbols)"
	fi
	[ -z "$GDB_SCRIPTS" ] || log "gdb scripts $GDB_SCRIPTS"
	[ -z "$GDB_INDEX" ] || log "gdb index   $GDB_INDEX (gdb -iex 'set index-cache directory $GDB_INDEX' -iex 'set index-cache enabled on')"
	[ -z "$SOURCE_DIR" ] || log "source      $SOURCE_DIR${SUBSTITUTE_PATH:+ (gdb -ex 'set substitute-path $SUBSTITUTE_PATH' -ex 'set substitute-path $SUBSTITUTE_PATH_ASM')}"
	log "boot it with: make run-linux   (or scripts/run-linux.sh)"
fi
