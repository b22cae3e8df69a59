// SPDX-License-Identifier: MIT
/*
 * A small C kernel for QEMU's virt board (the RISC-V counterpart of
 * guest/ckernel.c): it prints on the UART, checks the device tree its VMM
 * handed over in a1, writes a line through the SBI debug console (DBCN,
 * which the VMM serves), takes three timer interrupts, and ends through
 * the test device with exit code 7. The timer is Sstc's stimecmp where the
 * device tree's riscv,isa names sstc, else the SBI TIME extension's
 * set_timer (served by KVM); as Linux does, for a reason: KVM 6.12 with
 * Sstc on loses a set_timer's value when the vCPU leaves the guest before
 * it runs again (docs/riscv.md, "The lost tick"), which a debugger's stop
 * makes likely.
 * Built with -g: gdb-multiarch guest/riscv/ckernel.elf has its symbols.
 */
#include <stdint.h>

#include "virt.h"

#define SBI_EXT_TIME        0x54494D45 /* "TIME": set_timer is function 0 */
#define SBI_EXT_DBCN        0x4442434E /* "DBCN" */
#define SBI_DBCN_WRITE      0
#define SBI_DBCN_WRITE_BYTE 2

/* A leaf function to break on: the n-th Fibonacci number. */
uint64_t leaf(unsigned n)
{
	uint64_t a = 0, b = 1;

	for (unsigned i = 0; i < n; i++) {
		uint64_t t = a + b;

		a = b;
		b = t;
	}
	return a;
}

/* ---- Timer interrupts: sie.STIE and sstatus.SIE on, the SBI sets the next one. ---- */

#define SSTATUS_SIE   (1ul << 1)
#define SIE_STIE      (1ul << 5)
#define SCAUSE_IRQ    (1ul << 63)
#define IRQ_S_TIMER   5
#define TICK_CYCLES   100000 /* of the time CSR: 10 ms at QEMU virt's 10 MHz */

#define CSR_STIMECMP "0x14d" /* Sstc */

extern void trap_entry(void);
static int sstc;
/*
 * On a page of its own: a read watchpoint takes the page out of the guest's
 * memory (RISC-V KVM has no triggers for a VMM), and code cannot run from it.
 */
static volatile unsigned ticks __attribute__((aligned(4096)));

static void set_timer(uint64_t when)
{
	if (sstc)
		__asm__ volatile("csrw " CSR_STIMECMP ", %0" : : "r"(when));
	else
		sbi_call(SBI_EXT_TIME, 0, (long)when, 0, 0);
}

/* riscv,isa names sstc ("rv64imafdc_..._sstc"): the string is nowhere else in a device tree. */
static int fdt_names_sstc(const void *fdt)
{
	const char *p = fdt;
	uint32_t size = be32(p + 4); /* totalsize */

	for (uint32_t i = 0; i + 5 <= size; i++)
		if (p[i] == '_' && p[i + 1] == 's' && p[i + 2] == 's' && p[i + 3] == 't' && p[i + 4] == 'c')
			return 1;
	return 0;
}

/* Called by trap_entry (trap.S) for every trap. */
void trap(uint64_t scause, uint64_t sepc)
{
	if (scause == (SCAUSE_IRQ | IRQ_S_TIMER)) {
		ticks++;
		/* The next tick, or none: setting the timer far away clears the pending bit. */
		set_timer(ticks < 3 ? read_time() + TICK_CYCLES : UINT64_MAX);
		return;
	}
	uart_puts("ckernel: unexpected trap, scause ");
	uart_put_hex(scause);
	uart_puts(" at ");
	uart_put_hex(sepc);
	uart_puts("\n");
	virt_exit(99);
}

static void timer_ticks(void)
{
	__asm__ volatile("csrw stvec, %0" : : "r"((uintptr_t)trap_entry));
	__asm__ volatile("csrs sie, %0" : : "r"(SIE_STIE));
	set_timer(read_time() + TICK_CYCLES);
	__asm__ volatile("csrs sstatus, %0" : : "r"(SSTATUS_SIE));
	while (ticks < 3)
		__asm__ volatile("wfi");
	__asm__ volatile("csrc sstatus, %0" : : "r"(SSTATUS_SIE));
	uart_puts("ckernel: 3 timer interrupts\n");
}

static const char dbcn_line[] = "ckernel: hello through SBI DBCN\n";

void kmain(unsigned long hartid, const void *fdt)
{
	struct sbiret r;

	uart_puts("ckernel: hart ");
	uart_put_hex(hartid);
	uart_puts(", device tree at ");
	uart_put_hex((uintptr_t)fdt);
	uart_puts(be32(fdt) == FDT_MAGIC ? " (magic ok)\n" : " (bad magic)\n");

	/* The guest is physical = virtual (no paging), so the buffer's address is its GPA. */
	r = sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE, sizeof(dbcn_line) - 1, (long)(uintptr_t)dbcn_line, 0);
	uart_puts(r.error == 0 && r.value == sizeof(dbcn_line) - 1 ? "ckernel: dbcn write ok\n"
								  : "ckernel: dbcn write failed\n");
	sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, '!', 0, 0);
	sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, '\n', 0, 0);

	sstc = be32(fdt) == FDT_MAGIC && fdt_names_sstc(fdt);
	uart_puts(sstc ? "ckernel: timer: Sstc (stimecmp)\n" : "ckernel: timer: SBI TIME (set_timer)\n");
	timer_ticks();
	uart_puts("ckernel: fib(50) = ");
	uart_put_hex(leaf(50));
	uart_puts("\nckernel: exiting with code 7\n");
	virt_exit(7);
}
