/* SPDX-License-Identifier: MIT */
/*
 * The command line: the core's options, each with its usage lines and a
 * handler (core_options), and those of the modules linked in (options.h),
 * read with getopt_long from one table built of both; --help is their
 * usage lines in the order of enum help_place.
 */
#include "options.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MEMORY (2ULL << 20)   /* room for the boot area, ACPI and a little guest */
#define MAX_MEMORY (256ULL << 30) /* one PML4 entry of identity map covers it */
#define MAX_OPTIONS 64            /* the core's and every module's */

static const char usage_head[] =
"Usage: minikvm [options] IMAGE\n"
"       minikvm [options] --loadvm FILE [IMAGE]\n"
"Run IMAGE in a KVM virtual machine, or the machine a snapshot FILE saved.\n";

/* The exit statuses; how a guest ends with 0 or its own code is the arch's (arch_exit_help). */
static const char usage_tail[] =
"  1    usage error: bad option, unreadable or unrecognised guest image,\n"
"       a --loadvm file that is damaged, truncated or of another machine\n"
"  2    host error: no /dev/kvm, no permission, a KVM ioctl failed\n"
"  3    guest crash: triple fault, KVM internal error, unhandled exit\n"
"       (the vCPU's registers are printed on stderr)\n"
"  130, 143  ended by SIGINT / SIGTERM\n";

static int parse_format(const char *s, enum image_format *f)
{
	char names[128] = "";

	for (size_t i = 0; i < arch_nformats; i++) {
		if (strcmp(s, format_name(arch_formats[i])) == 0) {
			*f = arch_formats[i];
			return 0;
		}
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
			 format_name(arch_formats[i]));
	}
	return err_set(EXIT_USAGE, "unknown format '%s' (%s)", s, names);
}

const char *format_name(enum image_format f)
{
	static const char *const names[] = {
		[FORMAT_AUTO] = "auto", [FORMAT_RAW16] = "raw16", [FORMAT_RAW32] = "raw32",
		[FORMAT_RAW64] = "raw64", [FORMAT_ELF] = "elf", [FORMAT_MULTIBOOT] = "multiboot",
		[FORMAT_LINUX] = "linux", [FORMAT_PVH] = "pvh", [FORMAT_RAW] = "raw",
	};
	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
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

/* ---- the core's options ---- */

static enum option_status opt_memory(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	if (parse_size(arg, &cfg->mem_size))
		return OPTION_BAD_VALUE;
	if (cfg->mem_size < MIN_MEMORY || cfg->mem_size > MAX_MEMORY) {
		err_set(EXIT_USAGE, "--memory %s is out of range (2M to 256G)", arg);
		return OPTION_FAILED;
	}
	if (cfg->mem_size & 0xfff) {
		err_set(EXIT_USAGE, "--memory %s is not a multiple of 4K", arg);
		return OPTION_FAILED;
	}
	return OPTION_OK;
}

static enum option_status opt_cpus(struct vm_config *cfg, const char *arg, FILE *out)
{
	uint64_t v;

	(void)out;
	if (parse_u64(arg, &v))
		return OPTION_BAD_VALUE;
	if (v < 1 || v > MAX_CPUS) {
		err_set(EXIT_USAGE, "--cpus %s is out of range (1 to %d)", arg, MAX_CPUS);
		return OPTION_FAILED;
	}
	cfg->cpus = (int)v;
	return OPTION_OK;
}

static enum option_status opt_format(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	return parse_format(arg, &cfg->format) ? OPTION_FAILED : OPTION_OK;
}

static enum option_status opt_load_addr(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	if (parse_u64(arg, &cfg->load_addr))
		return OPTION_BAD_VALUE;
	cfg->load_addr_set = true;
	return OPTION_OK;
}

static enum option_status opt_entry(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	if (parse_u64(arg, &cfg->entry))
		return OPTION_BAD_VALUE;
	cfg->entry_set = true;
	return OPTION_OK;
}

static enum option_status opt_append(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	cfg->append = arg;
	return OPTION_OK;
}

static enum option_status opt_initrd(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	cfg->initrd = arg;
	return OPTION_OK;
}

static enum option_status opt_serial(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	return parse_serial(arg, cfg) ? OPTION_FAILED : OPTION_OK;
}

static enum option_status opt_loadvm(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	cfg->loadvm = arg;
	return OPTION_OK;
}

static enum option_status opt_verbose(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)arg;
	(void)out;
	cfg->verbose++;
	return OPTION_OK;
}

static enum option_status opt_trace_exits(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)arg;
	(void)out;
	cfg->trace_exits = true;
	return OPTION_OK;
}

static enum option_status opt_stats(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)arg;
	(void)out;
	cfg->stats = true;
	return OPTION_OK;
}

static void print_help(FILE *out);

static enum option_status opt_help(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)cfg;
	(void)arg;
	print_help(out);
	return OPTION_DONE;
}

static enum option_status opt_version(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)cfg;
	(void)arg;
	fprintf(out, "minikvm %s\n", MINIKVM_VERSION);
	return OPTION_DONE;
}

static const struct option_spec core_options[] = {
	{ "memory", 'm', true, HELP_MACHINE + 1,
	  "\nMachine:\n"
	  "  -m, --memory SIZE      guest RAM, with K/M/G suffix; a bare number is MiB\n"
	  "                         (default 128M)\n", opt_memory },
	{ "cpus", 'c', true, HELP_MACHINE + 2,
	  "  -c, --cpus N           number of vCPUs (default 1, at most 64)\n", opt_cpus },
	/* The image formats and raw load address are the arch's (src/ARCH/options.c). */
	{ "format", 0, true, HELP_IMAGE + 1, arch_format_usage, opt_format },
	{ "load-addr", 0, true, HELP_IMAGE + 2, arch_load_addr_usage, opt_load_addr },
	{ "entry", 0, true, HELP_IMAGE + 3,
	  "      --entry ADDR       first instruction of a raw image (default: load address)\n", opt_entry },
	{ "append", 0, true, HELP_IMAGE + 4,
	  "      --append CMDLINE   kernel command line (Linux, multiboot)\n", opt_append },
	{ "initrd", 0, true, HELP_IMAGE + 5,
	  "      --initrd FILE      Linux initial ramdisk\n", opt_initrd },
	{ "serial", 0, true, HELP_CONSOLE + 1,
	  "\nConsole:\n"
	  "      --serial MODE      stdio|none|file:PATH (default stdio). On a terminal,\n"
	  "                         input is raw: Ctrl-C goes to the guest, Ctrl-A x quits.\n", opt_serial },
	{ NULL, 0, false, HELP_SNAPSHOTS, "\nSnapshots (docs/gdb.md):\n", NULL }, /* a heading only */
	{ "loadvm", 0, true, HELP_SNAPSHOTS + 20,
	  "      --loadvm FILE      start the machine a snapshot file saved (-m, -c and,\n"
	  "                         on x86, --irqchip must match it); IMAGE is then\n"
	  "                         optional (loaded first, it serves `monitor reset`)\n",
	  opt_loadvm },
	{ "verbose", 'v', false, HELP_DIAGNOSTICS + 1,
	  "\nDiagnostics:\n"
	  "  -v, --verbose          say what the VMM sets up and why the VM ended\n", opt_verbose },
	{ "trace-exits", 0, false, HELP_DIAGNOSTICS + 2,
	  "      --trace-exits      one line per VM exit on stderr\n", opt_trace_exits },
	{ "stats", 0, false, HELP_DIAGNOSTICS + 3,
	  "      --stats            per-vCPU VM exit counts on stderr at the end\n", opt_stats },
	{ "help", 'h', false, HELP_DIAGNOSTICS + 90, "  -h, --help             this text\n", opt_help },
	{ "version", 0, false, HELP_DIAGNOSTICS + 91, "      --version          version\n", opt_version },
	{ 0 },
};

/* ---- the table of the core and the modules ---- */

extern const struct option_module *const __start_minikvm_option_modules[] __attribute__((weak));
extern const struct option_module *const __stop_minikvm_option_modules[] __attribute__((weak));

const struct option_module *const *options_modules(size_t *n)
{
	*n = (size_t)(__stop_minikvm_option_modules - __start_minikvm_option_modules);
	return __start_minikvm_option_modules;
}

/* A table ends with an entry of no name, no short name and no usage lines. */
static bool spec_end(const struct option_spec *o)
{
	return !o->name && !o->short_name && !o->usage;
}

/* Every option spec, the core's first (its Snapshots heading too); how many. */
static int all_specs(const struct option_spec **specs)
{
	size_t nmod;
	const struct option_module *const *mods = options_modules(&nmod);
	int n = 0;

	for (const struct option_spec *o = core_options; !spec_end(o) && n < MAX_OPTIONS; o++)
		specs[n++] = o;
	for (size_t m = 0; m < nmod; m++)
		for (const struct option_spec *o = mods[m]->options; !spec_end(o) && n < MAX_OPTIONS; o++)
			specs[n++] = o;
	return n;
}

static int by_help_place(const void *a, const void *b)
{
	const struct option_spec *x = *(const struct option_spec *const *)a;
	const struct option_spec *y = *(const struct option_spec *const *)b;

	return (x->help_place > y->help_place) - (x->help_place < y->help_place);
}

static void print_help(FILE *out)
{
	const struct option_spec *specs[MAX_OPTIONS];
	int n = all_specs(specs);

	qsort(specs, (size_t)n, sizeof(specs[0]), by_help_place);
	fputs(usage_head, out);
	for (int i = 0; i < n; i++)
		if (specs[i]->usage)
			fputs(specs[i]->usage, out);
	fputs("\nExit status:\n", out);
	fputs(arch_exit_help, out);
	fputs(usage_tail, out);
}

/*
 * getopt_long's view of the specs: a long option's val is its short name,
 * or 256 + its index; optstring lists the short names (':' first: a missing
 * value is reported as ':').
 */
static void getopt_tables(const struct option_spec **specs, int n, struct option *longs, char *shorts)
{
	int nl = 0, ns = 0;

	shorts[ns++] = ':';
	for (int i = 0; i < n; i++) {
		const struct option_spec *o = specs[i];

		if (o->name)
			longs[nl++] = (struct option){ o->name, o->has_arg ? required_argument : no_argument,
						       NULL, o->short_name ? o->short_name : 256 + i };
		if (o->short_name) {
			shorts[ns++] = o->short_name;
			if (o->has_arg)
				shorts[ns++] = ':';
		}
	}
	longs[nl] = (struct option){ NULL, 0, NULL, 0 };
	shorts[ns] = '\0';
}

static const struct option_spec *spec_of(const struct option_spec **specs, int n, int opt)
{
	if (opt >= 256)
		return opt - 256 < n ? specs[opt - 256] : NULL;
	for (int i = 0; i < n; i++)
		if (specs[i]->short_name && specs[i]->short_name == opt)
			return specs[i];
	return NULL;
}

static void defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = 128ULL << 20;
	cfg->cpus = 1;
	cfg->format = FORMAT_AUTO;
	cfg->serial = SERIAL_STDIO;
}

/* Each module's last word on what was given; false with err_set(). */
static bool modules_finish(struct vm_config *cfg)
{
	size_t n;
	const struct option_module *const *mods = options_modules(&n);

	for (size_t i = 0; i < n; i++)
		if (mods[i]->finish && mods[i]->finish(cfg) < 0)
			return false;
	return true;
}

/* After the options: the guest image and what no single option can check. */
static enum options_result check_args(int argc, char **argv, struct vm_config *cfg)
{
	if (cfg->host_report)
		return modules_finish(cfg) ? OPTIONS_RUN : OPTIONS_ERROR; /* no guest: main() prints the report */
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
	/* With an image the loader checks them against its format (loader_load). */
	if ((cfg->load_addr_set || cfg->entry_set) && !cfg->image) {
		err_set(EXIT_USAGE, "--load-addr and --entry are for raw images, and --loadvm without "
			"IMAGE loads none");
		return OPTIONS_ERROR;
	}
	return modules_finish(cfg) ? OPTIONS_RUN : OPTIONS_ERROR;
}

enum options_result options_parse(int argc, char **argv, struct vm_config *cfg, FILE *out)
{
	const struct option_spec *specs[MAX_OPTIONS], *spec;
	struct option longs[MAX_OPTIONS + 1];
	char shorts[3 * MAX_OPTIONS + 2];
	int n = all_specs(specs), opt;

	defaults(cfg);
	getopt_tables(specs, n, longs, shorts);
	/* getopt keeps global state; a caller (unit tests) may parse several times. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (opt == ':') {
			err_set(EXIT_USAGE, "option '%s' needs a value", argv[optind - 1]);
			return OPTIONS_ERROR;
		}
		spec = spec_of(specs, n, opt);
		if (!spec) {
			err_set(EXIT_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
			return OPTIONS_ERROR;
		}
		switch (spec->handle(cfg, spec->has_arg ? optarg : NULL, out)) {
		case OPTION_OK:
			break;
		case OPTION_DONE:
			return OPTIONS_EXIT_OK;
		case OPTION_BAD_VALUE:
			err_set(EXIT_USAGE, "bad value '%s' for --%s", optarg, spec->name);
			return OPTIONS_ERROR;
		case OPTION_FAILED:
			return OPTIONS_ERROR;
		}
	}
	return check_args(argc, argv, cfg);
}
