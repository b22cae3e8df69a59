/* SPDX-License-Identifier: MIT */
/*
 * RISC-V KVM registers through KVM_GET_ONE_REG / KVM_SET_ONE_REG (cpu.c).
 * A register id is KVM_REG_RISCV | size | type | index (the kernel's
 * Documentation/virt/kvm/api.rst, "KVM_SET_ONE_REG", RISC-V part). Debian
 * bookworm's cross headers are Linux 6.1's; the ids newer kernels added
 * (the SBI extension registers, 6.4) are defined here when missing, with
 * the values of the kernel's arch/riscv/include/uapi/asm/kvm.h.
 */
#ifndef MINIKVM_RISCV_KVM_RISCV_H
#define MINIKVM_RISCV_KVM_RISCV_H

#include <linux/kvm.h>
#include <stdint.h>

#ifndef KVM_REG_RISCV_SBI_EXT
#define KVM_REG_RISCV_SBI_EXT     (0x08 << KVM_REG_RISCV_TYPE_SHIFT)
#endif
#ifndef KVM_REG_RISCV_VECTOR
#define KVM_REG_RISCV_VECTOR      (0x09 << KVM_REG_RISCV_TYPE_SHIFT)
#endif
#ifndef KVM_REG_RISCV_SBI_STATE
#define KVM_REG_RISCV_SBI_STATE   (0x0a << KVM_REG_RISCV_TYPE_SHIFT)
#endif
#ifndef KVM_REG_RISCV_SBI_SINGLE
#define KVM_REG_RISCV_SBI_SINGLE  (0x0 << 16)
#endif
/* Linux 6.1's uapi names it for architectures with guest debug only; RISC-V's came in 6.8. */
#ifndef KVM_CAP_SET_GUEST_DEBUG
#define KVM_CAP_SET_GUEST_DEBUG 23
#endif
/* enum KVM_RISCV_SBI_EXT_ID: V01, TIME, IPI, RFENCE, SRST, HSM, PMU, EXPERIMENTAL, VENDOR, DBCN. */
#define RISCV_KVM_SBI_EXT_DBCN 9

/*
 * enum KVM_RISCV_ISA_EXT_ID (the kernel's uapi kvm.h): the multi-letter
 * extensions, by their KVM_REG_RISCV_ISA_EXT index, that minikvm names in
 * the device tree when KVM has them on for the vCPU (cpu.c, read_isa).
 */
#define RISCV_KVM_ISA_EXT_SVPBMT      7
#define RISCV_KVM_ISA_EXT_SSTC        8
#define RISCV_KVM_ISA_EXT_SVINVAL     9
#define RISCV_KVM_ISA_EXT_ZIHINTPAUSE 10
#define RISCV_KVM_ISA_EXT_ZBB         13
#define RISCV_KVM_ISA_EXT_SVNAPOT     16
#define RISCV_KVM_ISA_EXT_ZBA         17
#define RISCV_KVM_ISA_EXT_ZBS         18
#define RISCV_KVM_ISA_EXT_ZICNTR      19
#define RISCV_KVM_ISA_EXT_ZICSR       20
#define RISCV_KVM_ISA_EXT_ZIFENCEI    21
#define RISCV_KVM_ISA_EXT_ZIHPM       22
#define RISCV_KVM_ISA_EXT_ZICOND      24

/* Config register indices (struct kvm_riscv_config in newer kernels). */
#define RISCV_CONFIG_ISA       0
#define RISCV_CONFIG_SATP_MODE 6

/* Core register indices: pc, then x1..x31 (struct user_regs_struct), then mode. */
#define RISCV_CORE_PC   0
#define RISCV_CORE_RA   1
#define RISCV_CORE_SP   2
#define RISCV_CORE_A0   10
#define RISCV_CORE_A1   11
#define RISCV_CORE_MODE 32

struct vcpu;

/* A u64 register of the given type (KVM_REG_RISCV_CORE, ...) and index. */
static inline uint64_t riscv_reg_id(uint64_t type, uint64_t index)
{
	return KVM_REG_RISCV | KVM_REG_SIZE_U64 | type | index;
}

/* 0, or -1 with err_set(EXIT_HOST) naming the register (what). */
int riscv_get_reg(struct vcpu *vcpu, uint64_t id, uint64_t *value, const char *what);
int riscv_set_reg(struct vcpu *vcpu, uint64_t id, uint64_t value, const char *what);

/* The boot hart's device tree (board.c), into guest RAM at vm->arch.fdt_addr. */
struct vm;
int riscv_board_write_fdt(struct vm *vm);
/* An SBI call KVM handed to us (KVM_EXIT_RISCV_SBI; sbi.c). */
void riscv_sbi_exit(struct vcpu *vcpu);

#endif
