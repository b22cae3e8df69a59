/* SPDX-License-Identifier: MIT */
#include "gdb_endpoint.h"
#include "error.h"
#include "options.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (parse_u64(s, &v) < 0 || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int gdb_endpoint_parse(const char *spec, struct gdb_endpoint *ep)
{
	const char *colon;

	memset(ep, 0, sizeof(*ep));
	if (!spec || !*spec)
		return err_set(EXIT_USAGE, "empty --gdb endpoint");
	if (strcmp(spec, "stdio") == 0) {
		ep->kind = GDB_EP_STDIO;
		return 0;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		if (!spec[5] || strlen(spec + 5) >= sizeof(ep->path))
			return err_set(EXIT_USAGE, "bad --gdb unix socket path '%s'", spec + 5);
		ep->kind = GDB_EP_UNIX;
		strcpy(ep->path, spec + 5);
		return 0;
	}
	if (strncmp(spec, "tcp:", 4) == 0)
		spec += 4;
	ep->kind = GDB_EP_TCP;
	colon = strrchr(spec, ':');
	if (!colon) {
		/* A bare port: loopback only. */
		strcpy(ep->host, "127.0.0.1");
		if (parse_port(spec, &ep->port) < 0)
			return err_set(EXIT_USAGE, "bad --gdb endpoint '%s' (PORT, HOST:PORT, "
				       "tcp:HOST:PORT, unix:PATH or stdio)", spec);
		return 0;
	}
	if (colon == spec || (size_t)(colon - spec) >= sizeof(ep->host) ||
	    parse_port(colon + 1, &ep->port) < 0)
		return err_set(EXIT_USAGE, "bad --gdb endpoint '%s' (PORT, HOST:PORT, tcp:HOST:PORT, "
			       "unix:PATH or stdio)", spec);
	memcpy(ep->host, spec, (size_t)(colon - spec));
	/* [::1]:1234 */
	if (ep->host[0] == '[') {
		size_t n = strlen(ep->host);

		if (n < 3 || ep->host[n - 1] != ']')
			return err_set(EXIT_USAGE, "bad --gdb host '%s'", ep->host);
		memmove(ep->host, ep->host + 1, n - 2);
		ep->host[n - 2] = '\0';
	}
	return 0;
}

void gdb_endpoint_describe(const struct gdb_endpoint *ep, char *buf, unsigned size)
{
	switch (ep->kind) {
	case GDB_EP_STDIO:
		snprintf(buf, size, "stdio");
		break;
	case GDB_EP_UNIX:
		snprintf(buf, size, "unix:%s", ep->path);
		break;
	case GDB_EP_TCP:
		snprintf(buf, size, strchr(ep->host, ':') ? "[%s]:%u" : "%s:%u", ep->host, ep->port);
		break;
	}
}

/* Does a process listen on the unix socket at path? */
static bool unix_socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool live;

	if (fd < 0)
		return false;
	/* A full backlog (EAGAIN) is someone listening too; only "refused" means stale. */
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno != ECONNREFUSED;
	close(fd);
	return live;
}

static int listen_unix(struct gdb_endpoint *ep)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;
	mode_t old;

	strcpy(sa.sun_path, ep->path);
	/* A stale socket from an earlier run would make bind fail; a live one is someone else's. */
	if (lstat(ep->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		if (unix_socket_live(&sa))
			return err_set(EXIT_USAGE, "cannot listen for gdb on unix:%s: another process "
				       "(a running minikvm?) listens there", ep->path);
		unlink(ep->path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(EXIT_HOST, "socket: %s", strerror(errno));
	old = umask(0177); /* created mode 0600: only this user may debug the guest */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		umask(old);
		close(fd);
		return err_set(EXIT_USAGE, "cannot listen for gdb on unix:%s: %s", ep->path, strerror(e));
	}
	umask(old);
	if (lstat(ep->path, &st) == 0) {
		ep->dev = st.st_dev;
		ep->ino = st.st_ino;
	}
	if (listen(fd, 8) < 0) {
		close(fd);
		gdb_endpoint_unlink(ep);
		return err_set(EXIT_HOST, "listen: %s", strerror(errno));
	}
	return fd;
}

void gdb_endpoint_unlink(const struct gdb_endpoint *ep)
{
	struct stat st;

	/* Another minikvm may have taken the path over since (after ours went stale). */
	if (ep->kind == GDB_EP_UNIX && ep->ino && lstat(ep->path, &st) == 0 &&
	    (uint64_t)st.st_dev == ep->dev && (uint64_t)st.st_ino == ep->ino)
		unlink(ep->path);
}

/* Loopback (127.0.0.0/8, ::1, ::ffff:127.x) is this machine only; anything else is not. */
static bool reachable_from_outside(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) != 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return false;
		return !(IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return true;
}

static int listen_tcp(struct gdb_endpoint *ep)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char port[8];
	int fd = -1, e, one = 1, last = 0;

	snprintf(port, sizeof(port), "%u", ep->port);
	e = getaddrinfo(ep->host, port, &hints, &res);
	if (e)
		return err_set(EXIT_USAGE, "cannot listen for gdb on %s:%u: %s", ep->host, ep->port,
			       gai_strerror(e));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 8) == 0) {
			ep->exposed = reachable_from_outside(ai->ai_addr);
			break;
		}
		last = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err_set(last == EADDRINUSE || last == EACCES ? EXIT_USAGE : EXIT_HOST,
			       "cannot listen for gdb on %s:%u: %s%s", ep->host, ep->port,
			       strerror(last), last == EADDRINUSE ? " (another minikvm or QEMU -s?)" : "");
	return fd;
}

int gdb_endpoint_listen(struct gdb_endpoint *ep)
{
	return ep->kind == GDB_EP_UNIX ? listen_unix(ep) : listen_tcp(ep);
}
