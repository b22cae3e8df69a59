/* SPDX-License-Identifier: MIT */
/*
 * What every packet handler needs to answer, below all of them: the
 * standard replies ("OK", "E xx", a qXfer chunk), thread ids as gdb writes
 * them, which vCPU a packet is about and whether that vCPU may be touched,
 * and one register read or written through whichever target op exists.
 *
 * Nothing here sends anything (framing.c does) or calls a handler: these
 * only fill s->reply or ask the target.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

enum rsp_result rsp_error(struct gdb_server *s, int err)
{
	if (err < 0)
		err = -err;
	if (err > 0xff)
		err = EIO;
	rsp_buf_reset(&s->reply);
	rsp_printf(&s->reply, "E%02x", err);
	s->stats.errors++;
	return RSP_REPLY;
}

enum rsp_result rsp_ok(struct gdb_server *s)
{
	rsp_buf_reset(&s->reply);
	rsp_puts(&s->reply, "OK");
	return RSP_REPLY;
}

enum rsp_result rsp_reply_xfer(struct gdb_server *s, const char *data, size_t total,
			       uint64_t offset, uint64_t length)
{
	size_t left, n;

	/* Reply "m DATA" while more follows, "l DATA" for the last part. */
	if (offset > total || length == 0)
		return rsp_error(s, EINVAL);
	left = total - (size_t)offset;
	n = left;
	if (n > length)
		n = (size_t)length;
	if (n > GDB_PACKET_SIZE - 1)
		n = GDB_PACKET_SIZE - 1;
	rsp_putc(&s->reply, n < left ? 'm' : 'l');
	rsp_put(&s->reply, data + offset, n);
	return RSP_REPLY;
}

void rsp_put_thread(const struct gdb_server *s, struct rsp_buf *b, unsigned tid)
{
	if (s->multiprocess)
		rsp_printf(b, "p%x.%x", RSP_PID, tid);
	else
		rsp_printf(b, "%x", tid);
}

unsigned rsp_current_vcpu(const struct gdb_server *s)
{
	return s->have_stop && s->last_stop.vcpu < s->nthreads ? s->last_stop.vcpu : 0;
}

unsigned rsp_g_vcpu(const struct gdb_server *s)
{
	if (s->g_thread > 0 && s->g_thread <= (long)s->nthreads)
		return (unsigned)(s->g_thread - 1);
	return rsp_current_vcpu(s);
}

bool rsp_thread_stopped(const struct gdb_server *s, unsigned vcpu)
{
	if (s->non_stop)
		return vcpu < s->nthreads && s->ns_stopped[vcpu];
	return s->target_state == TARGET_STOPPED;
}

int rsp_read_one_reg(struct gdb_server *s, unsigned vcpu, unsigned regno, uint8_t *out)
{
	const struct gdb_reg *reg = &s->arch->regs[regno];
	int err;

	if (s->ops->read_reg)
		return s->ops->read_reg(s->target, vcpu, regno, out);
	err = s->ops->read_regs(s->target, vcpu, s->scratch);
	if (err < 0)
		return err;
	memcpy(out, s->scratch + gdb_arch_reg_offset(s->arch, regno), reg->bitsize / 8);
	return 0;
}

int rsp_write_one_reg(struct gdb_server *s, unsigned vcpu, unsigned regno, const uint8_t *val)
{
	const struct gdb_reg *reg = &s->arch->regs[regno];
	int err;

	if (s->ops->write_reg)
		return s->ops->write_reg(s->target, vcpu, regno, val);
	/* Read, patch, write back: the target only knows "all registers". */
	err = s->ops->read_regs(s->target, vcpu, s->scratch);
	if (err < 0)
		return err;
	memmove(s->scratch + gdb_arch_reg_offset(s->arch, regno), val, reg->bitsize / 8);
	return s->ops->write_regs(s->target, vcpu, s->scratch);
}
