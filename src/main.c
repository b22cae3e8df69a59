/* SPDX-License-Identifier: MIT */
/* minikvm: parse the command line, build the VM, run it, exit with its status. */
#include "error.h"
#include "host_file.h"
#include "options.h"
#include "snapshot.h"
#ifndef MINIKVM_NO_DEBUGGER
#include "debug.h"
#endif
#include "vcpu.h"
#include "vm.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	struct vm_config cfg;
	static struct vm vm; /* large (console buffers); not on the stack */
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
	if (cfg.host_report) {
#ifdef MINIKVM_NO_DEBUGGER
		fprintf(stderr, "minikvm: this minikvm was built without the debugger (build/minikvm-nodebug): "
			"--host-report is not available\n");
		return EXIT_USAGE;
#else
		if (debug_host_report(stdout) == 0)
			return 0;
		fprintf(stderr, "minikvm: %s\n", err_message());
		return err_status();
#endif
	}
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

#ifdef MINIKVM_NO_DEBUGGER
	if (cfg.gdb) {
		fprintf(stderr, "minikvm: this minikvm was built without the debugger (build/minikvm-nodebug): "
			"--gdb and -S are not available\n");
		return EXIT_USAGE;
	}
#endif
	if ((cfg.snapshot_dir && host_file_check_dir("--snapshot-dir", cfg.snapshot_dir) < 0) ||
	    (cfg.dump_dir && host_file_check_dir("--dump-dir", cfg.dump_dir) < 0)) {
		fprintf(stderr, "minikvm: %s\n", err_message());
		return EXIT_USAGE;
	}
	if (vm_create(&vm, &cfg) < 0 || (cfg.loadvm && snapshot_load_file(&vm, cfg.loadvm) < 0)
#ifndef MINIKVM_NO_DEBUGGER
	    || (cfg.gdb && debug_create(&vm) < 0)
#endif
	) {
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
