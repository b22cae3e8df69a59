/* SPDX-License-Identifier: MIT */
/*
 * What the x86 probe (probe.c) saw, for people: --host-report's table, one
 * row per CPU mode, and the method the debugger picks for each job on this
 * host and why (which -v prints too when gdb is served).
 */
#include "debug_contract.h"

#include <stddef.h>
#include <stdio.h>

static const char *host_kind_name(enum debug_host_kind kind)
{
	switch (kind) {
	case DEBUG_HOST_HARDWARE: return "hardware VT-x/AMD-V";
	case DEBUG_HOST_PVM: return "PVM (guests run through KVM's instruction emulator)";
	case DEBUG_HOST_EMULATED: return "emulated AMD-V (a nested KVM on QEMU TCG)";
	}
	return "?";
}

/* The modes of the probe where a row's field is false ("; "-separated), or "". */
static const char *modes_without(const struct debug_host_caps *c, size_t field, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < c->nrows; i++) {
		const struct debug_probe_row *r = &c->rows[i];

		if (!r->tested || *(const bool *)((const char *)r + field))
			continue;
		used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%s", used ? "; " : "",
					 r->mode);
	}
	return buf;
}

#define WITHOUT(c, f, b) modes_without(c, offsetof(struct debug_probe_row, f), b, sizeof(b))

/*
 * Which method the debugger uses for each job on this host, and why, one
 * line each: what -v prints, and the end of --host-report.
 */
static void print_methods(FILE *out, const struct debug_host_caps *c)
{
	char why[512];

	fprintf(out, "minikvm: host KVM: %s\n", host_kind_name(c->kind));
	if (c->kind == DEBUG_HOST_PVM)
		fprintf(out, "minikvm:   software breakpoints: int3; in protected and long mode it ends in an "
			"emulation failure that minikvm takes for the breakpoint (PVM); in real mode by %s\n",
			c->sw_bp_real_mode ? "int3" : c->dr_exec ? "debug registers" : "patched `in al, dx`");
	else if (c->sw_bp)
		fprintf(out, "minikvm:   software breakpoints: int3 (it exited to minikvm in every CPU mode tested)\n");
	else
		fprintf(out, "minikvm:   software breakpoints: patched `in al, dx`, a port I/O exit "
			"(int3 did not exit in: %s)\n", WITHOUT(c, int3, why));
	if (c->dr_exec)
		fprintf(out, "minikvm:   hardware breakpoints: debug registers (they fired in every mode tested)\n");
	else
		fprintf(out, "minikvm:   hardware breakpoints: patched `in al, dx` on a write-protected page, "
			"four at most (execute debug registers did not fire in: %s)\n", WITHOUT(c, dr_exec, why));
	if (c->dr_write_watch)
		fprintf(out, "minikvm:   write watchpoints: debug registers\n");
	else
		fprintf(out, "minikvm:   write watchpoints: %s (write debug registers did not fire in: %s)\n",
			c->readonly_mem ? "read-only memory slots" : "none (no KVM_CAP_READONLY_MEM)",
			WITHOUT(c, dr_write, why));
	if (c->dr_read_watch)
		fprintf(out, "minikvm:   read/access watchpoints: debug registers\n");
	else
		fprintf(out, "minikvm:   read/access watchpoints: unmapped pages, whose reads exit as MMIO "
			"(read debug registers did not fire in: %s)\n", WITHOUT(c, dr_read, why));
	if (c->step)
		fprintf(out, "minikvm:   single steps: KVM_GUESTDBG_SINGLESTEP (one instruction each, in every mode tested)\n");
	else
		fprintf(out, "minikvm:   single steps: KVM_GUESTDBG_SINGLESTEP, but they did not end after one "
			"instruction in: %s\n", WITHOUT(c, step, why));
	fprintf(out, "minikvm:   interrupts while stepping: %s\n",
		c->block_irq ? "held back (KVM_GUESTDBG_BLOCKIRQ)" : "not held back (no KVM_GUESTDBG_BLOCKIRQ)");
}

static const char *yes_no(bool tested, bool v)
{
	return !tested ? "-" : v ? "yes" : "no";
}

void arch_debug_report(FILE *out, const struct debug_host_caps *caps, bool table)
{
	if (!table) {
		print_methods(out, caps);
		return;
	}
	fprintf(out, "\nWhat this KVM did for a debugger, by CPU mode (a vCPU each, in one throwaway VM):\n");
	fprintf(out, "  %-32s %-6s %-8s %-8s %-8s %-5s %-8s\n", "mode", "int3", "DR exec", "DR write",
		"DR read", "step", "port I/O");
	for (int i = 0; i < caps->nrows; i++) {
		const struct debug_probe_row *r = &caps->rows[i];

		if (r->absent) {
			fprintf(out, "  %-32s (the CPU does not offer it)\n", r->mode);
			continue;
		}
		if (!r->tested) {
			fprintf(out, "  %-32s (KVM refused the mode)\n", r->mode);
			continue;
		}
		fprintf(out, "  %-32s %-6s %-8s %-8s %-8s %-5s %-8s\n", r->mode,
			r->int3 ? "exit" : r->int3_to_guest ? "guest" : "lost",
			yes_no(true, r->dr_exec), yes_no(true, r->dr_write), yes_no(true, r->dr_read),
			yes_no(true, r->step), r->io_exit ? "exit" : "lost");
	}
	fprintf(out, "  (int3: exit = to minikvm, as VT-x and AMD-V do; guest = the guest's own #BP handler "
		"ran; lost = neither)\n\nMethods the debugger picks here, and why:\n");
	print_methods(out, caps);
}
