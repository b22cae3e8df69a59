/* SPDX-License-Identifier: MIT */
/*
 * What build/minikvm-nodebug (the VMM without the debugger, linked with
 * this file instead of src/debug_options.c and the debugger), and
 * minikvm-riscv64 until the debugger comes to RISC-V, say of the
 * debugger's main flags: it knows them only to refuse them with a clear
 * word, after the rest of the command line was checked. Its --help lists
 * none of them; the debugger's other options are unknown options here.
 */
#include "options.h"
#include "error.h"


static enum option_status asked_gdb(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)arg;
	(void)out;
	cfg->wait_gdb = true;
	return OPTION_OK;
}

static enum option_status asked_host_report(struct vm_config *cfg, const char *arg, FILE *out)
{
	(void)arg;
	(void)out;
	cfg->host_report = true;
	return OPTION_OK;
}

static const struct option_spec refused[] = {
	{ "gdb", 'g', true, 0, NULL, asked_gdb },
	{ NULL, 's', false, 0, NULL, asked_gdb },
	{ "wait-gdb", 'S', false, 0, NULL, asked_gdb },
	{ "host-report", 0, false, 0, NULL, asked_host_report },
	{ 0 },
};

static int refuse(struct vm_config *cfg)
{
	if (cfg->host_report)
		return err_set(EXIT_USAGE, "%s--host-report is not available", arch_no_debugger);
	if (cfg->wait_gdb)
		return err_set(EXIT_USAGE, "%s--gdb and -S are not available", arch_no_debugger);
	return 0;
}

static const struct option_module nodebug_module = {
	.options = refused,
	.finish = refuse,
};
OPTION_MODULE(nodebug_module);
