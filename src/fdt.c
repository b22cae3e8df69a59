/* SPDX-License-Identifier: MIT */
/*
 * The device tree writer (fdt.h). The structure and strings blocks grow in
 * two buffers as the tree is built; fdt_finish() lays out header,
 * reservation block (empty: the memory minikvm uses for the tree itself is
 * outside what /memory gives the guest, or the guest's to reuse), structure
 * and strings one after the other. Everything in the blob is big-endian.
 */
#include "fdt.h"
#include "error.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

void fdt_init(struct fdt *f)
{
	memset(f, 0, sizeof(*f));
}

void fdt_free(struct fdt *f)
{
	free(f->structure.data);
	free(f->strings.data);
	fdt_init(f);
}

/* Append len bytes (data NULL: zeros) to b; false when memory runs out. */
static bool buf_put(struct fdt *f, struct fdt_buf *b, const void *data, size_t len)
{
	if (f->failed)
		return false;
	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 1024;
		uint8_t *p;

		while (len > cap - b->len)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			f->failed = true;
			return false;
		}
		b->data = p;
		b->cap = cap;
	}
	if (data)
		memcpy(b->data + b->len, data, len);
	else
		memset(b->data + b->len, 0, len);
	b->len += len;
	return true;
}

static void put_be32(struct fdt *f, uint32_t v)
{
	uint32_t be = htobe32(v);

	buf_put(f, &f->structure, &be, sizeof(be));
}

/* Bytes, then zeros up to the next 4-byte boundary: the structure block's alignment. */
static void put_padded(struct fdt *f, const void *data, size_t len)
{
	buf_put(f, &f->structure, data, len);
	buf_put(f, &f->structure, NULL, (4 - len % 4) % 4);
}

/* Where name is in the strings block, adding it the first time. */
static uint32_t string_offset(struct fdt *f, const char *name)
{
	size_t n = strlen(name) + 1;

	for (size_t at = 0; at < f->strings.len; at += strlen((char *)f->strings.data + at) + 1)
		if (strcmp((char *)f->strings.data + at, name) == 0)
			return (uint32_t)at;
	buf_put(f, &f->strings, name, n);
	return (uint32_t)(f->strings.len - n);
}

void fdt_begin_node(struct fdt *f, const char *name)
{
	put_be32(f, FDT_BEGIN_NODE);
	put_padded(f, name, strlen(name) + 1);
	f->depth++;
}

void fdt_end_node(struct fdt *f)
{
	if (f->depth == 0) {
		f->failed = true;
		return;
	}
	put_be32(f, FDT_END_NODE);
	f->depth--;
}

void fdt_prop(struct fdt *f, const char *name, const void *value, uint32_t len)
{
	if (f->depth == 0) {
		f->failed = true; /* a property outside every node */
		return;
	}
	put_be32(f, FDT_PROP);
	put_be32(f, len);
	put_be32(f, string_offset(f, name));
	put_padded(f, value, len);
}

void fdt_prop_empty(struct fdt *f, const char *name)
{
	fdt_prop(f, name, NULL, 0);
}

void fdt_prop_cells(struct fdt *f, const char *name, const uint32_t *cells, unsigned n)
{
	uint32_t be[256];

	if (n > sizeof(be) / sizeof(be[0])) {
		f->failed = true;
		return;
	}
	for (unsigned i = 0; i < n; i++)
		be[i] = htobe32(cells[i]);
	fdt_prop(f, name, be, n * 4);
}

void fdt_prop_u32(struct fdt *f, const char *name, uint32_t v)
{
	fdt_prop_cells(f, name, &v, 1);
}

void fdt_prop_u64(struct fdt *f, const char *name, uint64_t v)
{
	uint32_t cells[2] = { (uint32_t)(v >> 32), (uint32_t)v };

	fdt_prop_cells(f, name, cells, 2);
}

void fdt_prop_string(struct fdt *f, const char *name, const char *s)
{
	fdt_prop(f, name, s, (uint32_t)strlen(s) + 1);
}

int fdt_finish(struct fdt *f, uint32_t boot_cpuid, void **blob, size_t *size)
{
	/* The reservation block must be 8-byte aligned: right after the 40-byte header is. */
	const size_t rsv = FDT_HEADER_SIZE, rsv_len = 16;
	size_t off_struct = rsv + rsv_len, off_strings, total;
	uint32_t header[10];
	uint8_t *out;

	if (f->depth != 0)
		f->failed = true;
	put_be32(f, FDT_END);
	if (f->failed)
		return err_set(EXIT_HOST, "cannot build the device tree (out of memory, or a node left open)");
	off_strings = off_struct + f->structure.len;
	total = off_strings + f->strings.len;
	out = calloc(1, total);
	if (!out)
		return err_set(EXIT_HOST, "out of memory for the device tree (%zu bytes)", total);
	const uint32_t fields[10] = {
		FDT_MAGIC, (uint32_t)total, (uint32_t)off_struct, (uint32_t)off_strings, (uint32_t)rsv,
		FDT_VERSION, FDT_LAST_COMP, boot_cpuid, (uint32_t)f->strings.len,
		(uint32_t)f->structure.len,
	};
	for (int i = 0; i < 10; i++)
		header[i] = htobe32(fields[i]);
	memcpy(out, header, sizeof(header));
	/* rsv..rsv+16: the terminating (0, 0) entry, already zero. */
	memcpy(out + off_struct, f->structure.data, f->structure.len);
	if (f->strings.len)
		memcpy(out + off_strings, f->strings.data, f->strings.len);
	*blob = out;
	*size = total;
	return 0;
}
