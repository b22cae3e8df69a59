/* SPDX-License-Identifier: MIT */
/*
 * What build/minikvm-nodebug (the VMM without the debugger, linked with
 * this file instead of src/debug_options.c and the debugger) says of the
 * debugger's main flags: it knows them only to refuse them with a clear
 * word, after the rest of the command line was checked. Its --help lists
 * none of them; the debugger's other options are unknown options here.
 */
#include "options.h"
#include "error.h"

#define NO_DEBUGGER "this minikvm was built without the debugger (build/minikvm-nodebug): "

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
		return err_set(EXIT_USAGE, NO_DEBUGGER "--host-report is not available");
	if (cfg->wait_gdb)
		return err_set(EXIT_USAGE, NO_DEBUGGER "--gdb and -S are not available");
	return 0;
}

static const struct option_module nodebug_module = {
	.options = refused,
	.finish = refuse,
};
OPTION_MODULE(nodebug_module);
