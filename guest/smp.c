/* SPDX-License-Identifier: MIT */
/*
 * smp.bin — bring up every vCPU the way an operating system does.
 *
 * Demonstrates, on the bootstrap processor (BSP, vCPU 0):
 *   1. finding the CPUs from ACPI: scan 0xE0000-0xFFFFF on 16-byte
 *      boundaries for the RSDP ("RSD PTR ", checksums verified), follow its
 *      XSDT (or the RSDT for ACPI 1.0) to the MADT ("APIC") and count the
 *      enabled Processor Local APIC entries (ACPI 6.x, 5.2.12);
 *   2. starting the application processors (APs) with INIT, SIPI, SIPI sent
 *      through the local APIC's interrupt command register to "all
 *      excluding self" (Intel SDM vol. 3A, 8.4.4 "MP Initialization
 *      Example"), after copying a real-mode trampoline (smp_trampoline.S)
 *      below 1 MiB;
 *   3. an xchg spinlock around the console, and a `lock incl` counter that
 *      the BSP waits on.
 * Each AP switches itself to protected mode, reads its APIC ID from the
 * LAPIC ID register and prints one line; the BSP waits for all of them.
 *
 * Run:    minikvm --format raw32 -c 4 guest/smp.bin
 * Prints: "smp: ACPI MADT lists 4 CPUs, local APIC at 0xfee00000\n"
 *         "cpu 0: APIC id 0 (BSP)\n"
 *         "cpu N: APIC id N\n" for N = 1..3, in whatever order the APs win the lock
 *         "smp: 4 CPUs online\n"
 * Exit status: the number of CPUs (hypercall EXIT). 99 if the ACPI tables
 * are missing or wrong, 98 if an AP does not show up in time. With
 * keep_ticking set (from gdb) it never ends: see tick() below.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/console.h"
#include "lib/io.h"
#include "smp.h"

#define EXIT_BAD_ACPI 99
#define EXIT_AP_TIMEOUT 98

/* ICR low-dword fields (SDM vol. 3A, "Interrupt Command Register"). */
#define ICR_DELIVERY_INIT      (5 << 8)
#define ICR_DELIVERY_STARTUP   (6 << 8)
#define ICR_DELIVERY_PENDING   (1 << 12)
#define ICR_LEVEL_ASSERT       (1 << 14)
#define ICR_ALL_EXCLUDING_SELF (3 << 18)
#define LAPIC_SVR_ENABLE       (1 << 8)

/* About 6 s at 3 GHz: far longer than KVM needs to start 63 APs. */
#define AP_TIMEOUT_TSC (1ULL << 34)

struct acpi_rsdp {
	char signature[8];      /* "RSD PTR " */
	uint8_t checksum;       /* over the first 20 bytes (ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;       /* 0: ACPI 1.0, 2: ACPI 2.0+ with the fields below */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* over all `length` bytes */
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_header {
	char signature[4];
	uint32_t length;        /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;       /* all `length` bytes sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_madt {
	struct acpi_header header;
	uint32_t lapic_address;
	uint32_t flags;
	uint8_t entries[];      /* type, length, ... */
} __attribute__((packed));

#define MADT_LOCAL_APIC       0
#define MADT_LAPIC_ENABLED    (1 << 0)

/* Used by smp_trampoline.S. */
uint32_t ap_next_stack;
uint8_t ap_stacks[SMP_MAX_CPUS - 1][AP_STACK_SIZE] __attribute__((aligned(16)));
extern const char smp_trampoline_start[], smp_trampoline_end[];

static volatile uint32_t console_lock;
static volatile uint32_t aps_online;

/*
 * For gdb's non-stop mode (docs/gdb.md): set keep_ticking to 1 from gdb
 * before the guest runs, and instead of ending, every CPU counts in
 * ticks[its vCPU] forever, through tick(), a place for breakpoints.
 */
/* In .data: _start clears .bss, which would undo gdb's write. */
__attribute__((section(".data"))) volatile uint32_t keep_ticking;
volatile uint32_t ticks[SMP_MAX_CPUS];

__attribute__((noinline)) void tick(unsigned long cpu)
{
	ticks[cpu]++;
}

static void tick_forever(unsigned long cpu)
{
	if (!keep_ticking)
		return;
	for (;;)
		tick(cpu);
}

static void spin_lock(volatile uint32_t *lock)
{
	for (;;) {
		uint32_t old = 1;

		/* xchg with memory is always locked: old gets the previous value. */
		__asm__ volatile("xchgl %0, %1" : "+r"(old), "+m"(*lock) : : "memory");
		if (old == 0)
			return;
		while (*lock)
			cpu_pause();
	}
}

static void spin_unlock(volatile uint32_t *lock)
{
	/* x86 stores are not reordered with earlier loads or stores: a plain store releases. */
	__asm__ volatile("" : : : "memory");
	*lock = 0;
}

static void atomic_inc(volatile uint32_t *p)
{
	__asm__ volatile("lock incl %0" : "+m"(*p) : : "memory");
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint32_t lapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg);
}

static void lapic_write(uint32_t reg, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = value;
}

static void lapic_send_ipi(uint32_t icr_low)
{
	lapic_write(LAPIC_ICR_HIGH, 0);         /* destination: unused with a shorthand */
	lapic_write(LAPIC_ICR_LOW, icr_low);    /* this write sends it */
	while (lapic_read(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING)
		cpu_pause();
}

static __attribute__((noreturn)) void fail(int status, const char *what)
{
	kprintf("smp: error: %s\n", what);
	hc_exit(status);
}

static uint8_t checksum(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

static const struct acpi_rsdp *find_rsdp(void)
{
	int bad_checksum = 0;

	for (uintptr_t a = 0xE0000; a < 0x100000; a += 16) {
		const struct acpi_rsdp *rsdp = (const void *)a;

		if (memcmp(rsdp->signature, "RSD PTR ", 8) != 0)
			continue;
		if (checksum(rsdp, 20) != 0) {
			bad_checksum = 1;
			continue;
		}
		if (rsdp->revision >= 2 &&
		    (rsdp->length < sizeof(*rsdp) || rsdp->length > 0x100000 - a ||
		     checksum(rsdp, rsdp->length) != 0)) {
			bad_checksum = 1;
			continue;
		}
		return rsdp;
	}
	fail(EXIT_BAD_ACPI, bad_checksum ? "RSDP checksum is wrong"
					 : "no RSDP in 0xE0000-0xFFFFF");
}

/* A table we can reach without paging (below 4 GiB) whose checksum is right. */
static const struct acpi_header *acpi_table(uint64_t address, const char *sig)
{
	const struct acpi_header *h;

	if (address == 0 || address >= 0x100000000ULL - sizeof(*h))
		fail(EXIT_BAD_ACPI, "ACPI table pointer outside the first 4 GiB");
	h = (const void *)(uintptr_t)address;
	if (memcmp(h->signature, sig, 4) != 0)
		return NULL;
	if (h->length < sizeof(*h) || h->length > 0x100000000ULL - address)
		fail(EXIT_BAD_ACPI, "ACPI table length is wrong");
	if (checksum(h, h->length) != 0)
		fail(EXIT_BAD_ACPI, "ACPI table checksum is wrong");
	return h;
}

static const struct acpi_madt *find_madt(const struct acpi_rsdp *rsdp)
{
	const struct acpi_header *root;
	uint32_t entry_size, n;
	const uint8_t *entries;

	if (rsdp->revision >= 2 && rsdp->xsdt_address) {
		root = acpi_table(rsdp->xsdt_address, "XSDT");
		entry_size = 8;
	} else {
		root = acpi_table(rsdp->rsdt_address, "RSDT");
		entry_size = 4;
	}
	if (!root)
		fail(EXIT_BAD_ACPI, "the RSDP does not point to an XSDT/RSDT");

	entries = (const uint8_t *)root + sizeof(*root);
	n = (root->length - sizeof(*root)) / entry_size;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t address;
		const struct acpi_header *t;

		if (entry_size == 8)
			memcpy(&address, entries + 8 * i, 8); /* XSDT entries are unaligned */
		else
			address = *(const uint32_t *)(entries + 4 * i);
		t = acpi_table(address, "APIC");
		if (t) {
			if (t->length < sizeof(struct acpi_madt))
				fail(EXIT_BAD_ACPI, "MADT too short");
			return (const struct acpi_madt *)t;
		}
	}
	fail(EXIT_BAD_ACPI, "no MADT (\"APIC\") in the XSDT/RSDT");
}

static int count_cpus(const struct acpi_madt *madt)
{
	const uint8_t *p = madt->entries;
	const uint8_t *end = (const uint8_t *)madt + madt->header.length;
	int cpus = 0;

	while (p + 2 <= end) {
		uint8_t type = p[0], len = p[1];

		if (len < 2 || p + len > end)
			fail(EXIT_BAD_ACPI, "malformed MADT entry");
		if (type == MADT_LOCAL_APIC) {
			uint32_t flags;

			if (len < 8)
				fail(EXIT_BAD_ACPI, "MADT local APIC entry too short");
			memcpy(&flags, p + 4, 4);
			if (flags & MADT_LAPIC_ENABLED)
				cpus++;
		}
		p += len;
	}
	if (cpus == 0)
		fail(EXIT_BAD_ACPI, "the MADT lists no enabled CPU");
	if (cpus > SMP_MAX_CPUS)
		fail(EXIT_BAD_ACPI, "more CPUs than this guest has stacks for");
	return cpus;
}

static uint32_t my_apic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

/* Every AP ends up here, on its own stack, in 32-bit protected mode. */
void ap_main(void)
{
	uint32_t apic_id = my_apic_id();
	unsigned long vcpu = hypercall(HC_VCPU_ID, 0, 0);

	spin_lock(&console_lock);
	kprintf("cpu %lu: APIC id %u\n", vcpu, apic_id);
	spin_unlock(&console_lock);
	atomic_inc(&aps_online);
	tick_forever(vcpu);
	halt_forever();
}

static void start_aps(void)
{
	memcpy((void *)TRAMPOLINE_ADDR, smp_trampoline_start,
	       smp_trampoline_end - smp_trampoline_start);

	/* Software-enable the local APIC (spurious vector 0xFF). */
	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | LAPIC_SVR_ENABLE | 0xFF);

	lapic_send_ipi(ICR_ALL_EXCLUDING_SELF | ICR_LEVEL_ASSERT | ICR_DELIVERY_INIT);
	/* Real hardware wants 10 ms here; KVM handles INIT before a later SIPI. */
	for (int i = 0; i < 100; i++)
		cpu_pause();
	/* Two SIPIs, as the SDM recommends: the second is ignored by a started AP. */
	lapic_send_ipi(ICR_ALL_EXCLUDING_SELF | ICR_LEVEL_ASSERT | ICR_DELIVERY_STARTUP |
		       TRAMPOLINE_VECTOR);
	lapic_send_ipi(ICR_ALL_EXCLUDING_SELF | ICR_LEVEL_ASSERT | ICR_DELIVERY_STARTUP |
		       TRAMPOLINE_VECTOR);
}

int main(void)
{
	const struct acpi_madt *madt = find_madt(find_rsdp());
	int cpus = count_cpus(madt);

	kprintf("smp: ACPI MADT lists %d CPU%s, local APIC at 0x%x\n", cpus,
		cpus == 1 ? "" : "s", madt->lapic_address);

	spin_lock(&console_lock);
	kprintf("cpu %lu: APIC id %u (BSP)\n", hypercall(HC_VCPU_ID, 0, 0), my_apic_id());
	spin_unlock(&console_lock);

	if (cpus > 1) {
		uint64_t start = rdtsc();

		start_aps();
		while (aps_online < (uint32_t)cpus - 1) {
			if (rdtsc() - start > AP_TIMEOUT_TSC) {
				spin_lock(&console_lock);
				kprintf("smp: error: only %u of %d APs came up\n", aps_online,
					cpus - 1);
				hc_exit(EXIT_AP_TIMEOUT);
			}
			cpu_pause();
		}
	}

	spin_lock(&console_lock);
	kprintf("smp: %d CPU%s online\n", cpus, cpus == 1 ? "" : "s");
	spin_unlock(&console_lock);
	tick_forever(0);
	hc_exit(cpus);
}
