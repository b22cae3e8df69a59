/* SPDX-License-Identifier: MIT */
/*
 * minikvm --host-report: what this host's KVM does for a debugger, said to
 * the user. The arch probes it (arch_debug_probe) and says what it saw and
 * the method the debugger picks for each job (arch_debug_report; x86:
 * src/x86/debug_report.c, RISC-V: src/riscv/debug.c), which -v also prints
 * when gdb is served.
 */
#include "debug_internal.h"
#include "arch.h"
#include "vm.h"

#include <stdio.h>
#include <unistd.h>

int debug_host_report(FILE *out)
{
	struct debug_host_caps caps;
	int kvm_fd = vm_open_kvm();

	if (kvm_fd < 0)
		return -1;
	fprintf(out, "minikvm %s host report\n", MINIKVM_VERSION);
	arch_host_report(out, kvm_fd);
	if (arch_debug_probe(kvm_fd, &caps) < 0) {
		close(kvm_fd);
		return -1;
	}
	close(kvm_fd);
	arch_debug_report(out, &caps, true);
	return 0;
}
