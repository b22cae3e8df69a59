/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables (ACPI Specification 6.x, chapter 5.2): the RSDP, the RSDT and
 * XSDT that list the other tables, and the MADT that describes the interrupt
 * controllers. Every table starts with the same 36-byte header and its bytes
 * sum to zero; table_begin()/table_end() do that part, so a new table (the
 * FADT and a DSDT with \_S5 for poweroff are the next ones) is one function
 * that fills its body between the two calls, plus a line in acpi_build().
 */
#include "acpi.h"
#include "layout.h"
#include "../error.h"
#include "../guest_mem.h"
#include "../options.h"

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define ACPI_OEM_ID        "MINKVM"   /* 6 bytes */
#define ACPI_OEM_TABLE_ID  "MINIKVM " /* 8 bytes */
#define ACPI_OEM_REVISION  1
#define ACPI_CREATOR_ID    "MKVM"     /* 4 bytes */
#define ACPI_CREATOR_REV   1

#define ACPI_MAX_ROOT      8          /* tables listed in the RSDT/XSDT */

/* MADT (5.2.12) */
#define MADT_REVISION      3
#define MADT_PCAT_COMPAT   (1u << 0)  /* dual 8259s present: mask them to use the APICs */
#define MADT_LAPIC         0          /* Processor Local APIC */
#define MADT_IOAPIC        1
#define MADT_IRQ_OVERRIDE  2          /* Interrupt Source Override */
#define MADT_LAPIC_NMI     4
#define MADT_LAPIC_ENABLED (1u << 0)
#define MADT_ISA_BUS       0
/* MPS INTI flags: polarity in bits 0-1 (1 = active high), trigger in bits 2-3 (3 = level). */
#define MPS_INTI_CONFORMS  0x0000
#define MPS_LEVEL_HIGH     0x000d
#define IOAPIC_ID          0          /* what KVM's IOAPIC ID register resets to */
#define SCI_IRQ            9          /* the ACPI SCI, for the FADT to come */

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];            /* "RSD PTR " */
	uint8_t checksum;             /* over the first 20 bytes (the ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;             /* 2: ACPI 2.0+, has the XSDT */
	uint32_t rsdt_address;
	uint32_t length;              /* of this structure: 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum;    /* over all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI table header layout");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");

/* Hands out room in the ACPI area and remembers what the root tables list. */
struct acpi_builder {
	uint8_t *area;                /* host address of LAYOUT_ACPI */
	uint64_t used;
	uint64_t root[ACPI_MAX_ROOT];
	int nroot;
};

static uint8_t checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static void put8(uint8_t *p, uint8_t v) { *p = v; }
static void put16(uint8_t *p, uint16_t v) { v = htole16(v); memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }

/* len zeroed bytes at a 16-byte boundary, or NULL with err_set(). */
static uint8_t *acpi_alloc(struct acpi_builder *b, uint64_t len, uint64_t *gpa)
{
	uint64_t at = (b->used + 15) & ~15ULL;

	if (at > LAYOUT_ACPI_END - LAYOUT_ACPI || len > LAYOUT_ACPI_END - LAYOUT_ACPI - at) {
		err_set(EXIT_USAGE, "ACPI tables do not fit in 0x%llx..0x%llx",
			LAYOUT_ACPI, LAYOUT_ACPI_END);
		return NULL;
	}
	b->used = at + len;
	*gpa = LAYOUT_ACPI + at;
	return b->area + at;
}

/* Room for a table of len bytes (header included), with its header filled. */
static uint8_t *table_begin(struct acpi_builder *b, const char *signature, uint8_t revision,
			    uint32_t len, uint64_t *gpa)
{
	struct acpi_header h;
	uint8_t *t = acpi_alloc(b, len, gpa);

	if (!t)
		return NULL;
	memset(&h, 0, sizeof(h));
	memcpy(h.signature, signature, sizeof(h.signature));
	h.length = htole32(len);
	h.revision = revision;
	memcpy(h.oem_id, ACPI_OEM_ID, sizeof(h.oem_id));
	memcpy(h.oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h.oem_table_id));
	h.oem_revision = htole32(ACPI_OEM_REVISION);
	memcpy(h.creator_id, ACPI_CREATOR_ID, sizeof(h.creator_id));
	h.creator_revision = htole32(ACPI_CREATOR_REV);
	memcpy(t, &h, sizeof(h));
	return t;
}

/* Checksum a finished table; listed tables go into the RSDT and XSDT. */
static int table_end(struct acpi_builder *b, uint8_t *t, uint64_t gpa, bool listed)
{
	uint32_t len;

	memcpy(&len, t + offsetof(struct acpi_header, length), sizeof(len));
	len = le32toh(len);
	t[offsetof(struct acpi_header, checksum)] = checksum(t, len);
	if (!listed)
		return 0;
	if (b->nroot == ACPI_MAX_ROOT)
		return err_set(EXIT_USAGE, "too many ACPI tables for the RSDT/XSDT");
	b->root[b->nroot++] = gpa;
	return 0;
}

/*
 * MADT (5.2.12): one Processor Local APIC per vCPU (processor UID = APIC ID
 * = index, which is how KVM numbers vCPUs here), the I/O APIC with GSIs from
 * 0, and the PC's ISA wiring: the PIT's IRQ 0 arrives on I/O APIC pin 2, and
 * IRQ 9 (the SCI) is level-triggered, active high.
 */
static int madt_write(struct acpi_builder *b, int ncpus)
{
	uint32_t len = sizeof(struct acpi_header) + 8 + 8 * ncpus + 12 + 2 * 10 + 6;
	uint64_t gpa = 0;
	uint8_t *t = table_begin(b, "APIC", MADT_REVISION, len, &gpa);
	uint8_t *p;

	if (!t)
		return -1;
	p = t + sizeof(struct acpi_header);
	put32(p, (uint32_t)LAYOUT_LAPIC);
	put32(p + 4, MADT_PCAT_COMPAT);
	p += 8;

	for (int i = 0; i < ncpus; i++, p += 8) {
		put8(p, MADT_LAPIC);
		put8(p + 1, 8);
		put8(p + 2, (uint8_t)i);          /* ACPI processor UID */
		put8(p + 3, (uint8_t)i);          /* APIC ID */
		put32(p + 4, MADT_LAPIC_ENABLED);
	}

	put8(p, MADT_IOAPIC);
	put8(p + 1, 12);
	put8(p + 2, IOAPIC_ID);
	put8(p + 3, 0);
	put32(p + 4, (uint32_t)LAYOUT_IOAPIC);
	put32(p + 8, 0);                          /* global system interrupt base */
	p += 12;

	static const struct {
		uint8_t irq;
		uint32_t gsi;
		uint16_t flags;
	} overrides[] = {
		{ 0, 2, MPS_INTI_CONFORMS },
		{ SCI_IRQ, SCI_IRQ, MPS_LEVEL_HIGH },
	};
	for (unsigned i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++, p += 10) {
		put8(p, MADT_IRQ_OVERRIDE);
		put8(p + 1, 10);
		put8(p + 2, MADT_ISA_BUS);
		put8(p + 3, overrides[i].irq);
		put32(p + 4, overrides[i].gsi);
		put16(p + 8, overrides[i].flags);
	}

	/* LINT1 of every local APIC (UID 0xFF = all) is the NMI input, as on a PC. */
	put8(p, MADT_LAPIC_NMI);
	put8(p + 1, 6);
	put8(p + 2, 0xFF);
	put16(p + 3, MPS_INTI_CONFORMS);
	put8(p + 5, 1);
	p += 6;

	if ((uint32_t)(p - t) != len)
		return err_set(EXIT_USAGE, "internal error: MADT length mismatch");
	return table_end(b, t, gpa, true);
}

/* RSDT (32-bit entries) and XSDT (64-bit entries) listing every listed table. */
static int root_tables_write(struct acpi_builder *b, uint64_t *rsdt, uint64_t *xsdt)
{
	uint32_t hdr = sizeof(struct acpi_header);
	uint8_t *t;

	t = table_begin(b, "RSDT", 1, hdr + 4 * b->nroot, rsdt);
	if (!t)
		return -1;
	for (int i = 0; i < b->nroot; i++)
		put32(t + hdr + 4 * i, (uint32_t)b->root[i]);
	table_end(b, t, *rsdt, false);

	t = table_begin(b, "XSDT", 1, hdr + 8 * b->nroot, xsdt);
	if (!t)
		return -1;
	for (int i = 0; i < b->nroot; i++)
		put64(t + hdr + 8 * i, b->root[i]);
	table_end(b, t, *xsdt, false);
	return 0;
}

uint64_t acpi_rsdp_address(void)
{
	return LAYOUT_ACPI;
}

int acpi_build(struct guest_mem *mem, int ncpus)
{
	struct acpi_builder b = { 0 };
	struct acpi_rsdp rsdp;
	uint64_t rsdp_at = 0, rsdt_at = 0, xsdt_at = 0;
	uint8_t *rsdp_host;

	if (ncpus < 1 || ncpus > MAX_CPUS)
		return err_set(EXIT_USAGE, "the ACPI tables describe 1 to %d vCPUs; %d requested",
			       MAX_CPUS, ncpus);
	b.area = guest_mem_ptr(mem, LAYOUT_ACPI, LAYOUT_ACPI_END - LAYOUT_ACPI);
	if (!b.area)
		return err_set(EXIT_USAGE, "guest memory does not reach the ACPI area "
			       "0x%llx..0x%llx", LAYOUT_ACPI, LAYOUT_ACPI_END);
	memset(b.area, 0, LAYOUT_ACPI_END - LAYOUT_ACPI);

	/* The RSDP first, at the start of the area; filled in once the rest exists. */
	rsdp_host = acpi_alloc(&b, sizeof(rsdp), &rsdp_at);
	if (!rsdp_host)
		return -1;
	/* Tables the root lists go here: the FADT (-> DSDT) will join the MADT. */
	if (madt_write(&b, ncpus) < 0)
		return -1;
	if (root_tables_write(&b, &rsdt_at, &xsdt_at) < 0)
		return -1;

	memset(&rsdp, 0, sizeof(rsdp));
	memcpy(rsdp.signature, "RSD PTR ", sizeof(rsdp.signature));
	memcpy(rsdp.oem_id, ACPI_OEM_ID, sizeof(rsdp.oem_id));
	rsdp.revision = 2;
	rsdp.rsdt_address = htole32((uint32_t)rsdt_at);
	rsdp.length = htole32(sizeof(rsdp));
	rsdp.xsdt_address = htole64(xsdt_at);
	rsdp.checksum = checksum(&rsdp, offsetof(struct acpi_rsdp, length));
	rsdp.extended_checksum = checksum(&rsdp, sizeof(rsdp));
	memcpy(rsdp_host, &rsdp, sizeof(rsdp));
	return 0;
}
