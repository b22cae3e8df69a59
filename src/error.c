/* SPDX-License-Identifier: MIT */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

/* Per thread: a vCPU thread's failure must not clobber the main thread's. */
static __thread char message[512];
static __thread enum exit_status status = EXIT_HOST;

int err_set(enum exit_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	status = st;
	return -1;
}

const char *err_message(void)
{
	return message[0] ? message : "unknown error";
}

enum exit_status err_status(void)
{
	return status;
}

void err_clear(void)
{
	message[0] = '\0';
	status = EXIT_HOST;
}
