/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables (ACPI Specification 6.x, chapter 5.2): the RSDP, the RSDT and
 * XSDT that list the other tables, the FADT that describes the fixed ACPI
 * hardware (with the FACS and the DSDT it points to), and the MADT that
 * describes the interrupt controllers. Every table starts with the same
 * 36-byte header and its bytes sum to zero; table_begin()/table_end() do
 * that part, so a new table is one function that fills its body between the
 * two calls, plus a line in acpi_build().
 *
 * Where they land (acpi_build() allocates in this order, 16-byte aligned,
 * the FACS 64-byte aligned as 5.2.10 requires):
 *
 *   0xE0000  RSDP   36 bytes
 *   0xE0040  FACS   64 bytes
 *   0xE0080  DSDT   64 bytes (\_S0, \_S5)
 *   0xE00C0  FADT  276 bytes (revision 6)
 *   0xE01E0  MADT   52 + 8 per vCPU
 *   then     RSDT, XSDT
 */
#include "acpi.h"
#include "layout.h"
#include "error.h"
#include "guest_mem.h"
#include "options.h"

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

/* FADT (5.2.9) */
#define FADT_REVISION      6
#define FADT_MINOR_VERSION 0          /* ACPI 6.0: the layout that ends with the hypervisor id */
#define GAS_SYSTEM_IO      1
#define GAS_ACCESS_BYTE    1
#define GAS_ACCESS_WORD    2
#define GAS_ACCESS_DWORD   3
#define FADT_WBINVD        (1u << 0)  /* WBINVD flushes caches correctly */
#define FADT_PROC_C1       (1u << 2)  /* HLT (C1) works on every CPU */
#define FADT_PWR_BUTTON    (1u << 4)  /* no fixed-hardware power button */
#define FADT_SLP_BUTTON    (1u << 5)  /* no fixed-hardware sleep button */
#define FADT_FIX_RTC       (1u << 6)  /* no RTC wake status in PM1 */
#define FADT_RESET_REG_SUP (1u << 10) /* RESET_REG works */
#define BOOT_LEGACY_DEVICES (1u << 0) /* ISA devices: COM1, the RTC */
#define BOOT_8042          (1u << 1)  /* an i8042 keyboard controller */
#define BOOT_VGA_NOT_PRESENT (1u << 2)
#define C2_NOT_SUPPORTED   101        /* P_LVL2_LAT > 100 */
#define C3_NOT_SUPPORTED   1001       /* P_LVL3_LAT > 1000 */
#define FACS_VERSION       2

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

/* Generic Address Structure (5.2.3.2): where a register lives. */
struct acpi_gas {
	uint8_t space_id;             /* GAS_SYSTEM_IO */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;          /* 1 byte, 2 word, 3 dword, 4 qword */
	uint64_t address;
} __attribute__((packed));

/* Firmware ACPI Control Structure (5.2.10): the global lock and waking vector. */
struct acpi_facs {
	char signature[4];            /* "FACS"; no checksum, not a listed table */
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

/* Fixed ACPI Description Table (5.2.9), revision 6. */
struct acpi_fadt {
	struct acpi_header header;
	uint32_t firmware_ctrl;       /* FACS, 32-bit */
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI table header layout");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS layout");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS layout");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_firmware_ctrl) == 132, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT layout");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT layout (ACPI 6.0 and later)");

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

/* len zeroed bytes at a multiple of align (a power of two), or NULL with err_set(). */
static uint8_t *acpi_alloc(struct acpi_builder *b, uint64_t len, uint64_t align, uint64_t *gpa)
{
	uint64_t at = (b->used + align - 1) & ~(align - 1);

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
	uint8_t *t = acpi_alloc(b, len, 16, gpa);

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

/* FACS (5.2.10): required with a non-hardware-reduced FADT; holds the global lock. */
static int facs_write(struct acpi_builder *b, uint64_t *gpa)
{
	struct acpi_facs facs;
	uint8_t *t = acpi_alloc(b, sizeof(facs), 64, gpa);

	if (!t)
		return -1;
	memset(&facs, 0, sizeof(facs));
	memcpy(facs.signature, "FACS", sizeof(facs.signature));
	facs.length = htole32(sizeof(facs));
	facs.version = FACS_VERSION;
	memcpy(t, &facs, sizeof(facs));
	return 0;
}

/*
 * DSDT (5.2.11.1): the AML definition block. Ours names only the sleep
 * states the machine has, as packages {SLP_TYPa, SLP_TYPb, reserved,
 * reserved} (7.4.2): \_S0 (working) and \_S5 (soft off). Hand-assembled
 * AML (chapter 20): NameOp NameString DataRefObject, where the name is
 * RootChar '\' and a four-character NameSeg, and the package is PackageOp,
 * PkgLength (one byte for lengths below 64: it counts itself, NumElements
 * and the elements), NumElements, then each element as ZeroOp (0x00) or
 * BytePrefix (0x0A) and a byte. iasl writes exactly these bytes for
 * Name (\_S5, Package (0x04) { 0x05, 0x05, Zero, Zero }).
 */
#define AML_ZERO_OP     0x00
#define AML_NAME_OP     0x08
#define AML_BYTE_PREFIX 0x0A
#define AML_PACKAGE_OP  0x12
#define AML_ROOT_CHAR   0x5C

static const uint8_t dsdt_aml[] = {
	AML_NAME_OP, AML_ROOT_CHAR, '_', 'S', '0', '_',
	AML_PACKAGE_OP, 6, 4,
	AML_ZERO_OP, AML_ZERO_OP, AML_ZERO_OP, AML_ZERO_OP,

	AML_NAME_OP, AML_ROOT_CHAR, '_', 'S', '5', '_',
	AML_PACKAGE_OP, 8, 4,
	AML_BYTE_PREFIX, ACPI_SLP_TYP_S5, AML_BYTE_PREFIX, ACPI_SLP_TYP_S5,
	AML_ZERO_OP, AML_ZERO_OP,
};

_Static_assert(ACPI_SLP_TYP_S0 == 0, "\\_S0 is written with ZeroOp");

static int dsdt_write(struct acpi_builder *b, uint64_t *gpa)
{
	/* Revision 2: AML integers are 64 bits wide. */
	uint8_t *t = table_begin(b, "DSDT", 2, sizeof(struct acpi_header) + sizeof(dsdt_aml), gpa);

	if (!t)
		return -1;
	memcpy(t + sizeof(struct acpi_header), dsdt_aml, sizeof(dsdt_aml));
	return table_end(b, t, *gpa, false);
}

static struct acpi_gas io_register(uint16_t port, uint8_t len, uint8_t access_size)
{
	return (struct acpi_gas){
		.space_id = GAS_SYSTEM_IO,
		.bit_width = (uint8_t)(8 * len),
		.access_size = access_size,
		.address = htole64(port),
	};
}

/*
 * FADT (5.2.9): a PC with ACPI always enabled (no SMI_CMD, so no SMM
 * handshake: PM1 control reads with SCI_EN set), the PM1a event and
 * control blocks, the PM timer, no GPE blocks, no buttons, C1 only, reset
 * through port 0xCF9, and the legacy devices that are really there. Every
 * block is given both as the 32-bit field and as the 64-bit X_ GAS with
 * the same address and a bit width of 8 x its length, which is what ACPICA
 * checks the two against; the DSDT both ways too. The FACS is the
 * exception: X_FIRMWARE_CTRL must be zero when FIRMWARE_CTRL is set (the
 * FACS is below 4 GiB), and Linux would install and list it twice.
 */
static int fadt_write(struct acpi_builder *b, uint64_t facs, uint64_t dsdt)
{
	struct acpi_fadt f;
	uint64_t gpa = 0;
	uint8_t *t = table_begin(b, "FACP", FADT_REVISION, sizeof(f), &gpa);

	if (!t)
		return -1;
	memcpy(&f, t, sizeof(f));
	f.firmware_ctrl = htole32((uint32_t)facs);
	f.dsdt = htole32((uint32_t)dsdt);
	f.sci_int = htole16(ACPI_SCI_IRQ);
	f.pm1a_evt_blk = htole32(ACPI_PM1A_EVT_PORT);
	f.pm1a_cnt_blk = htole32(ACPI_PM1A_CNT_PORT);
	f.pm_tmr_blk = htole32(ACPI_PM_TMR_PORT);
	f.pm1_evt_len = ACPI_PM1_EVT_LEN;
	f.pm1_cnt_len = ACPI_PM1_CNT_LEN;
	f.pm_tmr_len = ACPI_PM_TMR_LEN;
	f.p_lvl2_lat = htole16(C2_NOT_SUPPORTED);
	f.p_lvl3_lat = htole16(C3_NOT_SUPPORTED);
	f.century = ACPI_RTC_CENTURY;
	f.iapc_boot_arch = htole16(BOOT_LEGACY_DEVICES | BOOT_8042 | BOOT_VGA_NOT_PRESENT);
	f.flags = htole32(FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
			  FADT_FIX_RTC | FADT_RESET_REG_SUP);
	f.reset_reg = io_register(ACPI_RESET_PORT, 1, GAS_ACCESS_BYTE);
	f.reset_value = ACPI_RESET_VALUE;
	f.minor_version = FADT_MINOR_VERSION;
	f.x_dsdt = htole64(dsdt);
	/* The event block is two 16-bit registers, status then enable. */
	f.x_pm1a_evt_blk = io_register(ACPI_PM1A_EVT_PORT, ACPI_PM1_EVT_LEN, GAS_ACCESS_WORD);
	f.x_pm1a_cnt_blk = io_register(ACPI_PM1A_CNT_PORT, ACPI_PM1_CNT_LEN, GAS_ACCESS_WORD);
	f.x_pm_tmr_blk = io_register(ACPI_PM_TMR_PORT, ACPI_PM_TMR_LEN, GAS_ACCESS_DWORD);
	memcpy(t, &f, sizeof(f));
	return table_end(b, t, gpa, true);
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
		{ ACPI_SCI_IRQ, ACPI_SCI_IRQ, MPS_LEVEL_HIGH },
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
	uint64_t rsdp_at = 0, rsdt_at = 0, xsdt_at = 0, facs_at = 0, dsdt_at = 0;
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
	rsdp_host = acpi_alloc(&b, sizeof(rsdp), 16, &rsdp_at);
	if (!rsdp_host)
		return -1;
	/* Then the tables the root lists, and what the FADT points to before it. */
	if (facs_write(&b, &facs_at) < 0 || dsdt_write(&b, &dsdt_at) < 0 ||
	    fadt_write(&b, facs_at, dsdt_at) < 0 || madt_write(&b, ncpus) < 0)
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
