/* SPDX-License-Identifier: MIT */
/*
 * The debugger: minikvm's implementation of gdbstub's target operations
 * with KVM, and the connection to gdb. gdbstub/ speaks the protocol; this
 * file's debug.c decides what "stop", "step", "read memory at a virtual
 * address" and "insert a breakpoint" mean for a KVM guest. x86 specifics
 * (registers, debug registers, page walks) are in src/x86/debug.c.
 *
 * Threads: everything here runs in the event-loop thread, except
 * debug_watched_access() and debug_is_breakpoint(), which vCPU threads call
 * while the VM runs; the breakpoint and watchpoint tables they read change
 * only while every vCPU is parked.
 */
#ifndef MINIKVM_DEBUG_H
#define MINIKVM_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;
struct vcpu_stop;
struct debug;
struct pollfd;

/* One of the four x86 debug-register slots (or the equivalent elsewhere). */
enum debug_hw_type { DEBUG_HW_EXEC, DEBUG_HW_WRITE, DEBUG_HW_READ, DEBUG_HW_ACCESS };

struct debug_hw_slot {
	bool used;
	bool for_sw;      /* stands in for a software breakpoint the host cannot do */
	bool patched;     /* an execute breakpoint done by patching the code (see debug_bp.c):
			     the host's debug registers never fire */
	enum debug_hw_type type;
	uint64_t addr;
	unsigned len; /* 1, 2, 4 or 8 */
};

#define DEBUG_HW_SLOTS 4
#define DEBUG_MAX_SW_BREAKPOINTS 256
#define DEBUG_MAX_WATCH 64

/* What the arch code needs to program KVM_SET_GUEST_DEBUG. */
struct debug_arch_state {
	struct debug_hw_slot hw[DEBUG_HW_SLOTS];
	bool sw_breakpoints;  /* at least one software breakpoint is inserted */
	bool step_irq;        /* let interrupts in while single-stepping (monitor step-irq on) */
	bool block_irq;       /* the host can hold interrupts back while stepping */
};

/*
 * The three kinds of KVM a debugger meets (probed, see src/x86/probe.c):
 * VT-x/AMD-V in hardware, where every debug exit arrives; PVM, which runs
 * guests through KVM's instruction emulator (int3 ends in an emulation
 * failure, data breakpoints never fire); and a nested KVM whose AMD-V is
 * itself emulated (QEMU TCG), where int3 goes to the guest and debug
 * registers never fire, but single steps work.
 */
enum debug_host_kind { DEBUG_HOST_HARDWARE, DEBUG_HOST_PVM, DEBUG_HOST_EMULATED };

/* What the host's KVM can do, probed once (debug_probe_host). */
struct debug_host_caps {
	enum debug_host_kind kind;
	bool sw_bp;            /* int3 in protected/long mode comes to us (a debug exit or,
				  on PVM, an emulation failure) */
	bool dr_exec;          /* debug-register execute breakpoints fire */
	bool dr_write_watch;   /* debug-register write watchpoints fire */
	bool dr_read_watch;    /* debug-register read/access watchpoints fire */
	bool readonly_mem;     /* KVM_MEM_READONLY slots (software write watchpoints) */
	bool block_irq;        /* KVM_GUESTDBG_BLOCKIRQ */
	bool sw_bp_real_mode;  /* a real-mode int3 exits to us (else: debug registers) */
};

/* Set up the debugger for vm per vm->cfg (listen on the gdb endpoint). */
int debug_create(struct vm *vm);
void debug_free(struct vm *vm);
/* The vCPU threads run (or wait, with -S): a stdio debugger can connect now. */
void debug_start(struct vm *vm);

/* Event loop: fds to poll (returns how many were filled) and what to do when they fire. */
int debug_poll_fds(struct vm *vm, struct pollfd *pfd, int max);
void debug_handle_fds(struct vm *vm, const struct pollfd *pfd, int n);
/*
 * From the vCPU thread that stopped the VM (vm_debug_stop), once every vCPU
 * is parked: tell gdb, or let the guest go on if gdb has left.
 */
void debug_report_stop(struct vm *vm);
/* The VM is ending (guest exit or crash): tell gdb. */
void debug_vm_ending(struct vm *vm, int status, bool crashed);

/* vCPU threads. */
bool debug_is_breakpoint(struct debug *dbg, uint64_t addr);
/*
 * A KVM_EXIT_IO: if it is an `in al, dx` the debugger patched in as a
 * breakpoint (hosts where int3 or debug registers do not reach us), undo the
 * IN and handle the hit; true then, and the exit is not I/O.
 */
bool debug_io_breakpoint(struct debug *dbg, struct vcpu *vcpu);
/* "hardware VT-x/AMD-V", "PVM (KVM's instruction emulator)", ... */
const char *debug_host_kind_name(enum debug_host_kind kind);
/*
 * A vCPU hit one of the debugger's breakpoints (why->kind SWBREAK or
 * HWBREAK at why->addr). Evaluates gdb's condition for it, if any, right
 * here in the vCPU thread: if it holds (or there is none), the VM stops for
 * gdb; if not, the vCPU steps over the breakpoint and runs on, and gdb
 * never hears of it.
 */
void debug_breakpoint_hit(struct vcpu *vcpu, const struct vcpu_stop *why);
/*
 * An MMIO exit on RAM the debugger protected (read-only or unmapped, for a
 * watchpoint or a patched breakpoint): do the access, maybe stop. False if
 * gpa is not such a page.
 */
bool debug_watched_access(struct debug *dbg, struct vcpu *vcpu, uint64_t gpa, uint8_t *data,
			  unsigned len, bool write);
const struct debug_arch_state *debug_arch_state(const struct debug *dbg);

#endif
