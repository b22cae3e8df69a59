/* SPDX-License-Identifier: MIT */
/*
 * A flattened device tree (FDT, "DTB") writer: the blob a RISC-V (or Arm)
 * kernel reads at boot to learn its machine: memory, CPUs, devices, the
 * command line. Layout and tokens are the Devicetree Specification's
 * (v0.4, chapter 5, "Flattened Devicetree (DTB) Format"):
 *
 *   header (40 bytes, big-endian)
 *   memory reservation block: (address, size) pairs of u64, ending in 0, 0
 *   structure block: BEGIN_NODE name / PROP len nameoff value / END_NODE ... END
 *   strings block: every property name once, NUL-terminated
 *
 * Build the tree depth-first: fdt_begin_node("") for the root, its
 * properties, its children (begin/props/end), fdt_end_node(); then
 * fdt_finish() gives the blob. No KVM here and nothing but libc:
 * unit-tested (tests/unit/test_fdt.c, and tests/integration/test_fdt.py
 * through dtc when it is installed).
 */
#ifndef MINIKVM_FDT_H
#define MINIKVM_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fdt_buf {
	uint8_t *data;
	size_t len, cap;
};

struct fdt {
	struct fdt_buf structure, strings;
	int depth;      /* open nodes */
	bool failed;    /* out of memory or a misuse: fdt_finish() says so */
};

void fdt_init(struct fdt *f);
void fdt_free(struct fdt *f);

void fdt_begin_node(struct fdt *f, const char *name);
void fdt_end_node(struct fdt *f);

/* Properties of the node opened last. Cells are big-endian u32 in the blob. */
void fdt_prop(struct fdt *f, const char *name, const void *value, uint32_t len);
void fdt_prop_empty(struct fdt *f, const char *name);
void fdt_prop_u32(struct fdt *f, const char *name, uint32_t v);
/* One u64 as two cells (high first), as #address-cells = 2 wants. */
void fdt_prop_u64(struct fdt *f, const char *name, uint64_t v);
/* n u32 cells (at most 256). */
void fdt_prop_cells(struct fdt *f, const char *name, const uint32_t *cells, unsigned n);
/* A NUL-terminated string, its NUL included. */
void fdt_prop_string(struct fdt *f, const char *name, const char *s);

/*
 * The blob (malloc'd into *blob, *size bytes; free() it), every node closed.
 * boot_cpuid: the boot CPU's id for the header. -1 with err_set(EXIT_HOST)
 * when memory ran out or nodes are unbalanced.
 */
int fdt_finish(struct fdt *f, uint32_t boot_cpuid, void **blob, size_t *size);

/* Header fields and tokens, for readers (the unit tests). */
#define FDT_MAGIC          0xd00dfeedu
#define FDT_VERSION        17
#define FDT_LAST_COMP      16
#define FDT_HEADER_SIZE    40
#define FDT_BEGIN_NODE     1
#define FDT_END_NODE       2
#define FDT_PROP           3
#define FDT_END            9

#endif
