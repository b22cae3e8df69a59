/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for snapshots: the input is a snapshot file's bytes, as
 * --loadvm FILE or monitor loadvm takes them, through the real parser
 * (header, checksums, sections: snapshot_parse) and the real restore
 * (snapshot_restore: the machine check, RAM, every device's load, every
 * vCPU's records, the machine's clock), on a machine with no KVM behind it
 * (fake_machine.h: every device of the tree, KVM's ioctls answered).
 *
 * A mutation nearly always breaks a checksum, and the parser then refuses
 * the file before any load sees it. So each input goes twice: as it is,
 * then (if that was refused) repaired: every checksum that a section's
 * bytes no longer match, the header's, and the file size made right. The
 * repaired copy reaches the loads with the mutated bytes.
 *
 * The machine follows the file (its vCPU count, RAM size up to FUZZ_RAM_MAX,
 * irqchip split or kernel), so the loads are reached. After the restore,
 * failed or not (a failed loadvm leaves a partly restored machine that the
 * guest goes on using), the harness is the guest: it reads every port of
 * every device, then runs a little I/O program taken from the first bytes
 * of the restored RAM (see guest_io()), then lets the PIT's timer run as
 * its thread would, on a clock that jumps to each deadline.
 *
 * An input that does not start with the magic is one device's section
 * alone, the quicker way to its load: the first byte picks the device
 * (bits 0-6, modulo the devices that have a load, in init order) and the
 * machine (bit 7: --irqchip kernel), the rest is the section's bytes,
 * loaded as snapshot_restore would; then the same guest. Seeds of both
 * kinds come from make_snapshot_corpus.c.
 *
 * Oracles: the sanitizers; an error is one line of EXIT_USAGE or EXIT_HOST;
 * the PIT's timer thread must not spin (a deadline in the past again and
 * again: it would burn a host CPU forever and never pulse IRQ 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_machine.h"

#include "dev/i8254.h"
#include "device.h"
#include "error.h"
#include "snapshot.h"
#include "snapshot_state.h"

#define FUZZ_RAM_MAX (1u << 20)
#define GUEST_IO_OPS 32
#define TIMER_SPINS  1000 /* past-due deadlines in a row that make a spin */
#define JUMP_MAX_NS  1000000000u
#define JUMPS        8

static struct fake_machine machine;
static bool machine_up;

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

/* Make the checksums and the file size agree with the bytes (the layout is snapshot.h's). */
static void repair(uint8_t *buf, size_t len)
{
	size_t off = SNAPSHOT_HEADER_SIZE;
	uint32_t n = rd32(buf + 40);

	for (uint32_t i = 0; i < n && i < SNAPSHOT_MAX_SECTIONS; i++) {
		uint8_t *h = buf + off;
		uint64_t slen;

		if (len - off < SNAPSHOT_SECTION_HEAD)
			break;
		off += SNAPSHOT_SECTION_HEAD;
		slen = rd64(h + 40);
		if (slen > len - off)
			break;
		wr32(h + 48, snapshot_crc32(0, buf + off, slen));
		off += slen;
	}
	wr64(buf + 48, len);
	wr32(buf + 56, snapshot_crc32(0, buf, 56));
}

/* FUZZ_SNAPSHOT_VERBOSE=1: say what became of each file (to look at a seed or a crash). */
static void say(const char *what)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("FUZZ_SNAPSHOT_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "fuzz_snapshot: %s%s%s\n", what, err_status() == EXIT_HOST &&
			!strcmp(err_message(), "unknown error") ? "" : ": ",
			err_status() == EXIT_HOST && !strcmp(err_message(), "unknown error") ? "" :
			err_message());
}

static void check_error(void)
{
	const char *msg = err_message();

	/* err_message() says "unknown error" when nothing was set: a failure nobody explained. */
	if ((err_status() != EXIT_USAGE && err_status() != EXIT_HOST) ||
	    strcmp(msg, "unknown error") == 0 || strchr(msg, '\n')) {
		fprintf(stderr, "bad error report (status %d): '%s'\n", err_status(), msg);
		abort();
	}
}

/* The machine the file describes, built fresh when the irqchip mode changes. */
static bool machine_for(const struct snapshot_config *c, size_t file_len)
{
	uint64_t mem = c->mem_size <= FUZZ_RAM_MAX && c->mem_size <= file_len ? c->mem_size : 4096;

	if (machine_up && machine.cfg.irqchip != (enum irqchip_mode)c->irqchip) {
		fake_machine_end(&machine);
		machine_up = false;
	}
	if (!machine_up) {
		if (fake_machine_start(&machine, (enum irqchip_mode)c->irqchip, (int)c->ncpus, mem) < 0)
			return false;
		machine_up = true;
	} else if (fake_machine_resize(&machine, (int)c->ncpus, mem) < 0) {
		return false;
	}
	/* Each input starts from power-on, so a crash reproduces from its file alone. */
	devices_reset_all(&machine.vm);
	return true;
}

static void access_port(const struct iobus *bus, const struct io_device *d, uint64_t off,
			unsigned size, uint32_t value, bool write)
{
	uint8_t data[4];

	memcpy(data, &value, sizeof(data));
	if (off + size > d->len)
		size = 1;
	iobus_access(bus, machine.vm.vcpus[0], d->base + off, data, size, write);
}

/* What a guest sees first: every register of every device, read once. */
static void read_everything(void)
{
	const struct iobus *buses[] = { &machine.vm.pio, &machine.vm.mmio };

	for (int b = 0; b < 2; b++) {
		const struct iobus *bus = buses[b];
		unsigned step = bus == &machine.vm.mmio ? 4 : 1;

		for (int i = 0; i < bus->n; i++) {
			const struct io_device *d = bus->devs[i];

			for (uint64_t off = 0; off < d->len && off < 64; off += step)
				access_port(bus, d, off, step, 0, false);
		}
	}
	/* The CMOS clock registers through the index port, as a guest reads the time. */
	if (iobus_find(&machine.vm.pio, 0x70, 1)) {
		for (uint8_t reg = 0; reg < 0x0E; reg++) {
			uint8_t v = reg;

			iobus_access(&machine.vm.pio, NULL, 0x70, &v, 1, true);
			iobus_access(&machine.vm.pio, NULL, 0x71, &v, 1, false);
		}
	}
}

/*
 * What the guest does next, from the first bytes of its RAM: 8-byte
 * operations { op, device, offset, pad, u32 value }; op 0 ends, bit 0
 * writes (else reads), bit 1 picks the MMIO bus (else port I/O), bits 2-3
 * the size (1, 2, 4, 4 bytes); device and
 * offset are taken modulo what the bus has. The RAM is in the file, so the
 * fuzzer writes these programs.
 */
static void guest_io(void)
{
	static const unsigned sizes[] = { 1, 2, 4, 4 };
	const uint8_t *p = machine.vm.mem.host;
	uint64_t n = machine.vm.mem.size / 8;

	for (uint64_t i = 0; i < n && i < GUEST_IO_OPS; i++, p += 8) {
		const struct iobus *bus = p[0] & 2 ? &machine.vm.mmio : &machine.vm.pio;
		const struct io_device *d;

		if (!p[0])
			break;
		if (!bus->n)
			continue;
		d = bus->devs[p[1] % bus->n];
		access_port(bus, d, p[2] % d->len, sizes[p[0] >> 2 & 3], rd32(p + 4), p[0] & 1);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The PIT's timer thread, bounded: at each deadline run_timer returns, it
 * wakes and asks again. Time jumps there (the fake clock runs ahead; up to
 * JUMPS times, a second at most each), so a state whose deadline comes and
 * goes without IRQ 0 falling due shows at once: past deadlines again and
 * again, a thread that would spin.
 */
static void run_pit(void)
{
	struct i8254 *pit = machine.vm.arch.pit;
	int spins = 0, jumps = 0;

	if (!pit)
		return;
	for (;;) {
		uint64_t next = i8254_run_timer(pit), now = now_ns();

		if (next == I8254_NEVER)
			return;
		if (next > now) {
			if (next - now > JUMP_MAX_NS || jumps++ == JUMPS)
				return;
			spins = 0;
			fake_clock_skew_ns += next - now;
			continue;
		}
		if (++spins == TIMER_SPINS) {
			fprintf(stderr, "the PIT's timer thread spins: deadline %llu ns, already past, "
				"%d times in a row\n", (unsigned long long)next, TIMER_SPINS);
			abort();
		}
	}
}

/* Parse and restore; false if the parser refused the file. */
static bool load(const uint8_t *buf, size_t len)
{
	struct snapshot_view *v = malloc(sizeof(*v)); /* a few KiB of section index */

	if (!v)
		abort();
	err_clear();
	if (snapshot_parse(buf, len, "fuzz.mkvm", v) < 0) {
		say("refused");
		check_error();
		free(v);
		return false;
	}
	if (machine_for(&v->cfg, len)) {
		err_clear();
		if (snapshot_restore(&machine.vm, v, "fuzz.mkvm") < 0) {
			say("restore failed");
			check_error();
		} else {
			err_clear();
			say("restored");
		}
		read_everything();
		guest_io();
		run_pit();
	}
	free(v);
	return true;
}

/* One device's section alone (the first byte picks the device and the irqchip). */
static void load_device(const uint8_t *data, size_t size)
{
	struct snapshot_config c = { .mem_size = 4096, .ncpus = 1,
				     .irqchip = data[0] & 0x80 ? IRQCHIP_KERNEL : IRQCHIP_SPLIT };
	const struct device *const *devs;
	const struct device_host *host;
	const struct device *loadable[32];
	struct state_reader r;
	int n = 0, ndev;

	if (!machine_for(&c, c.mem_size))
		return;
	ndev = devices_list(&devs, &host);
	for (int i = 0; i < ndev && n < 32; i++)
		if (devs[i]->load)
			loadable[n++] = devs[i];
	if (!n)
		return;
	state_reader_init(&r, data + 1, size - 1);
	err_clear();
	if (loadable[(data[0] & 0x7F) % n]->load(host, &r) < 0 || state_reader_done(&r) < 0)
		say("device refused its state");
	else
		say("device loaded");
	read_everything();
	guest_io();
	run_pit();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size >= 1 && (size < 8 || memcmp(data, SNAPSHOT_MAGIC, 8) != 0)) {
		load_device(data, size);
		return 0;
	}
	if (load(data, size) || size < SNAPSHOT_HEADER_SIZE)
		return 0;
	copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	repair(copy, size);
	load(copy, size);
	free(copy);
	return 0;
}
