/* SPDX-License-Identifier: MIT */
/*
 * The command line, parsed into a vm_config. No KVM here: unit-tested.
 *
 * options.c knows the core's options (machine, image, console, snapshots,
 * diagnostics); a module linked in (the debugger: src/debug_options.c)
 * declares its own in a table of struct option_spec, with its usage lines
 * and a handler that fills its part of the vm_config, as Solo5's modules
 * do. A build without the module simply has no such table.
 */
#ifndef MINIKVM_OPTIONS_H
#define MINIKVM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_CPUS    64
#define MAX_MODULES 16
#define MAX_GDB_ALLOW_UIDS 16
#define MAX_SHARES  4
#define SHARE_TAG_MAX 32 /* bytes of a 9p mount tag */

/*
 * --gdb-allow-uid: who may connect to the gdb endpoint besides the user
 * minikvm runs as (docs/security.md). "any" also lets in peers on other
 * machines, whose uid cannot be known.
 */
struct gdb_allow {
	bool any;
	int n;
	uint32_t uids[MAX_GDB_ALLOW_UIDS];
};

/* --share DIR[,tag=TAG][,rw]: a host directory the guest mounts over virtio-9p (src/share_options.c). */
struct share {
	char dir[4096];
	char tag[SHARE_TAG_MAX + 1];
	bool writable;
};

enum image_format {
	FORMAT_AUTO,
	FORMAT_RAW16,
	FORMAT_RAW32,
	FORMAT_RAW64,
	FORMAT_ELF,
	FORMAT_MULTIBOOT,
	FORMAT_LINUX,     /* bzImage, 64-bit boot protocol */
	FORMAT_PVH,       /* vmlinux ELF through its PVH entry note */
	FORMAT_RAW,       /* RISC-V: a flat binary, run where it is loaded */
};

/* Which interrupt controllers KVM emulates (see src/x86/irqchip.h). */
enum irqchip_mode { IRQCHIP_SPLIT, IRQCHIP_KERNEL };

enum serial_mode { SERIAL_STDIO, SERIAL_NONE, SERIAL_FILE, SERIAL_STDERR };

struct vm_config {
	const char *image;
	uint64_t mem_size;          /* bytes */
	int cpus;
	enum irqchip_mode irqchip;  /* default split: PIC, IOAPIC and PIT in minikvm */
	enum image_format format;
	bool load_addr_set, entry_set;
	uint64_t load_addr, entry;  /* raw images */
	const char *append;         /* kernel command line */
	const char *initrd;         /* Linux initial ramdisk */
	const char *modules[MAX_MODULES];
	int nmodules;
	enum serial_mode serial;
	const char *serial_path;
	int verbose;
	bool trace_exits;
	bool stats;
	const char *gdb;            /* --gdb ENDPOINT, NULL without */
	bool wait_gdb;              /* -S: no vCPU runs until gdb resumes */
	int gdb_arch;               /* 0 auto (follows the image), 32 i386, 64 x86-64 */
	struct gdb_allow gdb_allow; /* --gdb-allow-uid (default: only our own uid) */
	const char *snapshot_dir;   /* --snapshot-dir: monitor savevm also writes DIR/NAME.mkvm */
	const char *dump_dir;       /* --dump-dir: monitor dump-guest-memory writes DIR/FILE; else refused */
	const char *loadvm;         /* --loadvm FILE: start from a snapshot (image optional) */
	bool host_report;           /* --host-report: print what the host's KVM does, run nothing */
	struct share shares[MAX_SHARES]; /* --share, in the order given: share i is virtio-mmio slot i */
	int nshares;
};

enum options_result { OPTIONS_RUN, OPTIONS_EXIT_OK, OPTIONS_ERROR };

/* What an option's handler says. */
enum option_status {
	OPTION_OK,
	OPTION_DONE,      /* it printed what was asked (--help, --version): exit 0 */
	OPTION_FAILED,    /* err_set() says why */
	OPTION_BAD_VALUE, /* options.c says "bad value 'ARG' for --NAME" */
};

/* Where an option's usage lines go in --help: the sections in this order, then HELP_x + rank. */
enum help_place {
	HELP_MACHINE = 100, HELP_IMAGE = 200, HELP_CONSOLE = 300, HELP_DEBUGGING = 400,
	HELP_SNAPSHOTS = 500, HELP_DIAGNOSTICS = 600,
};

struct vm;

struct option_spec {
	const char *name;   /* long name without "--", or NULL */
	char short_name;    /* 0: none */
	bool has_arg;
	int help_place;     /* enum help_place plus a rank within the section */
	const char *usage;  /* its lines in --help (a section's first opens with its heading); may be NULL */
	/* arg: NULL without has_arg; out: where --help and --version print. NULL: a heading only. */
	enum option_status (*handle)(struct vm_config *cfg, const char *arg, FILE *out);
};

/* A module's part of the command line and of main()'s run; any hook may be NULL. */
struct option_module {
	const struct option_spec *options; /* ends with { 0 } */
	/* After every option was read and checked; -1 with err_set(EXIT_USAGE). */
	int (*finish)(struct vm_config *cfg);
	/* --host-report: print it on out; 0, or -1 with err_set(). */
	int (*host_report)(FILE *out);
	/* The VM is made (and a --loadvm snapshot loaded): plug into it; -1 with err_set(). */
	int (*setup)(struct vm *vm);
};

/*
 * A module declares itself with OPTION_MODULE(its struct option_module):
 * the linker gathers the pointers into one section, which options.c walks.
 */
#define OPTION_MODULE(m) \
	static const struct option_module *const option_module_##m \
	__attribute__((section("minikvm_option_modules"), used)) = &(m)

/* The modules linked in: *n of them. */
const struct option_module *const *options_modules(size_t *n);

/*
 * Parse argv. OPTIONS_EXIT_OK means --help/--version was printed to out;
 * OPTIONS_ERROR means err_set() holds a one-line message.
 */
enum options_result options_parse(int argc, char **argv, struct vm_config *cfg, FILE *out);

/*
 * What the arch says of images and exits (src/x86/options.c,
 * src/riscv/options.c): the formats --format takes, their --help lines,
 * and the exit statuses a guest can give itself. Options only one arch has
 * (--irqchip, --module on x86) are that arch's option module.
 */
extern const enum image_format arch_formats[];
extern const size_t arch_nformats;
extern const char arch_format_usage[];
extern const char arch_load_addr_usage[];
extern const char arch_exit_help[];
/* Why a build without the debugger (src/nodebug.c) has none: the start of its refusal. */
extern const char arch_no_debugger[];

/* "128M", "1G", "64K" -> bytes; a bare number is MiB, as with QEMU's -m. Rejects junk, zero and overflow. */
int parse_size(const char *s, uint64_t *bytes);
/* Decimal or 0x-prefixed hex address. */
int parse_u64(const char *s, uint64_t *v);
const char *format_name(enum image_format f);

#endif
