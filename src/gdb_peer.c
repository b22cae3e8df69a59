/* SPDX-License-Identifier: MIT */
/*
 * Whether a gdb client may attach (see gdb_peer.h): a unix peer's uid from
 * SO_PEERCRED; a TCP peer's from its own socket on this machine, asked of
 * the kernel by 4-tuple (sock_diag netlink: diag_request, diag_reply) or
 * read from /proc/net/tcp and tcp6.
 */
#include "gdb_peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const uint8_t v4_mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };

static bool is_v4_mapped(const uint8_t a[16])
{
	return memcmp(a, v4_mapped_prefix, 12) == 0;
}

/* Every address as IPv6: IPv4's a.b.c.d as ::ffff:a.b.c.d, the form a dual-stack socket sees. */
static void addr_from_v4(uint8_t out[16], const void *v4)
{
	memcpy(out, v4_mapped_prefix, 12);
	memcpy(out + 12, v4, 4);
}

static bool same_ends(const struct tcp_socket *a, const struct tcp_socket *b)
{
	return memcmp(a->local, b->local, 16) == 0 && memcmp(a->remote, b->remote, 16) == 0 &&
	       a->local_port == b->local_port && a->remote_port == b->remote_port;
}

/* ---- /proc/net/tcp and tcp6 -------------------------------------------- */

/*
 * The kernel prints an address as 32-bit words, each the address's bytes as
 * they lie in memory read as a native integer (%08X): read back the same
 * way on the same host, each word gives those bytes again. IPv4 is one word.
 */
static int parse_proc_addr(const char *hex, uint8_t out[16])
{
	size_t n = strlen(hex);
	uint32_t words[4];

	if (n != 8 && n != 32)
		return -1;
	for (size_t w = 0; w < n / 8; w++) {
		char part[9];

		memcpy(part, hex + 8 * w, 8);
		part[8] = '\0';
		words[w] = (uint32_t)strtoul(part, NULL, 16);
	}
	if (n == 8)
		addr_from_v4(out, &words[0]);
	else
		memcpy(out, words, 16);
	return 0;
}

int tcp_socket_parse_proc_line(const char *line, struct tcp_socket *s)
{
	/* "  0: 0100007F:04D2 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000  0 4711 ..." */
	char local[33], remote[33];
	unsigned lport, rport, state, uid;
	unsigned long long inode;
	int end = 0;

	memset(s, 0, sizeof(*s));
	if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%4x %32[0-9A-Fa-f]:%4x %2x %*x:%*x %*x:%*x %*x %u %*d %llu%n",
		   local, &lport, remote, &rport, &state, &uid, &inode, &end) != 7 || !end)
		return -1;
	if (parse_proc_addr(local, s->local) < 0 || parse_proc_addr(remote, s->remote) < 0)
		return -1;
	s->local_port = (uint16_t)lport;
	s->remote_port = (uint16_t)rport;
	s->state = state;
	s->uid = uid;
	s->inode = inode;
	return 0;
}

int tcp_socket_find_proc(const struct tcp_socket *want, struct tcp_socket *found)
{
	/* A socket of either family may hold an IPv4 connection (tcp6 shows it ::ffff:-mapped). */
	static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];
	int opened = 0, e = ENOENT;

	for (unsigned i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		FILE *f = fopen(tables[i], "re");

		if (!f) {
			e = errno;
			continue;
		}
		opened++;
		while (fgets(line, sizeof(line), f)) {
			if (tcp_socket_parse_proc_line(line, found) == 0 && same_ends(want, found)) {
				fclose(f);
				return 1;
			}
		}
		fclose(f);
	}
	errno = e;
	return opened ? 0 : -1;
}

/* ---- sock_diag netlink ------------------------------------------------- */

/* Ask the kernel for the one socket with want's ends, in family's table. */
/* One socket by its exact 4-tuple (not a dump), as SOCK_DIAG_BY_FAMILY asks for it. */
struct diag_request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
};

static void diag_request(struct diag_request *msg, int family, const struct tcp_socket *want)
{
	size_t alen = family == AF_INET ? 4 : 16, aoff = family == AF_INET ? 12 : 0;

	memset(msg, 0, sizeof(*msg));
	msg->nlh.nlmsg_len = sizeof(*msg);
	msg->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg->nlh.nlmsg_flags = NLM_F_REQUEST; /* one socket by its exact 4-tuple, not a dump */
	msg->req.sdiag_family = (uint8_t)family;
	msg->req.sdiag_protocol = IPPROTO_TCP;
	msg->req.idiag_states = ~0u;
	msg->req.id.idiag_sport = htons(want->local_port);
	msg->req.id.idiag_dport = htons(want->remote_port);
	memcpy(msg->req.id.idiag_src, want->local + aoff, alen);
	memcpy(msg->req.id.idiag_dst, want->remote + aoff, alen);
	msg->req.id.idiag_cookie[0] = msg->req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

/* The kernel's answer, got bytes: 1 found (and it is want), 0 not there, -1 with errno. */
static int diag_reply(const uint8_t *bytes, size_t got, const struct tcp_socket *want,
		      struct tcp_socket *found)
{
	/* NLMSG_OK/NEXT by hand: the macros mix signed and unsigned lengths. */
	for (size_t off = 0; off + sizeof(struct nlmsghdr) <= got;) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(bytes + off);

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > got - off)
			break;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			const struct nlmsgerr *err = NLMSG_DATA(nlh);

			/* ENOENT is also "no tcp_diag module here": the caller looks in /proc then. */
			if (err->error == -ENOENT)
				return 0;
			errno = -err->error;
			return -1;
		}
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
			const struct inet_diag_msg *m = NLMSG_DATA(nlh);

			memset(found, 0, sizeof(*found));
			if (m->idiag_family == AF_INET) {
				addr_from_v4(found->local, m->id.idiag_src);
				addr_from_v4(found->remote, m->id.idiag_dst);
			} else {
				memcpy(found->local, m->id.idiag_src, 16);
				memcpy(found->remote, m->id.idiag_dst, 16);
			}
			found->local_port = ntohs(m->id.idiag_sport);
			found->remote_port = ntohs(m->id.idiag_dport);
			found->state = m->idiag_state;
			found->uid = m->idiag_uid;
			found->inode = m->idiag_inode;
			/* The lookup falls back to listeners: only the exact connection will do. */
			return same_ends(want, found);
		}
	}
	errno = EPROTO;
	return -1;
}

static int netlink_query(int family, const struct tcp_socket *want, struct tcp_socket *found)
{
	struct diag_request msg;
	union {
		struct nlmsghdr nlh;
		uint8_t bytes[8192];
	} reply;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK }, from;
	socklen_t from_len = sizeof(from);
	ssize_t got;
	int fd;

	diag_request(&msg, family, want);
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		close(fd);
		return -1;
	}
	/* The kernel answers inside sendto(): nothing to wait for, and the event loop must not. */
	got = recvfrom(fd, &reply, sizeof(reply), MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
	close(fd);
	if (got < 0)
		return -1;
	if (from_len < sizeof(from) || from.nl_pid != 0) {
		errno = EPROTO; /* not the kernel's word */
		return -1;
	}
	return diag_reply(reply.bytes, (size_t)got, want, found);
}

int tcp_socket_find_netlink(const struct tcp_socket *want, struct tcp_socket *found)
{
	int r;

	if (!is_v4_mapped(want->local))
		return netlink_query(AF_INET6, want, found);
	/* An IPv4 connection: the client's socket is AF_INET, or AF_INET6 on mapped addresses. */
	r = netlink_query(AF_INET, want, found);
	return r == 0 ? netlink_query(AF_INET6, want, found) : r;
}

/* ---- the verdict ------------------------------------------------------- */

static bool uid_allowed(const struct gdb_allow *allow, uint32_t uid)
{
	if (uid == (uint32_t)geteuid())
		return true;
	for (int i = 0; i < allow->n; i++)
		if (allow->uids[i] == uid)
			return true;
	return false;
}

/* sockaddr -> IPv6-form address and port; false for a family that is not IP. */
static bool ip_end(const struct sockaddr_storage *ss, uint8_t addr[16], uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		addr_from_v4(addr, &in->sin_addr);
		*port = ntohs(in->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		memcpy(addr, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
		return true;
	}
	return false;
}

static void describe_end(const uint8_t addr[16], uint16_t port, char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN];

	if (is_v4_mapped(addr)) {
		inet_ntop(AF_INET, addr + 12, text, sizeof(text));
		snprintf(buf, size, "%s:%u", text, port);
	} else {
		inet_ntop(AF_INET6, addr, text, sizeof(text));
		snprintf(buf, size, "[%s]:%u", text, port);
	}
}

static bool refuse_uid(const struct gdb_allow *allow, uint32_t uid, const char *where,
		       char *why, size_t size)
{
	snprintf(why, size, "from uid %u (%s): only uid %u%s may debug this guest "
		 "(--gdb-allow-uid %u lets it in; docs/security.md)", uid, where,
		 (unsigned)geteuid(), allow->n ? " and the --gdb-allow-uid ones" : "", uid);
	return false;
}

static bool admit_unix(int fd, const struct gdb_allow *allow, char *why, size_t size)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char where[48];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		snprintf(why, size, "on the unix socket: its peer's uid cannot be read (%s)",
			 strerror(errno));
		return false;
	}
	if (uid_allowed(allow, cred.uid))
		return true;
	snprintf(where, sizeof(where), "pid %d, on the unix socket", (int)cred.pid);
	return refuse_uid(allow, cred.uid, where, why, size);
}

static bool admit_tcp(const struct sockaddr_storage *us, const struct sockaddr_storage *them,
		      const struct gdb_allow *allow, char *why, size_t size)
{
	struct tcp_socket want = { 0 }, found;
	char where[INET6_ADDRSTRLEN + 16];
	int r;

	/* The client's socket is our connection seen from its end. */
	ip_end(them, want.local, &want.local_port);
	ip_end(us, want.remote, &want.remote_port);
	describe_end(want.local, want.local_port, where, sizeof(where));
	r = tcp_socket_find_netlink(&want, &found);
	if (r <= 0)
		r = tcp_socket_find_proc(&want, &found);
	if (r < 0) {
		snprintf(why, size, "from %s: its uid cannot be found (no sock_diag netlink, no "
			 "/proc/net/tcp: %s; --gdb-allow-uid any lets anyone in)", where, strerror(errno));
		return false;
	}
	if (r == 0) {
		snprintf(why, size, "from %s: no socket on this machine has that address, so the peer "
			 "is on another machine and its uid cannot be known (--gdb-allow-uid any lets "
			 "anyone in; docs/security.md)", where);
		return false;
	}
	/*
	 * Orphaned (its process closed it; what it sent may still wait for us)
	 * or in TIME_WAIT: no file (inode 0). Kernels before sk_uid's use in
	 * sock_diag report uid 0 for it, so uid 0 there says nothing.
	 */
	if (!found.inode && found.uid == 0) {
		snprintf(why, size, "from %s: the client closed its socket before minikvm could tell "
			 "whose it was", where);
		return false;
	}
	return uid_allowed(allow, found.uid) || refuse_uid(allow, found.uid, where, why, size);
}

bool gdb_peer_admit(int fd, const struct gdb_allow *allow, char *why, size_t size)
{
	struct sockaddr_storage us, them;
	socklen_t us_len = sizeof(us), them_len = sizeof(them);

	if (allow->any)
		return true;
	if (getsockname(fd, (struct sockaddr *)&us, &us_len) < 0) {
		snprintf(why, size, ": getsockname: %s", strerror(errno));
		return false;
	}
	if (us.ss_family == AF_UNIX)
		return admit_unix(fd, allow, why, size);
	if ((us.ss_family != AF_INET && us.ss_family != AF_INET6) ||
	    getpeername(fd, (struct sockaddr *)&them, &them_len) < 0) {
		snprintf(why, size, "whose address cannot be read");
		return false;
	}
	return admit_tcp(&us, &them, allow, why, size);
}
