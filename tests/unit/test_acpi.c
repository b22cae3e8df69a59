/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "imagegen.h"
#include "error.h"
#include "options.h"
#include "x86/acpi.h"
#include "x86/layout.h"

#define MIB (1ULL << 20)

static uint8_t sum(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = guest_mem_ptr(mem, gpa, len);
	uint8_t s = 0;

	if (!p)
		return 0xFF;
	while (len--)
		s += *p++;
	return s;
}

/* A table's header is sane: signature, length within the area, checksum, OEM ids. */
static uint32_t check_table(const struct guest_mem *mem, uint64_t at, const char *sig)
{
	uint32_t len = rd32(mem, at + 4);

	CHECK(at >= LAYOUT_ACPI && at < LAYOUT_ACPI_END);
	CHECK_MEM(guest_mem_ptr(mem, at, 4), sig, 4);
	CHECK(len >= 36 && len <= LAYOUT_ACPI_END - at);
	if (len < 36 || len > LAYOUT_ACPI_END - at)
		return 0;
	CHECK_EQ(sum(mem, at, len), 0);
	CHECK_MEM(guest_mem_ptr(mem, at + 10, 6), "MINKVM", 6);
	CHECK_MEM(guest_mem_ptr(mem, at + 16, 8), "MINIKVM ", 8);
	CHECK(rd32(mem, at + 28) != 0);          /* creator id */
	return len;
}

static void check_madt(const struct guest_mem *mem, uint64_t madt, int ncpus)
{
	uint32_t len = check_table(mem, madt, "APIC");
	int lapics = 0, ioapics = 0, overrides = 0;
	uint64_t p, end = madt + len;

	CHECK(rd8(mem, madt + 8) >= 3);          /* revision */
	CHECK_EQ(rd32(mem, madt + 36), 0xFEE00000);
	CHECK_EQ(rd32(mem, madt + 40), 1);       /* PCAT_COMPAT */
	for (p = madt + 44; p + 2 <= end; p += rd8(mem, p + 1)) {
		uint8_t type = rd8(mem, p), elen = rd8(mem, p + 1);

		CHECK(elen >= 2);
		if (elen < 2)
			return;
		switch (type) {
		case 0:
			CHECK_EQ(elen, 8);
			CHECK_EQ(rd8(mem, p + 2), lapics); /* processor UID */
			CHECK_EQ(rd8(mem, p + 3), lapics); /* APIC ID */
			CHECK_EQ(rd32(mem, p + 4), 1);     /* enabled */
			lapics++;
			break;
		case 1:
			CHECK_EQ(elen, 12);
			CHECK_EQ(rd8(mem, p + 2), 0);      /* I/O APIC ID */
			CHECK_EQ(rd32(mem, p + 4), 0xFEC00000);
			CHECK_EQ(rd32(mem, p + 8), 0);     /* GSI base */
			ioapics++;
			break;
		case 2:
			CHECK_EQ(elen, 10);
			CHECK_EQ(rd8(mem, p + 2), 0);      /* ISA */
			if (rd8(mem, p + 3) == 0) {
				CHECK_EQ(rd32(mem, p + 4), 2);
				CHECK_EQ(rd16(mem, p + 8), 0);
			} else {
				CHECK_EQ(rd8(mem, p + 3), 9);
				CHECK_EQ(rd32(mem, p + 4), 9);
				CHECK_EQ(rd16(mem, p + 8), 0x000d);
			}
			overrides++;
			break;
		case 4:
			CHECK_EQ(elen, 6);
			CHECK_EQ(rd8(mem, p + 5), 1);      /* LINT1 */
			break;
		default:
			CHECK(!"unexpected MADT entry type");
		}
	}
	CHECK_EQ(p, end);                        /* entries fill the table exactly */
	CHECK_EQ(lapics, ncpus);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(overrides, 2);
}

/* A Generic Address Structure naming an I/O port register. */
static void check_io_gas(const struct guest_mem *mem, uint64_t at, uint16_t port,
			 uint8_t bits, uint8_t access)
{
	CHECK_EQ(rd8(mem, at), 1);               /* SystemIO */
	CHECK_EQ(rd8(mem, at + 1), bits);
	CHECK_EQ(rd8(mem, at + 2), 0);           /* bit offset */
	CHECK_EQ(rd8(mem, at + 3), access);
	CHECK_EQ(rd64(mem, at + 4), port);
}

static void check_facs(const struct guest_mem *mem, uint64_t facs)
{
	CHECK_EQ(facs % 64, 0);                  /* 5.2.10: 64-byte aligned */
	CHECK(facs >= LAYOUT_ACPI && facs + 64 <= LAYOUT_ACPI_END);
	CHECK_MEM(guest_mem_ptr(mem, facs, 4), "FACS", 4);
	CHECK_EQ(rd32(mem, facs + 4), 64);
	CHECK_EQ(rd32(mem, facs + 16), 0);       /* global lock free */
	CHECK_EQ(rd8(mem, facs + 32), 2);        /* version */
}

/* The DSDT's whole AML body, byte for byte: Name (\_S0, ...) and Name (\_S5, ...). */
static void check_dsdt(const struct guest_mem *mem, uint64_t dsdt)
{
	static const uint8_t aml[] = {
		0x08, '\\', '_', 'S', '0', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
		0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00,
	};
	uint32_t len = check_table(mem, dsdt, "DSDT");

	CHECK_EQ(rd8(mem, dsdt + 8), 2);         /* 64-bit AML integers */
	CHECK_EQ(len, 36 + sizeof(aml));
	CHECK_MEM(guest_mem_ptr(mem, dsdt + 36, sizeof(aml)), aml, sizeof(aml));
}

/* The FADT's fields at their ACPI 6.x offsets (Table 5.9), checked independently of acpi.c. */
static void check_fadt(const struct guest_mem *mem, uint64_t fadt)
{
	uint32_t len = check_table(mem, fadt, "FACP");
	uint64_t facs = rd32(mem, fadt + 36), dsdt = rd32(mem, fadt + 40);

	CHECK_EQ(len, 276);
	CHECK_EQ(rd8(mem, fadt + 8), 6);         /* revision */
	CHECK(facs != 0);
	CHECK_EQ(rd64(mem, fadt + 132), 0);      /* X_FIRMWARE_CTRL: zero when FIRMWARE_CTRL is set */
	CHECK_EQ(rd64(mem, fadt + 140), dsdt);   /* X_DSDT agrees */
	CHECK_EQ(rd16(mem, fadt + 46), 9);       /* SCI_INT */
	CHECK_EQ(rd32(mem, fadt + 48), 0);       /* SMI_CMD: no SMM, ACPI always on */
	CHECK_EQ(rd8(mem, fadt + 52), 0);        /* ACPI_ENABLE */
	CHECK_EQ(rd8(mem, fadt + 53), 0);        /* ACPI_DISABLE */
	CHECK_EQ(rd32(mem, fadt + 56), 0x600);   /* PM1a_EVT_BLK */
	CHECK_EQ(rd32(mem, fadt + 60), 0);       /* PM1b_EVT_BLK */
	CHECK_EQ(rd32(mem, fadt + 64), 0x604);   /* PM1a_CNT_BLK */
	CHECK_EQ(rd32(mem, fadt + 68), 0);       /* PM1b_CNT_BLK */
	CHECK_EQ(rd32(mem, fadt + 72), 0);       /* PM2_CNT_BLK */
	CHECK_EQ(rd32(mem, fadt + 76), 0x608);   /* PM_TMR_BLK */
	CHECK_EQ(rd32(mem, fadt + 80), 0);       /* GPE0_BLK */
	CHECK_EQ(rd32(mem, fadt + 84), 0);       /* GPE1_BLK */
	CHECK_EQ(rd8(mem, fadt + 88), 4);        /* PM1_EVT_LEN */
	CHECK_EQ(rd8(mem, fadt + 89), 2);        /* PM1_CNT_LEN */
	CHECK_EQ(rd8(mem, fadt + 90), 0);        /* PM2_CNT_LEN */
	CHECK_EQ(rd8(mem, fadt + 91), 4);        /* PM_TMR_LEN */
	CHECK_EQ(rd8(mem, fadt + 92), 0);        /* GPE0_BLK_LEN */
	CHECK_EQ(rd8(mem, fadt + 93), 0);        /* GPE1_BLK_LEN */
	CHECK(rd16(mem, fadt + 96) > 100);       /* P_LVL2_LAT: no C2 */
	CHECK(rd16(mem, fadt + 98) > 1000);      /* P_LVL3_LAT: no C3 */
	CHECK_EQ(rd8(mem, fadt + 108), 0x32);    /* CENTURY */
	/* IAPC_BOOT_ARCH: legacy devices, 8042, no VGA; CMOS RTC present (bit 5 clear). */
	CHECK_EQ(rd16(mem, fadt + 109), 0x0007);
	/* Flags: WBINVD, PROC_C1, PWR_BUTTON, SLP_BUTTON, FIX_RTC, RESET_REG_SUP; not HW_REDUCED. */
	CHECK_EQ(rd32(mem, fadt + 112), 0x00000475);
	check_io_gas(mem, fadt + 116, 0xCF9, 8, 1); /* RESET_REG */
	CHECK_EQ(rd8(mem, fadt + 128), 0x06);    /* RESET_VALUE */
	check_io_gas(mem, fadt + 148, 0x600, 32, 2); /* X_PM1a_EVT_BLK */
	check_io_gas(mem, fadt + 172, 0x604, 16, 2); /* X_PM1a_CNT_BLK */
	check_io_gas(mem, fadt + 208, 0x608, 32, 3); /* X_PM_TMR_BLK */
	for (unsigned gas = 160; gas < 268; gas += 12)   /* every other GAS is empty */
		if (gas != 172 && gas != 208)
			CHECK_EQ(rd64(mem, fadt + gas + 4), 0);
	check_facs(mem, facs);
	check_dsdt(mem, dsdt);
}

static void check_acpi(int ncpus)
{
	struct guest_mem mem;
	uint64_t rsdp = acpi_rsdp_address(), xsdt, rsdt, fadt = 0, madt = 0;
	uint32_t len;

	testmem_new(&mem, 2 * MIB, 0xAA);
	err_clear();
	CHECK_EQ(acpi_build(&mem, ncpus), 0);

	CHECK_EQ(rsdp, 0xE0000);
	CHECK_EQ(rsdp % 16, 0);
	CHECK_MEM(guest_mem_ptr(&mem, rsdp, 8), "RSD PTR ", 8);
	CHECK_EQ(rd8(&mem, rsdp + 15), 2);       /* revision */
	CHECK_EQ(sum(&mem, rsdp, 20), 0);
	CHECK_EQ(rd32(&mem, rsdp + 20), 36);     /* length */
	CHECK_EQ(sum(&mem, rsdp, 36), 0);
	CHECK_MEM(guest_mem_ptr(&mem, rsdp + 9, 6), "MINKVM", 6);

	/* The XSDT lists the FADT and the MADT (the DSDT and FACS hang off the FADT). */
	xsdt = rd64(&mem, rsdp + 24);
	len = check_table(&mem, xsdt, "XSDT");
	CHECK_EQ(len, 36 + 2 * 8);
	for (uint64_t e = xsdt + 36; e + 8 <= xsdt + len; e += 8) {
		uint64_t t = rd64(&mem, e);
		const uint8_t *sig = guest_mem_ptr(&mem, t, 4);

		if (sig && !memcmp(sig, "FACP", 4))
			fadt = t;
		else if (sig && !memcmp(sig, "APIC", 4))
			madt = t;
		else
			CHECK(!"unexpected table in the XSDT");
	}
	CHECK(fadt && madt);
	if (!fadt || !madt) {
		testmem_free(&mem);
		return;
	}
	check_fadt(&mem, fadt);
	check_madt(&mem, madt, ncpus);

	rsdt = rd32(&mem, rsdp + 16);
	len = check_table(&mem, rsdt, "RSDT");
	CHECK_EQ(len, 36 + 2 * 4);
	CHECK_EQ(rd32(&mem, rsdt + 36), rd64(&mem, xsdt + 36));
	CHECK_EQ(rd32(&mem, rsdt + 40), rd64(&mem, xsdt + 44));
	testmem_free(&mem);
}

/* Where the tables land, as documented in acpi.c (the lead's boot notes quote it). */
TEST(acpi_layout)
{
	struct guest_mem mem;
	uint64_t fadt;

	testmem_new(&mem, 2 * MIB, 0);
	CHECK_EQ(acpi_build(&mem, 1), 0);
	fadt = rd64(&mem, rd64(&mem, 0xE0000 + 24) + 36);
	CHECK_EQ(fadt, 0xE00C0);
	CHECK_EQ(rd32(&mem, fadt + 36), 0xE0040); /* FACS */
	CHECK_EQ(rd32(&mem, fadt + 40), 0xE0080); /* DSDT */
	CHECK_EQ(rd64(&mem, rd64(&mem, 0xE0000 + 24) + 44), 0xE01E0); /* MADT */
	testmem_free(&mem);
}

TEST(acpi_one_cpu)
{
	check_acpi(1);
}

TEST(acpi_four_cpus)
{
	check_acpi(4);
}

TEST(acpi_max_cpus)
{
	check_acpi(MAX_CPUS);
}

TEST(acpi_refuses_bad_cpu_counts)
{
	struct guest_mem mem;

	testmem_new(&mem, 2 * MIB, 0);
	CHECK(acpi_build(&mem, MAX_CPUS + 1) < 0);
	CHECK_STR(err_message(), "the ACPI tables describe 1 to 64 vCPUs; 65 requested");
	CHECK_EQ(err_status(), EXIT_USAGE);
	CHECK(acpi_build(&mem, 0) < 0);
	testmem_free(&mem);

	testmem_new(&mem, 512 * 1024, 0);        /* does not reach 0xE0000 */
	CHECK(acpi_build(&mem, 1) < 0);
	CHECK(err_has("ACPI area"));
	testmem_free(&mem);
}

TEST(acpi_clears_stale_bytes)
{
	struct guest_mem mem;

	testmem_new(&mem, 2 * MIB, 0xAA);
	CHECK_EQ(acpi_build(&mem, 2), 0);
	CHECK_EQ(rd8(&mem, 0xFFFFF), 0);
	CHECK_EQ(rd8(&mem, 0xDFFFF), 0xAA);      /* nothing below the area */
	CHECK_EQ(rd8(&mem, 0x100000), 0xAA);     /* nor above it */
	testmem_free(&mem);
}
