# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# What scripts/onkvm (x86-64: emulated AMD-V) and scripts/onkvm-riscv64
# (emulated RISC-V with the H extension) share: sourced by both, after
# linux-env.sh. Each script sets what these read:
#
#   die_host MESSAGE   a function: one line on stderr, exit 125
#   WANTED_MODULES     modules the host's init loads (collect_modules)
#   RUN                the run's directory, on the shared filesystem
#   forwards           --forward's PORT[,PORT...] (empty: none; forward_check, forward_net)
#   SILENCE            seconds of heartbeat silence that mean a frozen host (0: never)
#   CONSOLE            the host kernel's log (its tail is shown when the host fails)
#   onkvm_postmortem   optional function: called before a silent host is stopped;
#                      what it leaves in $RUN/postmortem is printed with the verdict

# /dev/kvm usable by us (open for read and write, as minikvm does)?
kvm_here() { [ -c /dev/kvm ] && { : <>/dev/kvm; } 2>/dev/null; }

module_path() { # NAME: path of its .ko under $1 (modules use - and _ alike)
	local dir=$1 name=$2 alt
	alt=$(printf '%s' "$name" | tr _ -)
	find "$dir" \( -name "$name.ko" -o -name "$alt.ko" -o -name "$name.ko.xz" -o -name "$alt.ko.xz" \) -print -quit
}

# Fill $1/modules/ with the wanted modules and their dependencies, and write
# $1/modules/order: one file name a line, dependencies first. $1 is an
# unpacked kernel package: its modules in lib/modules (bookworm) or
# usr/lib/modules (trixie, merged /usr). Dependencies are read from each
# module's "depends=" field (a package has no modules.dep: depmod makes it
# at install), so a later kernel with other dependencies still works.
collect_modules() {
	local root=$1 out=$1/modules seen=' ' order=() tree=$1/lib/modules
	[ -d "$tree" ] || tree=$root/usr/lib/modules
	mkdir -p "$out"
	visit() {
		local name=$1 path deps d
		case $seen in *" $name "*) return 0 ;; esac
		seen="$seen$name "
		path=$(module_path "$tree" "$name")
		[ -n "$path" ] || die_host "module $name not in the kernel package"
		case $path in
		*.xz) xz -dc "$path" >"$out/$name.ko" ;;
		*) cp "$path" "$out/$name.ko" ;;
		esac
		deps=$(tr '\0' '\n' <"$out/$name.ko" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
		for d in $deps; do visit "$(printf '%s' "$d" | tr - _)"; done
		order+=("$name.ko")
	}
	local m
	for m in $WANTED_MODULES; do visit "$m"; done
	printf '%s\n' "${order[@]}" >"$out/order"
}

# --forward PORT[,PORT...], the list in $forwards (empty: none): each a TCP
# port, else exit 125 saying what --forward takes.
forward_check() {
	local p
	for p in ${forwards//,/ }; do
		case $p in
		''|*[!0-9]*) ;;
		*) [ ${#p} -le 5 ] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] && continue ;;
		esac
		printf '%s: --forward takes TCP ports (1-65535) separated by commas, not "%s"\n' "${0##*/}" "$forwards" >&2
		exit 125
	done
}

# Each port of $forwards free here (else QEMU fails only after its start),
# and NET, QEMU's arguments for them (empty without --forward): the host's
# virtio-net NIC on QEMU's user network (restrict=on: the host reaches nothing
# out here; only these ports reach in), each port forwarded from 127.0.0.1
# here to the host's 10.0.2.15, which its init gives eth0 when the kernel's
# command line says onkvm.net=1 (no ROM: none is needed to boot with -kernel).
forward_net() {
	local p hostfwd=''
	NET=()
	[ -n "$forwards" ] || return 0
	for p in ${forwards//,/ }; do
		! (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null ||
			die_host "port $p of this machine (127.0.0.1:$p) is in use: --forward $forwards needs it free"
		hostfwd="$hostfwd,hostfwd=tcp:127.0.0.1:$p-10.0.2.15:$p"
	done
	NET=(-netdev "user,id=net,restrict=on,ipv6=off$hostfwd" -device "virtio-net-pci,netdev=net,romfile=")
}

# This process's environment as `export NAME='value'` lines, for the run's
# script (the command inside sees what it would see here), less what belongs
# to this shell or this terminal.
environment_exports() {
	local kv name
	while IFS= read -r -d '' kv; do
		name=${kv%%=*}
		case $name in
		''|*[!A-Za-z0-9_]*|PWD|OLDPWD|SHLVL|_|TERM|HOSTNAME|TMPDIR) continue ;;
		esac
		echo "export $name=$(shquote "${kv#*=}")"
	done < <(env -0)
}

# Directories under /tmp that must stay visible inside (the host's /tmp is
# a tmpfs there): those holding the current directory and this tree, as
# the init's onkvm.keep= list (empty when there are none).
tmp_keep() {
	local keep='' d
	for d in "$PWD" "$MINIKVM_TOP"; do
		case $d in
		/tmp/*) d=${d#/tmp/}; d=${d%%/*}; keep="$keep${keep:+,}$d" ;;
		esac
	done
	printf '%s' "$keep"
}

# The heartbeat (run in the background, reading $RUN/beat.out, QEMU's side
# of the host's heartbeat port). Once its first line has come, a silence of
# $SILENCE seconds is a frozen host (both CPUs stuck, nothing printed: seen
# with a nested KVM under TCG): QEMU is told to quit (SIGTERM, with a
# SIGCONT for a stopped one; SIGKILL if it is still there 10 s later) and the
# last line is kept in $RUN/silent for the verdict.
watch_heartbeat() {
	local line last status pid
	[ "$SILENCE" != 0 ] || { cat >/dev/null; return 0; }
	IFS= read -r last || return 0
	while :; do
		IFS= read -r -t "$SILENCE" line || { status=$?; break; }
		last=$line
	done
	[ "$status" -gt 128 ] || return 0
	printf '%s\n' "$last" >"$RUN/silent"
	# Before it goes: where were its CPUs?
	! declare -F onkvm_postmortem >/dev/null || onkvm_postmortem
	pid=$(cat "$RUN/qemu.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null && kill -CONT "$pid" 2>/dev/null || return 0
	# Until it has gone (tail returns as it does), 10 s at most.
	timeout 10 tail --pid="$pid" -s 0.1 -f /dev/null 2>/dev/null
	kill -0 "$pid" 2>/dev/null || return 0
	kill -KILL "$pid" 2>/dev/null || true
} <"$RUN/beat.out"

# After QEMU has ended (its status in $1): exit with the command's status,
# or say why there is none and exit 124 (silent, timed out, frozen) or 125.
onkvm_verdict() {
	local qemu_status=$1
	if [ -e "$RUN/silent" ] && [ ! -s "$RUN/status" ]; then
		tail -n 30 "$CONSOLE" >&2 2>/dev/null || true
		sed "s/^/${0##*/}: frozen host: /" "$RUN/postmortem" >&2 2>/dev/null || true
		printf '%s: error: the emulated host fell silent (no heartbeat for %s s, ONKVM_SILENCE; the last: "%s"): taken for frozen, it was stopped\n' \
			"${0##*/}" "$SILENCE" "$(cat "$RUN/silent")" >&2
		exit 124
	fi
	if [ -n "${ONKVM_TIMEOUT:-}" ] && [ "$qemu_status" = 124 ] && [ ! -s "$RUN/status" ]; then
		tail -n 30 "$CONSOLE" >&2 2>/dev/null || true
		printf '%s: error: the command did not finish within ONKVM_TIMEOUT=%s s; the emulated host was stopped\n' \
			"${0##*/}" "$ONKVM_TIMEOUT" >&2
		exit 124
	fi
	# The emulated host's kernel froze (a CPU stuck in the kernel for a minute:
	# watchdog_thresh=30, twice that for a soft lockup, so that a busy machine
	# starving QEMU for a while is not taken for one; or a task blocked for two
	# minutes): it panics at once rather than hang (softlockup_panic,
	# hung_task_panic), and that is a stall, like a timeout.
	if [ ! -s "$RUN/status" ] && grep -q -e 'soft lockup' -e 'blocked for more than' "$CONSOLE" 2>/dev/null; then
		grep -e 'soft lockup' -e 'blocked for more than' "$CONSOLE" | head -n 3 >&2
		printf '%s: error: the emulated host'"'"'s kernel froze (see %s); the emulated host was stopped\n' \
			"${0##*/}" "$CONSOLE" >&2
		exit 124
	fi
	# The emulated host's kernel panicked (seen once under QEMU 10's emulated
	# AMD-V: "corrupted stack end detected inside scheduler" in a vCPU thread of
	# the nested KVM): the host failed, not the command; like a freeze, exit 124,
	# so that make test runs again the tests that had not finished (a command
	# that panics the host every time fails after make test's six runs).
	if [ ! -s "$RUN/status" ] && grep -q 'Kernel panic - not syncing' "$CONSOLE" 2>/dev/null; then
		grep -B 2 'Kernel panic - not syncing' "$CONSOLE" | head -n 6 >&2
		printf '%s: error: the emulated host'"'"'s kernel panicked (see %s); taken for a failed host, like a freeze\n' \
			"${0##*/}" "$CONSOLE" >&2
		exit 124
	fi
	if [ ! -s "$RUN/status" ]; then
		tail -n 30 "$CONSOLE" >&2 2>/dev/null || true
		die_host "the emulated KVM host ended (QEMU status $qemu_status) without the command's status; its log is $CONSOLE"
	fi
	exit "$(cat "$RUN/status")"
}

# debs_into DIR WHAT PKG...: apt-get download every PKG (with the apt
# options in the array APT_DL), dpkg -x them all into one fresh tree and put
# it at DIR, replacing what was there; nothing is installed. WHAT names the
# packages in an error (exit 125 through die_host).
debs_into() {
	local dir=$1 what=$2 tmp p
	shift 2
	tmp=$(mktemp -d "$dir.XXXXXX")
	MINIKVM_CLEANUP+=("$tmp")
	mkdir -p "$tmp/debs" "$tmp/root"
	(cd "$tmp/debs" && apt-get "${APT_DL[@]}" download -q "$@" >&2) || die_host "apt-get download of $what failed"
	for p in "$tmp"/debs/*.deb; do dpkg -x "$p" "$tmp/root" || die_host "dpkg -x ${p##*/} failed"; done
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rm -rf "$tmp"
}

# ensure_qemu_bpo DIR TARGET PACKAGES: QEMU 10 from bookworm-backports in DIR
# (ONKVM_QEMU=10; fetched once). Downloaded with a private apt configuration
# (its own sources file and lists, so the system's sources stay as they are)
# and unpacked with dpkg -x; nothing is installed. It runs with the libraries
# of the installed QEMU 7.2; its firmware comes with -L, and QEMU_MODULE_DIR
# points it at its own modules (7.2's, in the system's module folder, would
# abort it). Sets QEMU (DIR's qemu-system-TARGET) and QEMU_ARGS.
ensure_qemu_bpo() {
	local dir=$1 target=$2 pkgs=$3 apt=$1.apt opts=() p missing
	if [ ! -x "$dir/usr/bin/qemu-system-$target" ]; then
		command -v apt-get >/dev/null 2>&1 || die_host "ONKVM_QEMU=10 needs apt-get (Debian bookworm's backports)"
		apt_private "$apt" "http://deb.debian.org/debian bookworm-backports" || exit 125
		opts=("${APT_PRIVATE[@]}")
		log "fetching QEMU 10 from bookworm-backports (once; cached in $dir)"
		apt-get "${opts[@]}" update -q >&2 || die_host "apt-get update of bookworm-backports failed"
		local specs=()
		for p in $pkgs; do specs+=("$p/bookworm-backports"); done
		APT_DL=("${opts[@]}")
		debs_into "$dir" "QEMU 10 ($pkgs) from bookworm-backports" "${specs[@]}"
	fi
	missing=$(ldd "$dir/usr/bin/qemu-system-$target" 2>/dev/null | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | tr '\n' ' ')
	[ -z "$missing" ] || die_host "QEMU 10 needs libraries this machine lacks: ${missing}(apt-get install the system's qemu-system packages to bring them)"
	QEMU=$dir/usr/bin/qemu-system-$target
	QEMU_ARGS=(-L "$dir/usr/share/qemu")
	export QEMU_MODULE_DIR=$dir/usr/lib/x86_64-linux-gnu/qemu
}
