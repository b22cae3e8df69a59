# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034  # settings used by the scripts that source this
#
# Shared settings and helpers for the scripts that fetch Debian's kernel and
# build the busybox initramfs (fetch-linux.sh, run-linux.sh). Sourced, not run.
#
# ---------------------------------------------------------------------------
# THE INTERFACE (what the rest of the project relies on)
# ---------------------------------------------------------------------------
#   scripts/fetch-linux.sh [--dbg] [--gdb-scripts] [--source] --print-env
#       fetches and builds whatever is missing (progress on stderr), then prints
#       on stdout exactly these lines, one shell assignment each, values quoted
#       with single quotes (parse with `eval`, or Python's shlex.split):
#
#         KVER='6.1.0-56-cloud-amd64'        kernel release (uname -r in the guest)
#         VMLINUZ='/…/vmlinuz-KVER'           bzImage to boot
#         VMLINUX='/…/vmlinux-KVER'           ELF with DWARF from the -dbg package;
#                                             '' until `fetch-linux.sh --dbg` has run
#         SYSTEM_MAP='/…/System.map-KVER'     symbol map of that kernel
#         INITRD='/…/initramfs-….cpio.gz'     busybox initramfs (scripts/mkinitramfs.py)
#         BUSYBOX='/…/bin/busybox'            the static busybox inside it
#         GDB_SCRIPTS='/…/vmlinux-gdb.py'     the kernel's gdb scripts (lx-dmesg, ...);
#                                             '' until `fetch-linux.sh --gdb-scripts` has run
#         GDB_INDEX='/…/gdb-index'          gdb's index cache holding the index of VMLINUX
#                                             (gdb -iex "set index-cache directory $GDB_INDEX"
#                                             -iex "set index-cache enabled on"): loads skip
#                                             reading its DWARF; '' without VMLINUX or gdb 13+
#         SOURCE_DIR='/…/linux-KVER/source'   the kernel's source tree, from linux-source-X.Y of
#                                             exactly the kernel's package version (refused if
#                                             it is another); '' until `fetch-linux.sh --source`
#         SUBSTITUTE_PATH='FROM TO'           the pair for gdb's `set substitute-path FROM TO`
#                                             that finds C files (init/main.c) in SOURCE_DIR:
#                                             FROM is the relative compilation directory Debian's
#                                             DWARF names (debian/build/build_amd64_none_cloud-amd64);
#                                             '' without SOURCE_DIR or VMLINUX
#         SUBSTITUTE_PATH_ASM='FROM TO'       the same for assembly files, whose DWARF names
#                                             are absolute (/build/reproducible-path/linux-6.1.192/…)
#         MINIKVM_CACHE='/…/.cache/minikvm'   the cache directory
#
#   scripts/fetch-linux.sh --offline --print-env
#       the same lines, but never uses the network (no apt-get update or
#       download): exits 3, printing nothing on stdout, if the kernel or
#       busybox is not in the cache yet (the initramfs, if only it is missing,
#       is built: that is local and takes a second); VMLINUX is '' unless the
#       -dbg package was unpacked (--offline --dbg: exit 3 if it was not);
#       likewise GDB_SCRIPTS (--offline --gdb-scripts builds them from .debs
#       already in $MINIKVM_CACHE/debs, else exits 3) and SOURCE_DIR (--offline
#       --source unpacks the linux-source .deb if it is in $MINIKVM_CACHE/debs,
#       else exits 3).
#       Tests can use it to skip (or fail, in CI) without touching the network.
#
#   Exit status of fetch-linux.sh: 0 done, 1 error (message on stderr),
#   2 usage error, 3 --offline and something is not cached.
#
#   $MINIKVM_CACHE/env
#       the same assignments, rewritten after each successful run of
#       fetch-linux.sh: `. ~/.cache/minikvm/env` in a shell.
#
# From make: scripts/linux.mk (targets linux, linux-dbg, run-linux).
# From Python:
#     out = subprocess.run(["scripts/fetch-linux.sh", "--print-env"],
#                          capture_output=True, text=True, check=True).stdout
#     env = dict(shlex.split(l)[0].split("=", 1) for l in out.splitlines())
#
# ---------------------------------------------------------------------------
# Environment knobs
# ---------------------------------------------------------------------------
#   MINIKVM_CACHE       cache directory (default ~/.cache/minikvm)
#   MINIKVM_KERNEL_META meta package naming the kernel (default linux-image-cloud-amd64)
#   MINIKVM_KVER        pin a kernel release instead of asking apt (e.g. 6.1.0-56-cloud-amd64)
#   MINIKVM_APT         where apt finds the packages: "system" (this machine's own
#                       sources; the default on Debian) or "debian" (the default
#                       elsewhere, e.g. Ubuntu, which has no Debian kernel packages):
#                       Debian bookworm's archive through a private apt configuration
#                       under $MINIKVM_CACHE/apt-debian (its own sources file, lists and
#                       cache; the system's sources are not touched), checked with
#                       debian-archive-keyring's key (apt-get install debian-archive-keyring)
#
# Cache layout (nothing is ever installed into the host):
#   $MINIKVM_CACHE/debs/*.deb                  apt-get download
#   $MINIKVM_CACHE/linux-KVER/image/           dpkg -x of linux-image-KVER
#   $MINIKVM_CACHE/linux-KVER/dbg/             dpkg -x of linux-image-KVER-dbg (--dbg)
#   $MINIKVM_CACHE/linux-KVER/gdb-scripts/     (--gdb-scripts) laid out like a kernel
#                                              build tree: scripts/gdb from linux-source-X.Y,
#                                              its linux/constants.py generated with the
#                                              linux-headers-KVER(-common) packages,
#                                              vmlinux-gdb.py -> scripts/gdb/vmlinux-gdb.py,
#                                              vmlinux -> the -dbg package's (with --dbg)
#   $MINIKVM_CACHE/linux-KVER/source/          (--source) linux-source-X.Y's tarball, unpacked
#   $MINIKVM_CACHE/linux-KVER/source-map       the -dbg .deb's name, then the two FROM
#                                              directories of SUBSTITUTE_PATH(_ASM), read
#                                              once from the vmlinux's DWARF
#   $MINIKVM_CACHE/busybox-VERSION/            dpkg -x of busybox-static
#   $MINIKVM_CACHE/initramfs/initramfs-busybox-VERSION-HASH.cpio.gz
#                                              HASH: of mkinitramfs.py, so that an
#                                              edited script gives a new archive
#   $MINIKVM_CACHE/env                         the assignments above
# Each unpacked directory holds a stamp file (.minikvm-unpacked) naming the
# .deb it came from; it is written last, so an interrupted unpack is redone.

MINIKVM_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MINIKVM_TOP=$(cd "$MINIKVM_SCRIPTS/.." && pwd)
MINIKVM_CACHE=${MINIKVM_CACHE:-${HOME:-/root}/.cache/minikvm}
MINIKVM_KERNEL_META=${MINIKVM_KERNEL_META:-linux-image-cloud-amd64}
MINIKVM_BUSYBOX_PKG=busybox-static
MINIKVM_DEBS=$MINIKVM_CACHE/debs
MINIKVM_STAMP=.minikvm-unpacked

# Temporary files and directories to remove however the script ends (an
# interrupted download or 1.7 GB unpack must not stay behind).
MINIKVM_CLEANUP=()
trap 'rm -rf ${MINIKVM_CLEANUP[@]+"${MINIKVM_CLEANUP[@]}"}' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Messages go to stderr so that --print-env output stays clean.
log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Quote a value for the shell with single quotes.
shquote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# APT_OPTS: the options every apt-cache and apt-get call here gets (MINIKVM_APT).
APT_OPTS=()
# apt_private DIR "URL SUITE"...: a private apt configuration in DIR (its own
# sources.list, lists and cache; the system's sources are not touched) for
# those suites of Debian's archive, checked with Debian's key; its options are
# left in APT_PRIVATE. Returns 1 after a one-line error. Used for Debian's kernel off Debian (MINIKVM_APT) and
# for QEMU 10 from bookworm-backports (scripts/onkvm).
APT_PRIVATE=()
apt_private() {
	local dir=$1 key=/usr/share/keyrings/debian-archive-keyring.gpg spec
	shift
	local fail="${0##*/}: error: Debian's archive key $key is missing (apt-get install debian-archive-keyring)"
	if [ -r "$key" ]; then
		fail="${0##*/}: error: cannot write a private apt configuration in $dir"
		mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" &&
			for spec; do printf 'deb [signed-by=%s] %s main\n' "$key" "$spec"; done >"$dir/sources.list.tmp" &&
			mv "$dir/sources.list.tmp" "$dir/sources.list" && fail=
	fi
	[ -z "$fail" ] || { printf '%s\n' "$fail" >&2; return 1; }
	APT_PRIVATE=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
		     -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		     -o APT::Get::List-Cleanup=0)
	# As root, apt hands downloads to user _apt, who cannot write a private directory.
	[ "$(id -u)" = 0 ] && APT_PRIVATE+=(-o APT::Sandbox::User=root)
	return 0
}

# apt_choose: set APT_OPTS once, before the first apt call (not at all offline).
APT_CHOSEN=
apt_choose() {
	[ -z "$APT_CHOSEN" ] || return 0
	APT_CHOSEN=1
	local mode=${MINIKVM_APT:-} id=
	if [ -z "$mode" ]; then
		# shellcheck disable=SC1091
		[ -r /etc/os-release ] && id=$(. /etc/os-release && printf '%s' "${ID:-}")
		if [ "$id" = debian ]; then mode=system; else mode=debian; fi
	fi
	case $mode in
	system) ;;
	debian)
		apt_private "$MINIKVM_CACHE/apt-debian" "http://deb.debian.org/debian bookworm" \
			"http://deb.debian.org/debian bookworm-updates" \
			"http://deb.debian.org/debian-security bookworm-security" || exit 1
		APT_OPTS=("${APT_PRIVATE[@]}") ;;
	*) die "MINIKVM_APT must be system or debian, not '$mode'" ;;
	esac
}

# apt-cache is slow here (about 0.4 s a call, however many packages), so ask
# once for several packages and remember: APT_VER[pkg], APT_ARCH[pkg],
# APT_DEP[pkg] (the Depends line) for the candidate version of each.
declare -A APT_VER=() APT_ARCH=() APT_DEP=()
apt_load() {
	command -v apt-cache >/dev/null 2>&1 || die "apt-cache not found: these scripts need Debian (or a derivative) with apt"
	apt_choose
	local line pkg=''
	while IFS= read -r line; do
		case $line in
		Package:\ *) pkg=${line#Package: } ;;
		Version:\ *) [ -n "$pkg" ] && APT_VER[$pkg]=${line#Version: } ;;
		Architecture:\ *) [ -n "$pkg" ] && APT_ARCH[$pkg]=${line#Architecture: } ;;
		Depends:\ *) [ -n "$pkg" ] && APT_DEP[$pkg]=${line#Depends: } ;;
		esac
	done < <(apt-cache ${APT_OPTS[@]+"${APT_OPTS[@]}"} show --no-all-versions "$@" 2>/dev/null || true)
}

# apt_known PKG...: succeed if apt knows every PKG (loaded with apt_load);
# with "update" as the first argument, run `apt-get update` once if not.
MINIKVM_APT_UPDATED=
apt_known() {
	local update=
	[ "$1" = update ] && { update=1; shift; }
	local p missing=()
	for p; do [ -n "${APT_VER[$p]:-}" ] || missing+=("$p"); done
	[ ${#missing[@]} = 0 ] && return 0
	apt_load "${missing[@]}"
	missing=()
	for p; do [ -n "${APT_VER[$p]:-}" ] || missing+=("$p"); done
	[ ${#missing[@]} = 0 ] && return 0
	[ -n "$update" ] && [ -z "$MINIKVM_APT_UPDATED" ] || return 1
	MINIKVM_APT_UPDATED=1
	log "apt does not know ${missing[*]}; running apt-get update"
	apt-get ${APT_OPTS[@]+"${APT_OPTS[@]}"} update >&2 ||
		die "apt-get update failed: is this Debian with network access (and are you root)?"
	apt_load "${missing[@]}"
	for p in "${missing[@]}"; do [ -n "${APT_VER[$p]:-}" ] || return 1; done
}

# deb_name PKG VERSION [ARCH]: the file name apt-get download gives it (the
# epoch's colon is written %3a).
deb_name() {
	local ver=$2
	printf '%s_%s_%s.deb' "$1" "${ver//:/%3a}" "${3:-amd64}"
}

# kver_of_meta: the kernel release and package version the meta package
# points at: "linux-image-cloud-amd64" Depends
# "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)" gives
# "6.1.0-56-cloud-amd64 6.1.192-2" (the version may be empty).
kver_of_meta() {
	local dep=${APT_DEP[$MINIKVM_KERNEL_META]:-} alt
	local IFS=$',|'
	for alt in $dep; do
		alt=${alt# }
		alt=${alt# }
		case $alt in
		linux-image-*-unsigned*) ;;
		linux-image-*)
			local name=${alt%% *} ver=
			case $alt in *"(= "*")"*) ver=${alt#*(= }; ver=${ver%%)*} ;; esac
			printf '%s %s\n' "${name#linux-image-}" "$ver"
			return 0 ;;
		esac
	done
	return 1
}

# cached_kvers: kernel releases fully unpacked in the cache, newest last.
cached_kvers() {
	local d
	for d in "$MINIKVM_CACHE"/linux-*/image/"$MINIKVM_STAMP"; do
		[ -f "$d" ] || continue
		d=${d%/image/*}
		printf '%s\n' "${d##*/linux-}"
	done | sort -V
}

# fetch_deb PKG VERSION [ARCH]: make sure PKG_VERSION_ARCH.deb is in
# $MINIKVM_DEBS; its path is left in FETCHED_DEB. Downloads into a temporary directory
# first, so a failed or interrupted download never leaves a truncated .deb.
fetch_deb() {
	local pkg=$1 ver=$2 name tmp
	name=$(deb_name "$pkg" "$ver" "${3:-}")
	if [ ! -s "$MINIKVM_DEBS/$name" ]; then
		command -v apt-get >/dev/null 2>&1 || die "apt-get not found: these scripts need Debian (or a derivative) with apt"
		apt_choose
		mkdir -p "$MINIKVM_DEBS"
		tmp=$(mktemp -d "$MINIKVM_DEBS/.download.XXXXXX")
		MINIKVM_CLEANUP+=("$tmp")
		log "downloading $pkg $ver into $MINIKVM_DEBS"
		local opts=(${APT_OPTS[@]+"${APT_OPTS[@]}"})
		# As root, apt hands the download to user _apt, who cannot write into
		# a private cache; it would fall back with a warning anyway.
		[ "$(id -u)" = 0 ] && opts+=(-o APT::Sandbox::User=root)
		if ! (cd "$tmp" && apt-get "${opts[@]}" download "$pkg=$ver" >&2); then
			rm -rf "$tmp"
			die "apt-get download $pkg=$ver failed: is this Debian with network access?"
		fi
		if [ ! -s "$tmp/$name" ]; then
			ls -l "$tmp" >&2
			rm -rf "$tmp"
			die "apt-get download $pkg=$ver did not produce $name"
		fi
		mv "$tmp/$name" "$MINIKVM_DEBS/$name"
		rm -rf "$tmp"
	fi
	FETCHED_DEB=$MINIKVM_DEBS/$name
}

# unpacked DIR [DEBNAME]: succeed if DIR holds a complete unpack (of DEBNAME).
unpacked() {
	[ -f "$1/$MINIKVM_STAMP" ] || return 1
	[ -z "${2:-}" ] || [ "$(cat "$1/$MINIKVM_STAMP")" = "${2##*/}" ]
}

# ensure_unpacked PKG VERSION ARCH DIR: dpkg -x the package into DIR unless
# that exact .deb is already unpacked there (an older one is replaced).
ensure_unpacked() {
	local pkg=$1 ver=$2 arch=$3 dir=$4 deb tmp
	unpacked "$dir" "$(deb_name "$pkg" "$ver" "$arch")" && return 0
	fetch_deb "$pkg" "$ver" "$arch"
	deb=$FETCHED_DEB
	command -v dpkg >/dev/null 2>&1 || die "dpkg not found: these scripts need Debian (or a derivative)"
	log "unpacking ${deb##*/} into $dir"
	mkdir -p "$(dirname "$dir")"
	tmp=$(mktemp -d "$dir.partial.XXXXXX")
	MINIKVM_CLEANUP+=("$tmp")
	if ! dpkg -x "$deb" "$tmp"; then
		rm -rf "$tmp"
		die "dpkg -x ${deb##*/} failed (corrupt download? delete it from $MINIKVM_DEBS and retry)"
	fi
	printf '%s\n' "${deb##*/}" >"$tmp/$MINIKVM_STAMP"
	rm -rf "$dir"
	mv "$tmp" "$dir"
}
