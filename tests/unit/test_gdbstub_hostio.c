/* SPDX-License-Identifier: MIT */
/*
 * gdbstub/hostio.c: vFile packets and the read-only /proc/PID/maps that
 * gdb's gcore reads; and the multiprocess thread ids that make gdb use a
 * real pid for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_target.h"
#include "test.h"

/* "vFile:open:HEX(path),flags,mode" */
static const char *open_path(struct sim_fixture *fx, const char *path, const char *flags_mode)
{
	char cmd[1024];
	size_t n = (size_t)snprintf(cmd, sizeof(cmd), "vFile:open:");

	for (const char *p = path; *p && n + 3 < sizeof(cmd); p++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%02x", (unsigned char)*p);
	snprintf(cmd + n, sizeof(cmd) - n, ",%s", flags_mode);
	return fx_cmd(fx, cmd);
}

TEST(gdbstub_hostio_maps_file)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const char *maps = "00010000-00011000 rw-p 00000000 00:00 0\n"
			   "00020000-00021000 r-xp 00000000 00:00 0\n"
			   "00030000-00031000 rw-p 00000000 00:00 0\n";
	char want[256];

	fx->t.nregions = 3;
	CHECK_STR(fx_cmd(fx, "vFile:setfs:0"), "F0");
	CHECK_STR(fx_cmd(fx, "vFile:setfs:1"), "F0");
	CHECK_STR(open_path(fx, "/proc/1/maps", "0,1c0"), "F0");
	snprintf(want, sizeof(want), "F%zx;%s", strlen(maps), maps);
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,1000,0"), want);
	/* Any window of it: the middle, a short count, past the end. */
	snprintf(want, sizeof(want), "F5;%.5s", maps + 0x2a);
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,5,2a"), want);
	snprintf(want, sizeof(want), "F%zx;%s", strlen(maps) - 0x50, maps + 0x50);
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,fff,50"), want);
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,10,1000"), "F0;");
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,0,0"), "F0;");
	/* A huge count is a short read; a huge offset is the end. */
	snprintf(want, sizeof(want), "F%zx;%s", strlen(maps), maps);
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,ffffffffffffffff,0"), want);
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,10,ffffffffffffffff"), "F0;");

	/* A second file, opened with thread 2 selected, shows vCPU 1's regions. */
	CHECK_STR(fx_cmd(fx, "Hgp1.2"), "OK");
	CHECK_STR(open_path(fx, "/proc/1/maps", "0,0"), "F1");
	CHECK_STR(fx_cmd(fx, "vFile:pread:1,28,0"), "F28;00011000-00012000 rw-p 00000000 00:00 0\n");
	CHECK_STR(fx_cmd(fx, "vFile:close:1"), "F0");
	CHECK_STR(fx_cmd(fx, "vFile:close:0"), "F0");
	CHECK_STR(fx_cmd(fx, "vFile:close:0"), "F-1,9");
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,10,0"), "F-1,9");

	/* No regions: an empty file. */
	fx->t.nregions = 0;
	CHECK_STR(open_path(fx, "/proc/1/maps", "0,0"), "F0");
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,1000,0"), "F0;");
	fx_free(fx);
}

/*
 * The file is made once per open, at its first pread, not for every pread:
 * a guest's page tables can take long to walk, and gdb reads in pieces.
 */
TEST(gdbstub_hostio_maps_made_once_per_open)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const char *maps = "00010000-00011000 rw-p 00000000 00:00 0\n"
			   "00020000-00021000 r-xp 00000000 00:00 0\n";
	char want[64], cmd[64];

	fx->t.nregions = 2;
	CHECK_STR(open_path(fx, "/proc/1/maps", "0,0"), "F0");
	CHECK_EQ(fx->t.memory_regions_calls, 0);
	for (size_t off = 0; off < strlen(maps); off += 0x10) {
		size_t n = strlen(maps) - off < 0x10 ? strlen(maps) - off : 0x10;

		snprintf(cmd, sizeof(cmd), "vFile:pread:0,10,%zx", off);
		snprintf(want, sizeof(want), "F%zx;%.*s", n, (int)n, maps + off);
		CHECK_STR(fx_cmd(fx, cmd), want);
	}
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,10,1000"), "F0;");
	CHECK_EQ(fx->t.memory_regions_calls, 1);
	/* Another open makes it again (the guest may have run in between). */
	CHECK_STR(open_path(fx, "/proc/1/maps", "0,0"), "F1");
	fx->t.nregions = 1;
	CHECK_STR(fx_cmd(fx, "vFile:pread:1,1000,0"), "F28;00010000-00011000 rw-p 00000000 00:00 0\n");
	CHECK_EQ(fx->t.memory_regions_calls, 2);
	/* ...and the first file keeps what it had. */
	snprintf(want, sizeof(want), "F%zx;%s", strlen(maps) - 0x28, maps + 0x28);
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,1000,28"), want);
	CHECK_EQ(fx->t.memory_regions_calls, 2);
	CHECK_STR(fx_cmd(fx, "vFile:close:0"), "F0");
	/* Files still open at a disconnect or at the end are freed (ASan: make check). */
	gdb_server_disconnected(fx->t.srv);
	CHECK(gdb_server_connected(fx->t.srv, &(struct gdb_stop_event){ .signal = 5 }) == 0);
	fx_reply(fx);
	CHECK_STR(open_path(fx, "/proc/1/maps", "0,0"), "F0");
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,1,0"), "F1;0");
	fx_free(fx);
}

TEST(gdbstub_hostio_errors)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	struct sim_fixture *min = fx_new(&gdb_arch_x86_64, &sim_ops_minimal, true);
	char big[300];

	fx->t.nregions = 2;
	/* Only /proc/1/maps exists: ENOENT (2) for the rest, gdb then does without. */
	CHECK_STR(open_path(fx, "/proc/1/smaps", "0,0"), "F-1,2");
	CHECK_STR(open_path(fx, "/proc/1/cmdline", "0,0"), "F-1,2");
	CHECK_STR(open_path(fx, "/proc/2/maps", "0,0"), "F-1,2");
	CHECK_STR(open_path(fx, "/proc/1/maps/", "0,0"), "F-1,2");
	CHECK_STR(open_path(fx, "/etc/passwd", "0,0"), "F-1,2");
	CHECK_STR(open_path(fx, "", "0,0"), "F-1,2");
	CHECK_STR(fx_cmd(fx, "vFile:open:2f70726f632f312f6d61707300,0,0"), "F-1,2"); /* NUL */
	CHECK_STR(open_path(min, "/proc/1/maps", "0,0"), "F-1,2"); /* no memory_regions op */
	/* Read-only: writing flags get EACCES (13). */
	CHECK_STR(open_path(fx, "/proc/1/maps", "1,1c0"), "F-1,d");
	CHECK_STR(open_path(fx, "/proc/1/maps", "2,1c0"), "F-1,d");
	CHECK_STR(open_path(fx, "/proc/1/maps", "200,1c0"), "F-1,d");
	/* Malformed: EINVAL (22); a name too long: ENAMETOOLONG (91). */
	CHECK_STR(fx_cmd(fx, "vFile:open:2f7,0,0"), "F-1,16");
	CHECK_STR(fx_cmd(fx, "vFile:open:zz,0,0"), "F-1,16");
	CHECK_STR(fx_cmd(fx, "vFile:open:2f70"), "F-1,16");
	CHECK_STR(fx_cmd(fx, "vFile:open:2f70,0"), "F-1,16");
	CHECK_STR(fx_cmd(fx, "vFile:open:2f70,0,0,"), "F-1,16");
	CHECK_STR(fx_cmd(fx, "vFile:open:2f70,fffffffffffffffff,0"), "F-1,16");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_STR(open_path(fx, big, "0,0"), "F-1,5b");
	CHECK_STR(fx_cmd(fx, "vFile:setfs:"), "F-1,16");
	CHECK_STR(fx_cmd(fx, "vFile:setfs:1x"), "F-1,16");
	/* Bad descriptors: EBADF (9). */
	CHECK_STR(fx_cmd(fx, "vFile:pread:7,10,0"), "F-1,9");
	CHECK_STR(fx_cmd(fx, "vFile:pread:8,10,0"), "F-1,9");
	CHECK_STR(fx_cmd(fx, "vFile:pread:ffffffffffffffffff,10,0"), "F-1,9");
	CHECK_STR(fx_cmd(fx, "vFile:pread:,10,0"), "F-1,9");
	CHECK_STR(fx_cmd(fx, "vFile:close:-1"), "F-1,9");
	CHECK_STR(open_path(fx, "/proc/1/maps", "0,0"), "F0");
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,zz,0"), "F-1,16");
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,10"), "F-1,16");
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,10,0,"), "F-1,16");
	CHECK_STR(fx_cmd(fx, "vFile:close:0x"), "F-1,9");
	/* Nothing to write or remove; no links. */
	CHECK_STR(fx_cmd(fx, "vFile:pwrite:0,0,41"), "F-1,9");
	CHECK_STR(fx_cmd(fx, "vFile:unlink:2f"), "F-1,d");
	CHECK_STR(fx_cmd(fx, "vFile:readlink:2f70726f632f312f657865"), "F-1,2");
	CHECK_STR(fx_cmd(fx, "vFile:fstat:0"), "");
	CHECK_STR(fx_cmd(fx, "vFile:nosuch"), "");
	/* At most 8 files open: EMFILE (24); closing one makes room. */
	for (int i = 1; i < 8; i++)
		CHECK(open_path(fx, "/proc/1/maps", "0,0")[0] == 'F');
	CHECK_STR(open_path(fx, "/proc/1/maps", "0,0"), "F-1,18");
	CHECK_STR(fx_cmd(fx, "vFile:close:5"), "F0");
	CHECK_STR(open_path(fx, "/proc/1/maps", "0,0"), "F5");
	/* A new connection starts with no file open. */
	gdb_server_disconnected(fx->t.srv);
	CHECK(gdb_server_connected(fx->t.srv, &(struct gdb_stop_event){ .signal = 5 }) == 0);
	fx_reply(fx);
	CHECK_STR(fx_cmd(fx, "vFile:pread:0,10,0"), "F-1,9");
	fx_free(fx);
	fx_free(min);
}

TEST(gdbstub_multiprocess_thread_ids)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const char *r;

	/* Plain ids until gdb offers multiprocess+ (lldb never does). */
	CHECK(strstr(fx_cmd(fx, "qSupported:swbreak+"), "multiprocess-") != NULL);
	CHECK_STR(fx_cmd(fx, "qC"), "QC1");
	CHECK(strstr(fx_cmd(fx, "qSupported:multiprocess+;swbreak+"), "multiprocess+") != NULL);
	CHECK_STR(fx_cmd(fx, "qC"), "QCp1.1");
	CHECK_STR(fx_cmd(fx, "qfThreadInfo"), "mp1.1,p1.2,p1.3,p1.4");
	CHECK_STR(fx_cmd(fx, "qsThreadInfo"), "l");
	r = fx_cmd(fx, "?");
	CHECK(strncmp(r, "T05thread:p1.1;", 15) == 0);
	CHECK_STR(fx_cmd(fx, "Hgp1.3"), "OK");
	CHECK_STR(fx_cmd(fx, "qC"), "QCp1.3");
	CHECK_STR(fx_cmd(fx, "Tp1.4"), "OK");
	CHECK_STR(fx_cmd(fx, "Tp1.5"), "E03");
	r = fx_cmd(fx, "qXfer:threads:read::0,1000");
	CHECK(strstr(r, "<thread id=\"p1.2\" core=\"1\"") != NULL);
	CHECK(strstr(r, "qThreadExtraInfo") == NULL);
	CHECK(fx_cmd(fx, "qThreadExtraInfo,p1.2")[0] != 'E');
	/* An exit names the process. */
	fx->t.sync_stop = true;
	fx->t.have_next_stop = true;
	fx->t.next_stop = (struct gdb_stop_event){ .reason = GDB_STOP_EXITED, .signal = 3 };
	CHECK_STR(fx_cmd(fx, "vCont;c:p1.-1"), "W03;process:1");
	fx_free(fx);
}
