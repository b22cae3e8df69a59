/* SPDX-License-Identifier: MIT */
/*
 * A machine with no KVM behind it (fake_machine.h). The fake KVM answers
 * the ioctls of src/x86/snapshot.c, src/x86/irq.c and the devices:
 *
 *   KVM_CHECK_EXTENSION      every capability, except KVM_CAP_XSAVE2
 *                            (so XSAVE areas are struct kvm_xsave's size)
 *   KVM_GET_MSR_INDEX_LIST   a handful of MSRs, E2BIG first as KVM does
 *   KVM_GET_MSRS             each MSR's value is its index times 3
 *   KVM_SET_MSRS             stops at FAKE_MSR_REFUSED, as KVM stops at
 *                            an MSR it refuses (how many it set)
 *   any other KVM_GET_*      zeros (a kvm_irqchip keeps its chip_id)
 *   anything else            0: accepted
 *
 * And CLOCK_MONOTONIC can run ahead (fake_clock_skew_ns), for the PIT.
 *
 * Nothing checks what a SET hands over: KVM checks it on a real host,
 * and what the fuzzer looks for is what minikvm does before that.
 */
#include "fake_machine.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "error.h"

/* Far above any fd a process gets (RLIMIT_NOFILE), so never a real file's. */
#define FAKE_KVM_FD  0x7ff00000
#define FAKE_VM_FD   (FAKE_KVM_FD + 1)
#define FAKE_VCPU_FD (FAKE_KVM_FD + 16)

static const uint32_t fake_msrs[] = { 0x10, 0x174, 0x6E0, 0xC0000080, 0xC0000100 };
#define NFAKE_MSRS (sizeof(fake_msrs) / sizeof(fake_msrs[0]))

static int fake_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case KVM_CHECK_EXTENSION:
		return (long)arg == KVM_CAP_XSAVE2 ? 0 : 1;
	case KVM_GET_MSR_INDEX_LIST: {
		struct kvm_msr_list *l = arg;
		uint32_t room = l->nmsrs;

		l->nmsrs = NFAKE_MSRS;
		if (room < NFAKE_MSRS) {
			errno = E2BIG;
			return -1;
		}
		memcpy(l->indices, fake_msrs, sizeof(fake_msrs));
		return 0;
	}
	case KVM_GET_MSRS: {
		struct kvm_msrs *m = arg;

		for (uint32_t i = 0; i < m->nmsrs; i++)
			m->entries[i].data = (uint64_t)m->entries[i].index * 3;
		return (int)m->nmsrs;
	}
	case KVM_SET_MSRS: {
		struct kvm_msrs *m = arg;
		uint32_t i = 0;

		while (i < m->nmsrs && m->entries[i].index != FAKE_MSR_REFUSED)
			i++;
		return (int)i;
	}
	case KVM_GET_IRQCHIP: {
		struct kvm_irqchip *c = arg;

		memset(&c->chip, 0, sizeof(c->chip));
		return 0;
	}
	}
	if ((_IOC_DIR(req) & _IOC_READ) && _IOC_TYPE(req) == KVMIO && arg)
		memset(arg, 0, _IOC_SIZE(req));
	return 0;
}

/* Overrides libc's (and the sanitizers' interceptor, which is weak): the fake fds are ours. */
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= FAKE_KVM_FD && fd < FAKE_VCPU_FD + MAX_CPUS)
		return fake_ioctl(req, arg);
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

__thread uint64_t fake_clock_skew_ns;

/* Overrides libc's (and the sanitizers' interceptor), as ioctl() above does. */
int clock_gettime(clockid_t clock, struct timespec *ts)
{
	uint64_t ns;

	if (syscall(SYS_clock_gettime, clock, ts) < 0)
		return -1;
	if (clock != CLOCK_MONOTONIC || !fake_clock_skew_ns)
		return 0;
	ns = (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec + fake_clock_skew_ns;
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
	return 0;
}

int fake_machine_resize(struct fake_machine *m, int ncpus, uint64_t mem_size)
{
	uint8_t *ram = calloc(1, mem_size ? mem_size : 1);

	if (!ram || ncpus < 1 || ncpus > MAX_CPUS) {
		free(ram);
		return err_set(EXIT_HOST, "fake machine: no room for %llu bytes of RAM",
			       (unsigned long long)mem_size);
	}
	free(m->ram);
	m->ram = ram;
	guest_mem_wrap(&m->vm.mem, ram, mem_size);
	m->cfg.mem_size = mem_size;
	m->cfg.cpus = ncpus;
	m->vm.ncpus = ncpus;
	for (int i = 0; i < MAX_CPUS; i++) {
		m->vcpus[i] = (struct vcpu){ .vm = &m->vm, .id = i, .fd = FAKE_VCPU_FD + i };
		m->vm.vcpus[i] = i < ncpus ? &m->vcpus[i] : NULL;
	}
	return 0;
}

int fake_machine_start(struct fake_machine *m, enum irqchip_mode irqchip, int ncpus,
		       uint64_t mem_size)
{
	memset(m, 0, sizeof(*m));
	m->cfg.irqchip = irqchip;
	m->vm.cfg = &m->cfg;
	m->vm.kvm_fd = FAKE_KVM_FD;
	m->vm.vm_fd = FAKE_VM_FD;
	m->vm.event_fd = -1;
	m->vm.stopper = -1;
	m->vm.pio.name = "pio";
	m->vm.mmio.name = "mmio";
	m->vm.arch.split_irqchip = irqchip == IRQCHIP_SPLIT;
	m->vm.arch.extint_vector = -1;
	pthread_mutex_init(&m->vm.run_lock, NULL);
	pthread_cond_init(&m->vm.run_cond, NULL);
	pthread_mutex_init(&m->vm.exit_lock, NULL);
	if (fake_machine_resize(m, ncpus, mem_size) < 0 ||
	    console_open_fds(&m->vm.console, CONSOLE_NO_INPUT, -1) < 0 ||
	    devices_init_all(&m->vm) < 0) {
		fake_machine_end(m);
		return -1;
	}
	/* No device thread: the ports answer, time passes only when the caller says. */
	devices_stop_all(&m->vm);
	return 0;
}

void fake_machine_end(struct fake_machine *m)
{
	devices_exit_all(&m->vm);
	console_close(&m->vm.console);
	pthread_mutex_destroy(&m->vm.run_lock);
	pthread_cond_destroy(&m->vm.run_cond);
	pthread_mutex_destroy(&m->vm.exit_lock);
	free(m->ram);
	m->ram = NULL;
}
