/* SPDX-License-Identifier: MIT */
/*
 * The debugger: minikvm's implementation of gdbstub's target operations
 * with KVM, and the connection to gdb. gdbstub/ speaks the protocol; the
 * debugger decides what "stop", "step", "read memory at a virtual address"
 * and "insert a breakpoint" mean for a KVM guest. Its files: debug.c
 * (target operations, run control, monitor commands, setup), debug_mem.c
 * (guest memory at gdb's addresses), debug_bp.c (breakpoints and
 * watchpoints), debug_verdict.c (the verdict on each debug event),
 * debug_snapshot.c (monitor savevm/loadvm), gdb_conn.c (the connection),
 * gdb_endpoint.c and gdb_peer.c (where gdb connects, who may),
 * debug_report.c (--host-report), debug_options.c (its command-line
 * options). x86 specifics are in src/x86/regs.c (registers), debug_hw.c
 * (debug registers, debug exits, translation) and probe.c.
 *
 * The core (vm.c, vcpu.c) does not know the debugger: it calls the hooks
 * the debugger registered (struct vm_hooks). Exit handlers report facts
 * (a debug event), the debugger decides (stop, step over, give it to the
 * guest), the run loop carries that out.
 *
 * Threads: packets are served in the event-loop thread; the debug-event
 * hooks run in vCPU threads while the VM runs, reading breakpoint and
 * watchpoint tables that change only while every vCPU is parked.
 */
#ifndef MINIKVM_DEBUG_H
#define MINIKVM_DEBUG_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include "debug_contract.h"

#define DEBUG_MAX_SW_BREAKPOINTS 256
#define DEBUG_MAX_WATCH 64

struct vm;

/*
 * Set up the debugger for vm per vm->cfg: probe the host, listen on the gdb
 * endpoint, and plug into the VM (vm_set_hooks); everything else happens
 * through those hooks, and vm_destroy() frees it. Before vm_run().
 */
int debug_create(struct vm *vm);
/*
 * minikvm --host-report: what this host's KVM does for a debugger in each
 * CPU mode and the method picked for each job, on out. 0, or -1 (error set).
 */
int debug_host_report(FILE *out);

#endif
