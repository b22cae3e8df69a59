/* SPDX-License-Identifier: MIT */
/*
 * gdbstub packets with exact replies: queries, registers, memory, threads,
 * breakpoints, monitor commands, and malformed variants of each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_target.h"
#include "test.h"

static void to_hex(const void *data, size_t n, char *out)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

TEST(gdbstub_qsupported)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	struct sim_fixture *min = fx_new(&gdb_arch_x86_64, &sim_ops_minimal, true);

	CHECK_STR(fx_cmd(fx, "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;"
			     "fork-events+;vfork-events+;exec-events+;vContSupported+;"
			     "QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386"),
		  "PacketSize=20000;QStartNoAckMode+;qXfer:features:read+;qXfer:threads:read+;"
		  "vContSupported+;multiprocess+;swbreak+;hwbreak+");
	/* Multiprocess only when gdb offers it (lldb does not). A target without breakpoints does not advertise their stop reasons. */
	CHECK_STR(fx_cmd(min, "qSupported"),
		  "PacketSize=20000;QStartNoAckMode+;qXfer:features:read+;qXfer:threads:read+;"
		  "vContSupported+;multiprocess-");
	fx_free(fx);
	fx_free(min);
}

TEST(gdbstub_simple_queries)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);

	CHECK_STR(fx_cmd(fx, "qAttached"), "1");
	CHECK_STR(fx_cmd(fx, "qAttached:1"), "1");
	CHECK_STR(fx_cmd(fx, "qOffsets"), "");
	CHECK_STR(fx_cmd(fx, "qSymbol::"), "OK");
	CHECK_STR(fx_cmd(fx, "qTStatus"), "");
	CHECK_STR(fx_cmd(fx, "vMustReplyEmpty"), "");
	CHECK_STR(fx_cmd(fx, "qFooBar:1"), "");
	CHECK_STR(fx_cmd(fx, "!"), "");
	CHECK_STR(fx_cmd(fx, "vRun;"), "");
	CHECK_STR(fx_cmd(fx, ""), "");
	CHECK_STR(fx_cmd(fx, "qCRC:0,10"), ""); /* not mistaken for qC */
	CHECK_STR(fx_cmd(fx, "qXfer:exec-file:read::0,100"), "");
	fx_free(fx);
}

static char *read_target_xml(struct sim_fixture *fx, unsigned chunk, unsigned *parts)
{
	size_t cap = 65536, len = 0;
	char *xml = calloc(1, cap), cmd[80];

	*parts = 0;
	for (;;) {
		snprintf(cmd, sizeof(cmd), "qXfer:features:read:target.xml:%zx,%x", len, chunk);
		const char *r = fx_cmd(fx, cmd);

		if (!r || (r[0] != 'm' && r[0] != 'l') || len + fx->reply_len > cap) {
			free(xml);
			return NULL;
		}
		memcpy(xml + len, r + 1, fx->reply_len - 1);
		len += fx->reply_len - 1;
		(*parts)++;
		if (r[0] == 'l')
			return xml;
		if (fx->reply_len - 1 != chunk) {
			free(xml);
			return NULL;
		}
	}
}

/* Registers appear in the XML in number order, each with its regnum. */
static void check_xml_registers(const char *xml, const struct gdb_arch *arch)
{
	const char *p = xml;
	char want[64];

	for (unsigned i = 0; i < arch->nregs; i++) {
		snprintf(want, sizeof(want), "<reg name=\"%s\" bitsize=\"%u\"", arch->regs[i].name,
			 arch->regs[i].bitsize);
		p = strstr(p, want);
		if (!p) {
			test_fail(__FILE__, __LINE__, "register %s missing or out of order", want);
			return;
		}
	}
}

/* Crude well-formedness: declaration, balanced features, one target element. */
static bool xml_well_formed(const char *xml)
{
	unsigned open = 0, close = 0;
	int depth = 0;

	if (strncmp(xml, "<?xml version=\"1.0\"?>", 21) != 0)
		return false;
	for (const char *p = xml; (p = strchr(p, '<')); p++) {
		if (!strncmp(p, "<feature", 8))
			open++, depth++;
		if (!strncmp(p, "</feature>", 10))
			close++, depth--;
		if (depth < 0 || depth > 1)
			return false;
	}
	return open == close && open > 0 && strstr(xml, "</target>\n") &&
	       strlen(strstr(xml, "</target>\n")) == 10;
}

TEST(gdbstub_target_xml_chunked)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	size_t len = gdb_arch_target_xml(&gdb_arch_x86_64, NULL, 0);
	char *whole = malloc(len + 1);
	unsigned parts;
	char *xml;

	gdb_arch_target_xml(&gdb_arch_x86_64, whole, len + 1);
	xml = read_target_xml(fx, 0x100, &parts);
	CHECK(xml != NULL);
	if (xml) {
		CHECK_STR(xml, whole);
		CHECK_EQ(parts, (len + 0xff) / 0x100 + (len % 0x100 == 0));
		CHECK(xml_well_formed(xml));
		CHECK(strstr(xml, "<architecture>i386:x86-64</architecture>") != NULL);
		CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.i386.core\">") != NULL);
		CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.i386.sse\">") != NULL);
		CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.i386.segments\">") != NULL);
		CHECK(strstr(xml, "<reg name=\"cr3\" bitsize=\"64\"") != NULL);
		/* gdb's x86-64 GNU/Linux support (and its gcore) wants orig_rax in this feature. */
		CHECK(strstr(xml, "</architecture>\n<osabi>GNU/Linux</osabi>\n") != NULL);
		CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.i386.linux\">\n"
				  "<reg name=\"orig_rax\" bitsize=\"64\" type=\"int\" regnum=\"66\"/>\n"
				  "</feature>") != NULL);
		check_xml_registers(xml, &gdb_arch_x86_64);
	}
	free(xml);
	/* One big read is one 'l' part. */
	xml = read_target_xml(fx, 0x10000, &parts);
	CHECK(xml && parts == 1);
	free(xml);
	free(whole);
	fx_free(fx);
}

TEST(gdbstub_target_xml_i386)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_i386, &sim_ops, true);
	unsigned parts;
	char *xml = read_target_xml(fx, 0x333, &parts);

	CHECK(xml != NULL);
	if (xml) {
		CHECK(xml_well_formed(xml));
		CHECK(strstr(xml, "<architecture>i386</architecture>") != NULL);
		/* gdb only takes org.gnu.gdb.i386.segments on amd64. */
		CHECK(strstr(xml, "segments") == NULL);
		CHECK(strstr(xml, "<osabi>GNU/Linux</osabi>") != NULL);
		CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.i386.linux\">\n"
				  "<reg name=\"orig_eax\" bitsize=\"32\" type=\"int\"") != NULL);
		check_xml_registers(xml, &gdb_arch_i386);
	}
	free(xml);
	fx_free(fx);
}

TEST(gdbstub_target_xml_errors)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	char cmd[80];

	CHECK_STR(fx_cmd(fx, "qXfer:features:read:other.xml:0,100"), "E00");
	CHECK_STR(fx_cmd(fx, "qXfer:features:read:target.xml:0"), "E16");
	CHECK_STR(fx_cmd(fx, "qXfer:features:read:target.xml:zz,10"), "E16");
	CHECK_STR(fx_cmd(fx, "qXfer:features:read:target.xml:0,0"), "E16");
	CHECK_STR(fx_cmd(fx, "qXfer:features:read:target.xml:ffffffffffffffff,10"), "E16");
	snprintf(cmd, sizeof(cmd), "qXfer:features:read:target.xml:%zx,10",
		 gdb_arch_target_xml(&gdb_arch_x86_64, NULL, 0));
	CHECK_STR(fx_cmd(fx, cmd), "l"); /* exactly at the end */
	CHECK_STR(fx_cmd(fx, "qXfer:features:write:target.xml:0:abc"), "");
	fx_free(fx);
}

TEST(gdbstub_registers_g_G_round_trip)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	size_t size = gdb_arch_regs_size(&gdb_arch_x86_64);
	char *hex = malloc(2 * size + 2), *cmd = malloc(2 * size + 4);

	CHECK_EQ(size, 616); /* ... efer, orig_rax */
	to_hex(fx->t.regs[0], size, hex);
	CHECK_STR(fx_cmd(fx, "g"), hex);
	/* Write thread 2's registers with new values and read them back. */
	CHECK_STR(fx_cmd(fx, "Hg2"), "OK");
	for (size_t i = 0; i < 2 * size; i++)
		hex[i] = "0123456789abcdef"[(i * 7) % 16];
	cmd[0] = 'G';
	strcpy(cmd + 1, hex);
	CHECK_STR(fx_cmd(fx, cmd), "OK");
	CHECK_STR(fx_cmd(fx, "g"), hex);
	CHECK_EQ(fx->t.regs[1][0], 0x07);
	/* Thread 1 is untouched. */
	CHECK_STR(fx_cmd(fx, "Hg1"), "OK");
	CHECK(strcmp(fx_cmd(fx, "g"), hex) != 0);
	/* Wrong length, bad hex, trailing junk. */
	cmd[2 * size] = '\0';
	CHECK_STR(fx_cmd(fx, cmd), "E16");
	cmd[2 * size] = 'z';
	cmd[2 * size + 1] = '\0';
	CHECK_STR(fx_cmd(fx, cmd), "E16");
	cmd[5] = 'x';
	cmd[2 * size + 1] = '\0';
	CHECK_STR(fx_cmd(fx, cmd), "E16");
	CHECK_STR(fx_cmd(fx, "g00"), "E16");
	free(hex);
	free(cmd);
	fx_free(fx);
}

TEST(gdbstub_registers_p_P)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	struct sim_fixture *min = fx_new(&gdb_arch_x86_64, &sim_ops_minimal, true);

	CHECK_STR(fx_cmd(fx, "p10"), "0010000000000000"); /* rip */
	CHECK_STR(fx_cmd(fx, "p11"), "88898a8b");         /* eflags, 4 bytes */
	CHECK_STR(fx_cmd(fx, "P10=efbeadde00000000"), "OK");
	CHECK_STR(fx_cmd(fx, "p10"), "efbeadde00000000");
	CHECK_EQ(sim_pc(&fx->t, 0), 0xdeadbeef);
	CHECK_STR(fx_cmd(fx, "Hg3"), "OK");
	CHECK_STR(fx_cmd(fx, "p10"), "0012000000000000");
	/* Last register (orig_rax, 66) exists, 67 does not. */
	CHECK(fx_cmd(fx, "p42")[0] != 'E');
	CHECK_STR(fx_cmd(fx, "p43"), "E16");
	CHECK_STR(fx_cmd(fx, "p"), "E16");
	CHECK_STR(fx_cmd(fx, "pffffffffffffffffff"), "E16");
	CHECK_STR(fx_cmd(fx, "p10,"), "E16");
	CHECK_STR(fx_cmd(fx, "P10=00"), "E16");
	CHECK_STR(fx_cmd(fx, "P10"), "E16");
	CHECK_STR(fx_cmd(fx, "P10=zz00000000000000"), "E16");
	CHECK_STR(fx_cmd(fx, "P43=00000000"), "E16");
	/* Without write_reg the server reads, patches and writes all registers. */
	CHECK_STR(fx_cmd(min, "P11=01020304"), "OK");
	CHECK_STR(fx_cmd(min, "p11"), "01020304");
	CHECK_STR(fx_cmd(min, "p10"), "0010000000000000");
	fx_free(fx);
	fx_free(min);
}

TEST(gdbstub_registers_i386)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_i386, &sim_ops, true);
	size_t size = gdb_arch_regs_size(&gdb_arch_i386);
	char *hex = malloc(2 * size + 1);

	to_hex(fx->t.regs[0], size, hex);
	CHECK_STR(fx_cmd(fx, "g"), hex);
	CHECK_STR(fx_cmd(fx, "p8"), "00100000"); /* eip */
	/* Expedited: ebp (5), esp (4), eip (8), 4 bytes each. */
	CHECK_STR(fx_cmd(fx, "?"), "T05thread:1;05:14151617;04:10111213;08:00100000;");
	free(hex);
	fx_free(fx);
}

TEST(gdbstub_memory_read)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const char *r;

	CHECK_STR(fx_cmd(fx, "m1000,4"), "10111213");
	CHECK_STR(fx_cmd(fx, "m0,1"), "00");
	/* Across into the hole: what was readable. */
	CHECK_STR(fx_cmd(fx, "m7fffe,4"), "0100");
	CHECK_STR(fx_cmd(fx, "m80000,4"), "E0e");
	CHECK_STR(fx_cmd(fx, "m100000,1"), "E0e");
	CHECK_STR(fx_cmd(fx, "mfffffffffffffff0,10"), "E0e"); /* the very top */
	CHECK_STR(fx_cmd(fx, "mffffffffffffffff,1"), "E0e");
	CHECK_STR(fx_cmd(fx, "mffffffffffffffff,2"), "E16"); /* would wrap */
	CHECK_STR(fx_cmd(fx, "m1000,0"), "");
	/* A huge length is clamped to what one reply holds. */
	r = fx_cmd(fx, "m0,ffffffff");
	CHECK(r && fx->reply_len == GDB_PACKET_SIZE);
	r = fx_cmd(fx, "m0,ffffffffffffffff");
	CHECK(r && fx->reply_len == GDB_PACKET_SIZE);
	fx_free(fx);
}

TEST(gdbstub_memory_malformed)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	static const char *bad[] = {
		"m", "m1000", "m1000,", "m,4", "mzz,4", "m1000,4,5", "m1000;4",
		"m10000000000000000,1", "m1000,10000000000000000", "m-1,4",
		"M", "M100", "M100,2", "M100,2:", "M100,2:abc", "M100,2:abcdef",
		"M100,2:zzzz", "Mffffffffffffffff,2:0000", "M100,ffffffffffffffff:00",
		"X", "X100,2", "X100,2:a", "X100,2:abc", "Xffffffffffffffff,2:ab",
		"X100,ffffffffffffffff:ab",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *r = fx_cmd(fx, bad[i]);

		if (!r || strcmp(r, "E16") != 0)
			test_fail(__FILE__, __LINE__, "%s -> %s", bad[i], r ? r : "(nothing)");
	}
	fx_free(fx);
}

TEST(gdbstub_memory_write)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const uint8_t want[] = { 0xab, 0xcd, 0x01 };

	CHECK_STR(fx_cmd(fx, "M100,3:ABcd01"), "OK");
	CHECK_MEM(fx->t.mem + 0x100, want, 3);
	CHECK_STR(fx_cmd(fx, "m100,3"), "abcd01");
	CHECK_STR(fx_cmd(fx, "M100,0:"), "OK");
	CHECK_STR(fx_cmd(fx, "M80000,1:00"), "E0e");
	CHECK_STR(fx_cmd(fx, "M7ffff,2:0000"), "E0e"); /* partly into the hole */
	/* Binary: zero length is gdb's probe for 'X'. */
	CHECK_STR(fx_cmd(fx, "X100,0:"), "OK");
	CHECK_STR(fx_cmd(fx, "X104,2:hi"), "OK");
	CHECK_MEM(fx->t.mem + 0x104, "hi", 2);
	CHECK_STR(fx_cmd(fx, "X80000,1:a"), "E0e");
	fx_free(fx);
}

TEST(gdbstub_threads)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	char hex[128];

	CHECK_STR(fx_cmd(fx, "qfThreadInfo"), "m1,2,3,4");
	CHECK_STR(fx_cmd(fx, "qsThreadInfo"), "l");
	CHECK_STR(fx_cmd(fx, "qC"), "QC1");
	CHECK_STR(fx_cmd(fx, "T1"), "OK");
	CHECK_STR(fx_cmd(fx, "T4"), "OK");
	CHECK_STR(fx_cmd(fx, "T5"), "E03");
	CHECK_STR(fx_cmd(fx, "T0"), "E03");
	CHECK_STR(fx_cmd(fx, "T-1"), "E03");
	CHECK_STR(fx_cmd(fx, "Tzz"), "E16");
	CHECK_STR(fx_cmd(fx, "Tp1.2"), "OK");
	CHECK_STR(fx_cmd(fx, "Hg0"), "OK");
	CHECK_STR(fx_cmd(fx, "Hg-1"), "OK");
	CHECK_STR(fx_cmd(fx, "Hc-1"), "OK");
	CHECK_STR(fx_cmd(fx, "Hg4"), "OK");
	CHECK_STR(fx_cmd(fx, "qC"), "QC4");
	CHECK_STR(fx_cmd(fx, "Hg9"), "E03");
	CHECK_STR(fx_cmd(fx, "Hg7fffffff"), "E03");
	CHECK_STR(fx_cmd(fx, "Hg80000000"), "E16");
	CHECK_STR(fx_cmd(fx, "Hx1"), "E16");
	CHECK_STR(fx_cmd(fx, "H"), "E16");
	CHECK_STR(fx_cmd(fx, "Hg"), "E16");
	CHECK_STR(fx_cmd(fx, "Hg1x"), "E16");
	to_hex("vCPU 1, long mode, halted", 25, hex);
	CHECK_STR(fx_cmd(fx, "qThreadExtraInfo,2"), hex);
	CHECK_STR(fx_cmd(fx, "qThreadExtraInfo,5"), "E03");
	CHECK_STR(fx_cmd(fx, "qThreadExtraInfo"), "E16");
	fx_free(fx);
}

TEST(gdbstub_threads_minimal_target)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_minimal, true);
	char hex[64];

	to_hex("vCPU 2", 6, hex);
	CHECK_STR(fx_cmd(fx, "qThreadExtraInfo,3"), hex);
	fx_free(fx);
}

TEST(gdbstub_threads_xfer)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const char *r = fx_cmd(fx, "qXfer:threads:read::0,ffff");

	CHECK(r && r[0] == 'l');
	if (r) {
		CHECK(strncmp(r + 1, "<?xml version=\"1.0\"?>\n<threads>\n", 31) == 0);
		CHECK(strstr(r, "<thread id=\"2\" core=\"1\" name=\"vCPU 1\">"
				"vCPU 1, long mode, halted</thread>") != NULL);
		CHECK(strstr(r, "running &lt;&amp;&gt;</thread>") != NULL);
		CHECK(strstr(r, "<thread id=\"4\" core=\"3\" name=\"vCPU 3\">") != NULL);
		CHECK(strstr(r, "</threads>\n") != NULL);
	}
	r = fx_cmd(fx, "qXfer:threads:read::0,10");
	CHECK(r && r[0] == 'm' && fx->reply_len == 0x11);
	CHECK_STR(fx_cmd(fx, "qXfer:threads:read:x:0,10"), "E16");
	CHECK_STR(fx_cmd(fx, "qXfer:threads:read::10000,10"), "E16");
	fx_free(fx);
}

TEST(gdbstub_breakpoints_bookkeeping)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);

	CHECK_STR(fx_cmd(fx, "Z0,2000,1"), "OK");
	CHECK_STR(fx_cmd(fx, "Z0,2000,1"), "OK"); /* idempotent: inserted once */
	CHECK_EQ(fx->t.insert_calls, 1);
	CHECK_STR(fx_cmd(fx, "Z0,3000,1;X3,220100"), "OK"); /* condition ignored */
	CHECK_STR(fx_cmd(fx, "Z0,80000,1"), "E0e");        /* unmapped */
	CHECK_EQ(fx->t.nbps, 2);
	CHECK_STR(fx_cmd(fx, "z0,2000,1"), "OK");
	CHECK_STR(fx_cmd(fx, "z0,2000,1"), "OK"); /* idempotent: removed once */
	CHECK_EQ(fx->t.remove_calls, 1);
	CHECK_STR(fx_cmd(fx, "z0,4000,1"), "OK");  /* never inserted */
	CHECK_EQ(fx->t.remove_calls, 1);
	/* Four hardware slots shared by hbreak and watchpoints; a fifth fails. */
	CHECK_STR(fx_cmd(fx, "Z1,1000,1"), "OK");
	CHECK_STR(fx_cmd(fx, "Z2,5000,4"), "OK");
	CHECK_STR(fx_cmd(fx, "Z3,5008,8"), "OK");
	CHECK_STR(fx_cmd(fx, "Z4,5010,2"), "OK");
	CHECK_STR(fx_cmd(fx, "Z2,6000,1"), "E1c");
	CHECK_STR(fx_cmd(fx, "Z2,6000,10"), "E16");
	CHECK_EQ(fx->t.nbps, 5);
	fx_free(fx);
}

TEST(gdbstub_breakpoints_malformed)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	struct sim_fixture *min = fx_new(&gdb_arch_x86_64, &sim_ops_minimal, true);

	CHECK_STR(fx_cmd(fx, "Z5,1000,1"), "");  /* unknown type: unsupported */
	CHECK_STR(fx_cmd(fx, "z9,1000,1"), "");
	CHECK_STR(fx_cmd(fx, "Z0,1000"), "E16");
	CHECK_STR(fx_cmd(fx, "Z0,1000,"), "E16");
	CHECK_STR(fx_cmd(fx, "Z0"), "E16");
	CHECK_STR(fx_cmd(fx, "Z"), "E16");
	CHECK_STR(fx_cmd(fx, "Z0,1000,0"), "E16");
	CHECK_STR(fx_cmd(fx, "Z2,ffffffffffffffff,2"), "E16");
	CHECK_STR(fx_cmd(fx, "Z2,fffffffffffffffe,2"), "OK"); /* ends at the top */
	CHECK_STR(fx_cmd(fx, "Z0,1000,1x"), "E16");
	CHECK_STR(fx_cmd(fx, "z0,1000,1;X"), "E16");
	CHECK_STR(fx_cmd(fx, "Z0,1000,ffffffffff"), "E16");
	CHECK_STR(fx_cmd(min, "Z0,1000,1"), "");  /* no breakpoint ops */
	CHECK_STR(fx_cmd(min, "z0,1000,1"), "");
	fx_free(fx);
	fx_free(min);
}

TEST(gdbstub_breakpoints_full_table)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	char cmd[64];
	const char *r = NULL;
	unsigned ok = 0;

	/* The simulated target holds SIM_MAX_BPS; past that it says ENOSPC. */
	for (unsigned i = 0; i < SIM_MAX_BPS + 4; i++) {
		snprintf(cmd, sizeof(cmd), "Z0,%x,1", 0x10000 + i);
		r = fx_cmd(fx, cmd);
		ok += r && strcmp(r, "OK") == 0;
	}
	CHECK_EQ(ok, SIM_MAX_BPS);
	CHECK_STR(r, "E1c");
	gdb_server_disconnected(fx->srv);
	CHECK_EQ(fx->t.nbps, 0);
	fx_free(fx);
}

static const char *monitor(struct sim_fixture *fx, const char *cmd)
{
	char pkt[512] = "qRcmd,";

	for (size_t i = 0; cmd[i]; i++)
		sprintf(pkt + 6 + 2 * i, "%02x", (uint8_t)cmd[i]);
	return fx_cmd(fx, pkt);
}

/* Hex-decode a qRcmd reply in place. */
static const char *unhex(char *s)
{
	size_t n = strlen(s) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		sscanf(s + 2 * i, "%2x", &v);
		s[i] = (char)v;
	}
	s[n] = '\0';
	return s;
}

TEST(gdbstub_monitor)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	struct sim_fixture *min = fx_new(&gdb_arch_x86_64, &sim_ops_minimal, true);
	char *r;

	r = (char *)monitor(fx, "help");
	CHECK(r != NULL);
	if (r) {
		unhex(r);
		CHECK(strstr(r, "monitor commands:\n  help") == r);
		CHECK(strstr(r, "\n  echo TEXT") != NULL);
		CHECK(strstr(r, "\n  info sregs") != NULL);
	}
	CHECK_STR(unhex((char *)monitor(fx, "echo hello world")), "hello world\n");
	CHECK_STR(fx->t.last_monitor, "echo hello world");
	CHECK_STR(unhex((char *)monitor(fx, "  echo   trimmed  ")), "  trimmed\n");
	CHECK_STR(fx_cmd(fx, "Hg3"), "OK");
	CHECK_STR(unhex((char *)monitor(fx, "info sregs")), "sregs of vCPU 2\n");
	CHECK_STR(unhex((char *)monitor(fx, "frob")),
		  "unknown monitor command 'frob'; try 'monitor help'\n");
	CHECK_STR(unhex((char *)monitor(fx, "echoX")),
		  "unknown monitor command 'echoX'; try 'monitor help'\n");
	CHECK_STR(unhex((char *)monitor(fx, "fail")), "monitor fail: Invalid argument\n");
	CHECK_STR(monitor(fx, "big 0"), "OK");
	CHECK_STR(fx_cmd(fx, "qRcmd,6"), "E16");
	CHECK_STR(fx_cmd(fx, "qRcmd,zz"), "E16");
	CHECK_STR(fx_cmd(fx, "qRcmd,6500"), "E16"); /* embedded NUL */
	CHECK_STR(fx_cmd(fx, "qRcmd"), "E16");
	CHECK_STR(monitor(min, "help"), ""); /* no monitor: unsupported */
	fx_free(fx);
	fx_free(min);
}

TEST(gdbstub_monitor_long_output_uses_O_packets)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	size_t total = 0, opkts = 0;
	const char *r = monitor(fx, "big 200000");
	bool digits_ok = true;

	while (r && r[0] == 'O') {
		opkts++;
		for (size_t i = 1; i + 1 < fx->reply_len; i += 2, total++)
			digits_ok &= r[i] == '3' && r[i + 1] == "0123456789"[total % 10];
		r = fx_reply(fx);
	}
	CHECK(opkts >= 3);
	CHECK(r != NULL);
	if (r)
		total += strlen(r) / 2; /* the last part is the reply */
	CHECK_EQ(total, 200000);
	CHECK(digits_ok);
	fx_free(fx);
}

TEST(gdbstub_new_validates)
{
	struct gdb_target_ops ops = sim_ops;
	struct gdb_server_config cfg = { .write = sim_io_write, .arch = &gdb_arch_x86_64 };
	struct gdb_server *srv;

	ops.resume = NULL;
	errno = 0;
	CHECK(gdb_server_new(&ops, NULL, &cfg) == NULL);
	CHECK_EQ(errno, EINVAL);
	ops = sim_ops;
	ops.remove_bp = NULL; /* insert without remove */
	CHECK(gdb_server_new(&ops, NULL, &cfg) == NULL);
	cfg.arch = NULL;
	CHECK(gdb_server_new(&sim_ops, NULL, &cfg) == NULL);
	cfg.arch = &gdb_arch_x86_64;
	cfg.write = NULL;
	CHECK(gdb_server_new(&sim_ops, NULL, &cfg) == NULL);
	cfg.write = sim_io_write;
	srv = gdb_server_new(&sim_ops, NULL, &cfg);
	CHECK(srv != NULL);
	gdb_server_free(srv);
	gdb_server_free(NULL);
}

/* lldb's packets (gdbstub/lldb.c): the machine, binary reads, stop info. */
TEST(gdbstub_lldb_host_and_process_info)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	struct sim_fixture *i386 = fx_new(&gdb_arch_i386, &sim_ops, true);
	char triple[64], want[256];

	to_hex("x86_64-unknown-none-elf", 23, triple);
	snprintf(want, sizeof(want), "triple:%s;endian:little;ptrsize:8;hostname:%s;", triple,
		 "6d696e696b766d");
	CHECK_STR(fx_cmd(fx, "qHostInfo"), want);
	snprintf(want, sizeof(want), "pid:1;triple:%s;endian:little;ptrsize:8;", triple);
	CHECK_STR(fx_cmd(fx, "qProcessInfo"), want);
	to_hex("i386-unknown-none-elf", 21, triple);
	snprintf(want, sizeof(want), "pid:1;triple:%s;endian:little;ptrsize:4;", triple);
	CHECK_STR(fx_cmd(i386, "qProcessInfo"), want);
	fx_free(fx);
	fx_free(i386);
}

TEST(gdbstub_lldb_binary_read)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const char *r;

	CHECK_STR(fx_cmd(fx, "x0,0"), "OK"); /* lldb's probe */
	/* Raw bytes, '#' '$' '}' '*' escaped on the wire and undone by the client. */
	memcpy(fx->t.mem + 0x2000, "A#$}*\0\0\0\0\0\0\0\0\xff", 14);
	r = fx_cmd(fx, "x2000,e");
	CHECK(r && fx->reply_len == 14);
	CHECK_MEM(r, "A#$}*\0\0\0\0\0\0\0\0\xff", 14);
	/* Into the hole: what was readable; in it: an error. */
	r = fx_cmd(fx, "x7fffe,4");
	CHECK(r && fx->reply_len == 2);
	CHECK_MEM(r, fx->t.mem + 0x7fffe, 2);
	CHECK_STR(fx_cmd(fx, "x80000,4"), "E0e");
	CHECK_STR(fx_cmd(fx, "xffffffffffffffff,2"), "E16"); /* would wrap */
	CHECK_STR(fx_cmd(fx, "x1000"), "E16");
	CHECK_STR(fx_cmd(fx, "x1000,4,"), "E16");
	CHECK_STR(fx_cmd(fx, "xzz,4"), "E16");
	/* Clamped to half a packet. */
	r = fx_cmd(fx, "x0,ffffffffffff");
	CHECK(r && fx->reply_len == GDB_PACKET_SIZE / 2);
	CHECK_MEM(r, fx->t.mem, GDB_PACKET_SIZE / 2);
	fx_free(fx);
}

TEST(gdbstub_lldb_threads_in_stop_reply_and_stop_info)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_i386, &sim_ops, true); /* 4 vCPUs */
	const char *r = fx_cmd(fx, "?");

	CHECK(r && !strstr(r, "threads:")); /* not unless asked */
	CHECK_STR(fx_cmd(fx, "QListThreadsInStopReply"), "OK");
	CHECK_STR(fx_cmd(fx, "?"), "T05thread:1;threads:1,2,3,4;05:14151617;04:10111213;"
		  "08:00100000;");
	/* vCPU 1 stopped along with vCPU 0: no reason, its own registers. */
	CHECK_STR(fx_cmd(fx, "qThreadStopInfo2"), "T00thread:2;threads:1,2,3,4;05:24252627;"
		  "04:20212223;08:00110000;");
	CHECK_STR(fx_cmd(fx, "qThreadStopInfo1"), "T05thread:1;threads:1,2,3,4;05:14151617;"
		  "04:10111213;08:00100000;");
	CHECK_STR(fx_cmd(fx, "qThreadStopInfo5"), "E03");
	CHECK_STR(fx_cmd(fx, "qThreadStopInfo0"), "E03");
	CHECK_STR(fx_cmd(fx, "qThreadStopInfo"), "E16");
	CHECK_STR(fx_cmd(fx, "qThreadStopInfo1;"), "E16");
	/* It selects no thread: Hg (set by the stop reply to 1) still rules. */
	CHECK_STR(fx_cmd(fx, "Hg3"), "OK");
	fx_cmd(fx, "qThreadStopInfo2");
	CHECK_STR(fx_cmd(fx, "qC"), "QC3");
	/* A new connection starts without the option. */
	gdb_server_disconnected(fx->srv);
	fx_free(fx);
}
