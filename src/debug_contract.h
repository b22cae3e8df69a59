/* SPDX-License-Identifier: MIT */
/*
 * The debugger <-> VM contract, all of it (cloud-hypervisor's Debuggable
 * trait, written in C). The debugger (src/debug*.c) uses nothing of the VM
 * but what this file declares and the fields of struct vm and struct vcpu;
 * the core and the arch know nothing of the debugger but this file.
 *
 *          gdb
 *           |  the GDB Remote Serial Protocol
 *        gdbstub/      the protocol, no KVM: it asks a target for what it
 *           |          needs through struct gdb_target_ops (gdbstub/gdbstub.h),
 *           |          the library's own seam
 *     src/debug*.c     the debugger: gdb_target_ops done with KVM
 *        |       \
 *  part 1|        \part 2 (calls)     part 3 (hooks the core calls back)
 *        v         v                       ^
 *   the arch      the core: vm.c, runctl.c, vcpu.c, memslot.c
 *   (src/x86/)
 *
 * Part 1: what every architecture gives the debugger (x86: registers in
 *         src/x86/regs.c; debug registers, debug exits, translation and
 *         monitor commands in debug_hw.c; the host probe in probe.c; gcore's
 *         memory map in coredump.c).
 * Part 2: what the core gives the debugger: run control (pause, resume,
 *         hold, stop one vCPU; src/runctl.c, where the states are drawn),
 *         protected pages (src/memslot.c), reset.
 * Part 3: what the debugger plugs into the core: struct vm_hooks.
 * First, the words all three parts use.
 */
#ifndef MINIKVM_DEBUG_CONTRACT_H
#define MINIKVM_DEBUG_CONTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct vcpu;
struct pollfd;
struct gdb_arch;
struct gdb_console;
struct gdb_monitor_cmd;
struct gdb_mem_region;

/* ======== The words ======== */

/* What a vCPU does when the VM is not paused (set while it is parked). */
enum vcpu_run_mode {
	VCPU_CONTINUE,   /* run freely */
	VCPU_STAY,       /* stay parked (gdb's scheduler-locking) */
	VCPU_STEP,       /* one instruction, then stop the VM */
	VCPU_RANGE_STEP, /* step while RIP is in [range_start, range_end), then stop */
};

/* Why a vCPU stopped the VM (for the debugger). */
enum vcpu_stop_kind {
	VCPU_STOP_NONE,
	VCPU_STOP_STEP,        /* a single step (or range step) finished */
	VCPU_STOP_SWBREAK,     /* one of the debugger's software breakpoints */
	VCPU_STOP_HWBREAK,     /* a debug-register execution breakpoint */
	VCPU_STOP_WATCH,       /* write watchpoint; addr = the watched address */
	VCPU_STOP_RWATCH,      /* read watchpoint */
	VCPU_STOP_AWATCH,      /* access watchpoint */
	VCPU_STOP_INTERRUPT,   /* non-stop: gdb's ^C (vCtrlC) stopped this vCPU */
	VCPU_STOP_CRASH,       /* the guest crashed (triple fault, ...) */
	VCPU_STOP_EXITED,      /* the guest asked to end */
};

struct vcpu_stop {
	enum vcpu_stop_kind kind;
	uint64_t addr;
};

/*
 * What gdb asked of one vCPU at a resume (vm_resume_vcpus): keep what it
 * does, or run as mode says; a vCPU stopped with VCPU_STAY in non-stop mode
 * reports stop_kind.
 */
struct vcpu_order {
	bool keep;
	enum vcpu_run_mode mode;
	uint64_t range_start, range_end;  /* VCPU_RANGE_STEP */
	enum vcpu_stop_kind stop_kind;    /* VCPU_STAY, non-stop */
};

/*
 * A debug event as the CPU reported it: facts only (arch_debug_exit,
 * arch_emulation_failure). Whether it is the debugger's and what to do
 * about it is the debugger's call (struct vm_hooks), carried out by the
 * run loop.
 */
enum vcpu_debug_kind {
	VCPU_DEBUG_NONE,
	VCPU_DEBUG_BREAK_INSN, /* the arch's breakpoint instruction (x86: int3) at pc */
	VCPU_DEBUG_IO_INSN,    /* the debugger's I/O breakpoint instruction at pc, already undone */
	VCPU_DEBUG_DR,         /* debug-register slot `slot` fired; pc is where the vCPU is */
	VCPU_DEBUG_STEP,       /* a single step ended at pc */
};

struct vcpu_debug_event {
	enum vcpu_debug_kind kind;
	uint64_t pc;           /* linear address (x86: CS base + RIP) */
	unsigned slot;
};

/* The debugger's decision on a debug event. */
enum vcpu_verdict {
	VCPU_RUN_ON,      /* nothing for the debugger (or a step inside a range): run on */
	VCPU_STOP_VM,     /* stop the VM for gdb (why says why) */
	VCPU_STEP_OVER,   /* one of its breakpoints, condition false: step over it, run on */
	VCPU_REINJECT,    /* the guest's own breakpoint instruction: give the guest its exception */
};

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

/* What the arch code needs to program KVM_SET_GUEST_DEBUG: the slots the debugger fills. */
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

/* ======== Part 1: what every architecture gives the debugger ======== */

/* Registers: gdb's layout for this VM's image (its target description), and the registers in it. */
const struct gdb_arch *arch_gdb_layout(const struct vm *vm);
int arch_gdb_read_regs(struct vcpu *vcpu, uint8_t *buf);
int arch_gdb_read_reg(struct vcpu *vcpu, unsigned regno, uint8_t *buf);
/* regno < 0: buf holds every register; else just that one. */
int arch_gdb_write_regs(struct vcpu *vcpu, const uint8_t *buf, int regno);

/*
 * Memory: guest-virtual -> guest-physical through the vCPU's page tables;
 * -EFAULT if unmapped. *span: the bytes from gva to the end of its page
 * (4 KiB, 2 MiB, 1 GiB...; UINT64_MAX with paging off), all mapped alike.
 */
int arch_translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa, uint64_t *span);
/*
 * The memory a core of the guest should hold as vcpu sees it, for gdb's
 * `gcore` (gdbstub's memory_regions op; src/x86/coredump.c says what is in
 * it): fn per region, ascending. 0, fn's non-zero value, or -errno.
 */
int arch_gdb_memory_regions(struct vcpu *vcpu, int (*fn)(void *fnctx, const struct gdb_mem_region *r),
			    void *fnctx);

/*
 * Breakpoints: the software breakpoint instruction for gdb's KIND (the
 * length of the instruction it replaces): its bytes in insn, how many
 * (1..ARCH_BP_MAX), or -EINVAL for a KIND the arch has none for. x86: int3,
 * one byte, whatever the KIND; RISC-V: c.ebreak for 2, ebreak for 4.
 */
#define ARCH_BP_MAX 4
int arch_breakpoint_insn(uint64_t kind, uint8_t insn[ARCH_BP_MAX]);
/*
 * An instruction that leaves the guest for the VMM on every KVM, for hosts
 * where the breakpoint instruction does not (x86: the one-byte `in al, dx`,
 * a KVM_EXIT_IO): as arch_breakpoint_insn, 0 where the breakpoint
 * instruction always reaches us (RISC-V: ebreak, a KVM_EXIT_DEBUG on every
 * host). arch_io_exit_pc gives the address of the instruction behind the
 * current KVM_EXIT_IO if it is that one (else -1); the run loop undoes it
 * (the registers as before the exit).
 */
int arch_io_breakpoint_insn(uint64_t kind, uint8_t insn[ARCH_BP_MAX]);
int arch_io_exit_pc(struct vcpu *vcpu, uint64_t *pc);
/* Is the vCPU in real mode (breakpoints there may need another mechanism)? */
bool arch_vcpu_real_mode(struct vcpu *vcpu);

/*
 * Breakpoints, watchpoints and steps in the hardware: program
 * KVM_SET_GUEST_DEBUG from the debugger's slots and the vCPU's run mode
 * (step, range step, stepping over a breakpoint); st NULL: off.
 */
int arch_vcpu_set_debug(struct vcpu *vcpu, const struct debug_arch_state *st);
/* What a KVM_EXIT_DEBUG says happened: facts only (which slot, a step, int3 at pc). */
void arch_debug_exit(struct vcpu *vcpu, struct vcpu_debug_event *ev);

/* The host: what its KVM can do for a debugger; probed once with tiny VMs, one per CPU mode. */
int arch_debug_probe(int kvm_fd, struct debug_host_caps *caps);
/*
 * For people: the method the debugger picks for each job on this host and
 * why, a line each (-v); with table, first what the probe saw in each
 * mode (--host-report).
 */
void arch_debug_report(FILE *out, const struct debug_host_caps *caps, bool table);
/* For --host-report: the host CPU and its KVM (model, virtualization, paging levels, KVM API). */
void arch_host_report(FILE *out, int kvm_fd);

/* For people: "vCPU 1, long mode, halted", and the arch's monitor commands. */
int arch_describe_vcpu(struct vcpu *vcpu, char *buf, size_t size);
extern const struct gdb_monitor_cmd *const arch_monitor_cmds;
/* -ENOENT for a command that is not the arch's own. */
int arch_monitor(struct vcpu *vcpu, const char *cmd, struct gdb_console *out);

/* ======== Part 2: what the core gives the debugger ======== */

/*
 * Run control (src/runctl.c; its header draws the states). All-stop, from
 * the event-loop thread: vm_pause() returns once every vCPU is parked
 * (registers and memory are then stable); vm_resume() lets each vCPU go on
 * as its vcpu->mode says.
 */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
/* gdb's resume: each vCPU's order (n of them), then all-stop resumes, non-stop changes only those. */
void vm_resume_vcpus(struct vm *vm, const struct vcpu_order *orders, unsigned n);
/* Before vm_run (--wait-gdb): the vCPUs park at once; gdb's first resume starts them. */
void vm_pause_at_start(struct vm *vm);
/*
 * Non-stop: park every vCPU for a moment (vm_hold returns once all are),
 * without stopping any for gdb: vm_release lets the running ones go on
 * and the stopped ones (VCPU_STAY) stay.
 */
void vm_hold(struct vm *vm);
void vm_release(struct vm *vm);
/*
 * gdb's non-stop mode on (every vCPU, stopped in all-stop, stays stopped on
 * its own) or off (every vCPU stops: all-stop again; returns once all are
 * parked).
 */
void vm_set_non_stop(struct vm *vm, bool on);
/* gdb left: all-stop, every vCPU continues. */
void vm_detach(struct vm *vm);
/*
 * From a vCPU thread: this vCPU stops the VM for the debugger. True if it
 * was first (the others are being stopped, and this vCPU reports the stop
 * to gdb once all are parked: the report_stop hook); false if the VM was
 * already pausing, and the event is dropped (a breakpoint will hit again).
 * In non-stop mode only this vCPU stops (VCPU_STAY) and reports at once;
 * always true.
 */
bool vm_debug_stop(struct vm *vm, struct vcpu *vcpu, const struct vcpu_stop *why);

/*
 * Re-map guest RAM so that the given pages (guest-physical, 4 KiB aligned)
 * are read-only to the guest: its writes there become MMIO exits (the mmio
 * hook). A page given with VM_PAGE_NO_ACCESS or'ed in gets no memory slot
 * at all, so its reads exit too (instructions cannot be fetched from it).
 * VM paused. src/memslot.c.
 */
#define VM_PAGE_NO_ACCESS 1ULL
int vm_protect_pages(struct vm *vm, const uint64_t *pages, int n);
/*
 * Reload the image (into fresh memory: on any error the guest is left as it
 * was), put every device and vCPU back to its boot state. keep_width: the
 * image must still be 64-bit (or 32-bit) code, as a connected debugger's
 * register layout depends on it. VM paused.
 */
int vm_reset(struct vm *vm, bool keep_width);

/* ======== Part 3: what the debugger plugs into the core ======== */

/*
 * The debugger (src/debug.c) registers these with vm_set_hooks(), as
 * Solo5's gdb module registers its VM-exit hook. The core calls them and
 * never includes the debugger's headers; a VMM built without the debugger
 * runs with none. Any may be NULL.
 */
struct vm_hooks {
	/* The event loop's thread. */
	int (*poll_fds)(void *ctx, struct pollfd *pfd, int max); /* fds to poll: how many */
	void (*handle_fds)(void *ctx, const struct pollfd *pfd, int n);
	void (*started)(void *ctx);                      /* the vCPU threads run */
	void (*ending)(void *ctx, int status, bool crashed); /* the VM is ending */
	void (*free)(void *ctx);                         /* vm_destroy */

	/* vCPU threads. */
	/* Before KVM_RUN when vcpu->debug_dirty or a step-over begins or ends: program guest debug. */
	int (*apply_debug)(void *ctx, struct vcpu *vcpu);
	/*
	 * A KVM_EXIT_DEBUG: decide (arch_debug_exit gives the facts, into ev:
	 * the run loop needs them to give the guest its own breakpoint).
	 */
	enum vcpu_verdict (*debug_exit)(void *ctx, struct vcpu *vcpu, struct vcpu_debug_event *ev,
					struct vcpu_stop *why);
	/* A debug event found another way (emulation failure, an I/O breakpoint): decide. */
	enum vcpu_verdict (*debug_event)(void *ctx, struct vcpu *vcpu,
					 const struct vcpu_debug_event *ev, struct vcpu_stop *why);
	/* A KVM_EXIT_IO: the debugger's I/O breakpoint? Then true, ev filled; the run loop undoes the IN. */
	bool (*claim_io)(void *ctx, struct vcpu *vcpu, struct vcpu_debug_event *ev);
	/* A KVM_EXIT_MMIO on RAM the debugger protected: <0 not its page, 0 done, 1 done and stop. */
	int (*mmio)(void *ctx, struct vcpu *vcpu, uint64_t gpa, uint8_t *data, unsigned len,
		    bool write, struct vcpu_stop *why);
	/*
	 * After vm_debug_stop(), from the stopping vCPU's thread: every vCPU is
	 * parked (all-stop), or this one is (non-stop): tell gdb.
	 */
	void (*report_stop)(void *ctx, struct vcpu *vcpu);
	/*
	 * Then, all-stop, from the same thread: serve gdb's packets here while
	 * the VM stays stopped, so that the resume they end with needs no
	 * hand-off to a vCPU thread (src/gdb_conn.c). Returns when the VM
	 * resumes or ends, or the event loop takes the connection back.
	 */
	void (*serve_stopped)(void *ctx, struct vcpu *vcpu);
	/* Step-over of a breakpoint (src/step_over.c): take it out of the guest (lift) or put it back. */
	void (*step_over)(void *ctx, struct vcpu *vcpu, bool lift);
};

/* Plug an observer (the debugger) in; before vm_run. */
void vm_set_hooks(struct vm *vm, const struct vm_hooks *hooks, void *ctx);

#endif
