/* SPDX-License-Identifier: MIT */
/*
 * The device tree writer (src/fdt.c): the blob's header, its structure
 * block token by token, and its strings block, read back the way a kernel
 * reads them (Devicetree Specification v0.4, chapter 5).
 */
#include "test.h"
#include "fdt_sample.h"

#include <endian.h>
#include <stdlib.h>

static uint32_t be32_at(const uint8_t *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b + off, 4);
	return be32toh(v);
}

struct blob {
	uint8_t *b;
	size_t size;
	uint32_t off_struct, off_strings, size_struct, size_strings;
};

static void make_sample(struct blob *out)
{
	struct fdt f;
	void *p;

	fdt_init(&f);
	fdt_sample(&f);
	CHECK_EQ(fdt_finish(&f, 0, &p, &out->size), 0);
	fdt_free(&f);
	out->b = p;
	out->off_struct = be32_at(out->b, 8);
	out->off_strings = be32_at(out->b, 12);
	out->size_strings = be32_at(out->b, 32);
	out->size_struct = be32_at(out->b, 36);
}

TEST(fdt_header_is_version_17_with_blocks_in_order)
{
	struct blob s;

	make_sample(&s);
	CHECK_EQ(be32_at(s.b, 0), FDT_MAGIC);
	CHECK_EQ(be32_at(s.b, 4), s.size);           /* totalsize */
	CHECK_EQ(be32_at(s.b, 16), FDT_HEADER_SIZE); /* off_mem_rsvmap, 8-byte aligned */
	CHECK_EQ(be32_at(s.b, 20), 17);              /* version */
	CHECK_EQ(be32_at(s.b, 24), 16);              /* last_comp_version */
	CHECK_EQ(be32_at(s.b, 28), 0);               /* boot_cpuid_phys */
	/* The reservation block is just its (0, 0) terminator; structure, then strings. */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(s.b[FDT_HEADER_SIZE + i], 0);
	CHECK_EQ(s.off_struct, FDT_HEADER_SIZE + 16);
	CHECK_EQ(s.off_strings, s.off_struct + s.size_struct);
	CHECK_EQ(s.off_strings + s.size_strings, s.size);
	CHECK_EQ(s.size_struct % 4, 0);
	free(s.b);
}

/* The name of the property at structure offset at (its FDT_PROP token). */
static const char *prop_name(const struct blob *s, size_t at)
{
	return (const char *)s->b + s->off_strings + be32_at(s->b, at + 8);
}

TEST(fdt_structure_block_reads_back_node_by_node)
{
	struct blob s;
	size_t at, end;
	int depth = 0, nodes = 0, props = 0;

	make_sample(&s);
	at = s.off_struct;
	end = s.off_struct + s.size_struct;
	/* Root: BEGIN_NODE with an empty name (4 zero bytes), then its first property. */
	CHECK_EQ(be32_at(s.b, at), FDT_BEGIN_NODE);
	CHECK_EQ(be32_at(s.b, at + 4), 0);
	CHECK_EQ(be32_at(s.b, at + 8), FDT_PROP);
	CHECK_EQ(be32_at(s.b, at + 12), 4);
	CHECK_STR(prop_name(&s, at + 8), "#address-cells");
	CHECK_EQ(be32_at(s.b, at + 20), 2);
	while (at < end) {
		uint32_t token = be32_at(s.b, at);

		at += 4;
		if (token == FDT_BEGIN_NODE) {
			depth++;
			nodes++;
			at += (strlen((const char *)s.b + at) + 4) & ~(size_t)3;
		} else if (token == FDT_PROP) {
			uint32_t len = be32_at(s.b, at);

			props++;
			if (strcmp(prop_name(&s, at - 4), "mmu-type") == 0)
				CHECK_STR((const char *)s.b + at + 8, "riscv,sv48");
			if (strcmp(prop_name(&s, at - 4), "linux,initrd-end") == 0) {
				CHECK_EQ(len, 8);
				CHECK_EQ(be32_at(s.b, at + 8), 0);
				CHECK_EQ(be32_at(s.b, at + 12), 0x87f00000u);
			}
			at += 8 + ((len + 3) & ~3u);
		} else if (token == FDT_END_NODE) {
			depth--;
		} else {
			CHECK_EQ(token, FDT_END);
			CHECK_EQ(at, end);
			break;
		}
	}
	CHECK_EQ(depth, 0);
	CHECK_EQ(nodes, 7);
	CHECK_EQ(props, 20);
	free(s.b);
}

TEST(fdt_strings_block_holds_each_name_once)
{
	struct blob s;
	const char *str;
	int regs = 0;

	make_sample(&s);
	str = (const char *)s.b + s.off_strings;
	CHECK_EQ(str[s.size_strings - 1], '\0');
	for (size_t at = 0; at < s.size_strings; at += strlen(str + at) + 1)
		regs += strcmp(str + at, "reg") == 0;
	CHECK_EQ(regs, 1); /* "reg" is used twice, stored once */
	CHECK(memmem(str, s.size_strings, "riscv,isa", 10) != NULL);
	free(s.b);
}

TEST(fdt_refuses_an_open_node_or_a_property_outside_nodes)
{
	struct fdt f;
	void *p = NULL;
	size_t size = 0;

	fdt_init(&f);
	fdt_begin_node(&f, "");
	CHECK_EQ(fdt_finish(&f, 0, &p, &size), -1);
	CHECK(p == NULL);
	fdt_free(&f);

	fdt_init(&f);
	fdt_prop_u32(&f, "orphan", 1);
	fdt_begin_node(&f, "");
	fdt_end_node(&f);
	CHECK_EQ(fdt_finish(&f, 0, &p, &size), -1);
	fdt_free(&f);
}
