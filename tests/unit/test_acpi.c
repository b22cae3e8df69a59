/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "imagegen.h"
#include "../../src/error.h"
#include "../../src/options.h"
#include "../../src/x86/acpi.h"
#include "../../src/x86/layout.h"

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

static void check_acpi(int ncpus)
{
	struct guest_mem mem;
	uint64_t rsdp = acpi_rsdp_address(), xsdt, rsdt, madt;
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

	xsdt = rd64(&mem, rsdp + 24);
	len = check_table(&mem, xsdt, "XSDT");
	CHECK_EQ(len, 36 + 8);
	madt = rd64(&mem, xsdt + 36);
	check_madt(&mem, madt, ncpus);

	rsdt = rd32(&mem, rsdp + 16);
	len = check_table(&mem, rsdt, "RSDT");
	CHECK_EQ(len, 36 + 4);
	CHECK_EQ(rd32(&mem, rsdt + 36), madt);
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
