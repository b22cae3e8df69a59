/* SPDX-License-Identifier: MIT */
/*
 * The debugger's command-line options (src/debug_options.c): --gdb, -s,
 * -S, --gdb-allow-uid, --gdb-arch, --dump-dir, --snapshot-dir and
 * --host-report, declared to options.c as a module (struct option_module).
 */
#ifndef MINIKVM_DEBUG_OPTIONS_H
#define MINIKVM_DEBUG_OPTIONS_H

#include "options.h"

/* "any" or "UID[,UID...]" (decimal) added to *allow; -1 with err_set(EXIT_USAGE) on junk or too many. */
int parse_gdb_allow(const char *s, struct gdb_allow *allow);

#endif
