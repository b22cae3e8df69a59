/* SPDX-License-Identifier: MIT */
/*
 * The rv64 register layouts (gdbstub/arch_riscv.c): register numbers and
 * offsets, the target description gdb matches by feature and register
 * name, pack/unpack of every register, x0 and the fcsr views; and the
 * layout served by the protocol layer as it is for x86.
 */
#include <stdlib.h>
#include <string.h>

#include "../gdbstub/arch_riscv.h"
#include "sim_target.h"
#include "test.h"

static const char *const xreg_names[32] = {
	"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1",
	"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
	"s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
	"t3", "t4", "t5", "t6",
};

static const char *const freg_names[32] = {
	"ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1",
	"fa0", "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7",
	"fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11",
	"ft8", "ft9", "ft10", "ft11",
};

static const char *const csr_names[GDB_RISCV_NUM_CSRS] = {
	"sstatus", "sie", "stvec", "sscratch", "sepc", "scause", "stval", "sip", "satp",
};

/* A state whose every field differs, with fcsr and its views consistent. */
static void sample_state(struct gdb_riscv_state *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned i = 1; i < 32; i++)
		st->x[i] = 0x0101010101010101ull * i + 0x8000000000000000ull;
	st->pc = 0xffffffff80200000ull;
	for (unsigned i = 0; i < 32; i++)
		st->f[i] = 0x4000000000000000ull | (0x1000ull * i + i);
	st->fcsr = 0xe3; /* frm 7, fflags 3 */
	st->fflags = 0x03;
	st->frm = 7;
	for (unsigned i = 0; i < GDB_RISCV_NUM_CSRS; i++)
		st->csr[i] = 0xc5c5000000000000ull + i;
	st->priv = 1;
	st->has_fp = true;
}

static size_t reg_size(const struct gdb_arch *arch, unsigned r)
{
	return gdb_arch_reg_offset(arch, r + 1) - gdb_arch_reg_offset(arch, r);
}

TEST(gdbstub_riscv_layout)
{
	const struct gdb_arch *fp = &gdb_arch_riscv64, *nofp = &gdb_arch_riscv64_nofp;

	CHECK_EQ(fp->nregs, 78);   /* 32 x, pc, 32 f, fflags frm fcsr, 9 CSRs, priv */
	CHECK_EQ(nofp->nregs, 43); /* 32 x, pc, 9 CSRs, priv */
	CHECK_EQ(gdb_arch_regs_size(fp), 612);
	CHECK_EQ(gdb_arch_regs_size(nofp), 344);
	for (unsigned i = 0; i < 32; i++) {
		CHECK_EQ(gdb_arch_find_reg(fp, xreg_names[i]), i);
		CHECK_EQ(gdb_arch_find_reg(nofp, xreg_names[i]), i);
		CHECK_EQ(gdb_arch_reg_offset(fp, i), 8 * i);
		CHECK_EQ(gdb_arch_find_reg(fp, freg_names[i]), 33 + i);
		CHECK_EQ(gdb_arch_reg_offset(fp, 33 + i), 264 + 8 * i);
		CHECK_EQ(gdb_arch_find_reg(nofp, freg_names[i]), -1);
	}
	CHECK_EQ(fp->pc_regno, 32);
	CHECK_EQ(nofp->pc_regno, 32);
	CHECK_EQ(gdb_arch_find_reg(fp, "pc"), 32);
	CHECK_EQ(gdb_arch_reg_offset(fp, 32), 256);
	CHECK_EQ(gdb_arch_find_reg(fp, "fflags"), 65);
	CHECK_EQ(gdb_arch_find_reg(fp, "frm"), 66);
	CHECK_EQ(gdb_arch_find_reg(fp, "fcsr"), 67);
	CHECK_EQ(gdb_arch_reg_offset(fp, 65), 520);
	CHECK_EQ(reg_size(fp, 65), 4);
	CHECK_EQ(reg_size(fp, 67), 4);
	CHECK_EQ(gdb_arch_find_reg(nofp, "fcsr"), -1);
	for (unsigned i = 0; i < GDB_RISCV_NUM_CSRS; i++) {
		CHECK_EQ(gdb_arch_find_reg(fp, csr_names[i]), 68 + i);
		CHECK_EQ(gdb_arch_reg_offset(fp, 68 + i), 532 + 8 * i);
		CHECK_EQ(gdb_arch_find_reg(nofp, csr_names[i]), 33 + i);
		CHECK_EQ(gdb_arch_reg_offset(nofp, 33 + i), 264 + 8 * i);
	}
	CHECK_EQ(gdb_arch_find_reg(fp, "priv"), 77);
	CHECK_EQ(gdb_arch_find_reg(nofp, "priv"), 42);
	/* An id names the same register in both layouts. */
	for (unsigned r = 0; r < nofp->nregs; r++) {
		int other = gdb_arch_find_reg(fp, nofp->regs[r].name);

		CHECK(other >= 0 && fp->regs[other].id == nofp->regs[r].id);
	}
	for (unsigned r = 0; r < fp->nregs; r++)
		CHECK(fp->regs[r].id < GDB_RISCV_NUM_IDS && fp->regs[r].bitsize % 8 == 0);
	CHECK_STR(fp->name, "riscv:rv64");
	CHECK_STR(fp->triple, "riscv64-unknown-none-elf");
}

static void check_xml(const struct gdb_arch *arch, bool has_fp)
{
	size_t len = gdb_arch_target_xml(arch, NULL, 0);
	char *xml = malloc(len + 1), want[160];
	const char *p;

	CHECK(xml != NULL);
	if (!xml)
		return;
	CHECK_EQ(gdb_arch_target_xml(arch, xml, len + 1), len);
	CHECK_EQ(strlen(xml), len);
	CHECK(strstr(xml, "<architecture>riscv:rv64</architecture>\n<osabi>GNU/Linux</osabi>\n"));
	CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.riscv.cpu\">\n"
			  "<reg name=\"zero\" bitsize=\"64\" type=\"int\" regnum=\"0\"/>\n"
			  "<reg name=\"ra\" bitsize=\"64\" type=\"code_ptr\" regnum=\"1\"/>\n"
			  "<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"2\"/>\n"));
	CHECK(strstr(xml, "<reg name=\"fp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"8\"/>\n"));
	CHECK(strstr(xml, "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"/>\n"
			  "</feature>\n"));
	CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.riscv.csr\">\n"));
	CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.riscv.virtual\">\n<reg name=\"priv\" "
			  "bitsize=\"64\"") != NULL);
	CHECK_EQ(strstr(xml, "org.gnu.gdb.riscv.fpu") != NULL, has_fp);
	CHECK_EQ(strstr(xml, "<union id=\"riscv_double\">") != NULL, has_fp);
	if (has_fp) {
		CHECK(strstr(xml, "<reg name=\"ft0\" bitsize=\"64\" type=\"riscv_double\" "
				  "regnum=\"33\"/>\n"));
		CHECK(strstr(xml, "<reg name=\"fcsr\" bitsize=\"32\" type=\"int\" regnum=\"67\" "
				  "group=\"float\"/>\n</feature>\n"));
	}
	snprintf(want, sizeof(want), "<reg name=\"satp\" bitsize=\"64\" type=\"int\" regnum=\"%u\" "
		 "group=\"system\"/>\n</feature>\n", has_fp ? 76 : 41);
	CHECK(strstr(xml, want) != NULL);
	/* Every register, in number order, with its regnum. */
	p = xml;
	for (unsigned i = 0; i < arch->nregs && p; i++) {
		snprintf(want, sizeof(want),
			 "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"",
			 arch->regs[i].name, arch->regs[i].bitsize, arch->regs[i].type, i);
		p = strstr(p, want);
		if (!p)
			test_fail(__FILE__, __LINE__, "%s missing or out of order", want);
	}
	free(xml);
}

TEST(gdbstub_riscv_target_xml)
{
	check_xml(&gdb_arch_riscv64, true);
	check_xml(&gdb_arch_riscv64_nofp, false);
	/* The names are gdb's own, whichever table they came from. */
	for (unsigned i = 0; i < 32; i++)
		CHECK_STR(gdb_arch_riscv64.regs[i].name, xreg_names[i]);
	for (unsigned i = 0; i < 32; i++)
		CHECK_STR(gdb_arch_riscv64.regs[33 + i].name, freg_names[i]);
	for (unsigned i = 0; i < GDB_RISCV_NUM_CSRS; i++)
		CHECK_STR(gdb_arch_riscv64_nofp.regs[33 + i].name, csr_names[i]);
}

static void check_round_trip(const struct gdb_arch *arch)
{
	struct gdb_riscv_state st, back;
	uint8_t buf[1024], one[16];

	sample_state(&st);
	memset(buf, 0xa5, sizeof(buf));
	gdb_riscv_pack(arch, &st, buf);
	CHECK_EQ(buf[gdb_arch_regs_size(arch)], 0xa5); /* nothing past the end */
	memset(&back, 0, sizeof(back));
	back.has_fp = true;
	gdb_riscv_unpack(arch, buf, &back);
	if (arch == &gdb_arch_riscv64) {
		CHECK_MEM(&back, &st, sizeof(st));
	} else {
		/* Only what the layout covers came back. */
		CHECK_MEM(back.x, st.x, sizeof(st.x));
		CHECK_EQ(back.pc, st.pc);
		CHECK_MEM(back.csr, st.csr, sizeof(st.csr));
		CHECK_EQ(back.priv, st.priv);
		CHECK_EQ(back.f[1], 0);
		CHECK_EQ(back.fcsr, 0);
	}
	for (unsigned r = 0; r < arch->nregs; r++) {
		size_t off = gdb_arch_reg_offset(arch, r), n = reg_size(arch, r);
		struct gdb_riscv_state single;

		/* One register alone: the same bytes as in the whole file. */
		memset(one, 0x5a, sizeof(one));
		gdb_riscv_pack_reg(arch, &st, r, one);
		CHECK_MEM(one, buf + off, n);
		CHECK_EQ(one[n], 0x5a);
		/* And written alone it lands in its field. */
		memset(&single, 0, sizeof(single));
		gdb_riscv_unpack_reg(arch, r, buf + off, &single);
		memset(one, 0, sizeof(one));
		gdb_riscv_pack_reg(arch, &single, r, one);
		CHECK_MEM(one, buf + off, n);
	}
}

TEST(gdbstub_riscv_pack_unpack)
{
	struct gdb_riscv_state st;
	uint8_t buf[1024];

	check_round_trip(&gdb_arch_riscv64);
	check_round_trip(&gdb_arch_riscv64_nofp);
	/* Little-endian bytes at the offsets the description gives. */
	sample_state(&st);
	gdb_riscv_pack(&gdb_arch_riscv64, &st, buf);
	CHECK_EQ(buf[8 * 1], 0x01);     /* ra */
	CHECK_EQ(buf[8 * 1 + 7], 0x81);
	CHECK_EQ(buf[256 + 7], 0xff);   /* pc */
	CHECK_EQ(buf[520], 0x03);       /* fflags */
	CHECK_EQ(buf[524], 0x07);       /* frm */
	CHECK_EQ(buf[528], 0xe3);       /* fcsr */
	CHECK_EQ(buf[532 + 8 * GDB_RISCV_SATP], GDB_RISCV_SATP);
	CHECK_EQ(buf[604], 1);          /* priv */
	gdb_riscv_pack(&gdb_arch_riscv64_nofp, &st, buf);
	CHECK_EQ(buf[264 + 8 * GDB_RISCV_SEPC], GDB_RISCV_SEPC);
	CHECK_EQ(buf[336], 1);          /* priv */
}

TEST(gdbstub_riscv_x0_is_zero)
{
	const struct gdb_arch *arch = &gdb_arch_riscv64;
	struct gdb_riscv_state st;
	uint8_t buf[1024], val[8];

	sample_state(&st);
	st.x[0] = 0x1234; /* garbage in the ignored slot still reads as zero */
	gdb_riscv_pack(arch, &st, buf);
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(buf[i], 0);
	gdb_riscv_pack_reg(arch, &st, 0, val);
	CHECK_EQ(val[0] | val[1], 0);
	/* 'G' and 'P' writes to zero are dropped, the rest lands. */
	sample_state(&st);
	memset(buf, 0x77, sizeof(buf));
	gdb_riscv_unpack(arch, buf, &st);
	CHECK_EQ(st.x[0], 0);
	CHECK_EQ(st.x[1], 0x7777777777777777ull);
	memset(val, 0xff, sizeof(val));
	gdb_riscv_unpack_reg(arch, 0, val, &st);
	CHECK_EQ(st.x[0], 0);
	gdb_riscv_unpack_reg(&gdb_arch_riscv64_nofp, 0, val, &st);
	CHECK_EQ(st.x[0], 0);
	/* Out of range numbers are ignored. */
	gdb_riscv_unpack_reg(arch, arch->nregs, val, &st);
	gdb_riscv_pack_reg(arch, &st, arch->nregs, val);
	CHECK_EQ(val[0], 0xff);
}

/* fcsr and both its views agree on want. */
static void check_fcsr(const struct gdb_riscv_state *st, uint32_t want, unsigned line)
{
	if (st->fcsr != want || st->fflags != (want & 0x1f) || st->frm != want >> 5)
		test_fail(__FILE__, line, "fcsr %#x fflags %#x frm %u, want fcsr %#x", st->fcsr,
			  st->fflags, st->frm, want);
}

TEST(gdbstub_riscv_fcsr_views)
{
	const struct gdb_arch *arch = &gdb_arch_riscv64;
	struct gdb_riscv_state st;
	uint8_t buf[1024], val[4];
	/* 'P' on one of them, one after the other (regno, value, fcsr after). */
	static const struct { unsigned regno; uint32_t v, fcsr; } p_cases[] = {
		{ 65, 0xff, 0xff },  /* fflags: its 5 bits of fcsr only */
		{ 66, 0x01, 0x3f },  /* frm: bits 7:5 */
		{ 67, 0x145, 0x45 }, /* fcsr: reserved bits 31:8 dropped */
	};
	/*
	 * 'G' over the sample state (fcsr 0xe3: fflags 3, frm 7). Whichever
	 * differs from the state wins, fcsr over its views: a server without
	 * write_reg turns "P fflags" into read, patch, 'G' with the old fcsr.
	 */
	static const struct { uint32_t fflags, frm, fcsr, want; } g_cases[] = {
		{ 0x10, 7, 0xe3, 0xf0 }, /* new fflags */
		{ 3, 2, 0xe3, 0x43 },    /* new frm */
		{ 3, 7, 0x21, 0x21 },    /* new fcsr */
		{ 0x04, 3, 0x21, 0x21 }, /* all three new and disagreeing */
		{ 3, 7, 0xe3, 0xe3 },    /* nothing new */
	};

	/* pack derives the views from fcsr alone (KVM's FP state has only fcsr). */
	memset(&st, 0, sizeof(st));
	st.fcsr = 0x9f;
	gdb_riscv_pack_reg(arch, &st, 65, val);
	CHECK_EQ(val[0], 0x1f);
	gdb_riscv_pack_reg(arch, &st, 66, val);
	CHECK_EQ(val[0], 4);

	sample_state(&st);
	for (unsigned i = 0; i < sizeof(p_cases) / sizeof(p_cases[0]); i++) {
		for (unsigned k = 0; k < 4; k++)
			val[k] = (uint8_t)(p_cases[i].v >> (8 * k));
		gdb_riscv_unpack_reg(arch, p_cases[i].regno, val, &st);
		check_fcsr(&st, p_cases[i].fcsr, __LINE__);
	}
	for (unsigned i = 0; i < sizeof(g_cases) / sizeof(g_cases[0]); i++) {
		uint32_t v[3] = { g_cases[i].fflags, g_cases[i].frm, g_cases[i].fcsr };

		sample_state(&st);
		gdb_riscv_pack(arch, &st, buf);
		for (unsigned r = 0; r < 3; r++)
			for (unsigned k = 0; k < 4; k++)
				buf[gdb_arch_reg_offset(arch, 65 + r) + k] = (uint8_t)(v[r] >> (8 * k));
		gdb_riscv_unpack(arch, buf, &st);
		check_fcsr(&st, g_cases[i].want, __LINE__);
	}
}

/* The protocol layer serves the layout as it serves x86's. */
TEST(gdbstub_riscv_served)
{
	struct sim_fixture *fx = fx_new(&gdb_arch_riscv64, &sim_ops, true);
	size_t len = gdb_arch_target_xml(&gdb_arch_riscv64, NULL, 0);
	char *whole = malloc(len + 1), cmd[80];

	gdb_arch_target_xml(&gdb_arch_riscv64, whole, len + 1);
	snprintf(cmd, sizeof(cmd), "qXfer:features:read:target.xml:0,%zx", len + 16);
	const char *r = fx_cmd(fx, cmd);

	CHECK(r && r[0] == 'l' && strcmp(r + 1, whole) == 0);
	CHECK_STR(fx_cmd(fx, "p20"), "0010000000000000"); /* pc */
	CHECK_STR(fx_cmd(fx, "p43"), "10111213");          /* fcsr: 4 bytes at 528 (0x210) */
	CHECK_STR(fx_cmd(fx, "p4e"), "E16");               /* one past priv */
	/* Expedited: fp (8), sp (2), pc (0x20). */
	CHECK_STR(fx_cmd(fx, "?"), "T05thread:1;08:4041424344454647;02:1011121314151617;"
				   "20:0010000000000000;");
	free(whole);
	fx_free(fx);
}
