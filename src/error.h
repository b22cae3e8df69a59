/* SPDX-License-Identifier: MIT */
/*
 * Errors: every failing function records one human-readable message and the
 * exit status class it maps to, then returns a negative value. Only main()
 * prints the message and exits, so library code never dies deep inside.
 */
#ifndef MINIKVM_ERROR_H
#define MINIKVM_ERROR_H

/* Process exit statuses, documented in --help and README. */
enum exit_status {
	EXIT_GUEST_OK    = 0, /* guest shut down cleanly */
	EXIT_USAGE       = 1, /* bad command line or guest image */
	EXIT_HOST        = 2, /* no /dev/kvm, no permission, a KVM ioctl failed */
	EXIT_GUEST_CRASH = 3, /* triple fault, KVM internal error, unhandled exit */
};

/*
 * Record an error and return -1. The message is one line without a trailing
 * newline; a later call overwrites an earlier one.
 */
int err_set(enum exit_status status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *err_message(void);
enum exit_status err_status(void);
void err_clear(void);

#endif
