// SPDX-License-Identifier: MIT
//
// kvm_probe — the smallest proof that a RISC-V /dev/kvm works: one VM, one
// vCPU, one page of guest RAM holding one store instruction, run once.
//
// Cross-built static (make riscv64-probe: build/riscv64/kvm_probe) and run on
// scripts/onkvm-riscv64's emulated RISC-V KVM host, or on a riscv64 machine
// with KVM. The guest is `sw a1, 0(a0)` at the start of RAM with a0 set to
// 0x10000000 (QEMU virt's UART, but nothing is there in this VM) through
// KVM_SET_ONE_REG, as pc is: the store must come back as KVM_EXIT_MMIO with
// that address, 4 bytes, a write, and a1's value as its data.
//
// Prints one "key=value" line per fact (tests/onkvm_riscv64_test.py reads
// them); exit status 0 when the exit was that MMIO write, 1 when it was
// something else, 2 when a KVM call failed (errno on stderr).
//
// Then, for the debugger's sake, the next instruction is an ebreak run with
// KVM_SET_GUEST_DEBUG enabled: it must exit with KVM_EXIT_DEBUG at its own
// pc (printed as debug_exit_reason and debug_pc; not part of the status).

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

// bookworm's RISC-V uapi headers (Linux 6.1) define it only where
// __KVM_HAVE_GUEST_DEBUG is; RISC-V KVM has answered it since 6.9.
#ifndef KVM_CAP_SET_GUEST_DEBUG
#define KVM_CAP_SET_GUEST_DEBUG 23
#endif

#define GUEST_RAM   0x80000000ULL  // where QEMU's virt board has RAM
#define MMIO_TARGET 0x10000000ULL
#define STORED      0x1234abcdULL

// sw a1, 0(a0): S-type, imm 0, rs2 = x11, rs1 = x10, funct3 2 (word), opcode 0x23.
#define INSN_SW_A1_0_A0 ((11u << 20) | (10u << 15) | (2u << 12) | 0x23u)
// ebreak: SYSTEM opcode 0x73 with imm 1.
#define INSN_EBREAK 0x00100073u

static int fail(const char *what)
{
	fprintf(stderr, "kvm_probe: %s: %s\n", what, strerror(errno));
	return 2;
}

// A core register's id for KVM_{GET,SET}_ONE_REG (Documentation/virt/kvm/api.rst, RISC-V).
static uint64_t core_reg(size_t offset)
{
	return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | (offset / sizeof(unsigned long));
}

static int set_reg(int vcpu, size_t offset, uint64_t value)
{
	struct kvm_one_reg reg = { .id = core_reg(offset), .addr = (uintptr_t)&value };
	return ioctl(vcpu, KVM_SET_ONE_REG, &reg);
}

static int get_reg(int vcpu, size_t offset, uint64_t *value)
{
	struct kvm_one_reg reg = { .id = core_reg(offset), .addr = (uintptr_t)value };
	return ioctl(vcpu, KVM_GET_ONE_REG, &reg);
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
	case KVM_EXIT_DEBUG: return "KVM_EXIT_DEBUG";
	case KVM_EXIT_SYSTEM_EVENT: return "KVM_EXIT_SYSTEM_EVENT";
	case KVM_EXIT_RISCV_SBI: return "KVM_EXIT_RISCV_SBI";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	default: return "other";
	}
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	printf("api_version=%d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
	printf("cap_set_guest_debug=%d\n", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG));

	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");

	uint32_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return fail("mmap of guest RAM");
	page[0] = INSN_SW_A1_0_A0;
	page[1] = INSN_EBREAK;
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = GUEST_RAM, .memory_size = 4096, .userspace_addr = (uintptr_t)page,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap of kvm_run");

	// A new vCPU starts in S-mode with the MMU off: pc and the two
	// registers the store uses are all it needs.
	if (set_reg(vcpu, offsetof(struct kvm_riscv_core, regs.pc), GUEST_RAM) < 0)
		return fail("KVM_SET_ONE_REG pc");
	if (set_reg(vcpu, offsetof(struct kvm_riscv_core, regs.a0), MMIO_TARGET) < 0)
		return fail("KVM_SET_ONE_REG a0");
	if (set_reg(vcpu, offsetof(struct kvm_riscv_core, regs.a1), STORED) < 0)
		return fail("KVM_SET_ONE_REG a1");

	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN");
	printf("exit_reason=%u %s\n", run->exit_reason, exit_name(run->exit_reason));
	if (run->exit_reason != KVM_EXIT_MMIO)
		return 1;

	uint64_t data = 0;
	memcpy(&data, run->mmio.data, run->mmio.len <= 8 ? run->mmio.len : 8);
	printf("mmio_phys_addr=0x%" PRIx64 "\n", (uint64_t)run->mmio.phys_addr);
	printf("mmio_len=%u\n", run->mmio.len);
	printf("mmio_is_write=%u\n", run->mmio.is_write);
	printf("mmio_data=0x%" PRIx64 "\n", data);
	int status = run->mmio.phys_addr == MMIO_TARGET && run->mmio.len == 4 && run->mmio.is_write &&
			     data == STORED
		     ? 0
		     : 1;

	// The store is done (nothing to hand back for a write); next, the ebreak.
	struct kvm_guest_debug debug = { .control = KVM_GUESTDBG_ENABLE };
	uint64_t pc = 0;
	if (ioctl(vcpu, KVM_SET_GUEST_DEBUG, &debug) < 0)
		return fail("KVM_SET_GUEST_DEBUG");
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN after the store");
	printf("debug_exit_reason=%u %s\n", run->exit_reason, exit_name(run->exit_reason));
	if (get_reg(vcpu, offsetof(struct kvm_riscv_core, regs.pc), &pc) < 0)
		return fail("KVM_GET_ONE_REG pc");
	printf("debug_pc=0x%" PRIx64 "\n", pc);
	return status;
}
