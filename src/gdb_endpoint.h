/* SPDX-License-Identifier: MIT */
/*
 * Where gdb connects: "1234" (127.0.0.1 only), "HOST:PORT",
 * "tcp:HOST:PORT", "unix:PATH" (socket created mode 0600) or "stdio".
 * Listening on anything but loopback must be asked for by naming the host,
 * and is warned about: the protocol has no authentication, and whoever
 * connects reads and writes all of the guest (docs/security.md).
 */
#ifndef MINIKVM_GDB_ENDPOINT_H
#define MINIKVM_GDB_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

enum gdb_endpoint_kind { GDB_EP_TCP, GDB_EP_UNIX, GDB_EP_STDIO };

struct gdb_endpoint {
	enum gdb_endpoint_kind kind;
	char host[256];   /* TCP: numeric address or name */
	uint16_t port;
	char path[108];   /* UNIX: sun_path */
	uint64_t dev, ino; /* UNIX: the socket file we created (0: none), to remove only ours */
	bool exposed;     /* TCP: bound to an address other machines can reach */
};

/* Parse; -1 with err_set(EXIT_USAGE) naming what is wrong. */
int gdb_endpoint_parse(const char *spec, struct gdb_endpoint *ep);
/*
 * Listening socket for TCP/UNIX (non-blocking, close-on-exec); -1 with
 * err_set(). A unix socket path where something still listens is refused
 * (EXIT_USAGE), a stale one replaced. Fills ep->dev/ino, ep->exposed.
 */
int gdb_endpoint_listen(struct gdb_endpoint *ep);
/* Remove the unix socket file if it is still the one we created. */
void gdb_endpoint_unlink(const struct gdb_endpoint *ep);
/* "127.0.0.1:1234", "unix:/tmp/x", "stdio" */
void gdb_endpoint_describe(const struct gdb_endpoint *ep, char *buf, unsigned size);

#endif
