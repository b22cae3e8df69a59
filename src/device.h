/* SPDX-License-Identifier: MIT */
/*
 * Devices and their lifecycle. Each device is a descriptor
 *
 *   { name, level, init, reset, stop, exit, save, load }
 *
 * that registers itself (kvmtool's habit): a device file ends with
 * device_register(its_descriptor), so neither main() nor vm.c keeps a list
 * of devices. vm.c drives them all:
 *
 *   devices_init_all()   vm_create(): every init, level by level
 *   devices_reset_all()  vm_reset() (monitor reset): every device back to
 *                        what its registers read at power-on
 *   devices_stop_all()   the VM is ending (vm_run(), before the vCPU
 *                        threads are joined): threads stop, in reverse order
 *   devices_exit_all()   vm_destroy(), after the vCPUs are gone: every exit
 *                        (stop first if not done), in reverse order
 *
 *   devices_list()       snapshot.c (monitor savevm/loadvm, --loadvm): each
 *                        device's save and load, in init order
 *
 * A device with state (a reset) must say what that state is: save and
 * load, or why it cannot be saved (unsaveable), or a snapshot of the VM
 * refuses to be taken ("device X cannot be saved") and
 * tests/unit/test_device.c fails. A device without state has
 * neither reset nor save nor load.
 *
 * Why stop and exit are two steps: a device thread (the PIT's) raises IRQ 0,
 * which may kick vCPU 0's thread, so it must end before vm_run() joins the
 * vCPU threads; but until they are joined a vCPU may still exit to the
 * device's ports, and after that --stats still reads the buses' device
 * names, so the memory behind the ports may go only in vm_destroy().
 *
 * Every step gets the struct device_host below: what a device may use of
 * the VM. Device files call nothing in vm.c, vcpu.c or the arch code.
 * One VM per process, so the host and the registry are process-wide.
 */
#ifndef MINIKVM_DEVICE_H
#define MINIKVM_DEVICE_H

#include <stdbool.h>

struct vm;
struct vcpu;
struct iobus;
struct console;
struct guest_mem;
struct kvm_regs;
struct state_writer;
struct state_reader;
struct vm_config;

/*
 * Init order, lowest first (reset in the same order; stop and exit in the
 * reverse one). Within a level, by name.
 */
enum device_level {
	DEVICE_LEVEL_IRQCHIP,    /* interrupt controllers: every other device drives their lines */
	DEVICE_LEVEL_TIMER,      /* timers: their threads raise lines from the start */
	DEVICE_LEVEL_PLATFORM,   /* the board: PCI host bridge, ACPI PM, RTC, keyboard controller */
	DEVICE_LEVEL_PERIPHERAL, /* the rest: UART, isa-debug-exit, hypercall port, POST port */
	DEVICE_LEVELS
};

struct device_host {
	struct iobus *pio, *mmio;   /* where a device puts its ranges (init) and takes them off (exit) */
	struct console *console;    /* the host side of the serial console */
	struct guest_mem *mem;      /* guest RAM, for a device that is handed buffers */
	/* The command line: what the user asked of devices (--share). NULL in some unit tests. */
	const struct vm_config *cfg;
	/* Drive an interrupt line (ISA IRQ or GSI) to level; < 0 if KVM refused. */
	int (*irq_line)(const struct device_host *host, int irq, int level);
	/* End the VM with an exit status (the first request wins); reason is for --verbose. */
	bool (*request_exit)(const struct device_host *host, int status, const char *reason);
	/* The registers of the vCPU whose access is being handled (the hypercall port's arguments). */
	int (*get_regs)(struct vcpu *vcpu, struct kvm_regs *regs);
	int (*set_regs)(struct vcpu *vcpu, const struct kvm_regs *regs);
	/*
	 * The VM itself, for the arch glue only (src/x86/irq.c wires the
	 * interrupt controllers into KVM); nothing in src/dev/ touches it.
	 */
	struct vm *vm;
};

struct device {
	const char *name;
	enum device_level level;
	/* Power-on state, ranges on the buses; < 0 with err_set() on failure. */
	int (*init)(const struct device_host *host);
	/* Back to power-on state; NULL only for a device with no state at all. */
	void (*reset)(const struct device_host *host);
	/* End the device's threads for good (its ports still answer); NULL if it has none. */
	void (*stop)(const struct device_host *host);
	/* Undo init: ranges off the buses, memory freed. Only called if init succeeded. */
	void (*exit)(const struct device_host *host);
	/*
	 * Snapshots (src/snapshot_state.h), with the VM paused. save appends the
	 * device's state to w; load takes it back from r, which may come from
	 * a file: every field is checked, and on -EINVAL (or a reader left
	 * bad or not at its end) the device keeps the state it had.
	 */
	void (*save)(const struct device_host *host, struct state_writer *w);
	int (*load)(const struct device_host *host, struct state_reader *r);
	/*
	 * Optional: why the device's state cannot go into a snapshot as the VM
	 * is now (host state the file cannot hold: the 9p share's open files),
	 * or NULL when it can. savevm and loadvm are then refused with it. A
	 * device with this hook may have a reset and no save/load: it has no
	 * state a snapshot needs while the hook says NULL.
	 */
	const char *(*unsaveable)(const struct device_host *host);
};

/* From a constructor, before main(); use device_register(). */
void device_add(const struct device *dev);

#define device_register(desc)                                                  \
	static void __attribute__((constructor)) desc##__register(void)        \
	{                                                                      \
		device_add(&(desc));                                           \
	}

/* Init every device, level by level; stops at the first that fails (-1, err_set()). */
int devices_init_all(struct vm *vm);
void devices_reset_all(struct vm *vm);
void devices_stop_all(struct vm *vm);
/* Exit every device that init reached; harmless if devices_init_all() never ran. */
void devices_exit_all(struct vm *vm);
/* The devices init reached, in init order (*host: what to pass them); how many. */
int devices_list(const struct device *const **list, const struct device_host **host);
/* Every registered device, initialised or not (unit tests check their descriptors). */
int devices_registered(const struct device *const **list);

#endif
