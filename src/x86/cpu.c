/* SPDX-License-Identifier: MIT */
/*
 * The x86 machine and its CPUs, as arch.h asks of an architecture:
 *  - the VM (arch_vm_init): the KVM capabilities x86 needs, the pages KVM
 *    takes for real mode on VT-x (TSS, identity map), the CPUID KVM
 *    supports; the interrupt controllers are irq.c's (irq_vm_init);
 *  - the boot tables (arch_boot_tables): ACPI (acpi.c) and the GDT;
 *  - each vCPU (arch_vcpu_init, arch_vcpu_reset): its CPUID (APIC IDs, the
 *    features hidden on emulating KVMs: hidden_features.c), MSRs, and the
 *    registers of the boot mode, with the long-mode page tables
 *    (pagetable.c);
 *  - the exits only x86 has (arch_handle_exit): IRQ window open, IOAPIC EOI;
 *    and before each KVM_RUN (arch_vcpu_pre_run) irq.c's 8259 injection.
 * Facts from the Intel SDM vol. 3 (ch. 9, "Processor management and
 * initialization") and the KVM API document.
 */
#include "arch.h"
#include "error.h"
#include "vcpu.h"
#include "vm.h"
#include "acpi.h"
#include "bits.h"
#include "hidden_features.h"
#include "irqchip.h"
#include "layout.h"
#include "pagetable.h"
#include "x86.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_MAX_ENTRIES 256

const char arch_kvm_hint[] = "load kvm_intel or kvm_amd, enable nested virtualization";

int arch_vm_init(struct vm *vm)
{
	static const struct kvm_cap_need needed[] = {
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
		{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	};
	uint64_t identity = LAYOUT_KVM_IDENTITY;
	struct kvm_cpuid2 *cpuid;

	if (vm_require_caps(vm->kvm_fd, needed, sizeof(needed) / sizeof(needed[0])) < 0)
		return -1;

	/*
	 * Intel VT-x without "unrestricted guest" runs real mode through a
	 * vm86 TSS and needs an identity-mapped page table; both live in three
	 * plus one pages that KVM takes from guest-physical space. Put them in
	 * the MMIO hole below the BIOS area, where no RAM is. Must precede vCPUs.
	 */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0)
		return err_set(EXIT_HOST, "KVM_SET_TSS_ADDR failed: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
		return err_set(EXIT_HOST, "KVM_SET_IDENTITY_MAP_ADDR failed: %s", strerror(errno));
	/* Local APICs in KVM; the 8259s, IOAPIC and PIT in KVM or here (irq.c, as devices). */
	if (irq_vm_init(vm) < 0)
		return -1;

	cpuid = calloc(1, sizeof(*cpuid) + CPUID_MAX_ENTRIES * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return err_set(EXIT_HOST, "out of memory");
	cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		free(cpuid);
		return err_set(EXIT_HOST, "KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
	}
	/*
	 * KVM's local APICs have the TSC-deadline timer mode, but KVM leaves
	 * telling the guest to the VMM (its CPUID bit is not in the supported
	 * list). Told, Linux needs no calibration of the APIC timer against
	 * another clock, a tenth of a second of every boot.
	 */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		for (uint32_t i = 0; i < cpuid->nent; i++)
			if (cpuid->entries[i].function == 1)
				cpuid->entries[i].ecx |= 1U << 24;
	vm->arch.cpuid = cpuid;
	return 0;
}

void arch_vm_free(struct vm *vm)
{
	free(vm->arch.cpuid);
	vm->arch.cpuid = NULL;
}

void arch_vcpu_pre_run(struct vcpu *vcpu)
{
	irq_vcpu_pre_run(vcpu);
}

/* x86 steps in hardware (KVM_GUESTDBG_SINGLESTEP): nothing around KVM_RUN. */
void arch_vcpu_run_begin(struct vcpu *vcpu)
{
	(void)vcpu;
}

int arch_vcpu_run_end(struct vcpu *vcpu, int rc)
{
	(void)vcpu;
	return rc;
}

bool arch_handle_exit(struct vcpu *vcpu)
{
	switch (vcpu->run->exit_reason) {
	case KVM_EXIT_IOAPIC_EOI:
		/* A local APIC took an EOI for a level-triggered vector of our IOAPIC. */
		irq_ioapic_eoi(vcpu->vm, vcpu->run->eoi.vector);
		return true;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		/* The guest can take the 8259's interrupt now: the next pre-run injects it. */
		vcpu->run->request_interrupt_window = 0;
		return true;
	}
	return false;
}

int x86_msr_get(struct vcpu *vcpu, uint32_t index, uint64_t *val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };

	if (ioctl(vcpu->fd, KVM_GET_MSRS, &m) != 1)
		return -EIO;
	*val = m.e.data;
	return 0;
}

int x86_msr_set(struct vcpu *vcpu, uint32_t index, uint64_t val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index, .e.data = val };

	return ioctl(vcpu->fd, KVM_SET_MSRS, &m) == 1 ? 0 : -EIO;
}

/* A flat (base 0, limit 4 GiB) segment descriptor; SDM vol. 3 §3.4.5. */
uint64_t x86_gdt_flat_entry(uint8_t type, bool code64, bool db)
{
	uint64_t d = 0;

	d |= 0xFFFFULL;                 /* limit 15:0 */
	d |= (uint64_t)type << 40;      /* type */
	d |= 1ULL << 44;                /* S: code/data */
	d |= 1ULL << 47;                /* P */
	d |= 0xFULL << 48;              /* limit 19:16 */
	d |= (uint64_t)code64 << 53;    /* L */
	d |= (uint64_t)db << 54;        /* D/B */
	d |= 1ULL << 55;                /* G: 4 KiB granularity */
	return d;
}

static int gdt_write(struct vm *vm)
{
	bool long_mode = vm->boot.mode == CPU_MODE_LONG64;
	uint64_t gdt[GDT_ENTRIES] = {
		[0] = 0,
		[GDT_SEL_CODE32 / 8] = x86_gdt_flat_entry(0xB, false, true),
		[GDT_SEL_CODE / 8] = x86_gdt_flat_entry(0xB, long_mode, !long_mode),
		[GDT_SEL_DATA / 8] = x86_gdt_flat_entry(0x3, false, true),
		[GDT_SEL_CODE64 / 8] = x86_gdt_flat_entry(0xB, true, false),
	};

	if (guest_mem_write(&vm->mem, LAYOUT_GDT, gdt, sizeof(gdt)))
		return err_set(EXIT_USAGE, "guest memory too small for the GDT");
	return 0;
}

int arch_boot_tables(struct vm *vm)
{
	if (acpi_build(&vm->mem, vm->ncpus) < 0)
		return -1;
	if (vm->boot.mode == CPU_MODE_REAL16)
		return 0;
	return gdt_write(vm);
}

void x86_seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type, bool l, bool db)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xFFFFFFFF;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

static void seg_real(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = (uint64_t)sel << 4;
	s->limit = 0xFFFF;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
}

static int setup_sregs(struct vcpu *vcpu, struct kvm_regs *regs)
{
	struct vm *vm = vcpu->vm;
	const struct boot_state *b = &vm->boot;
	struct kvm_sregs sregs;
	struct kvm_segment code, data;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return err_set(EXIT_HOST, "KVM_GET_SREGS failed: %s", strerror(errno));

	if (b->mode == CPU_MODE_REAL16) {
		/*
		 * Boot-sector convention: segments 0 and IP = entry while the
		 * entry is in the first 64 KiB; beyond that CS = entry >> 4.
		 */
		uint16_t seg = b->entry < 0x10000 ? 0 : (uint16_t)(b->entry >> 4);

		seg_real(&code, seg, 0xB);
		seg_real(&data, seg, 0x3);
		sregs.cs = code;
		sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
		sregs.cr0 = CR0_ET;
		regs->rip = b->entry - ((uint64_t)seg << 4);
		regs->rsp = b->rsp ? b->rsp - ((uint64_t)seg << 4) : 0;
	} else {
		bool l = b->mode == CPU_MODE_LONG64;

		x86_seg_flat(&code, GDT_SEL_CODE, 0xB, l, !l);
		x86_seg_flat(&data, GDT_SEL_DATA, 0x3, false, true);
		sregs.cs = code;
		sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
		sregs.gdt.base = LAYOUT_GDT;
		sregs.gdt.limit = GDT_ENTRIES * 8 - 1;
		sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
		/* SSE usable from the first instruction: compilers emit it freely. */
		sregs.cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
		if (l) {
			uint64_t cr3;

			if (pagetable_build(&vm->mem, &cr3) < 0)
				return -1;
			sregs.cr3 = cr3;
			sregs.cr4 |= CR4_PAE;
			sregs.cr0 |= CR0_PG | CR0_WP;
			sregs.efer = EFER_LME | EFER_LMA;
		}
		regs->rip = b->entry;
		regs->rsp = b->rsp;
	}
	if (b->mode != CPU_MODE_REAL16) {
		/* VT-x refuses protected or long mode without a busy TSS in TR. */
		sregs.tr.type = 11;
		sregs.tr.present = 1;
		sregs.tr.s = 0;
	}
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return err_set(EXIT_HOST, "KVM_SET_SREGS failed: %s", strerror(errno));
	return 0;
}

/*
 * Does this host's KVM run guests in hardware (VT-x/AMD-V), or through its
 * instruction emulator (PVM and other software KVMs)? The CPU flags tell.
 */
bool x86_host_kvm_is_emulated(void)
{
	static int cached = -1;
	char line[4096];
	FILE *f;

	if (cached >= 0)
		return cached;
	cached = 0;
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) == 0) {
			cached = !strstr(line, " vmx") && !strstr(line, " svm");
			break;
		}
	}
	fclose(f);
	return cached;
}

/* The words the table in hidden_features.c gives, where this host needs them. */
/*
 * A PC has no device tree: Linux (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y)
 * finds each virtio-mmio slot by a virtio_mmio.device=SIZE@ADDR:IRQ word
 * (layout.h's slots, one per --share).
 */
const char *arch_kernel_cmdline_extra(const struct vm_config *cfg)
{
	static const int irqs[] = LAYOUT_VIRTIO_IRQS;
	static char line[1024];
	const char *features = x86_linux_cmdline_extra(x86_host_kvm_is_emulated(), cfg->append);
	size_t len;

	if (!cfg->nshares)
		return features;
	len = (size_t)snprintf(line, sizeof(line), "%s", features ? features : "");
	for (int i = 0; i < cfg->nshares && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%svirtio_mmio.device=4K@%#llx:%d",
					len ? " " : "",
					LAYOUT_VIRTIO_BASE + (unsigned long long)i * LAYOUT_VIRTIO_STRIDE, irqs[i]);
	return line;
}

static int setup_cpuid(struct vcpu *vcpu)
{
	struct kvm_cpuid2 *src = vcpu->vm->arch.cpuid;
	size_t size = sizeof(*src) + src->nent * sizeof(src->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	int ret = 0;

	if (!c)
		return err_set(EXIT_HOST, "out of memory");
	memcpy(c, src, size);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* Initial APIC ID in EBX[31:24]; ECX[31]: running under a hypervisor. */
			e->ebx = (e->ebx & 0x00FFFFFF) | ((uint32_t)vcpu->id << 24);
			e->ecx |= 1U << 31;
			break;
		case 0xB:
		case 0x1F:
			/* x2APIC ID of this logical processor, every sub-leaf. */
			e->edx = (uint32_t)vcpu->id;
			break;
		}
		if (x86_host_kvm_is_emulated())
			x86_features_hide(e);
	}
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
		ret = err_set(EXIT_HOST, "KVM_SET_CPUID2 failed: %s", strerror(errno));
	free(c);
	return ret;
}

int arch_vcpu_init(struct vcpu *vcpu)
{
	/* KVM resets the FPU (FCW 0x37f, MXCSR 0x1f80) itself when it creates a vCPU. */
	if (setup_cpuid(vcpu) < 0)
		return -1;
	return arch_vcpu_reset(vcpu);
}

/* The MSRs a VMM sets at reset (SDM vol. 3 §9.1 and the MSR tables). */
static int setup_msrs(struct vcpu *vcpu)
{
	static const struct {
		uint32_t index;
		uint64_t value;
	} init[] = {
		{ MSR_IA32_MISC_ENABLE, 1 }, /* fast-string operations enabled */
		{ MSR_IA32_SYSENTER_CS, 0 },
		{ MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 },
		{ MSR_STAR, 0 },
		{ MSR_LSTAR, 0 },
		{ MSR_CSTAR, 0 },
		{ MSR_SFMASK, 0 },
		{ MSR_KERNEL_GS_BASE, 0 },
	};
	enum { N = sizeof(init) / sizeof(init[0]) };
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[N];
	} m;
	int done;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = N;
	for (int i = 0; i < N; i++) {
		m.e[i].index = init[i].index;
		m.e[i].data = init[i].value;
	}
	done = ioctl(vcpu->fd, KVM_SET_MSRS, &m);
	if (done < 0)
		return err_set(EXIT_HOST, "KVM_SET_MSRS failed: %s", strerror(errno));
	if (done < N)
		return err_set(EXIT_HOST, "KVM_SET_MSRS refused MSR %#x", init[done].index);
	return 0;
}

int arch_vcpu_reset(struct vcpu *vcpu)
{
	struct kvm_regs regs;
	struct kvm_mp_state mp;

	if (setup_msrs(vcpu) < 0)
		return -1;
	if (vcpu->id != 0) {
		/* Application processors sleep in the LAPIC until INIT-SIPI-SIPI. */
		mp.mp_state = KVM_MP_STATE_UNINITIALIZED;
		if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
			return err_set(EXIT_HOST, "KVM_SET_MP_STATE failed: %s", strerror(errno));
		return 0;
	}
	/* Runnable, also after a reset that caught the boot CPU halted. */
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		return err_set(EXIT_HOST, "KVM_SET_MP_STATE failed: %s", strerror(errno));
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2; /* bit 1 is reserved and always set */
	if (setup_sregs(vcpu, &regs) < 0)
		return -1;
	regs.rax = vcpu->vm->boot.rax;
	regs.rbx = vcpu->vm->boot.rbx;
	regs.rsi = vcpu->vm->boot.rsi;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return err_set(EXIT_HOST, "KVM_SET_REGS failed: %s", strerror(errno));
	return 0;
}
