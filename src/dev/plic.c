/* SPDX-License-Identifier: MIT */
/* The PLIC model (plic.h): state, registers, and each context's output. */
#include "plic.h"
#include "snapshot_state.h"

#include <errno.h>
#include <string.h>

#define PRIORITY_END    (4 * PLIC_SOURCES)
#define PENDING_BASE    0x1000
#define ENABLE_BASE     0x2000
#define ENABLE_STRIDE   0x80
#define CONTEXT_BASE    0x200000
#define CONTEXT_STRIDE  0x1000

/* The source context c would get on a claim now: the highest priority wins, the lowest id on a tie. */
static int best_source(const struct plic *p, int c)
{
	uint32_t ready = p->pending & p->enable[c] & ~p->claimed;
	uint32_t best_priority = p->threshold[c];
	int best = 0;

	for (int s = 1; s < PLIC_SOURCES; s++) {
		if ((ready >> s & 1) && p->priority[s] > best_priority) {
			best_priority = p->priority[s];
			best = s;
		}
	}
	return best;
}

/* Lock held: recompute every context's output and tell the changed ones. */
static void update(struct plic *p)
{
	for (int c = 0; c < p->ncontexts; c++) {
		bool out = best_source(p, c) != 0;

		if (out != p->output[c]) {
			p->output[c] = out;
			if (p->ops && p->ops->set_output)
				p->ops->set_output(p->ctx, c, out);
		}
	}
}

void plic_init(struct plic *p, int ncontexts, const struct plic_ops *ops, void *ctx)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->ops = ops;
	p->ctx = ctx;
	p->ncontexts = ncontexts < PLIC_CONTEXTS ? ncontexts : PLIC_CONTEXTS;
}

void plic_reset(struct plic *p)
{
	pthread_mutex_lock(&p->lock);
	memset(p->priority, 0, sizeof(p->priority));
	memset(p->enable, 0, sizeof(p->enable));
	memset(p->threshold, 0, sizeof(p->threshold));
	p->claimed = 0;
	p->pending = p->level; /* a line held high stays an interrupt to deliver */
	update(p);
	pthread_mutex_unlock(&p->lock);
}

void plic_save(struct plic *p, struct state_writer *w)
{
	pthread_mutex_lock(&p->lock);
	state_put_u32(w, (uint32_t)p->ncontexts);
	for (int s = 0; s < PLIC_SOURCES; s++)
		state_put_u32(w, p->priority[s]);
	state_put_u32(w, p->level);
	state_put_u32(w, p->pending);
	state_put_u32(w, p->claimed);
	for (int c = 0; c < p->ncontexts; c++) {
		state_put_u32(w, p->enable[c]);
		state_put_u32(w, p->threshold[c]);
	}
	pthread_mutex_unlock(&p->lock);
}

int plic_load(struct plic *p, struct state_reader *r)
{
	uint32_t priority[PLIC_SOURCES], enable[PLIC_CONTEXTS], threshold[PLIC_CONTEXTS];
	uint32_t n = state_get_u32(r), level, pending, claimed;

	/* The machine's harts are checked before (the snapshot's header): n is a damaged file. */
	if (n != (uint32_t)p->ncontexts)
		return state_reject(r, "PLIC of %u contexts: this one has %d", n, p->ncontexts);
	for (int s = 0; s < PLIC_SOURCES; s++)
		priority[s] = state_get_u32(r);
	level = state_get_u32(r);
	pending = state_get_u32(r);
	claimed = state_get_u32(r);
	for (uint32_t c = 0; c < n; c++) {
		enable[c] = state_get_u32(r);
		threshold[c] = state_get_u32(r);
	}
	if (state_reader_done(r) < 0)
		return -EINVAL;
	/* What plic_write() and the lines could never have made. */
	for (int s = 0; s < PLIC_SOURCES; s++)
		if (priority[s] > 7 || (s == 0 && priority[s]))
			return state_reject(r, "PLIC source %d's priority is %u (0-7; source 0 has none)", s,
					    priority[s]);
	if ((level | pending | claimed) & 1)
		return state_reject(r, "PLIC source 0 (none) is raised, pending or claimed");
	for (uint32_t c = 0; c < n; c++)
		if ((enable[c] & 1) || threshold[c] > 7)
			return state_reject(r, "PLIC context %u: enables %#x, threshold %u (source 0 cannot "
					    "be enabled; thresholds are 0-7)", c, enable[c], threshold[c]);
	pthread_mutex_lock(&p->lock);
	memcpy(p->priority, priority, sizeof(priority));
	p->level = level;
	p->pending = pending;
	p->claimed = claimed;
	memcpy(p->enable, enable, n * sizeof(enable[0]));
	memcpy(p->threshold, threshold, n * sizeof(threshold[0]));
	/* Every output told again: the harts' external interrupt lines follow the loaded state. */
	for (int c = 0; c < p->ncontexts; c++)
		p->output[c] = best_source(p, c) == 0;
	update(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void plic_destroy(struct plic *p)
{
	pthread_mutex_destroy(&p->lock);
}

void plic_set_level(struct plic *p, int source, int level)
{
	uint32_t bit;

	if (source <= 0 || source >= PLIC_SOURCES)
		return;
	bit = 1u << source;
	pthread_mutex_lock(&p->lock);
	if (level) {
		p->level |= bit;
		if (!(p->claimed & bit))
			p->pending |= bit;
	} else {
		/* A level-triggered source that dropped its line no longer asks. */
		p->level &= ~bit;
		p->pending &= ~bit;
	}
	update(p);
	pthread_mutex_unlock(&p->lock);
}

/* The context a per-context register belongs to, or -1. */
static int context_of(const struct plic *p, uint64_t offset, uint64_t base, uint64_t stride)
{
	uint64_t c = (offset - base) / stride;

	return c < (uint64_t)p->ncontexts ? (int)c : -1;
}

static uint32_t claim(struct plic *p, int c)
{
	int s = best_source(p, c);

	if (s) {
		p->pending &= ~(1u << s);
		p->claimed |= 1u << s;
		update(p);
	}
	return (uint32_t)s;
}

static void complete(struct plic *p, uint32_t s)
{
	if (s == 0 || s >= PLIC_SOURCES || !(p->claimed & (1u << s)))
		return;
	p->claimed &= ~(1u << s);
	if (p->level & (1u << s))
		p->pending |= 1u << s;
	update(p);
}

uint32_t plic_read(struct plic *p, uint64_t offset)
{
	uint32_t v = 0;
	int c;

	pthread_mutex_lock(&p->lock);
	if (offset < PRIORITY_END) {
		v = p->priority[offset / 4];
	} else if (offset == PENDING_BASE) {
		v = p->pending;
	} else if (offset >= ENABLE_BASE && offset < CONTEXT_BASE) {
		c = context_of(p, offset, ENABLE_BASE, ENABLE_STRIDE);
		if (c >= 0 && (offset - ENABLE_BASE) % ENABLE_STRIDE == 0)
			v = p->enable[c];
	} else if (offset >= CONTEXT_BASE) {
		c = context_of(p, offset, CONTEXT_BASE, CONTEXT_STRIDE);
		if (c >= 0 && (offset - CONTEXT_BASE) % CONTEXT_STRIDE == 0)
			v = p->threshold[c];
		else if (c >= 0 && (offset - CONTEXT_BASE) % CONTEXT_STRIDE == 4)
			v = claim(p, c);
	}
	pthread_mutex_unlock(&p->lock);
	return v;
}

void plic_write(struct plic *p, uint64_t offset, uint32_t value)
{
	int c;

	pthread_mutex_lock(&p->lock);
	if (offset < PRIORITY_END) {
		if (offset >= 4) /* source 0 does not exist */
			p->priority[offset / 4] = value & 7;
	} else if (offset >= ENABLE_BASE && offset < CONTEXT_BASE) {
		c = context_of(p, offset, ENABLE_BASE, ENABLE_STRIDE);
		if (c >= 0 && (offset - ENABLE_BASE) % ENABLE_STRIDE == 0)
			p->enable[c] = value & ~1u;
	} else if (offset >= CONTEXT_BASE) {
		c = context_of(p, offset, CONTEXT_BASE, CONTEXT_STRIDE);
		if (c >= 0 && (offset - CONTEXT_BASE) % CONTEXT_STRIDE == 0)
			p->threshold[c] = value & 7;
		else if (c >= 0 && (offset - CONTEXT_BASE) % CONTEXT_STRIDE == 4)
			complete(p, value);
	}
	update(p);
	pthread_mutex_unlock(&p->lock);
}
