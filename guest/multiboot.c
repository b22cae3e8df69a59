/* SPDX-License-Identifier: MIT */
/*
 * mbkernel.elf and mbkludge.bin — multiboot kernels; both run this code.
 *
 * Demonstrates the Multiboot 1 boot protocol from the kernel's side: check
 * the magic in EAX, then print what the boot loader handed over in the
 * information structure at EBX: its name, the kernel command line
 * (--append), the legacy memory sizes, the memory map, and the modules
 * (--module FILE: each one's command line is the path as given, followed by
 * its size and the first line of its contents). It also checks what a
 * loader must do silently: .data present, .bss zeroed, modules page-aligned
 * (we asked for that in the header).
 *
 * Run:    minikvm --append "console=ttyS0 hello=world" --module a.txt guest/mbkernel.elf
 *         minikvm --format auto ... guest/mbkludge.bin   (detected by its header)
 * Prints: "multiboot: magic ok\n"
 *         "kernel: ELF, header flags 0x00000003\n"  (mbkludge: "a.out kludge, ... 0x00010003")
 *         "bootloader: minikvm\n"
 *         "cmdline: console=ttyS0 hello=world\n"
 *         "mem_lower=639K mem_upper=130048K\n"      (128 MiB of RAM)
 *         "mmap: base=0x... len=0x... type=N\n"     one per memory map entry
 *         "modules: 1\n"
 *         "module 0: a.txt 12 bytes: first line\n"
 * Exit status: 0 (hypercall EXIT); 1 if anything the loader handed over is wrong.
 */
#include <stdint.h>

#include "lib/console.h"
#include "lib/io.h"
#include "multiboot.h"

#define FIRST_LINE_MAX 72

extern const uint32_t multiboot_header_flags;
extern const char multiboot_kernel_kind[];
extern const uint32_t multiboot_data_probe;

/* Must be zero at entry: the loader zeroes .bss, we never do. */
static uint32_t bss_probe[64];

static __attribute__((noreturn)) void fail(const char *what, uint32_t value)
{
	kprintf("multiboot: error: %s (0x%x)\n", what, value);
	hc_exit(1);
}

static const char *str(uint32_t address)
{
	return (const char *)(uintptr_t)address;
}

static void print_mmap(const struct multiboot_info *mbi)
{
	uint32_t at = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;

	while (at + sizeof(struct multiboot_mmap_entry) <= end) {
		const struct multiboot_mmap_entry *e = (const void *)(uintptr_t)at;

		if (e->size < sizeof(*e) - 4)
			fail("memory map entry too small", e->size);
		kprintf("mmap: base=0x%llx len=0x%llx type=%u\n", (unsigned long long)e->addr,
			(unsigned long long)e->len, e->type);
		at += e->size + 4;
	}
}

static void print_module(uint32_t i, const struct multiboot_module *m)
{
	const char *data = str(m->mod_start);
	uint32_t size = m->mod_end - m->mod_start;
	char line[FIRST_LINE_MAX + 1];
	uint32_t n = 0;

	if (m->mod_end < m->mod_start)
		fail("module ends before it starts", m->mod_end);
	if (m->mod_start & 0xfff)
		fail("module not page-aligned", m->mod_start);
	while (n < size && n < FIRST_LINE_MAX && data[n] != '\n') {
		line[n] = data[n];
		n++;
	}
	line[n] = '\0';
	kprintf("module %u: %s %u bytes: %s\n", i, m->cmdline ? str(m->cmdline) : "(none)",
		size, line);
}

void multiboot_main(uint32_t magic, uint32_t info)
{
	const struct multiboot_info *mbi = (const void *)(uintptr_t)info;

	if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
		fail("bad magic in EAX", magic);
	kprintf("multiboot: magic ok\n");
	kprintf("kernel: %s, header flags 0x%08x\n", multiboot_kernel_kind,
		multiboot_header_flags);

	if (multiboot_data_probe != 0x600dda7a)
		fail(".data was not loaded", multiboot_data_probe);
	for (unsigned i = 0; i < sizeof(bss_probe) / sizeof(bss_probe[0]); i++)
		if (bss_probe[i])
			fail(".bss was not zeroed", bss_probe[i]);

	if (mbi->flags & MULTIBOOT_INFO_LOADER_NAME)
		kprintf("bootloader: %s\n", str(mbi->boot_loader_name));
	if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
		kprintf("cmdline: %s\n", str(mbi->cmdline));
	if (mbi->flags & MULTIBOOT_INFO_MEMORY)
		kprintf("mem_lower=%uK mem_upper=%uK\n", mbi->mem_lower, mbi->mem_upper);
	else
		fail("no memory information although the header asks for it", mbi->flags);
	if (mbi->flags & MULTIBOOT_INFO_MEM_MAP)
		print_mmap(mbi);

	if (mbi->flags & MULTIBOOT_INFO_MODS) {
		const struct multiboot_module *mods = (const void *)(uintptr_t)mbi->mods_addr;

		kprintf("modules: %u\n", mbi->mods_count);
		for (uint32_t i = 0; i < mbi->mods_count; i++)
			print_module(i, &mods[i]);
	} else {
		kprintf("modules: 0\n");
	}
	hc_exit(0);
}
