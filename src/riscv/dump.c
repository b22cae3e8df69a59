/* SPDX-License-Identifier: MIT */
/* RISC-V registers for crash reports and one-line messages (arch.h). */
#include "arch.h"
#include "error.h"
#include "kvm_riscv.h"
#include "vcpu.h"

static const char *const core_names[33] = {
	"pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
	"a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
	"t5", "t6", "mode",
};

/* The supervisor CSRs that say why a trap happened (struct kvm_riscv_csr order). */
static const char *const csr_names[] = {
	"sstatus", "sie", "stvec", "sscratch", "sepc", "scause", "stval", "sip", "satp",
};

void arch_vcpu_dump(struct vcpu *vcpu, FILE *out)
{
	uint64_t v;

	for (unsigned i = 0; i < 33; i++) {
		if (riscv_get_reg(vcpu, riscv_reg_id(KVM_REG_RISCV_CORE, i), &v, core_names[i]) < 0) {
			fprintf(out, "  (registers unreadable: %s)\n", err_message());
			return;
		}
		fprintf(out, "  %-4s %016llx%s", core_names[i], (unsigned long long)v,
			i % 4 == 3 || i == 32 ? "\n" : " ");
	}
	for (unsigned i = 0; i < sizeof(csr_names) / sizeof(csr_names[0]); i++) {
		if (riscv_get_reg(vcpu, riscv_reg_id(KVM_REG_RISCV_CSR, i), &v, csr_names[i]) < 0)
			break;
		fprintf(out, "  %-8s %016llx%s", csr_names[i], (unsigned long long)v,
			i % 3 == 2 ? "\n" : " ");
	}
	fputc('\n', out);
}

unsigned long long arch_vcpu_ip(struct vcpu *vcpu)
{
	uint64_t pc = 0;

	if (riscv_get_reg(vcpu, riscv_reg_id(KVM_REG_RISCV_CORE, RISCV_CORE_PC), &pc, "pc") < 0)
		return 0;
	return pc;
}
