/* SPDX-License-Identifier: MIT */
/*
 * minikvm: parse the command line, build the VM, let the modules linked in
 * (the debugger; options.h) plug into it, run it, exit with its status.
 */
#include "error.h"
#include "host_file.h"
#include "options.h"
#include "snapshot.h"
#include "vcpu.h"
#include "vm.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>

/* --host-report: the modules' reports, in turn. */
static int host_report(void)
{
	size_t n;
	const struct option_module *const *mods = options_modules(&n);

	for (size_t i = 0; i < n; i++) {
		if (mods[i]->host_report && mods[i]->host_report(stdout) < 0) {
			fprintf(stderr, "minikvm: %s\n", err_message());
			return err_status();
		}
	}
	return 0;
}

/* Each module plugs into the made VM; -1 with err_set(). */
static int setup_modules(struct vm *vm)
{
	size_t n;
	const struct option_module *const *mods = options_modules(&n);

	for (size_t i = 0; i < n; i++)
		if (mods[i]->setup && mods[i]->setup(vm) < 0)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct vm_config cfg;
	static struct vm vm; /* large (console buffers); not on the stack */
	struct snapshot_file snap = { 0 };
	int status;

	switch (options_parse(argc, argv, &cfg, stdout)) {
	case OPTIONS_EXIT_OK:
		return 0;
	case OPTIONS_ERROR:
		fprintf(stderr, "minikvm: %s\n", err_message());
		return EXIT_USAGE;
	case OPTIONS_RUN:
		break;
	}
	if (cfg.host_report)
		return host_report();
	/* Output to a closed pipe is the console's problem, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * SIGINT/SIGTERM are read by the event loop (signalfd); blocked from here
	 * on, one that arrives during setup waits for the loop instead of killing
	 * us halfway. Threads inherit the mask.
	 */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	vcpu_signals_init();

	/* The user's mistakes first, before /dev/kvm is opened: a usage error is one wherever we run. */
	if ((cfg.snapshot_dir && host_file_check_dir("--snapshot-dir", cfg.snapshot_dir) < 0) ||
	    (cfg.dump_dir && host_file_check_dir("--dump-dir", cfg.dump_dir) < 0) ||
	    (cfg.loadvm && snapshot_file_open(&snap, cfg.loadvm, &cfg) < 0)) {
		snapshot_file_free(&snap);
		fprintf(stderr, "minikvm: %s\n", err_message());
		return err_status();
	}
	status = vm_create(&vm, &cfg);
	if (status == 0 && cfg.loadvm)
		status = snapshot_file_restore(&vm, &snap);
	snapshot_file_free(&snap); /* as large as guest RAM: not kept while the guest runs */
	if (status < 0 || setup_modules(&vm) < 0) {
		status = err_status();
		fprintf(stderr, "minikvm: %s\n", err_message());
	} else {
		status = vm_run(&vm);
		if (status < 0) {
			status = err_status();
			fprintf(stderr, "minikvm: %s\n", err_message());
		}
	}
	vm_destroy(&vm);
	return status;
}
