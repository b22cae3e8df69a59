/* SPDX-License-Identifier: MIT */
/*
 * The debugger's options, its usage lines in --help, and its part of
 * main()'s run (--host-report; plugging into the VM when --gdb is given):
 * a module of options.h, which options.c finds through OPTION_MODULE. A
 * build without the debugger (build/minikvm-nodebug) links src/nodebug.c
 * in its place.
 */
#include "debug_options.h"
#include "debug.h"
#include "error.h"
#include "gdb_endpoint.h"
#include "vm.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_GDB_ENDPOINT "127.0.0.1:1234"

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

static enum option_status opt_gdb(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	cfg->gdb = arg ? arg : DEFAULT_GDB_ENDPOINT;
	return OPTION_OK;
}

static enum option_status opt_wait_gdb(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)arg;
	(void)out;
	cfg->wait_gdb = true;
	return OPTION_OK;
}

static enum option_status opt_gdb_allow_uid(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	return parse_gdb_allow(arg, &cfg->gdb_allow) ? OPTION_FAILED : OPTION_OK;
}

static enum option_status opt_gdb_arch(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	if (strcmp(arg, "auto") == 0)
		cfg->gdb_arch = 0;
	else if (strcmp(arg, "i386") == 0)
		cfg->gdb_arch = 32;
	else if (strcmp(arg, "x86-64") == 0 || strcmp(arg, "x86_64") == 0)
		cfg->gdb_arch = 64;
	else {
		err_set(EXIT_USAGE, "unknown --gdb-arch '%s' (auto, i386, x86-64)", arg);
		return OPTION_FAILED;
	}
	return OPTION_OK;
}

static enum option_status opt_dump_dir(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	cfg->dump_dir = arg;
	return OPTION_OK;
}

static enum option_status opt_snapshot_dir(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)out;
	cfg->snapshot_dir = arg;
	return OPTION_OK;
}

static enum option_status opt_host_report(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)arg;
	(void)out;
	cfg->host_report = true;
	return OPTION_OK;
}

static const struct option_spec debug_options[] = {
	{ "gdb", 'g', true, HELP_DEBUGGING + 1,
	  "\nDebugging (gdb remote protocol):\n"
	  "  -g, --gdb ENDPOINT     serve gdb at PORT, HOST:PORT, tcp:HOST:PORT, unix:PATH\n"
	  "                         or stdio; a bare PORT listens on 127.0.0.1 only\n", opt_gdb },
	{ NULL, 's', false, HELP_DEBUGGING + 2,
	  "  -s                     same as --gdb 127.0.0.1:1234\n", opt_gdb },
	{ "wait-gdb", 'S', false, HELP_DEBUGGING + 3,
	  "  -S, --wait-gdb         run no vCPU until gdb connects and continues\n", opt_wait_gdb },
	{ "gdb-allow-uid", 0, true, HELP_DEBUGGING + 4,
	  "      --gdb-allow-uid any|UID[,UID...]\n"
	  "                         besides the user minikvm runs as, who may connect to\n"
	  "                         gdb (default: nobody else; a peer on another machine,\n"
	  "                         whose uid cannot be known, only with any); repeatable\n",
	  opt_gdb_allow_uid },
	{ "gdb-arch", 0, true, HELP_DEBUGGING + 5,
	  "      --gdb-arch ARCH    auto|i386|x86-64: gdb's register layout (auto: a 64-bit\n"
	  "                         image gets x86-64 in every CPU mode, others i386)\n", opt_gdb_arch },
	{ "dump-dir", 0, true, HELP_DEBUGGING + 6,
	  "      --dump-dir DIR     allow gdb's `monitor dump-guest-memory FILE`: it writes\n"
	  "                         DIR/FILE (FILE a plain name, mode 0600). Without it the\n"
	  "                         command is refused: whoever reaches the gdb port could\n"
	  "                         write files as you (gdb's own `gcore` needs nothing)\n", opt_dump_dir },
	{ "snapshot-dir", 0, true, HELP_SNAPSHOTS + 10,
	  "      --snapshot-dir DIR gdb's `monitor savevm NAME` also writes DIR/NAME.mkvm\n"
	  "                         (mode 0600; `monitor delvm NAME` removes it)\n", opt_snapshot_dir },
	{ "host-report", 0, false, HELP_DIAGNOSTICS + 50,
	  "      --host-report      what this host's KVM does for a debugger in each CPU\n"
	  "                         mode, and the method picked for each job; no guest\n", opt_host_report },
	{ 0 },
};

static int debug_finish(struct vm_config *cfg)
{
	struct gdb_endpoint ep;

	if (cfg->host_report)
		return 0;
	if (cfg->wait_gdb && !cfg->gdb)
		cfg->gdb = DEFAULT_GDB_ENDPOINT; /* QEMU's -S alone waits forever; we also listen */
	/* A bad endpoint is a usage error, said before /dev/kvm is opened (debug_create parses it again). */
	if (cfg->gdb && gdb_endpoint_parse(cfg->gdb, &ep) < 0)
		return -1;
	if (cfg->gdb && strcmp(cfg->gdb, "stdio") == 0 && cfg->serial == SERIAL_STDIO)
		cfg->serial = SERIAL_STDERR; /* stdout carries the protocol */
	return 0;
}

static int debug_setup(struct vm *vm)
{
	return vm->cfg->gdb ? debug_create(vm) : 0;
}

static const struct option_module debug_module = {
	.options = debug_options,
	.finish = debug_finish,
	.host_report = debug_host_report,
	.setup = debug_setup,
};
OPTION_MODULE(debug_module);
