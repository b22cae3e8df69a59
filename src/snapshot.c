/* SPDX-License-Identifier: MIT */
/*
 * Whole-machine snapshots: the image format and the orchestration (what
 * is saved, in which order it comes back); see snapshot.h. The pieces
 * come from their owners: guest RAM from guest_mem, the vCPUs' and the
 * VM's KVM state from the arch (src/x86/snapshot.c), each device's state
 * from its own save/load (device.h).
 */
#include "snapshot.h"
#include "arch.h"
#include "boot.h"
#include "device.h"
#include "error.h"
#include "snapshot_state.h"
#include "vcpu.h"
#include "vm.h"

#include <endian.h>
#include <string.h>

uint32_t snapshot_crc32(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	static __thread bool ready; /* each thread builds the same table: no race that matters */
	const uint8_t *p = buf;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static void wr32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void wr64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* ---- parsing (untrusted bytes) ---- */

/* "x86-64", "RISC-V": the architectures a snapshot may be of; NULL for others (refused). */
static const char *machine_name(uint32_t machine)
{
	return machine == SNAPSHOT_X86_64 ? "x86-64" : machine == SNAPSHOT_RISCV64 ? "RISC-V" : NULL;
}

/* The header's x86-flavoured fields, as each architecture fills them (snapshot.h). */
static bool config_makes_sense(const struct snapshot_config *c)
{
	if (c->machine == SNAPSHOT_RISCV64)
		return c->irqchip == IRQCHIP_SPLIT && c->boot_mode == CPU_MODE_RISCV_S && c->image_width == 64;
	return c->irqchip <= IRQCHIP_KERNEL && c->boot_mode <= CPU_MODE_LONG64 &&
	       (c->image_width == 32 || c->image_width == 64);
}

static int damaged(const char *what, const char *why)
{
	return err_set(EXIT_USAGE, "%s is not a usable snapshot: %s", what, why);
}

int snapshot_check_header(const uint8_t *buf, size_t len, uint64_t file_len, const char *what)
{
	uint64_t size;

	if (len < 8 || memcmp(buf, SNAPSHOT_MAGIC, 8) != 0)
		return damaged(what, "it does not start with " SNAPSHOT_MAGIC " (not a minikvm snapshot)");
	if (len < SNAPSHOT_HEADER_SIZE)
		return damaged(what, "truncated inside its header");
	if (rd32(buf + 8) != SNAPSHOT_VERSION)
		return err_set(EXIT_USAGE, "%s is a snapshot of format version %u; this minikvm reads "
			       "version %d", what, rd32(buf + 8), SNAPSHOT_VERSION);
	if (rd32(buf + 12) != SNAPSHOT_HEADER_SIZE || rd32(buf + 56) != snapshot_crc32(0, buf, 56))
		return damaged(what, "its header is damaged (checksum)");
	size = rd64(buf + 48);
	if (size > file_len)
		return err_set(EXIT_USAGE, "%s is not a usable snapshot: truncated (%llu bytes of %llu)",
			       what, (unsigned long long)file_len, (unsigned long long)size);
	if (size < file_len)
		return damaged(what, "bytes after its end");
	/* Beyond RAM a snapshot holds only small things: the rest would be made up. */
	if (size > rd64(buf + 16) + SNAPSHOT_MAX_STATE)
		return damaged(what, "its header says it is larger than its memory and state could make it");
	return 0;
}

int snapshot_parse(const uint8_t *buf, size_t len, const char *what, struct snapshot_view *v)
{
	uint64_t off = SNAPSHOT_HEADER_SIZE;
	uint32_t n;

	memset(v, 0, sizeof(*v));
	if (snapshot_check_header(buf, len, len, what) < 0)
		return -1;
	v->cfg.mem_size = rd64(buf + 16);
	v->cfg.ncpus = rd32(buf + 24);
	v->cfg.irqchip = rd32(buf + 28);
	v->cfg.boot_mode = rd32(buf + 32);
	v->cfg.image_width = rd32(buf + 36);
	v->cfg.machine = rd32(buf + 44) ? rd32(buf + 44) : SNAPSHOT_X86_64;
	n = rd32(buf + 40);
	if (!machine_name(v->cfg.machine))
		return err_set(EXIT_USAGE, "%s is not a usable snapshot: it is of a machine minikvm does not "
			       "know (ELF machine %u)", what, v->cfg.machine);
	if (v->cfg.ncpus < 1 || v->cfg.ncpus > MAX_CPUS || !config_makes_sense(&v->cfg))
		return damaged(what, "its machine description makes no sense");
	if (n > SNAPSHOT_MAX_SECTIONS)
		return damaged(what, "too many sections");
	for (uint32_t i = 0; i < n; i++) {
		struct snapshot_section *s = &v->s[i];
		const uint8_t *h = buf + off;

		if (len - off < SNAPSHOT_SECTION_HEAD)
			return damaged(what, "truncated inside a section header");
		s->tag = rd32(h);
		s->index = rd32(h + 4);
		memcpy(s->name, h + 8, SNAPSHOT_NAME_LEN);
		s->name[SNAPSHOT_NAME_LEN] = '\0';
		s->len = rd64(h + 40);
		off += SNAPSHOT_SECTION_HEAD;
		if (s->tag < SNAPSHOT_RAM || s->tag > SNAPSHOT_DEVICE)
			return damaged(what, "a section of unknown kind");
		/* Names are ours ("ram", "IOAPIC", ...) and go into messages: printable only. */
		for (const char *c = s->name; *c; c++)
			if (*c < 0x20 || *c > 0x7e || *c == '\'')
				return damaged(what, "a section's name is not printable");
		if (s->len > len - off)
			return damaged(what, "a section is longer than the file");
		s->data = buf + off;
		if (rd32(h + 48) != snapshot_crc32(0, s->data, s->len)) {
			err_set(EXIT_USAGE, "%s is not a usable snapshot: section '%s' is damaged (checksum)",
				what, s->name);
			return -1;
		}
		off += s->len;
		for (uint32_t k = 0; k < i; k++)
			if (v->s[k].tag == s->tag && v->s[k].index == s->index && !strcmp(v->s[k].name, s->name))
				return damaged(what, "a section appears twice");
	}
	if (off != len)
		return damaged(what, "its sections do not fill it");
	v->nsections = (int)n;
	return 0;
}

static const struct snapshot_section *find(const struct snapshot_view *v, uint32_t tag, uint32_t index,
					   const char *name)
{
	for (int i = 0; i < v->nsections; i++)
		if (v->s[i].tag == tag && v->s[i].index == index &&
		    strncmp(v->s[i].name, name, SNAPSHOT_NAME_LEN) == 0)
			return &v->s[i];
	return NULL;
}

/* ---- taking ---- */

static size_t section_begin(struct state_writer *w, uint32_t tag, uint32_t index, const char *name)
{
	size_t at = w->len;
	uint8_t *h = state_put_space(w, SNAPSHOT_SECTION_HEAD);

	if (h) {
		memset(h, 0, SNAPSHOT_SECTION_HEAD);
		wr32(h, tag);
		wr32(h + 4, index);
		strncpy((char *)h + 8, name, SNAPSHOT_NAME_LEN);
	}
	return at;
}

static void section_end(struct state_writer *w, size_t at, uint32_t *count)
{
	uint64_t len;

	if (w->failed)
		return;
	len = w->len - at - SNAPSHOT_SECTION_HEAD;
	wr64(w->buf + at + 40, len);
	wr32(w->buf + at + 48, snapshot_crc32(0, w->buf + at + SNAPSHOT_SECTION_HEAD, len));
	(*count)++;
}

static void config_of(const struct vm *vm, struct snapshot_config *c)
{
	c->machine = arch_elf_machine;
	c->mem_size = vm->mem.size;
	c->ncpus = (uint32_t)vm->ncpus;
	c->irqchip = (uint32_t)vm->cfg->irqchip;
	c->boot_mode = (uint32_t)vm->boot.mode;
	c->image_width = vm->boot.image_64bit ? 64 : 32;
}

int snapshot_take(struct vm *vm, struct state_writer *w)
{
	const struct device *const *devs;
	const struct device_host *host;
	int ndev = devices_list(&devs, &host);
	struct snapshot_config c;
	uint32_t count = 0;
	uint8_t *h;
	size_t at;

	memset(w, 0, sizeof(*w));
	/* RAM is nearly all of it: one allocation of the right size up front. */
	if (!state_put_space(w, SNAPSHOT_HEADER_SIZE + SNAPSHOT_SECTION_HEAD + vm->mem.size + (1 << 20)))
		return err_set(EXIT_HOST, "out of memory for a snapshot of %llu MiB",
			       (unsigned long long)(vm->mem.size >> 20));
	w->len = SNAPSHOT_HEADER_SIZE;

	at = section_begin(w, SNAPSHOT_RAM, 0, "ram");
	state_put(w, vm->mem.host, vm->mem.size);
	section_end(w, at, &count);

	for (int i = 0; i < ndev; i++) {
		const char *why = devs[i]->unsaveable ? devs[i]->unsaveable(host) : NULL;

		if (why) {
			state_writer_free(w);
			return err_set(EXIT_USAGE, "this machine cannot be saved: %s", why);
		}
		if (!devs[i]->save) {
			if (!devs[i]->reset || devs[i]->unsaveable)
				continue; /* no state at all, or none as the VM is now */
			state_writer_free(w);
			return err_set(EXIT_HOST, "device '%s' has state but cannot be saved", devs[i]->name);
		}
		at = section_begin(w, SNAPSHOT_DEVICE, 0, devs[i]->name);
		devs[i]->save(host, w);
		section_end(w, at, &count);
	}
	for (int i = 0; i < vm->ncpus; i++) {
		at = section_begin(w, SNAPSHOT_VCPU, (uint32_t)i, "vcpu");
		if (arch_vcpu_save(vm->vcpus[i], w) < 0) {
			state_writer_free(w);
			return -1;
		}
		section_end(w, at, &count);
	}
	at = section_begin(w, SNAPSHOT_MACHINE, 0, "machine");
	if (arch_vm_save(vm, w) < 0) {
		state_writer_free(w);
		return -1;
	}
	section_end(w, at, &count);
	if (w->failed) {
		state_writer_free(w);
		return err_set(EXIT_HOST, "out of memory for a snapshot");
	}

	config_of(vm, &c);
	h = w->buf;
	memset(h, 0, SNAPSHOT_HEADER_SIZE);
	memcpy(h, SNAPSHOT_MAGIC, 8);
	wr32(h + 8, SNAPSHOT_VERSION);
	wr32(h + 12, SNAPSHOT_HEADER_SIZE);
	wr64(h + 16, c.mem_size);
	wr32(h + 24, c.ncpus);
	wr32(h + 28, c.irqchip);
	wr32(h + 32, c.boot_mode);
	wr32(h + 36, c.image_width);
	wr32(h + 40, count);
	wr32(h + 44, c.machine);
	wr64(h + 48, w->len);
	wr32(h + 56, snapshot_crc32(0, h, 56));
	return 0;
}

/* ---- restoring ---- */

static const char *irqchip_name(uint32_t m)
{
	return m == IRQCHIP_KERNEL ? "kernel" : "split";
}

int snapshot_check_machine(const struct snapshot_view *v, uint64_t mem_size, int ncpus,
			   enum irqchip_mode irqchip, const char *what)
{
	/* The other architecture's minikvm takes it: minikvm-riscv64 is the RISC-V one. */
	if (v->cfg.machine != arch_elf_machine)
		return err_set(EXIT_USAGE, "%s is a snapshot of a machine of another architecture (%s); this "
			       "minikvm runs %s guests (%s loads it)", what, machine_name(v->cfg.machine),
			       machine_name(arch_elf_machine),
			       v->cfg.machine == SNAPSHOT_RISCV64 ? "minikvm-riscv64" : "minikvm for x86-64");
	if (v->cfg.mem_size != mem_size)
		return err_set(EXIT_USAGE, "%s is of a machine with %llu MiB of memory; this one has %llu "
			       "MiB (-m %lluM)", what, (unsigned long long)(v->cfg.mem_size >> 20),
			       (unsigned long long)(mem_size >> 20),
			       (unsigned long long)(v->cfg.mem_size >> 20));
	if (v->cfg.ncpus != (uint32_t)ncpus)
		return err_set(EXIT_USAGE, "%s is of a machine with %u vCPUs; this one has %d (-c %u)",
			       what, v->cfg.ncpus, ncpus, v->cfg.ncpus);
	if (v->cfg.irqchip != (uint32_t)irqchip)
		return err_set(EXIT_USAGE, "%s is of a machine with --irqchip %s; this one has --irqchip %s",
			       what, irqchip_name(v->cfg.irqchip), irqchip_name((uint32_t)irqchip));
	return 0;
}

/* Does the image fit this VM, with a section for everything that has state? */
static int check_fits(struct vm *vm, const struct snapshot_view *v, const char *what)
{
	const struct device *const *devs;
	const struct device_host *host;
	int ndev = devices_list(&devs, &host), expected = 2 + vm->ncpus;
	const struct snapshot_section *ram;

	if (snapshot_check_machine(v, vm->mem.size, vm->ncpus, vm->cfg->irqchip, what) < 0)
		return -1;
	ram = find(v, SNAPSHOT_RAM, 0, "ram");
	if (!ram || ram->len != vm->mem.size)
		return damaged(what, "its RAM is missing or of the wrong size");
	if (!find(v, SNAPSHOT_MACHINE, 0, "machine"))
		return damaged(what, "the machine's state is missing");
	for (int i = 0; i < vm->ncpus; i++)
		if (!find(v, SNAPSHOT_VCPU, (uint32_t)i, "vcpu"))
			return damaged(what, "a vCPU's state is missing");
	for (int i = 0; i < ndev; i++) {
		const char *why = devs[i]->unsaveable ? devs[i]->unsaveable(host) : NULL;

		if (why)
			return err_set(EXIT_USAGE, "%s cannot be loaded into this machine: %s", what, why);
		if (!devs[i]->load)
			continue;
		expected++;
		if (!find(v, SNAPSHOT_DEVICE, 0, devs[i]->name))
			return err_set(EXIT_USAGE, "%s is not a usable snapshot: it has no state for device "
				       "'%s'", what, devs[i]->name);
	}
	if (v->nsections != expected)
		return damaged(what, "it has sections this minikvm does not know");
	return 0;
}

int snapshot_restore(struct vm *vm, const struct snapshot_view *v, const char *what)
{
	const struct device *const *devs;
	const struct device_host *host;
	int ndev = devices_list(&devs, &host);
	const struct snapshot_section *s;
	struct state_reader r;

	if (check_fits(vm, v, what) < 0)
		return -1;
	/* From here on the machine changes: a failure leaves it part old, part new. */
	s = find(v, SNAPSHOT_RAM, 0, "ram");
	memcpy(vm->mem.host, s->data, s->len);
	/* Devices first (the interrupt chips and their routes), then the CPUs that use them. */
	for (int i = 0; i < ndev; i++) {
		if (!devs[i]->load)
			continue;
		s = find(v, SNAPSHOT_DEVICE, 0, devs[i]->name);
		state_reader_init(&r, s->data, s->len);
		if (devs[i]->load(host, &r) < 0 || state_reader_done(&r) < 0)
			return err_set(EXIT_USAGE, "%s: the state of device '%s' is damaged (%s); the "
				       "machine is now partly restored", what, devs[i]->name,
				       state_reader_error(&r));
	}
	for (int i = 0; i < vm->ncpus; i++) {
		s = find(v, SNAPSHOT_VCPU, (uint32_t)i, "vcpu");
		state_reader_init(&r, s->data, s->len);
		if (arch_vcpu_load(vm->vcpus[i], &r) < 0)
			return -1;
		vm->vcpus[i]->debug_dirty = true; /* guest debug is the debugger's: program it again */
	}
	/* The clock last, as a VMM resuming a migrated guest does. */
	s = find(v, SNAPSHOT_MACHINE, 0, "machine");
	state_reader_init(&r, s->data, s->len);
	if (arch_vm_load(vm, &r) < 0)
		return -1;
	vm->boot.mode = (enum cpu_mode)v->cfg.boot_mode;
	vm->boot.image_64bit = v->cfg.image_width == 64;
	vm->run_gen++; /* every register cache is stale */
	return 0;
}
