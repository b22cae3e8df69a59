/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "error.h"
#include "gdb_endpoint.h"

TEST(gdb_endpoint_forms)
{
	struct gdb_endpoint ep;
	char d[300];

	CHECK(gdb_endpoint_parse("1234", &ep) == 0);
	CHECK_EQ(ep.kind, GDB_EP_TCP);
	CHECK_STR(ep.host, "127.0.0.1"); /* a bare port never listens beyond loopback */
	CHECK_EQ(ep.port, 1234);
	CHECK(gdb_endpoint_parse("0.0.0.0:4444", &ep) == 0);
	CHECK_STR(ep.host, "0.0.0.0");
	CHECK_EQ(ep.port, 4444);
	CHECK(gdb_endpoint_parse("tcp:localhost:1", &ep) == 0);
	CHECK_STR(ep.host, "localhost");
	CHECK_EQ(ep.port, 1);
	CHECK(gdb_endpoint_parse("[::1]:9000", &ep) == 0);
	CHECK_STR(ep.host, "::1");
	gdb_endpoint_describe(&ep, d, sizeof(d));
	CHECK_STR(d, "[::1]:9000");
	CHECK(gdb_endpoint_parse("unix:/tmp/g.sock", &ep) == 0);
	CHECK_EQ(ep.kind, GDB_EP_UNIX);
	CHECK_STR(ep.path, "/tmp/g.sock");
	gdb_endpoint_describe(&ep, d, sizeof(d));
	CHECK_STR(d, "unix:/tmp/g.sock");
	CHECK(gdb_endpoint_parse("stdio", &ep) == 0);
	CHECK_EQ(ep.kind, GDB_EP_STDIO);
}

TEST(gdb_endpoint_rejects)
{
	struct gdb_endpoint ep;

	CHECK(gdb_endpoint_parse("", &ep) < 0);
	CHECK(gdb_endpoint_parse("0", &ep) < 0);
	CHECK(gdb_endpoint_parse("65536", &ep) < 0);
	CHECK(gdb_endpoint_parse("host:", &ep) < 0);
	CHECK(gdb_endpoint_parse(":1234", &ep) < 0);
	CHECK(gdb_endpoint_parse("host:port", &ep) < 0);
	CHECK(gdb_endpoint_parse("unix:", &ep) < 0);
	CHECK(gdb_endpoint_parse("[::1:80", &ep) < 0);
	CHECK(strstr(err_message(), "--gdb") != NULL);
	CHECK_EQ(err_status(), EXIT_USAGE);
}
