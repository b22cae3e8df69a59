/* SPDX-License-Identifier: MIT */
/*
 * The RISC-V platform-level interrupt controller (PLIC), as on QEMU's virt
 * board and SiFive's chips ("sifive,plic-1.0.0"; the RISC-V PLIC
 * Specification). Device lines (sources 1..PLIC_SOURCES-1) come in with a
 * level; each context (here: one per hart, its S-mode external interrupt)
 * has an enable bit per source and a priority threshold; the context's
 * output is high while a source that is pending, enabled, not claimed and
 * of a priority above the threshold exists. The hart claims the best one
 * (reading claim/complete), serves it, and completes it (writing its id);
 * a line still high then is pending again (level-triggered).
 *
 * Register map (offsets into its 0x600000 bytes, 32-bit accesses):
 *   0x000000 + 4*s        priority of source s (0: never)
 *   0x001000              pending bits, sources 0..31 (read-only)
 *   0x002000 + 0x80*c     enable bits of context c, sources 0..31
 *   0x200000 + 0x1000*c   threshold of context c
 *   0x200004 + 0x1000*c   claim (read) / complete (write) of context c
 *
 * This file is the model, with no KVM: what a context's output drives is
 * the caller's (struct plic_ops; src/riscv/irq.c raises the hart's external
 * interrupt). Unit-tested (tests/unit/riscv/test_plic.c).
 */
#ifndef MINIKVM_PLIC_H
#define MINIKVM_PLIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PLIC_SOURCES  32      /* source 0 means "none" */
#define PLIC_CONTEXTS 64      /* one per hart at most (MAX_CPUS) */
#define PLIC_SIZE     0x600000

struct plic_ops {
	/* Context c's output went to level (0 or 1). */
	void (*set_output)(void *ctx, int context, int level);
};

struct plic {
	pthread_mutex_t lock;
	const struct plic_ops *ops;
	void *ctx;
	int ncontexts;
	uint32_t priority[PLIC_SOURCES];
	uint32_t level;       /* each source's line */
	uint32_t pending;     /* a source's interrupt waits to be claimed */
	uint32_t claimed;     /* claimed and not completed yet */
	uint32_t enable[PLIC_CONTEXTS];
	uint32_t threshold[PLIC_CONTEXTS];
	bool output[PLIC_CONTEXTS];
};

void plic_init(struct plic *p, int ncontexts, const struct plic_ops *ops, void *ctx);
/* Back to power-on: every priority, enable and threshold 0, nothing pending; outputs lowered. */
void plic_reset(struct plic *p);
void plic_destroy(struct plic *p);
/*
 * Snapshots (snapshot_state.h): the sources' priorities, lines, pending and
 * claimed bits, each context's enables and threshold. A load checks every
 * value against what the guest could have written (-EINVAL and the reader
 * marked bad if not, the PLIC unchanged), then drives every context's
 * output to what the loaded state says.
 */
struct state_writer;
struct state_reader;
void plic_save(struct plic *p, struct state_writer *w);
int plic_load(struct plic *p, struct state_reader *r);
/* A device line (1..PLIC_SOURCES-1) to level; others are ignored. */
void plic_set_level(struct plic *p, int source, int level);
uint32_t plic_read(struct plic *p, uint64_t offset);
void plic_write(struct plic *p, uint64_t offset, uint32_t value);

#endif
