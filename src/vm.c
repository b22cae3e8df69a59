/* SPDX-License-Identifier: MIT */
/*
 * The VM: open /dev/kvm, create the VM file descriptor, give it memory
 * (memory slots, KVM_SET_USER_MEMORY_REGION: "guest-physical range X is
 * this host memory"; memslot.c), interrupt controllers, devices and vCPUs;
 * then run the event loop that owns the console and decides when the VM is
 * over. Which vCPUs may run (pause, resume, ...) is runctl.c's.
 *
 * Threads: one per vCPU (vcpu.c) and this one. The event loop sleeps in
 * ppoll() on: the VM's exit eventfd, SIGINT/SIGTERM (signalfd), console
 * input, and the console's "output pending" eventfd. Nothing busy-waits.
 */
#include "vm.h"
#include "arch.h"
#include "device.h"
#include "error.h"
#include "debug_contract.h"
#include "loader/loader.h"
#include "memslot.h"
#include "runctl.h"
#include "vcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int vm_open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
		return err_set(EXIT_HOST, "/dev/kvm does not exist: this host has no KVM "
			       "(%s, or run minikvm under the source tree's scripts/onkvm, which makes "
			       "an emulated one)", arch_kvm_hint);
	case EACCES:
	case EPERM:
		return err_set(EXIT_HOST, "no permission to open /dev/kvm: add your user to the "
			       "'kvm' group (then log in again) or run as root");
	default:
		return err_set(EXIT_HOST, "cannot open /dev/kvm: %s", strerror(errno));
	}
}

int vm_require_caps(int kvm_fd, const struct kvm_cap_need *caps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0)
			return err_set(EXIT_HOST, "this KVM lacks %s", caps[i].name);
	return 0;
}

/* The API version and what the core needs; the arch checks its own in arch_vm_init(). */
static int kvm_check(int kvm_fd)
{
	static const struct kvm_cap_need needed[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE" },
	};
	int v = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);

	if (v != KVM_API_VERSION)
		return err_set(EXIT_HOST, "KVM_GET_API_VERSION returned %d, expected %d", v,
			       KVM_API_VERSION);
	return vm_require_caps(kvm_fd, needed, sizeof(needed) / sizeof(needed[0]));
}

/* A file monitor reset reads again must be a regular file: a pipe would block or be empty. */
static int check_rereadable(const char *path, const char *what)
{
	struct stat st;

	if (!path)
		return 0;
	if (stat(path, &st) < 0)
		return err_set(EXIT_USAGE, "cannot read the %s '%s' again: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(EXIT_USAGE, "cannot read the %s '%s' again: not a regular file (a pipe "
			       "is read once, at start)", what, path);
	return 0;
}

int vm_reset(struct vm *vm, bool keep_width)
{
	const struct vm_config *cfg = vm->cfg;
	struct guest_mem fresh;
	struct boot_state boot;

	/*
	 * Load into fresh memory first: if the image is gone, broken or of the
	 * other width, the guest stays exactly as it was. Only then do the new
	 * pages take the old ones' place, at the same address, so the memory
	 * slots need no change (KVM drops its mappings of the old pages).
	 */
	if (!cfg->image)
		return err_set(EXIT_USAGE, "no image to reset to: the machine was started from --loadvm "
			       "without one");
	if (check_rereadable(cfg->image, "guest image") < 0 || check_rereadable(cfg->initrd, "initrd") < 0)
		return -1;
	for (int i = 0; i < cfg->nmodules; i++)
		if (check_rereadable(cfg->modules[i], "module") < 0)
			return -1;
	if (guest_mem_alloc(&fresh, vm->mem.size) < 0)
		return -1;
	memset(&boot, 0, sizeof(boot));
	if (loader_load(cfg, &fresh, &boot, arch_kernel_cmdline_extra(cfg)) < 0) {
		guest_mem_free(&fresh);
		return -1;
	}
	if (keep_width && boot.image_64bit != vm->boot.image_64bit) {
		guest_mem_free(&fresh);
		return err_set(EXIT_USAGE, "the image is now %d-bit code, was %d-bit: a connected "
			       "debugger's register layout cannot change (detach, then attach again)",
			       boot.image_64bit ? 64 : 32, vm->boot.image_64bit ? 64 : 32);
	}
	if (mremap(fresh.host, fresh.size, fresh.size, MREMAP_MAYMOVE | MREMAP_FIXED, vm->mem.host) ==
	    MAP_FAILED) {
		guest_mem_free(&fresh);
		return err_set(EXIT_HOST, "mremap of guest memory failed: %s", strerror(errno));
	}
	vm->boot = boot;
	vm->run_gen++;
	if (arch_boot_tables(vm) < 0)
		return -1;
	devices_reset_all(vm);
	for (int i = 0; i < vm->ncpus; i++) {
		vm->vcpus[i]->mode = VCPU_CONTINUE;
		vm->vcpus[i]->debug_dirty = true;
		if (arch_vcpu_reset(vm->vcpus[i]) < 0)
			return -1;
	}
	return 0;
}

static void verbose(const struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void verbose(const struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (!vm->cfg->verbose)
		return;
	va_start(ap, fmt);
	fputs("minikvm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const char *mode_name(enum cpu_mode m)
{
	return m == CPU_MODE_REAL16 ? "real mode" : m == CPU_MODE_PROT32 ? "32-bit protected mode"
	     : m == CPU_MODE_RISCV_S ? "S-mode" : "64-bit long mode";
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->event_fd = -1;
	vm->console.in_fd = vm->console.out_fd = vm->console.notify_fd = -1;
	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	vm->ncpus = cfg->cpus;
	pthread_mutex_init(&vm->exit_lock, NULL);
	runctl_init(vm);

	/*
	 * The image and the console first: a bad image or a --serial file that
	 * cannot be written is the user's error and needs no KVM to report.
	 */
	if (guest_mem_alloc(&vm->mem, cfg->mem_size) < 0)
		return -1;
	/* With --loadvm and no image the snapshot brings everything (main.c restores it). */
	if (cfg->image) {
		if (loader_load(cfg, &vm->mem, &vm->boot, arch_kernel_cmdline_extra(cfg)) < 0)
			return -1;
		verbose(vm, "%s: %s, loaded at %#llx-%#llx, entry %#llx", cfg->image,
			mode_name(vm->boot.mode), (unsigned long long)vm->boot.image_start,
			(unsigned long long)vm->boot.image_end, (unsigned long long)vm->boot.entry);
	}
	if (console_open(&vm->console, cfg->serial, cfg->serial_path) < 0)
		return -1;

	vm->kvm_fd = vm_open_kvm();
	if (vm->kvm_fd < 0 || kvm_check(vm->kvm_fd) < 0)
		return -1;
	do
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		return err_set(EXIT_HOST, "KVM_CREATE_VM failed: %s", strerror(errno));
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0)
		return err_set(EXIT_HOST, "KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
	if (arch_vm_init(vm) < 0 || memslot_map_ram(vm) < 0)
		return -1;
	if (GUEST_MEM_HOLE_START < GUEST_MEM_HIGH_START) /* a board with a hole in RAM: the PC */
		verbose(vm, "%llu MiB of RAM (%llu below the 3 GiB hole), %d vCPU%s",
			(unsigned long long)(vm->mem.size >> 20),
			(unsigned long long)(vm->mem.low_size >> 20), vm->ncpus, vm->ncpus > 1 ? "s" : "");
	else
		verbose(vm, "%llu MiB of RAM at %#llx, %d vCPU%s", (unsigned long long)(vm->mem.size >> 20),
			GUEST_MEM_BASE, vm->ncpus, vm->ncpus > 1 ? "s" : "");

	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0)
		return err_set(EXIT_HOST, "eventfd failed: %s", strerror(errno));
	if (devices_init_all(vm) < 0 || arch_boot_tables(vm) < 0)
		return -1;
	for (int i = 0; i < vm->ncpus; i++) {
		if (vcpu_create(vm, i, &vm->vcpus[i]) < 0 || arch_vcpu_init(vm->vcpus[i]) < 0)
			return -1;
	}
	return 0;
}

void vm_set_hooks(struct vm *vm, const struct vm_hooks *hooks, void *ctx)
{
	vm->hooks = hooks;
	vm->hooks_ctx = ctx;
	for (int i = 0; i < vm->ncpus; i++)
		vm->vcpus[i]->debug_dirty = true;
}

bool vm_request_exit(struct vm *vm, int status, const char *reason)
{
	uint64_t one = 1;
	bool first = false;

	pthread_mutex_lock(&vm->exit_lock);
	if (!atomic_load(&vm->exiting)) {
		vm->exit_status = status;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason), "%s", reason);
		atomic_store(&vm->exiting, true);
		first = true;
	}
	pthread_mutex_unlock(&vm->exit_lock);
	if (first) {
		/* Parked vCPUs must see it too. */
		runctl_wake_all(vm);
		if (write(vm->event_fd, &one, sizeof(one)) < 0) {
			/* An eventfd counter cannot overflow from one write. */
		}
	}
	return first;
}

static int64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

enum { PFD_EXIT, PFD_SIGNAL, PFD_NOTIFY, PFD_INPUT, PFD_DEBUG, PFD_MAX = PFD_DEBUG + 8 };

/* The event loop: returns when something asked the VM to end. */
static void event_loop(struct vm *vm, int sig_fd)
{
	struct console *con = &vm->console;
	int64_t flush_at = -1; /* when buffered output must be written, or -1 */

	while (!atomic_load(&vm->exiting)) {
		struct pollfd pfd[PFD_MAX] = {
			[PFD_EXIT] = { .fd = vm->event_fd, .events = POLLIN },
			[PFD_SIGNAL] = { .fd = sig_fd, .events = POLLIN },
			[PFD_NOTIFY] = { .fd = con->notify_fd, .events = POLLIN },
			[PFD_INPUT] = { .fd = console_wants_input(con) ? con->in_fd : -1, .events = POLLIN },
		};
		int ndebug = vm->hooks && vm->hooks->poll_fds ?
			     vm->hooks->poll_fds(vm->hooks_ctx, &pfd[PFD_DEBUG], PFD_MAX - PFD_DEBUG) : 0;
		struct timespec ts, *timeout = NULL;

		if (flush_at >= 0) {
			int64_t left = flush_at - now_usec();

			if (left <= 0) {
				console_flush(con);
				flush_at = -1;
				continue;
			}
			ts.tv_sec = left / 1000000;
			ts.tv_nsec = (left % 1000000) * 1000;
			timeout = &ts;
		}
		if (ppoll(pfd, (nfds_t)(PFD_DEBUG + ndebug), timeout, NULL) < 0) {
			if (errno == EINTR)
				continue;
			err_set(EXIT_HOST, "ppoll failed: %s", strerror(errno));
			vm_request_exit(vm, EXIT_HOST, err_message());
			break;
		}
		if (pfd[PFD_SIGNAL].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si))
				vm_request_exit(vm, 128 + (int)si.ssi_signo,
						si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
		}
		if (pfd[PFD_NOTIFY].revents & POLLIN) {
			console_clear_notify(con);
			/* Coalesce: whatever arrives in the next moment goes out in one write. */
			if (flush_at < 0)
				flush_at = now_usec() + CONSOLE_FLUSH_USEC;
		}
		if (pfd[PFD_INPUT].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
			if (console_read_input(con) == 1)
				vm_request_exit(vm, EXIT_GUEST_OK, "Ctrl-A x typed on the console");
		}
		if (ndebug)
			vm->hooks->handle_fds(vm->hooks_ctx, &pfd[PFD_DEBUG], ndebug);
	}
}

int vm_run(struct vm *vm)
{
	sigset_t sigs;
	int sig_fd;

	/* SIGINT/SIGTERM become events in the loop (main() blocked them at start). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		return err_set(EXIT_HOST, "signalfd failed: %s", strerror(errno));

	for (int i = 0; i < vm->ncpus; i++) {
		if (vcpu_start(vm->vcpus[i]) < 0) {
			vm_request_exit(vm, EXIT_HOST, err_message());
			break;
		}
	}
	if (vm->hooks && vm->hooks->started)
		vm->hooks->started(vm->hooks_ctx);
	event_loop(vm, sig_fd);
	/* Device threads (the PIT's) kick vCPUs: they end before the vCPU threads. */
	devices_stop_all(vm);
	if (vm->hooks && vm->hooks->ending)
		vm->hooks->ending(vm->hooks_ctx, vm->exit_status, vm->exit_status == EXIT_GUEST_CRASH);
	for (int i = 0; i < vm->ncpus; i++)
		vcpu_kick(vm->vcpus[i]);
	for (int i = 0; i < vm->ncpus; i++)
		vcpu_join(vm->vcpus[i]);
	close(sig_fd);
	console_flush(&vm->console);

	verbose(vm, "VM ended: %s (exit status %d)", vm->exit_reason, vm->exit_status);
	if (vm->cfg->stats)
		for (int i = 0; i < vm->ncpus; i++)
			vcpu_print_stats(vm->vcpus[i], stderr);
	return vm->exit_status;
}

void vm_destroy(struct vm *vm)
{
	if (vm->hooks && vm->hooks->free)
		vm->hooks->free(vm->hooks_ctx);
	vm->hooks = NULL;
	for (int i = 0; i < vm->ncpus; i++) {
		vcpu_destroy(vm->vcpus[i]);
		vm->vcpus[i] = NULL;
	}
	devices_exit_all(vm);
	console_close(&vm->console);
	arch_vm_free(vm);
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	guest_mem_free(&vm->mem);
	pthread_mutex_destroy(&vm->exit_lock);
	runctl_destroy(vm);
}
