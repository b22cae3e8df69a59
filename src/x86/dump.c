/* SPDX-License-Identifier: MIT */
/* Crash reports: what a vCPU looked like when the guest died. */
#include "arch.h"
#include "vcpu.h"
#include "vm.h"
#include "bits.h"
#include "paging.h"
#include "x86.h"

#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

static void dump_seg(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out, " %-3s sel=%04x base=%016llx limit=%08x type=%x %s dpl=%u%s%s%s%s\n",
		name, s->selector, (unsigned long long)s->base, s->limit, s->type,
		s->s ? (s->type & 8 ? "code" : "data") : "system", s->dpl,
		s->present ? " present" : "", s->l ? " 64-bit" : (s->db ? " 32-bit" : " 16-bit"),
		s->g ? " 4K-granular" : "", s->unusable ? " unusable" : "");
}

const char *x86_mode_name(const struct kvm_sregs *s)
{
	if (!(s->cr0 & CR0_PE))
		return "real mode";
	if (s->efer & EFER_LMA)
		return s->cs.l ? "long mode" : "compatibility mode";
	return "protected mode";
}

void x86_print_sregs(FILE *out, const struct kvm_sregs *s, uint64_t apic_base)
{
	struct paging_regs pr = { .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer };

	fprintf(out, " %s, %s\n", x86_mode_name(s), paging_mode_name(paging_mode(&pr)));
	dump_seg(out, "CS", &s->cs);
	dump_seg(out, "DS", &s->ds);
	dump_seg(out, "ES", &s->es);
	dump_seg(out, "SS", &s->ss);
	dump_seg(out, "FS", &s->fs);
	dump_seg(out, "GS", &s->gs);
	dump_seg(out, "TR", &s->tr);
	dump_seg(out, "LDT", &s->ldt);
	fprintf(out, " GDT base=%016llx limit=%04x  IDT base=%016llx limit=%04x\n",
		(unsigned long long)s->gdt.base, s->gdt.limit, (unsigned long long)s->idt.base,
		s->idt.limit);
	fprintf(out, " CR0=%016llx CR2=%016llx CR3=%016llx CR4=%016llx\n",
		s->cr0, s->cr2, s->cr3, s->cr4);
	fprintf(out, " CR8=%016llx EFER=%016llx APIC_BASE=%016llx\n",
		s->cr8, s->efer, (unsigned long long)apic_base);
}

unsigned long long arch_vcpu_ip(struct vcpu *vcpu)
{
	struct kvm_regs r;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0)
		return ~0ULL;
	return r.rip;
}

/* The bytes at CS:RIP, through the guest's own page tables. */
static void dump_code(FILE *out, struct vcpu *vcpu, const struct kvm_sregs *s, uint64_t linear)
{
	struct paging_regs pr = { .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer };
	struct walk w;
	uint8_t bytes[16];
	size_t n = 0;

	if (page_walk(&vcpu->vm->mem, &pr, linear, &w) < 0) {
		fprintf(out, " code at %#llx: not mapped (%s)\n", (unsigned long long)linear, w.error);
		return;
	}
	/* Stop at the end of the page: the next one may map elsewhere. */
	while (n < sizeof(bytes) && (n == 0 || ((linear + n) & 0xFFF) != 0) &&
	       guest_mem_read(&vcpu->vm->mem, w.gpa + n, &bytes[n], 1) == 0)
		n++;
	fprintf(out, " code at %#llx (gpa %#llx):", (unsigned long long)linear,
		(unsigned long long)w.gpa);
	for (size_t i = 0; i < n; i++)
		fprintf(out, " %02x", bytes[i]);
	fprintf(out, n ? "\n" : " (not in RAM)\n");
}

/*
 * After a shutdown intercept the VMCB is undefined, so KVM on AMD-V INITs
 * the vCPU before reporting KVM_EXIT_SHUTDOWN (APM vol. 2, "Shutdown
 * intercept"): the registers read then are the reset state, not the crash.
 */
static bool looks_just_reset(const struct kvm_regs *r, const struct kvm_sregs *s)
{
	return r->rip == 0xfff0 && s->cs.selector == 0xf000 && s->cs.base == 0xffff0000 &&
	       !(s->cr0 & CR0_PE);
}

void arch_vcpu_dump(struct vcpu *vcpu, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t apic_base = 0;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(out, " (registers unavailable)\n");
		return;
	}
	x86_msr_get(vcpu, MSR_IA32_APICBASE, &apic_base);

	fprintf(out, " vCPU %d:\n", vcpu->id);
	fprintf(out, " RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n",
		r.rax, r.rbx, r.rcx, r.rdx);
	fprintf(out, " RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n",
		r.rsi, r.rdi, r.rbp, r.rsp);
	fprintf(out, " R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n",
		r.r8, r.r9, r.r10, r.r11);
	fprintf(out, " R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n",
		r.r12, r.r13, r.r14, r.r15);
	fprintf(out, " RIP=%016llx RFLAGS=%016llx\n", r.rip, r.rflags);
	x86_print_sregs(out, &s, apic_base);
	dump_code(out, vcpu, &s, s.cs.base + r.rip);
	if (looks_just_reset(&r, &s))
		fprintf(out, " These are the registers of a vCPU just reset (RIP fff0, CS f000 at"
			" ffff0000): after a triple fault KVM on AMD-V re-initialises the vCPU, so where"
			" the guest failed is lost (VT-x keeps it). --trace-exits shows the exits that"
			" led there.\n");
}
