/* SPDX-License-Identifier: MIT */
/*
 * Register descriptions: what gdb calls a "target description". An arch is
 * an ordered list of registers grouped into named features; the order is the
 * order of a 'g' packet and a register's index is its number in 'p'/'P'.
 * gdbstub turns the list into target.xml (served with qXfer:features:read),
 * so the XML and the byte layout can never disagree.
 *
 * gdbstub/arch_x86.c holds the x86 descriptions; another architecture would
 * sit beside it with its own file and nothing else would change.
 */
#ifndef MINIKVM_GDBSTUB_REGDESC_H
#define MINIKVM_GDBSTUB_REGDESC_H

#include <stddef.h>
#include <stdint.h>

struct gdb_feature {
	const char *name;  /* e.g. "org.gnu.gdb.i386.core" */
	const char *types; /* XML for the feature's own types (flags, vectors), or NULL */
};

struct gdb_reg {
	const char *name;   /* gdb's name: "rax", "cr3" */
	uint16_t bitsize;   /* a multiple of 8 */
	uint16_t id;        /* the arch's own id (e.g. enum gdb_x86_reg), same in every layout */
	uint8_t feature;    /* index into gdb_arch.features */
	const char *type;   /* tdesc type: "int64", "code_ptr", "i387_ext", ... */
	const char *group;  /* tdesc group ("float", "vector", "system") or NULL */
};

struct gdb_arch {
	const char *name; /* tdesc <architecture>: "i386:x86-64", "i386" */
	const char *osabi; /* tdesc <osabi>, e.g. "GNU/Linux", or NULL */
	const char *triple; /* for lldb (qHostInfo): "x86_64-unknown-none-elf", or NULL */
	const struct gdb_feature *features;
	unsigned nfeatures;
	const struct gdb_reg *regs;
	unsigned nregs;
	unsigned pc_regno;          /* written by 'c ADDR' / 's ADDR' */
	const uint16_t *expedite;   /* registers sent with every stop reply */
	unsigned nexpedite;
};

/* Byte offset of register regno in a 'g' buffer; regno == nregs gives the total size. */
size_t gdb_arch_reg_offset(const struct gdb_arch *arch, unsigned regno);
/* Size in bytes of all registers, i.e. of a 'g' reply decoded from hex. */
size_t gdb_arch_regs_size(const struct gdb_arch *arch);
/* Register number for a gdb register name, or -1. */
int gdb_arch_find_reg(const struct gdb_arch *arch, const char *name);
/*
 * Write the target description XML to buf (at most size bytes, NUL-terminated
 * when size > 0). Returns the full length, like snprintf.
 */
size_t gdb_arch_target_xml(const struct gdb_arch *arch, char *buf, size_t size);

#endif
