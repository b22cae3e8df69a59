/* SPDX-License-Identifier: MIT */
/* The command line, parsed into a vm_config. No KVM here: unit-tested. */
#ifndef MINIKVM_OPTIONS_H
#define MINIKVM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_CPUS    64
#define MAX_MODULES 16
#define MAX_GDB_ALLOW_UIDS 16

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

enum image_format {
	FORMAT_AUTO,
	FORMAT_RAW16,
	FORMAT_RAW32,
	FORMAT_RAW64,
	FORMAT_ELF,
	FORMAT_MULTIBOOT,
	FORMAT_LINUX,     /* bzImage, 64-bit boot protocol */
	FORMAT_PVH,       /* vmlinux ELF through its PVH entry note */
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
};

enum options_result { OPTIONS_RUN, OPTIONS_EXIT_OK, OPTIONS_ERROR };

/*
 * Parse argv. OPTIONS_EXIT_OK means --help/--version was printed to out;
 * OPTIONS_ERROR means err_set() holds a one-line message.
 */
enum options_result options_parse(int argc, char **argv, struct vm_config *cfg, FILE *out);

/* "128M", "1G", "64K" -> bytes; a bare number is MiB, as with QEMU's -m. Rejects junk, zero and overflow. */
int parse_size(const char *s, uint64_t *bytes);
/* Decimal or 0x-prefixed hex address. */
int parse_u64(const char *s, uint64_t *v);
const char *format_name(enum image_format f);
/* "any" or "UID[,UID...]" (decimal) added to *allow; -1 with err_set(EXIT_USAGE) on junk or too many. */
int parse_gdb_allow(const char *s, struct gdb_allow *allow);

#endif
