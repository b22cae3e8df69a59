/* SPDX-License-Identifier: MIT */
/*
 * gdbstub/memory.c's reads framed straight from the target's memory
 * (peek_mem, framing.c's rsp_mem_frame_*): they must answer exactly what
 * the copying way answers, byte for byte, for 'm' and 'x', across pages,
 * holes and runs; hide what the target hides; and speak gdb's form of
 * 'x' ("b" + bytes) only to a gdb that offered binary-upload+.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_target.h"
#include "test.h"

/* Memory with everything the framer treats specially: runs of every length, escapes. */
static void fill_tricky(uint8_t *mem)
{
	size_t at = 0x10000;

	for (size_t run = 1; run <= 120; run++) {
		static const uint8_t kinds[] = { 0x00, 0x11, 0xff, 0x5a, '#', '$', '}', '*', 0x03 };

		for (size_t k = 0; k < sizeof(kinds); k++) {
			memset(mem + at, kinds[k], run);
			at += run;
		}
	}
	/* And runs across the page boundary at 0x3000 and into the hole at 0x80000. */
	memset(mem + 0x2f00, 0, 0x200);
	memset(mem + 0x7ff00, '*', 0x100);
}

/* One command on both fixtures: the same payload, and a well-formed frame from each. */
static bool same_reply(struct sim_fixture *copy, struct sim_fixture *peek, const char *cmd)
{
	size_t start = peek->io.len;
	const char *a = fx_cmd(copy, cmd), *b;
	size_t alen = copy->reply_len;
	char *saved = malloc(alen + 1);
	bool ok;

	if (!saved || !a)
		return free(saved), false;
	memcpy(saved, a, alen);
	b = fx_cmd(peek, cmd);
	ok = b && peek->reply_len == alen && memcmp(saved, b, alen) == 0 &&
	     sim_valid_output(peek->io.buf + start, peek->io.len - start);
	free(saved);
	return ok;
}

TEST(gdbstub_memory_peek_answers_as_read_mem)
{
	struct sim_fixture *copy = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	struct sim_fixture *peek = fx_new(&gdb_arch_x86_64, &sim_ops_peek, true);
	static const char *cmds[] = {
		"m1000,4", "m0,1", "m7fffe,4", "m80000,4", "m100000,1", "m1000,0",
		"mfffffffffffffff0,10", "mffffffffffffffff,2", "m2f80,100", "m7ff00,200",
		"m0,ffffffff", "m10000,ffff", "m10001,fffe", "m11000,3000",
		"x7fffe,4", "x80000,4", "x2f80,100", "x7ff00,200", "x0,ffffffffffff",
		"x10000,ffff", "x10003,8000", "x11000,3000", "x1000,4,", "xzz,4",
		"xffffffffffffffff,2", "m", "x", "m1000;4",
	};

	fill_tricky(copy->t.mem);
	fill_tricky(peek->t.mem);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!same_reply(copy, peek, cmds[i]))
			test_fail(__FILE__, __LINE__, "%s: the framed reply differs", cmds[i]);
	}
	CHECK(peek->t.peek_calls > 0);
	fx_free(copy);
	fx_free(peek);
}

TEST(gdbstub_memory_peek_runs_compress)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_peek, true);
	size_t start = fx->io.len;
	const char *r;

	/* A zeroed page: hex of 4096 zero bytes is 8192 '0's, 3 characters each 98 of them. */
	memset(fx->t.mem + 0x3000, 0, 0x1000);
	r = fx_cmd(fx, "m3000,1000");
	CHECK(r && fx->reply_len == 0x2000 && strspn(r, "0") == 0x2000);
	CHECK(fx->io.len - start < 400);
	start = fx->io.len;
	r = fx_cmd(fx, "x3000,1000");
	CHECK(r && fx->reply_len == 0x1000);
	CHECK(fx->io.len - start < 200);
	fx_free(fx);
}

TEST(gdbstub_memory_peek_hidden_byte_comes_through_read_mem)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_peek, true);
	const char *r;

	/* The target's int3 at 0x2005; gdb must see the original 0x55. */
	fx->t.mem[0x2005] = 0xcc;
	fx->t.have_hidden = true;
	fx->t.hidden_addr = 0x2005;
	fx->t.hidden_orig = 0x55;
	r = fx_cmd(fx, "m2004,3");
	CHECK_STR(r, "245526"); /* mem[i] is i ^ (i >> 8) */
	r = fx_cmd(fx, "m2005,1");
	CHECK_STR(r, "55");
	r = fx_cmd(fx, "x2000,8");
	CHECK(r && fx->reply_len == 8 && (uint8_t)r[5] == 0x55 && (uint8_t)r[4] == 0x24);
	fx_free(fx);
}

TEST(gdbstub_memory_x_in_gdbs_form_only_when_asked)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_x86_64, &sim_ops_peek, true);
	struct sim_fixture *plain = fx_new(&gdb_arch_x86_64, &sim_ops, true);
	const char *r;

	CHECK(strstr(fx_cmd(fx, "qSupported:multiprocess+;binary-upload+"), ";binary-upload+"));
	CHECK(strstr(fx_cmd(plain, "qSupported:binary-upload+;swbreak+"), ";binary-upload+"));
	CHECK_STR(fx_cmd(fx, "x0,0"), "b");
	memcpy(fx->t.mem + 0x2000, "A#$}", 4);
	memcpy(plain->t.mem + 0x2000, "A#$}", 4);
	r = fx_cmd(fx, "x2000,4");
	CHECK(r && fx->reply_len == 5 && memcmp(r, "bA#$}", 5) == 0);
	r = fx_cmd(plain, "x2000,4");
	CHECK(r && plain->reply_len == 5 && memcmp(r, "bA#$}", 5) == 0);
	/* Partial and failed reads as with 'm'. */
	r = fx_cmd(fx, "x7fffe,4");
	CHECK(r && fx->reply_len == 3 && r[0] == 'b');
	CHECK_STR(fx_cmd(fx, "x80000,4"), "E0e");
	/* Clamped to half a packet, "b" not counted. */
	r = fx_cmd(fx, "x0,ffffffff");
	CHECK(r && fx->reply_len == GDB_PACKET_SIZE / 2 + 1);
	/* A client that does not offer it (lldb) gets lldb's form again. */
	CHECK(!strstr(fx_cmd(fx, "qSupported:swbreak+"), "binary-upload"));
	CHECK_STR(fx_cmd(fx, "x0,0"), "OK");
	r = fx_cmd(fx, "x2000,4");
	CHECK(r && fx->reply_len == 4 && memcmp(r, "A#$}", 4) == 0);
	fx_free(fx);
	fx_free(plain);
}
