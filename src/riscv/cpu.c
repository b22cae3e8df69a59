/* SPDX-License-Identifier: MIT */
/*
 * RISC-V VM and vCPU setup (arch.h), the kvmtool way: what the core calls
 * and never spells out for an architecture.
 *
 * A RISC-V vCPU has no KVM_GET_REGS: every register is one KVM_GET_ONE_REG
 * (kvm_riscv.h builds the ids). The boot hart starts in S-mode at the
 * image's entry with a0 = its hart id and a1 = the device tree's address,
 * as SBI firmware hands over to a kernel; the other harts start stopped and
 * wait for an SBI HSM hart_start, which KVM serves in the kernel.
 */
#include "arch.h"
#include "error.h"
#include "kvm_riscv.h"
#include "layout.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

int riscv_get_reg(struct vcpu *vcpu, uint64_t id, uint64_t *value, const char *what)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)value };

	if (ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) < 0)
		return err_set(EXIT_HOST, "KVM_GET_ONE_REG (%s) on vCPU %d failed: %s", what, vcpu->id,
			       strerror(errno));
	return 0;
}

int riscv_set_reg(struct vcpu *vcpu, uint64_t id, uint64_t value, const char *what)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&value };

	if (ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) < 0)
		return err_set(EXIT_HOST, "KVM_SET_ONE_REG (%s) on vCPU %d failed: %s", what, vcpu->id,
			       strerror(errno));
	return 0;
}

static int core_set(struct vcpu *vcpu, unsigned index, uint64_t value, const char *what)
{
	return riscv_set_reg(vcpu, riscv_reg_id(KVM_REG_RISCV_CORE, index), value, what);
}

const char arch_kvm_hint[] = "load kvm.ko on a RISC-V host whose harts have the H extension";

int arch_vm_init(struct vm *vm)
{
	static const struct kvm_cap_need needed[] = {
		{ KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG" },
	};

	vm->arch.fdt_addr = layout_fdt_addr(&vm->mem);
	return vm_require_caps(vm->kvm_fd, needed, sizeof(needed) / sizeof(needed[0]));
}

/* The device tree says it all (src/riscv/board.c). */
const char *arch_kernel_cmdline_extra(const struct vm_config *cfg)
{
	(void)cfg;
	return NULL;
}

/*
 * The device tree needs what KVM gives a hart (its ISA), which only a vCPU
 * can tell: at start the boot vCPU writes it (arch_vcpu_init); after a
 * reset, which loaded the image into fresh memory, this writes it again.
 */
int arch_boot_tables(struct vm *vm)
{
	return vm->arch.hart_known ? riscv_board_write_fdt(vm) : 0;
}

/*
 * Multi-letter extensions KVM may have on for the vCPU, named in riscv,isa
 * after the single letters (Z ones first, then S ones, as the ISA manual
 * orders them). Only those that need no device tree node or property of
 * their own: Zicbom's block size, Ssaia's IMSIC are not described here.
 *
 * Sstc matters most: a guest that is told of it writes stimecmp itself.
 * One that is not (riscv,isa of single letters only, as minikvm wrote
 * before) asks for each timer through SBI set_timer; KVM, when Sstc is on
 * for the vCPU, serves that by writing vstimecmp without recording the
 * value it saves and restores around a vCPU's scheduling out (Linux 6.12,
 * arch/riscv/kvm/vcpu_timer.c), so a timer set just before the vCPU
 * thread is preempted or returns to user space is lost, and with it the
 * guest's tick: Linux stopped in its idle loop at power-off, 1 boot in 4
 * on the emulated hosts. QEMU names Sstc in its device tree under KVM too.
 */
static const struct {
	unsigned id;
	const char *name;
} isa_exts[] = {
	{ RISCV_KVM_ISA_EXT_ZICNTR, "zicntr" },
	{ RISCV_KVM_ISA_EXT_ZICOND, "zicond" },
	{ RISCV_KVM_ISA_EXT_ZICSR, "zicsr" },
	{ RISCV_KVM_ISA_EXT_ZIFENCEI, "zifencei" },
	{ RISCV_KVM_ISA_EXT_ZIHINTPAUSE, "zihintpause" },
	{ RISCV_KVM_ISA_EXT_ZIHPM, "zihpm" },
	{ RISCV_KVM_ISA_EXT_ZBA, "zba" },
	{ RISCV_KVM_ISA_EXT_ZBB, "zbb" },
	{ RISCV_KVM_ISA_EXT_ZBS, "zbs" },
	{ RISCV_KVM_ISA_EXT_SSTC, "sstc" },
	{ RISCV_KVM_ISA_EXT_SVINVAL, "svinval" },
	{ RISCV_KVM_ISA_EXT_SVNAPOT, "svnapot" },
	{ RISCV_KVM_ISA_EXT_SVPBMT, "svpbmt" },
};

/*
 * riscv,isa: "rv64", the single-letter extensions of the config register's
 * bitmap, then "_name" for each multi-letter one KVM has on (an older KVM
 * without the register, or without that extension, leaves it out).
 */
static void read_isa(struct vcpu *vcpu, struct vm_arch *a)
{
	static const char order[] = "imafdqcbvh"; /* the ISA manual's canonical order */
	uint64_t bits = 0, on;
	size_t n;

	if (riscv_get_reg(vcpu, riscv_reg_id(KVM_REG_RISCV_CONFIG, RISCV_CONFIG_ISA), &bits,
			  "config isa") < 0)
		bits = (1u << ('i' - 'a')) | (1u << ('m' - 'a')) | (1u << ('a' - 'a')); /* rv64ima */
	n = (size_t)snprintf(a->isa, sizeof(a->isa), "rv64");
	for (const char *c = order; *c && n + 1 < sizeof(a->isa); c++)
		if (bits & (1ull << (*c - 'a')))
			a->isa[n++] = *c;
	a->isa[n] = '\0';
	for (size_t i = 0; i < sizeof(isa_exts) / sizeof(isa_exts[0]); i++) {
		if (riscv_get_reg(vcpu, riscv_reg_id(KVM_REG_RISCV_ISA_EXT, isa_exts[i].id), &on,
				  isa_exts[i].name) < 0 || on != 1)
			continue;
		if (n + 1 + strlen(isa_exts[i].name) >= sizeof(a->isa))
			break;
		n += (size_t)snprintf(a->isa + n, sizeof(a->isa) - n, "_%s", isa_exts[i].name);
	}
	err_clear();
}

/* What the guest learns from the device tree about its hart, from vCPU 0. */
static void read_hart(struct vcpu *vcpu)
{
	struct vm_arch *a = &vcpu->vm->arch;
	uint64_t satp_mode = 0, freq = 0;

	read_isa(vcpu, a);
	/* satp's MODE field: 8 Sv39, 9 Sv48, 10 Sv57 (privileged spec, "satp"). */
	if (riscv_get_reg(vcpu, riscv_reg_id(KVM_REG_RISCV_CONFIG, RISCV_CONFIG_SATP_MODE),
			  &satp_mode, "config satp_mode") < 0)
		satp_mode = 8;
	a->mmu_type = satp_mode == 10 ? "riscv,sv57" : satp_mode == 9 ? "riscv,sv48" : "riscv,sv39";
	if (riscv_get_reg(vcpu, riscv_reg_id(KVM_REG_RISCV_TIMER, KVM_REG_RISCV_TIMER_REG(frequency)),
			  &freq, "timer frequency") < 0 || freq == 0)
		freq = 10000000; /* QEMU virt's 10 MHz */
	a->timebase_hz = freq;
	err_clear();
	a->hart_known = true;
}

/*
 * SBI calls KVM does not serve itself it hands to us as KVM_EXIT_RISCV_SBI;
 * the debug console (DBCN) it hands over only once enabled per vCPU
 * (Linux 6.8 on). An older KVM answers DBCN calls "not supported" itself.
 */
static void enable_dbcn(struct vcpu *vcpu)
{
	uint64_t id = KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_SBI_EXT |
		      KVM_REG_RISCV_SBI_SINGLE | RISCV_KVM_SBI_EXT_DBCN;

	if (riscv_set_reg(vcpu, id, 1, "enable SBI DBCN") == 0 && vcpu->id == 0)
		vcpu->vm->arch.dbcn = true;
	err_clear();
}

int arch_vcpu_init(struct vcpu *vcpu)
{
	enable_dbcn(vcpu);
	if (vcpu->id == 0) {
		read_hart(vcpu);
		if (riscv_board_write_fdt(vcpu->vm) < 0)
			return -1;
	}
	return arch_vcpu_reset(vcpu);
}

int arch_vcpu_reset(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };

	if (vcpu->id != 0) {
		/* Secondary harts wait for SBI HSM hart_start (served by KVM). */
		mp.mp_state = KVM_MP_STATE_STOPPED;
	} else if (core_set(vcpu, RISCV_CORE_PC, vm->boot.entry, "pc") < 0 ||
		   core_set(vcpu, RISCV_CORE_A0, 0, "a0") < 0 ||
		   core_set(vcpu, RISCV_CORE_A1, vm->arch.fdt_addr, "a1") < 0 ||
		   core_set(vcpu, RISCV_CORE_MODE, KVM_RISCV_MODE_S, "mode") < 0) {
		return -1;
	}
	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		return err_set(EXIT_HOST, "KVM_SET_MP_STATE on vCPU %d failed: %s", vcpu->id,
			       strerror(errno));
	return 0;
}

void arch_vm_free(struct vm *vm)
{
	(void)vm;
}

void arch_vcpu_pre_run(struct vcpu *vcpu)
{
	(void)vcpu;
}

/* KVM's RISC-V side has no instruction emulator that gives up to userspace. */
enum arch_emulation arch_emulation_failure(struct vcpu *vcpu, struct vcpu_debug_event *ev)
{
	(void)vcpu;
	(void)ev;
	return ARCH_NOT_EMULATED;
}

bool arch_handle_exit(struct vcpu *vcpu)
{
	if (vcpu->run->exit_reason != KVM_EXIT_RISCV_SBI)
		return false;
	riscv_sbi_exit(vcpu);
	return true;
}
