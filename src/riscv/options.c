/* SPDX-License-Identifier: MIT */
/*
 * The RISC-V machine's part of the command line (options.h): the image
 * formats it boots, where flat binaries go, how a guest ends with its own
 * exit status; and the x86 options it refuses with a clear word.
 */
#include "options.h"
#include "error.h"

const enum image_format arch_formats[] = { FORMAT_AUTO, FORMAT_RAW, FORMAT_ELF, FORMAT_LINUX };
const size_t arch_nformats = sizeof(arch_formats) / sizeof(arch_formats[0]);

const char arch_format_usage[] =
	"\nImage:\n"
	"      --format FMT       auto|raw|elf|linux (default auto: an ELF file and a\n"
	"                         Linux Image are recognised by their headers, a *.bin\n"
	"                         file is raw, a flat binary)\n";

const char arch_load_addr_usage[] =
	"      --load-addr ADDR   where a raw image is loaded (default 0x80000000, the\n"
	"                         start of RAM on QEMU's virt board)\n";

const char arch_exit_help[] =
	"  0    the guest shut down cleanly (SBI system reset or shutdown, test\n"
	"       device 0x100000 written 0x5555 or 0x7777)\n"
	"  N    the guest's own code: the test device written (N << 16) | 0x3333\n";

static enum option_status x86_only(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)cfg;
	(void)arg;
	(void)out;
	err_set(EXIT_USAGE, "--irqchip and --module are x86 options (the PC's interrupt "
		"controllers, multiboot); this is minikvm for RISC-V");
	return OPTION_FAILED;
}

/* Known only to be refused: no usage lines. */
static const struct option_spec riscv_refused[] = {
	{ "irqchip", 0, true, 0, NULL, x86_only },
	{ "module", 0, true, 0, NULL, x86_only },
	{ 0 },
};

static const struct option_module riscv_option_module = {
	.options = riscv_refused,
};
OPTION_MODULE(riscv_option_module);
