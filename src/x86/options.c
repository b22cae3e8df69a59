/* SPDX-License-Identifier: MIT */
/*
 * The x86 machine's part of the command line (options.h): the image
 * formats a PC boots, where raw images go, how a guest ends with its own
 * exit status, and the options only a PC has: --irqchip (its 8259s, IOAPIC
 * and PIT) and --module (multiboot).
 */
#include "options.h"
#include "error.h"

#include <string.h>

const enum image_format arch_formats[] = {
	FORMAT_AUTO, FORMAT_RAW16, FORMAT_RAW32, FORMAT_RAW64, FORMAT_ELF, FORMAT_MULTIBOOT,
	FORMAT_LINUX, FORMAT_PVH,
};
const size_t arch_nformats = sizeof(arch_formats) / sizeof(arch_formats[0]);

const char arch_format_usage[] =
	"\nImage:\n"
	"      --format FMT       auto|raw16|raw32|raw64|elf|multiboot|linux|pvh (default\n"
	"                         auto: ELF, multiboot and Linux bzImage are recognised\n"
	"                         by their headers, a vmlinux by its PVH note, a *.bin\n"
	"                         file is raw16)\n";

const char arch_load_addr_usage[] =
	"      --load-addr ADDR   where a raw image is loaded (raw16 0x7c00, else 0x100000)\n";

const char arch_exit_help[] =
	"  0    the guest shut down cleanly (i8042 reset, hypercall exit 0)\n"
	"  N    the guest's own code: isa-debug-exit (port 0xf4) value V gives\n"
	"       (V << 1) | 1, the exit hypercall's code gives itself (8 bits)\n";

const char arch_no_debugger[] = "this minikvm was built without the debugger (build/minikvm-nodebug): ";

static enum option_status opt_irqchip(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	if (!strcmp(arg, "split")) {
		cfg->irqchip = IRQCHIP_SPLIT;
	} else if (!strcmp(arg, "kernel")) {
		cfg->irqchip = IRQCHIP_KERNEL;
	} else {
		err_set(EXIT_USAGE, "bad --irqchip '%s' (split or kernel)", arg);
		return OPTION_FAILED;
	}
	return OPTION_OK;
}

static enum option_status opt_module(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	if (cfg->nmodules == MAX_MODULES) {
		err_set(EXIT_USAGE, "too many --module options (at most %d)", MAX_MODULES);
		return OPTION_FAILED;
	}
	cfg->modules[cfg->nmodules++] = arg;
	return OPTION_OK;
}

static const struct option_spec x86_options[] = {
	{ "irqchip", 0, true, HELP_MACHINE + 3,
	  "      --irqchip MODE     split|kernel: the 8259 PICs, IOAPIC and PIT emulated\n"
	  "                         by minikvm (split, default; KVM keeps the local APICs)\n"
	  "                         or all of them by KVM (kernel)\n", opt_irqchip },
	{ "module", 0, true, HELP_IMAGE + 6,
	  "      --module FILE      multiboot module (repeatable)\n", opt_module },
	{ 0 },
};

static const struct option_module x86_option_module = {
	.options = x86_options,
};
OPTION_MODULE(x86_option_module);
