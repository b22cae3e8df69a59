#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# hunt-triple-fault.sh — boot Debian's kernel under minikvm again and again,
# with the host KVM's tracepoints recording, until a boot ends in a triple
# fault; then keep the last exits KVM saw before it (docs/testing.md: a rare
# early triple fault under an emulated host's nested paging).
#
#   make minikvm test-prereqs
#   ONKVM_QEMU=10 scripts/onkvm scripts/hunt-triple-fault.sh [BOOTS] [OUTDIR]
#
# Needs root where /dev/kvm is (tracefs). BOOTS defaults to 80, OUTDIR to
# build/hunt. HUNT_LOAD=1 runs two busy loops and a guest started over and
# over beside the boots (what a suite run does to the host). Exit status: 0
# no triple fault in BOOTS boots, 3 one was found (OUTDIR/triple-*.txt:
# minikvm's stdout and stderr, the trace), 2 usage or set-up error.
set -u
cd "$(dirname "$0")/.." || exit 2
boots=${1:-80}
out=${2:-build/hunt}
case $boots in *[!0-9]*|'') echo "hunt-triple-fault: BOOTS must be a number" >&2; exit 2;; esac
. build/linux.env 2>/dev/null || { echo "hunt-triple-fault: no build/linux.env: run make test-prereqs" >&2; exit 2; }
[ -x build/minikvm ] || { echo "hunt-triple-fault: no build/minikvm: run make" >&2; exit 2; }
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs none $T 2>/dev/null
[ -w $T/set_event ] || { echo "hunt-triple-fault: cannot write $T (root, tracefs)" >&2; exit 2; }
mkdir -p "$out"
echo 0 > $T/tracing_on
echo 20000 > $T/buffer_size_kb
: > $T/set_event
for e in kvm_exit kvm_entry kvm_inj_exception kvm_inj_virq kvm_page_fault kvm_pio kvm_mmio \
	 kvm_cr kvm_msr kvm_pic_set_irq kvm_apic_accept_irq; do
	echo "kvm:$e" >> $T/set_event 2>/dev/null
done
pids=()
if [ "${HUNT_LOAD:-0}" = 1 ]; then
	for _ in 1 2; do (while :; do :; done) & pids+=($!); done
	(while :; do build/minikvm guest/ckernel.elf >/dev/null 2>&1; done) & pids+=($!)
fi
trap '[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; echo 0 > $T/tracing_on' EXIT
for i in $(seq 1 "$boots"); do
	: > $T/trace
	echo 1 > $T/tracing_on
	build/minikvm -c 1 -m 512M --initrd "$INITRD" \
		--append "console=ttyS0 nokaslr quiet minikvm.cmd=true" "$VMLINUZ" \
		> "$out/stdout" 2> "$out/stderr"
	rc=$?
	echo 0 > $T/tracing_on
	echo "hunt-triple-fault: boot $i of $boots: exit status $rc"
	if grep -qi "triple fault" "$out/stderr"; then
		mv "$out/stdout" "$out/triple-stdout.txt"
		mv "$out/stderr" "$out/triple-stderr.txt"
		tail -5000 $T/trace > "$out/triple-trace.txt"
		echo "hunt-triple-fault: triple fault in boot $i; see $out/triple-*.txt"
		exit 3
	fi
done
echo "hunt-triple-fault: no triple fault in $boots boots"
