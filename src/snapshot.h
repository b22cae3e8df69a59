/* SPDX-License-Identifier: MIT */
/*
 * Whole-machine snapshots: guest RAM, every vCPU's KVM state, the VM's
 * clock and every device's state, taken and restored while the VM is
 * paused (monitor savevm / loadvm, --loadvm FILE).
 *
 * A snapshot is always an image in the file format below, in memory or
 * in a file: savevm builds one, loadvm parses and checks it (the same
 * code for a snapshot in memory and one from a file, which is untrusted).
 *
 * The file format (all numbers little-endian; docs/gdb.md has the table):
 *
 *   header, 64 bytes:
 *     0  "MKVMSNAP"        magic
 *     8  u32 version       SNAPSHOT_VERSION
 *    12  u32 header size   64
 *    16  u64 memory size   bytes of guest RAM (-m)
 *    24  u32 vCPUs         (-c)
 *    28  u32 irqchip       x86: 0 split, 1 kernel (--irqchip); RISC-V: 0
 *    32  u32 boot mode     x86: 0 real, 1 32-bit protected, 2 64-bit long;
 *                          RISC-V: 3 (S-mode)
 *    36  u32 image width   32 or 64: gdb's register layout (RISC-V: 64)
 *    40  u32 sections      how many follow
 *    44  u32 machine       the architecture, by its ELF number: 62 x86-64,
 *                          243 RISC-V (rv64); 0 is x86-64 (files written
 *                          before RISC-V had snapshots)
 *    48  u64 file size     header and sections: a shorter file is truncated
 *    56  u32 CRC-32        of bytes 0-55
 *    60  u32 0
 *   then each section, a 56-byte header and its bytes:
 *     0  u32 tag           SNAPSHOT_RAM, _MACHINE, _VCPU, _DEVICE
 *     4  u32 index         the vCPU's number (else 0)
 *     8  char name[32]     the device's name, NUL-padded (else "ram", ...)
 *    40  u64 length        of the bytes that follow
 *    48  u32 CRC-32        of those bytes
 *    52  u32 0
 *
 * Sections: RAM is guest memory as one block (x86: the 0-3 GiB part, then
 * the part from 4 GiB; RISC-V: all of it from 0x8000_0000); MACHINE and
 * VCPU are the arch's records (src/x86/snapshot.c, src/riscv/snapshot.c);
 * DEVICE is what each device's save wrote (device.h). A file is refused,
 * with one line saying why, if anything does not fit: magic, version,
 * sizes, checksums, a section missing, unknown or twice, or a machine
 * other than this one (architecture, memory size, vCPUs, irqchip mode).
 */
#ifndef MINIKVM_SNAPSHOT_H
#define MINIKVM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "options.h"

struct vm;
struct state_writer;

#define SNAPSHOT_MAGIC        "MKVMSNAP"
#define SNAPSHOT_VERSION      1
#define SNAPSHOT_HEADER_SIZE  64
#define SNAPSHOT_SECTION_HEAD 56
#define SNAPSHOT_NAME_LEN     32
#define SNAPSHOT_MAX_SECTIONS (2 + MAX_CPUS + 32) /* RAM, machine, vCPUs, devices */
#define SNAPSHOT_FILE_SUFFIX  ".mkvm"
/*
 * What a snapshot holds beyond its RAM, at most: headers, every vCPU's
 * records (an XSAVE area of up to 1 MiB, up to 4096 MSRs) and the devices'.
 */
#define SNAPSHOT_MAX_STATE    ((uint64_t)MAX_CPUS * (2 << 20) + (64 << 20))

enum snapshot_tag { SNAPSHOT_RAM = 1, SNAPSHOT_MACHINE = 2, SNAPSHOT_VCPU = 3, SNAPSHOT_DEVICE = 4 };

/* The architectures a snapshot can be of: ELF e_machine numbers (arch.h's arch_elf_machine). */
#define SNAPSHOT_X86_64  62
#define SNAPSHOT_RISCV64 243

/* The machine a snapshot belongs to. */
struct snapshot_config {
	uint32_t machine;       /* SNAPSHOT_X86_64, SNAPSHOT_RISCV64 */
	uint64_t mem_size;
	uint32_t ncpus;
	uint32_t irqchip;       /* enum irqchip_mode */
	uint32_t boot_mode;     /* enum cpu_mode */
	uint32_t image_width;   /* 32 or 64 */
};

struct snapshot_section {
	uint32_t tag, index;
	char name[SNAPSHOT_NAME_LEN + 1];
	const uint8_t *data;    /* into the parsed image */
	uint64_t len;
};

/* A parsed image: its configuration and where each section's bytes are. */
struct snapshot_view {
	struct snapshot_config cfg;
	int nsections;
	struct snapshot_section s[SNAPSHOT_MAX_SECTIONS];
};

/* CRC-32 (IEEE 802.3, as zlib's), continued from crc (0 to start). */
uint32_t snapshot_crc32(uint32_t crc, const void *buf, size_t len);
/*
 * Check an image and index its sections (no KVM: unit-tested). 0, or -1
 * with err_set(EXIT_USAGE) saying what is wrong; what names the image in
 * the message ("snapshot 'a'", a file name).
 */
int snapshot_parse(const uint8_t *buf, size_t len, const char *what, struct snapshot_view *v);
/*
 * The first len bytes of an image of file_len bytes: is it a snapshot
 * header (magic, version, checksum) that says the image is file_len bytes,
 * no more than its memory and SNAPSHOT_MAX_STATE? 0, or -1 with err_set()
 * (EXIT_USAGE). snapshot_parse() begins with it; a file is checked with it
 * before it is read.
 */
int snapshot_check_header(const uint8_t *buf, size_t len, uint64_t file_len, const char *what);

/* The VM paused: the whole machine, as an image in out (state_writer_free() it). */
int snapshot_take(struct vm *vm, struct state_writer *out);
/*
 * Is a parsed image of the machine these options make (architecture,
 * memory size, vCPUs, irqchip mode)? 0, or -1 with err_set(EXIT_USAGE)
 * naming the option that differs. No KVM: --loadvm checks it before
 * /dev/kvm is opened, snapshot_restore() again.
 */
int snapshot_check_machine(const struct snapshot_view *v, uint64_t mem_size, int ncpus,
			   enum irqchip_mode irqchip, const char *what);
/*
 * The VM paused: check a parsed image fits this VM (config, every section
 * there), then restore it. On a failure after the check (KVM refused a
 * state) the machine is part old, part new: -1 says so.
 */
int snapshot_restore(struct vm *vm, const struct snapshot_view *v, const char *what);

/*
 * Files: write dir/NAME.mkvm mode 0600 through a temporary file and rename()
 * (host_file.h: never through a planted link); read a whole file, which must
 * be a regular file (a FIFO or a device is refused, without waiting in
 * open()) whose header snapshot_check_header() takes.
 */
int snapshot_write_file(const char *dir, const char *name, const void *buf, size_t len);
int snapshot_read_file(const char *path, uint8_t **buf, size_t *len);
/*
 * --loadvm FILE, in two steps. Before the VM is made (no KVM, so that a
 * bad file is a usage error wherever minikvm runs): read the file, parse
 * it and check it is of the machine cfg describes; 0, or -1 with
 * err_set(). Then, the VM made and before any vCPU runs: restore it.
 * snapshot_file_free() in any case (a zeroed struct too).
 */
struct snapshot_file {
	const char *path;
	uint8_t *buf;
	size_t len;
	struct snapshot_view *view;
};
int snapshot_file_open(struct snapshot_file *f, const char *path, const struct vm_config *cfg);
int snapshot_file_restore(struct vm *vm, const struct snapshot_file *f);
void snapshot_file_free(struct snapshot_file *f);

/*
 * Named snapshots in memory (monitor savevm / loadvm / delvm / info
 * snapshots). Each costs the guest's RAM and a little more, so a client
 * could exhaust the host's memory and, with --snapshot-dir, its disk:
 * at most SNAPSHOT_STORE_MAX of them, together at most max_bytes; a file
 * is written only for a snapshot kept (delvm removes it, a name saved
 * again replaces it) and only while its file system keeps
 * SNAPSHOT_DISK_KEEP of itself free. Each refusal says which bound.
 */
#define SNAPSHOT_STORE_MAX 16
#define SNAPSHOT_NAME_MAX  63
#define SNAPSHOT_EXTRA     (1ULL << 20) /* what a snapshot takes beside RAM, at most (vCPUs, devices) */
#define SNAPSHOT_DISK_KEEP 20           /* 1/20th: 5% of a file system stays free */

struct snapshot_store {
	struct snapshot_entry {
		char name[SNAPSHOT_NAME_MAX + 1];
		uint8_t *image;
		size_t len;
		time_t when;
		bool in_dir;    /* also written to dir/NAME.mkvm */
	} e[SNAPSHOT_STORE_MAX];
	int n;
	uint64_t max_bytes; /* all images together; 0: half of this host's RAM */
};

/* A name: 1-63 of [A-Za-z0-9_.-], not starting with '.'; -1 with err_set() if not. */
int snapshot_check_name(const char *name);
/* Take a snapshot under name (replacing one of that name); also to dir/NAME.mkvm if dir. */
int snapshot_store_save(struct snapshot_store *st, struct vm *vm, const char *name, const char *dir);
/* Would one more image of need bytes under name fit the bounds above? -1 with err_set() if not. */
int snapshot_store_room(const struct snapshot_store *st, const char *name, uint64_t need);
/* Would dir/NAME.mkvm of need bytes leave SNAPSHOT_DISK_KEEP of dir's file system free? */
int snapshot_check_disk(const char *dir, const char *name, uint64_t need);
/*
 * Keep image (malloc'd, len bytes: the store owns it from here, and frees
 * it on a failure) under name, first writing dir/NAME.mkvm if dir.
 */
int snapshot_store_put(struct snapshot_store *st, const char *name, uint8_t *image, size_t len,
		       const char *dir);
int snapshot_store_load(struct snapshot_store *st, struct vm *vm, const char *name);
/* Forget name, and remove dir/NAME.mkvm if savevm wrote it there. */
int snapshot_store_delete(struct snapshot_store *st, const char *name, const char *dir);
void snapshot_store_list(const struct snapshot_store *st, FILE *out);
void snapshot_store_free(struct snapshot_store *st);

#endif
