/* SPDX-License-Identifier: MIT */
/*
 * The snapshot file format's parser (src/snapshot.c) on images made here:
 * a good one is indexed; a truncated one (at every length), a bad magic,
 * version or header checksum, a section longer than the file, a damaged
 * section, bytes after the end and duplicate sections are all refused
 * with a message, never a crash.
 */
#include "test.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "arch.h"
#include "snapshot.h"
#include "snapshot_state.h"
#include "vcpu.h"
#include "vm.h"
#include "x86/x86.h"

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* An image with a 4 KiB "RAM" section and a device section; its length in *len. */
static uint8_t *make_image(size_t *len)
{
	static const char dev[] = "device bytes";
	size_t ram = 4096, n = SNAPSHOT_HEADER_SIZE + 2 * SNAPSHOT_SECTION_HEAD + ram + sizeof(dev);
	uint8_t *b = calloc(1, n), *s;

	memcpy(b, SNAPSHOT_MAGIC, 8);
	put32(b + 8, SNAPSHOT_VERSION);
	put32(b + 12, SNAPSHOT_HEADER_SIZE);
	put64(b + 16, 16 << 20);
	put32(b + 24, 2);
	put32(b + 28, 1);
	put32(b + 32, 2);
	put32(b + 36, 64);
	put32(b + 40, 2);
	put64(b + 48, n);
	s = b + SNAPSHOT_HEADER_SIZE;
	put32(s, SNAPSHOT_RAM);
	strcpy((char *)s + 8, "ram");
	put64(s + 40, ram);
	memset(s + SNAPSHOT_SECTION_HEAD, 0xA5, ram);
	put32(s + 48, snapshot_crc32(0, s + SNAPSHOT_SECTION_HEAD, ram));
	s += SNAPSHOT_SECTION_HEAD + ram;
	put32(s, SNAPSHOT_DEVICE);
	strcpy((char *)s + 8, "serial (COM1)");
	put64(s + 40, sizeof(dev));
	memcpy(s + SNAPSHOT_SECTION_HEAD, dev, sizeof(dev));
	put32(s + 48, snapshot_crc32(0, dev, sizeof(dev)));
	put32(b + 56, snapshot_crc32(0, b, 56));
	*len = n;
	return b;
}

static void rehash_header(uint8_t *b)
{
	put32(b + 56, snapshot_crc32(0, b, 56));
}

static struct snapshot_view view;

static bool refused(const uint8_t *b, size_t len, const char *text)
{
	err_clear();
	if (snapshot_parse(b, len, "x.mkvm", &view) == 0)
		return false;
	return strstr(err_message(), text) && strstr(err_message(), "x.mkvm") &&
	       err_status() == EXIT_USAGE;
}

TEST(snapshot_crc32_is_ieee)
{
	CHECK_EQ(snapshot_crc32(0, "123456789", 9), 0xCBF43926u);
	CHECK_EQ(snapshot_crc32(snapshot_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

TEST(snapshot_parse_good_image)
{
	size_t len;
	uint8_t *b = make_image(&len);

	CHECK_EQ(snapshot_parse(b, len, "x.mkvm", &view), 0);
	CHECK_EQ(view.cfg.mem_size, 16u << 20);
	CHECK_EQ(view.cfg.ncpus, 2);
	CHECK_EQ(view.cfg.irqchip, 1);
	CHECK_EQ(view.cfg.image_width, 64);
	CHECK_EQ(view.nsections, 2);
	CHECK_EQ(view.s[0].tag, SNAPSHOT_RAM);
	CHECK_EQ(view.s[0].len, 4096);
	CHECK_EQ(view.s[0].data[4095], 0xA5);
	CHECK(strcmp(view.s[1].name, "serial (COM1)") == 0);
	CHECK(memcmp(view.s[1].data, "device bytes", 13) == 0);
	free(b);
}

TEST(snapshot_parse_refuses_every_truncation)
{
	size_t len;
	uint8_t *b = make_image(&len);

	for (size_t n = 0; n < len; n++) {
		/* A copy of exactly n bytes, so that ASan sees any read past them. */
		uint8_t *t = malloc(n ? n : 1);

		memcpy(t, b, n);
		err_clear();
		CHECK(snapshot_parse(t, n, "x.mkvm", &view) < 0);
		CHECK(n < 8 || n >= SNAPSHOT_HEADER_SIZE ? 1 : strstr(err_message(), "truncated") != NULL);
		if (n >= SNAPSHOT_HEADER_SIZE)
			CHECK(strstr(err_message(), "truncated (") != NULL);
		free(t);
	}
	free(b);
}

TEST(snapshot_parse_refuses_bad_headers)
{
	size_t len;
	uint8_t *b = make_image(&len);

	b[0] = 'X';
	CHECK(refused(b, len, "not a minikvm snapshot"));
	b[0] = 'M';
	put32(b + 8, 99);
	CHECK(refused(b, len, "format version 99"));
	put32(b + 8, SNAPSHOT_VERSION);
	b[20] ^= 1; /* memory size changed, checksum not */
	CHECK(refused(b, len, "header is damaged"));
	b[20] ^= 1;
	put32(b + 24, 0); /* no vCPUs */
	rehash_header(b);
	CHECK(refused(b, len, "makes no sense"));
	put32(b + 24, 2);
	put32(b + 40, 100000); /* sections */
	rehash_header(b);
	CHECK(refused(b, len, "too many sections"));
	put32(b + 40, 2);
	rehash_header(b);
	CHECK_EQ(snapshot_parse(b, len, "x.mkvm", &view), 0);
	free(b);
}

/*
 * The machine field (offset 44): 0 is x86-64 (files from before it), a
 * RISC-V snapshot has its own header values, an unknown architecture is
 * refused; restore refuses a snapshot of the other architecture before
 * looking at anything else, naming the minikvm that loads it.
 */
TEST(snapshot_machine_field)
{
	size_t len;
	uint8_t *b = make_image(&len);
	static uint8_t ram[4096];
	struct vm_config cfg = { .irqchip = IRQCHIP_KERNEL };
	struct vm vm = { .cfg = &cfg, .ncpus = 2, .mem = { .host = ram, .size = 16 << 20 } };

	CHECK_EQ(snapshot_parse(b, len, "x.mkvm", &view), 0);
	CHECK_EQ(view.cfg.machine, SNAPSHOT_X86_64);
	CHECK_EQ(arch_elf_machine, SNAPSHOT_X86_64);
	put32(b + 44, 99);
	rehash_header(b);
	CHECK(refused(b, len, "minikvm does not know (ELF machine 99)"));
	/* RISC-V: irqchip 0, boot mode 3 (S-mode), 64 bits; the x86 values make no sense there. */
	put32(b + 44, SNAPSHOT_RISCV64);
	rehash_header(b);
	CHECK(refused(b, len, "makes no sense"));
	put32(b + 28, 0);
	put32(b + 32, 3);
	rehash_header(b);
	CHECK_EQ(snapshot_parse(b, len, "x.mkvm", &view), 0);
	CHECK_EQ(view.cfg.machine, SNAPSHOT_RISCV64);
	err_clear();
	CHECK(snapshot_restore(&vm, &view, "x.mkvm") < 0);
	CHECK_STR(err_message(), "x.mkvm is a snapshot of a machine of another architecture (RISC-V); "
		  "this minikvm runs x86-64 guests (minikvm-riscv64 loads it)");
	CHECK_EQ(err_status(), EXIT_USAGE);
	put32(b + 32, 2);
	rehash_header(b);
	CHECK(refused(b, len, "makes no sense"));
	free(b);
}

TEST(snapshot_parse_refuses_bad_sections)
{
	size_t len;
	uint8_t *b = make_image(&len), *s = b + SNAPSHOT_HEADER_SIZE, *big;

	/* A length beyond the file (and one that would wrap a 64-bit sum). */
	put64(s + 40, len);
	CHECK(refused(b, len, "longer than the file"));
	put64(s + 40, UINT64_MAX - 10);
	CHECK(refused(b, len, "longer than the file"));
	/* Shorter than written: the next section header lands in RAM bytes. */
	put64(s + 40, 4000);
	CHECK(refused(b, len, "is damaged"));
	put64(s + 40, 4096);
	/* One flipped byte of RAM. */
	s[SNAPSHOT_SECTION_HEAD + 100] ^= 0x10;
	CHECK(refused(b, len, "section 'ram' is damaged (checksum)"));
	s[SNAPSHOT_SECTION_HEAD + 100] ^= 0x10;
	/* A name with a control byte never reaches a message (found by fuzz_snapshot). */
	s[8 + 1] = '\n';
	CHECK(refused(b, len, "name is not printable"));
	s[8 + 1] = 'a';
	/* A kind nobody knows. */
	put32(s, 77);
	CHECK(refused(b, len, "unknown kind"));
	put32(s, SNAPSHOT_RAM);
	/* The second section a copy of the first's identity. */
	put32(s + SNAPSHOT_SECTION_HEAD + 4096, SNAPSHOT_RAM);
	memset(s + SNAPSHOT_SECTION_HEAD + 4096 + 8, 0, SNAPSHOT_NAME_LEN);
	strcpy((char *)s + SNAPSHOT_SECTION_HEAD + 4096 + 8, "ram");
	CHECK(refused(b, len, "appears twice"));
	free(b);
	/* Bytes after the end the header gives. */
	b = make_image(&len);
	big = calloc(1, len + 3);
	memcpy(big, b, len);
	CHECK(refused(big, len + 3, "bytes after its end"));
	/* Header says one section fewer: the last one is left over. */
	put32(b + 40, 1);
	rehash_header(b);
	CHECK(refused(b, len, "do not fill it"));
	free(big);
	free(b);
}

TEST(snapshot_names)
{
	CHECK_EQ(snapshot_check_name("a"), 0);
	CHECK_EQ(snapshot_check_name("before-boot_2.x"), 0);
	CHECK(snapshot_check_name("") < 0);
	CHECK(snapshot_check_name(".hidden") < 0);
	CHECK(snapshot_check_name("../etc/passwd") < 0);
	CHECK(snapshot_check_name("a b") < 0);
	CHECK(snapshot_check_name("0123456789012345678901234567890123456789012345678901234567890123") < 0);
}

/* ---- snapshot files (src/snapshot_store.c) ---- */

static void write_file(const char *path, const void *buf, size_t len, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	CHECK(write(fd, buf, len) == (ssize_t)len);
	CHECK(ftruncate(fd, size) == 0);
	close(fd);
}

static bool read_refused(const char *path, const char *text)
{
	uint8_t *b = NULL;
	size_t len = 0;
	int r;

	err_clear();
	r = snapshot_read_file(path, &b, &len);
	free(b);
	return r < 0 && strstr(err_message(), text) && err_status() == EXIT_USAGE;
}

/* The header is checked, and the file's size against it, before the file is read. */
TEST(snapshot_read_file_checks_the_header_first)
{
	char dir[] = "/tmp/minikvm-snapshot-XXXXXX", path[64];
	size_t len, got = 0;
	uint8_t *b = make_image(&len), *r = NULL;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/s.mkvm", dir);
	write_file(path, b, len, (off_t)len);
	CHECK_EQ(snapshot_read_file(path, &r, &got), 0);
	CHECK_EQ(got, len);
	CHECK(r && memcmp(r, b, len) == 0);
	free(r);
	/* 64 MiB of nothing (sparse): no header, refused without reading it. */
	write_file(path, "", 0, 64 << 20);
	CHECK(read_refused(path, "does not start with MKVMSNAP"));
	/* A file longer or shorter than its header says. */
	write_file(path, b, len, (off_t)len + 4096);
	CHECK(read_refused(path, "bytes after its end"));
	write_file(path, b, len, (off_t)len - 1);
	CHECK(read_refused(path, "truncated"));
	/* A header that says the file is far larger than its RAM could make it. */
	put64(b + 16, 4096);
	put64(b + 48, 1ULL << 30);
	rehash_header(b);
	write_file(path, b, len, 1LL << 30);
	CHECK(read_refused(path, "larger than"));
	unlink(path);
	rmdir(dir);
	free(b);
}

/* --loadvm: the file is read, parsed and checked against -m, -c and --irqchip before any KVM. */
TEST(snapshot_file_open_checks_the_machine)
{
	char dir[] = "/tmp/minikvm-snapshot-XXXXXX", path[64];
	struct vm_config cfg = { .mem_size = 16 << 20, .cpus = 2, .irqchip = IRQCHIP_KERNEL };
	struct snapshot_file f;
	size_t len;
	uint8_t *b = make_image(&len); /* 16 MiB, 2 vCPUs, --irqchip kernel */

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/s.mkvm", dir);
	write_file(path, b, len, (off_t)len);
	CHECK_EQ(snapshot_file_open(&f, path, &cfg), 0);
	CHECK_EQ(f.len, len);
	CHECK_EQ(f.view->nsections, 2);
	snapshot_file_free(&f);

	cfg.mem_size = 128 << 20;
	CHECK(snapshot_file_open(&f, path, &cfg) < 0);
	CHECK(strstr(err_message(), "of a machine with 16 MiB of memory; this one has 128 MiB (-m 16M)"));
	CHECK_EQ(err_status(), EXIT_USAGE);
	snapshot_file_free(&f);
	cfg.mem_size = 16 << 20;
	cfg.cpus = 1;
	CHECK(snapshot_file_open(&f, path, &cfg) < 0);
	CHECK(strstr(err_message(), "(-c 2)"));
	snapshot_file_free(&f);
	cfg.cpus = 2;
	cfg.irqchip = IRQCHIP_SPLIT;
	CHECK(snapshot_file_open(&f, path, &cfg) < 0);
	CHECK(strstr(err_message(), "with --irqchip kernel; this one has --irqchip split"));
	snapshot_file_free(&f);
	unlink(path);
	CHECK(snapshot_file_open(&f, path, &cfg) < 0);
	CHECK(strstr(err_message(), "cannot open snapshot"));
	snapshot_file_free(&f);
	snapshot_file_free(&f); /* twice is harmless */
	rmdir(dir);
	free(b);
}

/* --loadvm of a FIFO (or a device) is refused at once: open() must not wait for a writer. */
TEST(snapshot_read_file_refuses_a_fifo_at_once)
{
	char dir[] = "/tmp/minikvm-snapshot-XXXXXX", path[64];
	int status = -1;
	pid_t pid;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK(mkfifo(path, 0600) == 0);
	pid = fork();
	if (pid == 0) {
		/* A watchdog, not a timing: the old open() blocked forever; SIGALRM ends it. */
		alarm(5);
		_exit(read_refused(path, "not a regular file") ? 0 : 1);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(!(WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) &&
	      "snapshot_read_file() blocked in open() on a FIFO");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(path);
	rmdir(dir);
}

/* ---- MSRs (src/x86/snapshot.c) ---- */

/* KVM's MSR ioctls as the kernel does them: E2BIG for 256 or more, stop at a refused MSR. */
struct fake_kvm {
	unsigned calls;
	uint32_t refuse;         /* the index it refuses */
	uint32_t set;            /* MSRs set */
};

static int fake_msr_ioctl(void *ctx, unsigned long req, struct kvm_msrs *m)
{
	struct fake_kvm *k = ctx;

	k->calls++;
	if (m->nmsrs >= 256) {
		errno = E2BIG; /* arch/x86/kvm/x86.c: msr_io(), MAX_IO_MSRS */
		return -1;
	}
	for (uint32_t i = 0; i < m->nmsrs; i++) {
		if (m->entries[i].index == k->refuse)
			return (int)i;
		if (req == KVM_GET_MSRS)
			m->entries[i].data = m->entries[i].index * 3ULL;
		else
			k->set++;
	}
	return (int)m->nmsrs;
}

TEST(snapshot_msrs_in_chunks_none_dropped)
{
	enum { N = 1000 };
	static struct kvm_msr_entry in[N], out[N];
	struct fake_kvm k = { .refuse = 0x1000 + 300 };

	for (uint32_t i = 0; i < N; i++)
		in[i] = (struct kvm_msr_entry){ .index = 0x1000 + i, .data = i };
	/* Saving: every MSR but the refused one, in a handful of calls (not one per MSR). */
	CHECK_EQ(x86_msrs_io(fake_msr_ioctl, &k, KVM_GET_MSRS, in, N, out), N - 1);
	CHECK(k.calls <= N / 255 + 3);
	CHECK_EQ(out[0].index, 0x1000);
	CHECK_EQ(out[299].index, 0x1000 + 299);
	CHECK_EQ(out[300].index, 0x1000 + 301);
	CHECK_EQ(out[300].data, (0x1000 + 301) * 3);
	CHECK_EQ(out[N - 2].index, 0x1000 + N - 1);
	/* Loading: the same. */
	k.calls = 0;
	CHECK_EQ(x86_msrs_io(fake_msr_ioctl, &k, KVM_SET_MSRS, in, N, NULL), N - 1);
	CHECK_EQ(k.set, N - 1);
	CHECK(k.calls <= N / 255 + 3);
	/* Nothing refused but everything: one call per MSR at worst, never more. */
	k = (struct fake_kvm){ .refuse = ~0u };
	CHECK_EQ(x86_msrs_io(fake_msr_ioctl, &k, KVM_GET_MSRS, in, 0, out), 0);
	CHECK_EQ(k.calls, 0);
}

static void put_record(uint8_t **p, uint32_t kind, uint32_t len)
{
	put32(*p, kind);
	put32(*p + 4, len);
	*p += 8 + len;
}

/* A vCPU record set whose MSR record is larger than any KVM's list: refused before any ioctl. */
TEST(snapshot_vcpu_refuses_a_huge_msr_record)
{
	/* Record kinds of src/x86/snapshot.c: REGS 1, SREGS 2, FPU 4, LAPIC 7, MSRS 8, MP_STATE 10. */
	uint32_t nmsrs = 4097;
	size_t size = 6 * 8 + sizeof(struct kvm_regs) + sizeof(struct kvm_sregs) + sizeof(struct kvm_fpu) +
		      sizeof(struct kvm_lapic_state) + sizeof(struct kvm_mp_state) +
		      nmsrs * sizeof(struct kvm_msr_entry);
	uint8_t *buf = calloc(1, size), *p = buf;
	struct vcpu v = { .id = 0, .fd = -1 };
	struct state_reader r;

	put_record(&p, 1, sizeof(struct kvm_regs));
	put_record(&p, 2, sizeof(struct kvm_sregs));
	put_record(&p, 4, sizeof(struct kvm_fpu));
	put_record(&p, 7, sizeof(struct kvm_lapic_state));
	put_record(&p, 10, sizeof(struct kvm_mp_state));
	put_record(&p, 8, nmsrs * sizeof(struct kvm_msr_entry));
	CHECK_EQ(p - buf, size);
	state_reader_init(&r, buf, size);
	err_clear();
	CHECK(arch_vcpu_load(&v, &r) < 0);
	CHECK(strstr(err_message(), "too many MSRs") != NULL);
	CHECK_EQ(err_status(), EXIT_USAGE);
	free(buf);
}
