/* SPDX-License-Identifier: MIT */
/*
 * SBI calls KVM hands to userspace (KVM_EXIT_RISCV_SBI). A guest in S-mode
 * calls its supervisor binary interface with ecall: extension id in a7,
 * function in a6, arguments in a0..a5; it gets an error in a0 and a value
 * in a1 (RISC-V SBI specification, "Binary Encoding"). KVM serves most
 * extensions itself (base, timer, IPI, remote fence, HSM, system reset: a
 * reset or shutdown becomes KVM_EXIT_SYSTEM_EVENT, which the core ends the
 * VM on); what it forwards lands here, with ret[0..1] for a0 and a1.
 *
 * Served here: the debug console (DBCN, "SBI Debug Console Extension"),
 * into the serial console. Anything else is answered "not supported".
 */
#include "kvm_riscv.h"
#include "guest_mem.h"
#include "vcpu.h"
#include "vm.h"

#include <stdio.h>

#define SBI_EXT_DBCN 0x4442434E /* "DBCN" */
enum { DBCN_WRITE = 0, DBCN_READ = 1, DBCN_WRITE_BYTE = 2 };

/* SBI error codes (the specification's Table 1). */
#define SBI_SUCCESS            0
#define SBI_ERR_NOT_SUPPORTED  -2
#define SBI_ERR_INVALID_PARAM  -3

/*
 * A buffer the guest names by guest-physical address (base_lo, base_hi:
 * the high half is for rv32 and must be 0 on rv64). NULL when it is not
 * all RAM: the guest's numbers are never trusted.
 */
static void *dbcn_buffer(struct vm *vm, unsigned long len, unsigned long lo, unsigned long hi)
{
	if (hi != 0)
		return NULL;
	return guest_mem_ptr(&vm->mem, lo, len);
}

static void dbcn(struct vcpu *vcpu, struct kvm_run *run)
{
	struct vm *vm = vcpu->vm;
	unsigned long *a = run->riscv_sbi.args;
	uint8_t *buf;

	switch (run->riscv_sbi.function_id) {
	case DBCN_WRITE:
		buf = dbcn_buffer(vm, a[0], a[1], a[2]);
		if (!buf) {
			run->riscv_sbi.ret[0] = (unsigned long)SBI_ERR_INVALID_PARAM;
			return;
		}
		console_write(&vm->console, buf, a[0]);
		run->riscv_sbi.ret[1] = a[0]; /* all of it written */
		break;
	case DBCN_READ:
		buf = dbcn_buffer(vm, a[0], a[1], a[2]);
		if (!buf) {
			run->riscv_sbi.ret[0] = (unsigned long)SBI_ERR_INVALID_PARAM;
			return;
		}
		/* What has arrived, without waiting: 0 bytes is a valid answer. */
		unsigned long n = 0;
		for (int c; n < a[0] && console_input_pending(&vm->console) &&
			    (c = console_getc(&vm->console)) >= 0; n++)
			buf[n] = (uint8_t)c;
		run->riscv_sbi.ret[1] = n;
		break;
	case DBCN_WRITE_BYTE:
		console_putc(&vm->console, (uint8_t)a[0]);
		run->riscv_sbi.ret[1] = 0;
		break;
	default:
		run->riscv_sbi.ret[0] = (unsigned long)SBI_ERR_NOT_SUPPORTED;
		return;
	}
	run->riscv_sbi.ret[0] = SBI_SUCCESS;
}

void riscv_sbi_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (vcpu->vm->cfg->trace_exits)
		fprintf(stderr, "vcpu%d: SBI ext=%#lx fid=%lu a0=%#lx\n", vcpu->id,
			run->riscv_sbi.extension_id, run->riscv_sbi.function_id, run->riscv_sbi.args[0]);
	if (run->riscv_sbi.extension_id == SBI_EXT_DBCN) {
		dbcn(vcpu, run);
		return;
	}
	run->riscv_sbi.ret[0] = (unsigned long)SBI_ERR_NOT_SUPPORTED;
	run->riscv_sbi.ret[1] = 0;
}
