/* SPDX-License-Identifier: MIT */
/*
 * Arch-independent use of a register description: byte offsets in a 'g'
 * buffer, lookup by name, and the target description XML that gdb reads
 * with qXfer:features:read:target.xml (GDB manual, "Target Descriptions").
 * Every feature is written inline in one target.xml, so gdb needs no
 * xi:include round trips.
 */
#include "regdesc.h"

#include <string.h>

#include "text.h"

size_t gdb_arch_reg_offset(const struct gdb_arch *arch, unsigned regno)
{
	size_t off = 0;

	for (unsigned i = 0; i < regno && i < arch->nregs; i++)
		off += arch->regs[i].bitsize / 8;
	return off;
}

size_t gdb_arch_regs_size(const struct gdb_arch *arch)
{
	return gdb_arch_reg_offset(arch, arch->nregs);
}

int gdb_arch_find_reg(const struct gdb_arch *arch, const char *name)
{
	for (unsigned i = 0; i < arch->nregs; i++)
		if (strcmp(arch->regs[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void put_feature(struct rsp_buf *b, const struct gdb_arch *arch, unsigned f)
{
	const struct gdb_feature *feat = &arch->features[f];

	rsp_printf(b, "<feature name=\"%s\">\n", feat->name);
	if (feat->types)
		rsp_puts(b, feat->types);
	for (unsigned i = 0; i < arch->nregs; i++) {
		const struct gdb_reg *r = &arch->regs[i];

		if (r->feature != f)
			continue;
		/* regnum makes the wire number explicit: it is the index. */
		rsp_printf(b, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"",
			   r->name, r->bitsize, r->type, i);
		if (r->group)
			rsp_printf(b, " group=\"%s\"", r->group);
		rsp_puts(b, "/>\n");
	}
	rsp_puts(b, "</feature>\n");
}

size_t gdb_arch_target_xml(const struct gdb_arch *arch, char *buf, size_t size)
{
	struct rsp_buf b;
	char none[1];

	/* With no room the builder still counts what was asked for. */
	if (size)
		rsp_buf_init(&b, buf, size - 1);
	else
		rsp_buf_init(&b, none, 0);
	rsp_puts(&b, "<?xml version=\"1.0\"?>\n"
		     "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		     "<target version=\"1.0\">\n");
	rsp_printf(&b, "<architecture>%s</architecture>\n", arch->name);
	if (arch->osabi)
		rsp_printf(&b, "<osabi>%s</osabi>\n", arch->osabi);
	for (unsigned f = 0; f < arch->nfeatures; f++)
		put_feature(&b, arch, f);
	rsp_puts(&b, "</target>\n");
	if (size)
		buf[b.len] = '\0';
	return b.want;
}
