/* SPDX-License-Identifier: MIT */
/*
 * Who is at the other end of a gdb connection, and whether they may debug
 * the guest (docs/security.md, "Who may connect"). By default only the
 * user minikvm runs as; --gdb-allow-uid adds others, or anyone ("any").
 *
 * A unix socket says its peer's uid itself (SO_PEERCRED). A TCP socket
 * does not: the peer's uid is that of the client's own socket, found on
 * this machine by its 4-tuple (the mirror of ours) through the sock_diag
 * netlink interface, or /proc/net/tcp and tcp6 where netlink is not there.
 * No such socket means a peer on another machine (or one already gone):
 * its uid cannot be known, and only "any" lets it in.
 */
#ifndef MINIKVM_GDB_PEER_H
#define MINIKVM_GDB_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

/*
 * Admit the connection on fd, just accepted (before a byte of it is read)?
 * Refused: why holds one line naming the peer and its uid ("uid 65534
 * (127.0.0.1:40000) may not debug this guest: ..."), without "minikvm: ".
 */
bool gdb_peer_admit(int fd, const struct gdb_allow *allow, char *why, size_t size);

/*
 * One TCP socket: addresses as IPv6 (an IPv4 one as ::ffff:a.b.c.d),
 * ports in host order; state as the kernel numbers it (10: listening);
 * inode 0 when no process holds the socket any more (orphaned, TIME_WAIT),
 * whose uid 0 then says nothing (older kernels report 0 for any such socket).
 */
struct tcp_socket {
	uint8_t local[16], remote[16];
	uint16_t local_port, remote_port;
	unsigned state;
	uint32_t uid;
	uint64_t inode;
};

/* One line of /proc/net/tcp or tcp6; -1 for the header or a line that is not one. */
int tcp_socket_parse_proc_line(const char *line, struct tcp_socket *s);
/*
 * Find the socket whose local and remote ends are want's (want's state,
 * uid and inode are not looked at): 1 found (*found filled), 0 none, -1
 * this way of looking does not work here (errno).
 */
int tcp_socket_find_netlink(const struct tcp_socket *want, struct tcp_socket *found);
int tcp_socket_find_proc(const struct tcp_socket *want, struct tcp_socket *found);

#endif
