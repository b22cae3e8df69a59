/* SPDX-License-Identifier: MIT */
/*
 * The contract between the debugger (src/debug*.c) and the arch's debug
 * hardware (src/x86/debug_hw.c, src/x86/probe.c): the breakpoint and
 * watchpoint slots the debugger fills and the arch programs, and what the
 * host's KVM was found able to do. Plain data, so that the arch code needs
 * nothing else of the debugger.
 */
#ifndef MINIKVM_DEBUG_ARCH_H
#define MINIKVM_DEBUG_ARCH_H

#include <stdbool.h>
#include <stdint.h>

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
	uint64_t kind; /* gdb's KIND (the debugger's identity of the slot; not for the arch) */
	/*
	 * A read watchpoint: x86 debug registers fire on reads and writes alike
	 * (RW=11; there is no read-only kind), so the debugger keeps the value
	 * it last saw and takes a hit that changed it for a write (not for the arch).
	 */
	bool seen_valid;
	uint8_t seen[8];
};

#define DEBUG_HW_SLOTS 4

/* What the arch code needs to program KVM_SET_GUEST_DEBUG. */
struct debug_arch_state {
	struct debug_hw_slot hw[DEBUG_HW_SLOTS];
	bool sw_breakpoints;  /* at least one software breakpoint is inserted */
	bool step_irq;        /* let interrupts in while single-stepping (monitor step-irq on) */
	bool block_irq;       /* the host can hold interrupts back while stepping */
};

/*
 * The three kinds of KVM a debugger meets (probed, see src/x86/probe.c):
 * one that behaves as VT-x/AMD-V hardware does, where every debug exit
 * arrives in every CPU mode; PVM, which runs guests through KVM's
 * instruction emulator (int3 ends in an emulation failure, data breakpoints
 * never fire); and one where some debug exits never arrive, or only in some
 * modes (a nested KVM on an emulated AMD-V: QEMU 7.2's gives int3 to the
 * guest and never fires a debug register; QEMU 10's intercepts int3 in
 * some modes only). The kind is a label for people; the methods follow the
 * probed behaviour.
 */
enum debug_host_kind { DEBUG_HOST_HARDWARE, DEBUG_HOST_PVM, DEBUG_HOST_EMULATED };

/* What the probe saw in one CPU mode (the arch names the modes). */
struct debug_probe_row {
	const char *mode;
	bool tested;        /* a vCPU ran in this mode */
	bool absent;        /* the CPU does not offer this mode */
	bool int3;          /* an int3 exited to us */
	bool int3_to_guest; /* ... or went to the guest's own handler */
	bool dr_exec;       /* a debug-register execute breakpoint fired */
	bool dr_write;      /* a write watchpoint fired */
	bool dr_read;       /* a read/write watchpoint fired on a read */
	bool io_exit;       /* a port I/O instruction exited to us */
	bool step;          /* single steps ended after each instruction */
};

#define DEBUG_PROBE_ROWS 8

/* What the host's KVM can do, probed once (arch_debug_probe). */
struct debug_host_caps {
	enum debug_host_kind kind;
	int nrows;
	struct debug_probe_row rows[DEBUG_PROBE_ROWS];
	bool step;             /* single steps work in every mode tested */
	bool sw_bp;            /* int3 in protected/long mode comes to us (a debug exit, in
				  every mode tested, or, on PVM, an emulation failure) */
	bool dr_exec;          /* debug-register execute breakpoints fire (in every mode) */
	bool dr_write_watch;   /* debug-register write watchpoints fire (in every mode) */
	bool dr_read_watch;    /* debug-register read/access watchpoints fire (in every mode) */
	bool readonly_mem;     /* KVM_MEM_READONLY slots (software write watchpoints) */
	bool block_irq;        /* KVM_GUESTDBG_BLOCKIRQ */
	bool sw_bp_real_mode;  /* a real-mode int3 exits to us (else: debug registers) */
};

#endif
