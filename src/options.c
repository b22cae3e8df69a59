/* SPDX-License-Identifier: MIT */
#include "options.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MEMORY (2ULL << 20)   /* room for the boot area, ACPI and a little guest */
#define MAX_MEMORY (256ULL << 30) /* one PML4 entry of identity map covers it */

static const char usage_text[] =
"Usage: minikvm [options] IMAGE\n"
"       minikvm [options] --loadvm FILE [IMAGE]\n"
"Run IMAGE in a KVM virtual machine, or the machine a snapshot FILE saved.\n"
"\n"
"Machine:\n"
"  -m, --memory SIZE      guest RAM, with K/M/G suffix; a bare number is MiB\n"
"                         (default 128M)\n"
"  -c, --cpus N           number of vCPUs (default 1, at most 64)\n"
"      --irqchip MODE     split|kernel: the 8259 PICs, IOAPIC and PIT emulated\n"
"                         by minikvm (split, default; KVM keeps the local APICs)\n"
"                         or all of them by KVM (kernel)\n"
"\n"
"Image:\n"
"      --format FMT       auto|raw16|raw32|raw64|elf|multiboot|linux|pvh (default\n"
"                         auto: ELF, multiboot and Linux bzImage are recognised\n"
"                         by their headers, a vmlinux by its PVH note, a *.bin\n"
"                         file is raw16)\n"
"      --load-addr ADDR   where a raw image is loaded (raw16 0x7c00, else 0x100000)\n"
"      --entry ADDR       first instruction of a raw image (default: load address)\n"
"      --append CMDLINE   kernel command line (Linux, multiboot)\n"
"      --initrd FILE      Linux initial ramdisk\n"
"      --module FILE      multiboot module (repeatable)\n"
"\n"
"Console:\n"
"      --serial MODE      stdio|none|file:PATH (default stdio). On a terminal,\n"
"                         input is raw: Ctrl-C goes to the guest, Ctrl-A x quits.\n"
"\n"
"Debugging (gdb remote protocol):\n"
"  -g, --gdb ENDPOINT     serve gdb at PORT, HOST:PORT, tcp:HOST:PORT, unix:PATH\n"
"                         or stdio; a bare PORT listens on 127.0.0.1 only\n"
"  -s                     same as --gdb 127.0.0.1:1234\n"
"  -S, --wait-gdb         run no vCPU until gdb connects and continues\n"
"      --gdb-allow-uid any|UID[,UID...]\n"
"                         besides the user minikvm runs as, who may connect to\n"
"                         gdb (default: nobody else; a peer on another machine,\n"
"                         whose uid cannot be known, only with any); repeatable\n"
"      --gdb-arch ARCH    auto|i386|x86-64: gdb's register layout (auto: a 64-bit\n"
"                         image gets x86-64 in every CPU mode, others i386)\n"
"      --dump-dir DIR     allow gdb's `monitor dump-guest-memory FILE`: it writes\n"
"                         DIR/FILE (FILE a plain name, mode 0600). Without it the\n"
"                         command is refused: whoever reaches the gdb port could\n"
"                         write files as you (gdb's own `gcore` needs nothing)\n"
"\n"
"Snapshots (docs/gdb.md):\n"
"      --snapshot-dir DIR gdb's `monitor savevm NAME` also writes DIR/NAME.mkvm\n"
"                         (mode 0600; `monitor delvm NAME` removes it)\n"
"      --loadvm FILE      start the machine a snapshot file saved (-m, -c and\n"
"                         --irqchip must match it); IMAGE is then optional (it\n"
"                         is loaded first and serves `monitor reset`)\n"
"\n"
"Diagnostics:\n"
"  -v, --verbose          say what the VMM sets up and why the VM ended\n"
"      --trace-exits      one line per VM exit on stderr\n"
"      --stats            per-vCPU VM exit counts on stderr at the end\n"
"      --host-report      what this host's KVM does for a debugger in each CPU\n"
"                         mode, and the method picked for each job; no guest\n"
"  -h, --help             this text\n"
"      --version          version\n"
"\n"
"Exit status:\n"
"  0    the guest shut down cleanly (i8042 reset, hypercall exit 0)\n"
"  N    the guest's own code: isa-debug-exit (port 0xf4) value V gives\n"
"       (V << 1) | 1, the exit hypercall's code gives itself (8 bits)\n"
"  1    usage error: bad option, unreadable or unrecognised guest image,\n"
"       a --loadvm file that is damaged, truncated or of another machine\n"
"  2    host error: no /dev/kvm, no permission, a KVM ioctl failed\n"
"  3    guest crash: triple fault, KVM internal error, unhandled exit\n"
"       (the vCPU's registers are printed on stderr)\n"
"  130, 143  ended by SIGINT / SIGTERM\n";

const char *format_name(enum image_format f)
{
	static const char *const names[] = {
		[FORMAT_AUTO] = "auto", [FORMAT_RAW16] = "raw16", [FORMAT_RAW32] = "raw32",
		[FORMAT_RAW64] = "raw64", [FORMAT_ELF] = "elf", [FORMAT_MULTIBOOT] = "multiboot",
		[FORMAT_LINUX] = "linux", [FORMAT_PVH] = "pvh",
	};
	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

static int parse_format(const char *s, enum image_format *f)
{
	for (int i = FORMAT_AUTO; i <= FORMAT_PVH; i++) {
		if (strcmp(s, format_name(i)) == 0) {
			*f = i;
			return 0;
		}
	}
	return err_set(EXIT_USAGE, "unknown format '%s' (auto, raw16, raw32, raw64, elf, multiboot, "
		       "linux, pvh)", s);
}

int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long x;
	unsigned shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case '\0': shift = 20; break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return -1;
	}
	/* Accept "128M", "128MB", "128MiB". */
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end || x == 0 || x > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)x << shift;
	return 0;
}

int parse_gdb_allow(const char *s, struct gdb_allow *allow)
{
	const char *p = s;

	if (strcmp(s, "any") == 0) {
		allow->any = true;
		return 0;
	}
	for (;;) {
		char *end;
		unsigned long long uid;

		/* Decimal only, as id(1) prints them; (uid_t)-1 means "no uid" to the kernel. */
		if (!isdigit((unsigned char)*p))
			break;
		errno = 0;
		uid = strtoull(p, &end, 10);
		if (errno || uid >= UINT32_MAX || (*end && *end != ','))
			break;
		if (allow->n == MAX_GDB_ALLOW_UIDS)
			return err_set(EXIT_USAGE, "too many uids for --gdb-allow-uid (at most %d)",
				       MAX_GDB_ALLOW_UIDS);
		allow->uids[allow->n++] = (uint32_t)uid;
		if (!*end)
			return 0;
		p = end + 1;
	}
	return err_set(EXIT_USAGE, "bad --gdb-allow-uid '%s' (any, or numeric uids: 1000,1001)", s);
}

static int parse_serial(const char *s, struct vm_config *cfg)
{
	if (strcmp(s, "stdio") == 0) {
		cfg->serial = SERIAL_STDIO;
	} else if (strcmp(s, "none") == 0) {
		cfg->serial = SERIAL_NONE;
	} else if (strncmp(s, "file:", 5) == 0 && s[5]) {
		cfg->serial = SERIAL_FILE;
		cfg->serial_path = s + 5;
	} else {
		return err_set(EXIT_USAGE, "bad --serial '%s' (stdio, none or file:PATH)", s);
	}
	return 0;
}

enum {
	OPT_FORMAT = 256, OPT_LOAD_ADDR, OPT_ENTRY, OPT_APPEND, OPT_MODULE, OPT_SERIAL,
	OPT_TRACE_EXITS, OPT_STATS, OPT_VERSION, OPT_GDB_ARCH, OPT_INITRD, OPT_IRQCHIP,
	OPT_SNAPSHOT_DIR, OPT_LOADVM, OPT_HOST_REPORT, OPT_DUMP_DIR, OPT_GDB_ALLOW_UID,
};

#define DEFAULT_GDB_ENDPOINT "127.0.0.1:1234"

static const struct option long_options[] = {
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "irqchip", required_argument, NULL, OPT_IRQCHIP },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "load-addr", required_argument, NULL, OPT_LOAD_ADDR },
	{ "entry", required_argument, NULL, OPT_ENTRY },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "trace-exits", no_argument, NULL, OPT_TRACE_EXITS },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "gdb", required_argument, NULL, 'g' },
	{ "wait-gdb", no_argument, NULL, 'S' },
	{ "gdb-arch", required_argument, NULL, OPT_GDB_ARCH },
	{ "dump-dir", required_argument, NULL, OPT_DUMP_DIR },
	{ "gdb-allow-uid", required_argument, NULL, OPT_GDB_ALLOW_UID },
	{ "snapshot-dir", required_argument, NULL, OPT_SNAPSHOT_DIR },
	{ "loadvm", required_argument, NULL, OPT_LOADVM },
	{ "host-report", no_argument, NULL, OPT_HOST_REPORT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char *option_name(int opt)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == opt) {
			static __thread char buf[32];

			snprintf(buf, sizeof(buf), "--%s", o->name);
			return buf;
		}
	return "option";
}

static void defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = 128ULL << 20;
	cfg->cpus = 1;
	cfg->format = FORMAT_AUTO;
	cfg->serial = SERIAL_STDIO;
}

enum options_result options_parse(int argc, char **argv, struct vm_config *cfg, FILE *out)
{
	int opt;
	uint64_t v;

	defaults(cfg);
	/* getopt keeps global state; a caller (unit tests) may parse several times. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":m:c:vhg:sS", long_options, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (parse_size(optarg, &cfg->mem_size))
				goto bad_value;
			if (cfg->mem_size < MIN_MEMORY || cfg->mem_size > MAX_MEMORY) {
				err_set(EXIT_USAGE, "--memory %s is out of range (2M to 256G)", optarg);
				return OPTIONS_ERROR;
			}
			if (cfg->mem_size & 0xfff) {
				err_set(EXIT_USAGE, "--memory %s is not a multiple of 4K", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case 'c':
			if (parse_u64(optarg, &v))
				goto bad_value;
			if (v < 1 || v > MAX_CPUS) {
				err_set(EXIT_USAGE, "--cpus %s is out of range (1 to %d)", optarg, MAX_CPUS);
				return OPTIONS_ERROR;
			}
			cfg->cpus = (int)v;
			break;
		case OPT_IRQCHIP:
			if (!strcmp(optarg, "split")) {
				cfg->irqchip = IRQCHIP_SPLIT;
			} else if (!strcmp(optarg, "kernel")) {
				cfg->irqchip = IRQCHIP_KERNEL;
			} else {
				err_set(EXIT_USAGE, "bad --irqchip '%s' (split or kernel)", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case OPT_FORMAT:
			if (parse_format(optarg, &cfg->format))
				return OPTIONS_ERROR;
			break;
		case OPT_LOAD_ADDR:
			if (parse_u64(optarg, &cfg->load_addr))
				goto bad_value;
			cfg->load_addr_set = true;
			break;
		case OPT_ENTRY:
			if (parse_u64(optarg, &cfg->entry))
				goto bad_value;
			cfg->entry_set = true;
			break;
		case OPT_APPEND:
			cfg->append = optarg;
			break;
		case OPT_INITRD:
			cfg->initrd = optarg;
			break;
		case OPT_MODULE:
			if (cfg->nmodules == MAX_MODULES) {
				err_set(EXIT_USAGE, "too many --module options (at most %d)", MAX_MODULES);
				return OPTIONS_ERROR;
			}
			cfg->modules[cfg->nmodules++] = optarg;
			break;
		case OPT_SERIAL:
			if (parse_serial(optarg, cfg))
				return OPTIONS_ERROR;
			break;
		case 'v':
			cfg->verbose++;
			break;
		case OPT_TRACE_EXITS:
			cfg->trace_exits = true;
			break;
		case OPT_STATS:
			cfg->stats = true;
			break;
		case 'g':
			cfg->gdb = optarg;
			break;
		case 's':
			cfg->gdb = DEFAULT_GDB_ENDPOINT;
			break;
		case 'S':
			cfg->wait_gdb = true;
			break;
		case OPT_GDB_ARCH:
			if (strcmp(optarg, "auto") == 0)
				cfg->gdb_arch = 0;
			else if (strcmp(optarg, "i386") == 0)
				cfg->gdb_arch = 32;
			else if (strcmp(optarg, "x86-64") == 0 || strcmp(optarg, "x86_64") == 0)
				cfg->gdb_arch = 64;
			else {
				err_set(EXIT_USAGE, "unknown --gdb-arch '%s' (auto, i386, x86-64)", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case OPT_GDB_ALLOW_UID:
			if (parse_gdb_allow(optarg, &cfg->gdb_allow))
				return OPTIONS_ERROR;
			break;
		case OPT_SNAPSHOT_DIR:
			cfg->snapshot_dir = optarg;
			break;
		case OPT_DUMP_DIR:
			cfg->dump_dir = optarg;
			break;
		case OPT_LOADVM:
			cfg->loadvm = optarg;
			break;
		case OPT_HOST_REPORT:
			cfg->host_report = true;
			break;
		case 'h':
			fputs(usage_text, out);
			return OPTIONS_EXIT_OK;
		case OPT_VERSION:
			fprintf(out, "minikvm %s\n", MINIKVM_VERSION);
			return OPTIONS_EXIT_OK;
		case ':':
			err_set(EXIT_USAGE, "option '%s' needs a value", argv[optind - 1]);
			return OPTIONS_ERROR;
		default:
			err_set(EXIT_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
			return OPTIONS_ERROR;
		}
	}
	if (cfg->host_report)
		return OPTIONS_RUN; /* no guest: main() prints the report */
	if (optind >= argc && !cfg->loadvm) {
		err_set(EXIT_USAGE, "no guest image given (usage: minikvm [options] IMAGE; see --help)");
		return OPTIONS_ERROR;
	}
	if (optind + 1 < argc) {
		err_set(EXIT_USAGE, "more than one guest image given: '%s' and '%s'", argv[optind],
			argv[optind + 1]);
		return OPTIONS_ERROR;
	}
	cfg->image = optind < argc ? argv[optind] : NULL;
	if (cfg->wait_gdb && !cfg->gdb)
		cfg->gdb = DEFAULT_GDB_ENDPOINT; /* QEMU's -S alone waits forever; we also listen */
	if (cfg->gdb && strcmp(cfg->gdb, "stdio") == 0 && cfg->serial == SERIAL_STDIO)
		cfg->serial = SERIAL_STDERR; /* stdout carries the protocol */
	if ((cfg->load_addr_set || cfg->entry_set) &&
	    (cfg->format == FORMAT_ELF || cfg->format == FORMAT_MULTIBOOT)) {
		err_set(EXIT_USAGE, "--load-addr and --entry are for raw images; %s images say where they go",
			format_name(cfg->format));
		return OPTIONS_ERROR;
	}
	return OPTIONS_RUN;

bad_value:
	err_set(EXIT_USAGE, "bad value '%s' for %s", optarg, option_name(opt));
	return OPTIONS_ERROR;
}
