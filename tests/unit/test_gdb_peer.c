/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gdb_peer.h"

/* Lines as this kernel writes them (6.18; the format has not changed since 2.6), uids edited. */
static const char tcp_header[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
	"inode                                                     \n";
static const char tcp_v4[] =
	"   1: 0100007F:966C 0100007F:A947 01 00000000:00000000 00:00000000 00000000  1000        0 "
	"99681 2 000000009903df9f 20 0 0 10 -1                     \n";
static const char tcp_time_wait[] =
	"   7: 0100007F:A0E2 0100007F:1F90 06 00000000:00000000 03:000015A8 00000000     0        0 0 "
	"3 0000000000000000\n";
static const char tcp6_header[] =
	"  sl  local_address                         remote_address                        st tx_queue "
	"rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
static const char tcp6_listen[] =
	"   0: 00000000000000000000000000000000:A947 00000000000000000000000000000000:0000 0A "
	"00000000:00000000 00:00000000 00000000     0        0 99680 1 00000000d9e70aa5 100 0 0 10 0\n";
static const char tcp6_mapped[] =
	"   1: 0000000000000000FFFF00000100007F:A947 0000000000000000FFFF00000100007F:966C 01 "
	"00000000:00000000 00:00000000 00000000 65534        0 99682 1 00000000ba1e0e0c 20 0 0 10 -1\n";
static const char tcp6_loopback[] =
	"   3: 00000000000000000000000001000000:A478 00000000000000000000000001000000:A947 01 "
	"00000000:00000000 00:00000000 00000000  1001        0 99683 2 000000004aa1f0dd 20 0 0 10 -1\n";

static const uint8_t mapped_127_0_0_1[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 };
static const uint8_t loopback6[16] = { [15] = 1 };

/* Parse line and check every field but the state. */
static void check_line(const char *line, const uint8_t *addr, unsigned lport, unsigned rport,
		       unsigned uid, unsigned long long inode, struct tcp_socket *s)
{
	CHECK(tcp_socket_parse_proc_line(line, s) == 0);
	CHECK_MEM(s->local, addr, 16);
	CHECK_MEM(s->remote, addr, 16);
	CHECK_EQ(s->local_port, lport);
	CHECK_EQ(s->remote_port, rport);
	CHECK_EQ(s->uid, uid);
	CHECK_EQ(s->inode, inode);
}

TEST(proc_net_tcp_ipv4_line)
{
	struct tcp_socket s;

	/* IPv4 comes back as ::ffff:a.b.c.d, the form a dual-stack socket would show. */
	check_line(tcp_v4, mapped_127_0_0_1, 38508, 43335, 1000, 99681, &s);
	CHECK_EQ(s.state, 1); /* established */
	/* TIME_WAIT: no process holds it (inode 0), its uid says nothing. */
	CHECK(tcp_socket_parse_proc_line(tcp_time_wait, &s) == 0);
	CHECK_EQ(s.state, 6);
	CHECK_EQ(s.inode, 0);
	CHECK_EQ(s.remote_port, 8080);
}

TEST(proc_net_tcp6_lines)
{
	struct tcp_socket s;

	check_line(tcp6_mapped, mapped_127_0_0_1, 43335, 38508, 65534, 99682, &s);
	check_line(tcp6_loopback, loopback6, 0xa478, 0xa947, 1001, 99683, &s);
	CHECK(tcp_socket_parse_proc_line(tcp6_listen, &s) == 0);
	CHECK_EQ(s.state, 10);
	CHECK_EQ(s.remote_port, 0);
}

TEST(proc_net_tcp_rejects)
{
	struct tcp_socket s;

	CHECK(tcp_socket_parse_proc_line(tcp_header, &s) < 0);
	CHECK(tcp_socket_parse_proc_line(tcp6_header, &s) < 0);
	CHECK(tcp_socket_parse_proc_line("", &s) < 0);
	/* An address of neither 8 nor 32 hex digits. */
	CHECK(tcp_socket_parse_proc_line("   1: 0100007:966C 0100007F:A947 01 00000000:00000000 "
					 "00:00000000 00000000  1000 0 99681\n", &s) < 0);
	/* Cut short before the inode. */
	CHECK(tcp_socket_parse_proc_line("   1: 0100007F:966C 0100007F:A947 01 00000000:00000000 "
					 "00:00000000 00000000  1000\n", &s) < 0);
}

/* A connected pair over loopback: *client and *server (the accepted end); false if family is missing. */
static bool loopback_pair(int family, const char *listen_addr, const char *connect_addr,
			  int *client, int *server)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	int l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), zero = 0;
	int connect_family = strchr(connect_addr, ':') ? AF_INET6 : AF_INET;
	uint16_t port;

	if (l < 0)
		return false;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, listen_addr, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		inet_pton(AF_INET, listen_addr, &a->sin_addr);
	}
	if (bind(l, (struct sockaddr *)&ss, sizeof(ss)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&ss, &len) < 0) {
		close(l);
		return false;
	}
	port = family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
				    ((struct sockaddr_in *)&ss)->sin_port;
	memset(&ss, 0, sizeof(ss));
	if (connect_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = port;
		inet_pton(AF_INET6, connect_addr, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = port;
		inet_pton(AF_INET, connect_addr, &a->sin_addr);
	}
	*client = socket(connect_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*client < 0 || connect(*client, (struct sockaddr *)&ss, sizeof(ss)) < 0) {
		if (*client >= 0)
			close(*client);
		close(l);
		return false;
	}
	*server = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	return *server >= 0;
}

/* The client's socket, as each way of looking finds it from the server's end. */
static void check_found_both_ways(int server)
{
	struct sockaddr_storage us, them;
	socklen_t ul = sizeof(us), tl = sizeof(them);
	struct tcp_socket want = { 0 }, a, b;
	char why[400];

	CHECK(getsockname(server, (struct sockaddr *)&us, &ul) == 0);
	CHECK(getpeername(server, (struct sockaddr *)&them, &tl) == 0);
	if (them.ss_family == AF_INET) {
		want.local[10] = want.local[11] = want.remote[10] = want.remote[11] = 0xff;
		memcpy(want.local + 12, &((struct sockaddr_in *)&them)->sin_addr, 4);
		memcpy(want.remote + 12, &((struct sockaddr_in *)&us)->sin_addr, 4);
		want.local_port = ntohs(((struct sockaddr_in *)&them)->sin_port);
		want.remote_port = ntohs(((struct sockaddr_in *)&us)->sin_port);
	} else {
		memcpy(want.local, &((struct sockaddr_in6 *)&them)->sin6_addr, 16);
		memcpy(want.remote, &((struct sockaddr_in6 *)&us)->sin6_addr, 16);
		want.local_port = ntohs(((struct sockaddr_in6 *)&them)->sin6_port);
		want.remote_port = ntohs(((struct sockaddr_in6 *)&us)->sin6_port);
	}
	CHECK_EQ(tcp_socket_find_proc(&want, &b), 1);
	CHECK_EQ(b.uid, geteuid());
	CHECK(b.inode != 0);
	/*
	 * sock_diag answers "not found" (0) where the kernel has no tcp_diag
	 * (a module nobody loaded); then the caller uses /proc, as above.
	 * Where it answers, it must name the same socket.
	 */
	switch (tcp_socket_find_netlink(&want, &a)) {
	case 1:
		CHECK_EQ(a.uid, geteuid());
		CHECK_EQ(a.inode, b.inode);
		CHECK_EQ(a.local_port, want.local_port);
		break;
	case 0:
		CHECK(access("/sys/module/tcp_diag", F_OK) != 0);
		break;
	default:
		test_fail(__FILE__, __LINE__, "sock_diag failed: %s", strerror(errno));
	}
	/* Our own uid is always let in. */
	CHECK(gdb_peer_admit(server, &(struct gdb_allow){ 0 }, why, sizeof(why)));
	/* Nobody has the other end (the server's port as the client's): not found. */
	want.local_port = want.remote_port;
	CHECK_EQ(tcp_socket_find_netlink(&want, &a), 0);
	CHECK_EQ(tcp_socket_find_proc(&want, &b), 0);
}

TEST(gdb_peer_finds_a_loopback_client)
{
	int c, s;

	CHECK(loopback_pair(AF_INET, "127.0.0.1", "127.0.0.1", &c, &s));
	check_found_both_ways(s);
	close(c);
	close(s);
	/* IPv4 to a dual-stack listener: our end is AF_INET6 with ::ffff: addresses. */
	if (loopback_pair(AF_INET6, "::", "127.0.0.1", &c, &s)) {
		check_found_both_ways(s);
		close(c);
		close(s);
	}
	if (loopback_pair(AF_INET6, "::1", "::1", &c, &s)) {
		check_found_both_ways(s);
		close(c);
		close(s);
	}
}

TEST(gdb_peer_unix_socket_uses_peer_credentials)
{
	int sv[2];
	char why[400];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(gdb_peer_admit(sv[0], &(struct gdb_allow){ 0 }, why, sizeof(why)));
	close(sv[0]);
	close(sv[1]);
}

/*
 * A child as uid 65534 connects to sa; with hold >= 0 it keeps the socket
 * until a byte comes on hold, else it sends a packet and closes at once.
 */
static pid_t connect_as_nobody(const struct sockaddr_in *sa, int hold)
{
	pid_t pid = fork();
	char go;
	int c;

	if (pid != 0)
		return pid;
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		_exit(1);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		_exit(2);
	if (hold >= 0)
		_exit(read(hold, &go, 1) == 1 ? 0 : 3);
	_exit(write(c, "$g#67", 5) == 5 ? 0 : 4);
}

static bool exited_0(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Only root can make a socket of another uid; elsewhere tests/integration does it. */
TEST(gdb_peer_refuses_another_uid)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct gdb_allow allow = { 0 };
	char why[400];
	int l, s, ready[2];
	pid_t pid;

	if (geteuid() != 0)
		return;
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(l >= 0 && bind(l, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(l, 1) == 0);
	CHECK(getsockname(l, (struct sockaddr *)&sa, &len) == 0);
	CHECK(pipe(ready) == 0);
	pid = connect_as_nobody(&sa, ready[0]);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(s >= 0);
	CHECK(!gdb_peer_admit(s, &allow, why, sizeof(why)));
	CHECK(strstr(why, "from uid 65534 (127.0.0.1:") == why);
	CHECK(strstr(why, "--gdb-allow-uid 65534 lets it in") != NULL);
	allow.uids[allow.n++] = 65534;
	CHECK(gdb_peer_admit(s, &allow, why, sizeof(why)));
	allow = (struct gdb_allow){ .any = true };
	CHECK(gdb_peer_admit(s, &allow, why, sizeof(why)));
	CHECK(write(ready[1], "x", 1) == 1);
	CHECK(exited_0(pid));
	close(s);

	/*
	 * A client that sends and closes before minikvm looks: its socket is
	 * orphaned, which older kernels report as uid 0. Still refused.
	 */
	CHECK(exited_0(connect_as_nobody(&sa, -1)));
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(s >= 0);
	allow = (struct gdb_allow){ 0 };
	CHECK(!gdb_peer_admit(s, &allow, why, sizeof(why)));
	CHECK(strstr(why, "uid 65534") || strstr(why, "closed its socket"));
	close(ready[0]);
	close(ready[1]);
	close(s);
	close(l);
}
