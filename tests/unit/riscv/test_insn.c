/* SPDX-License-Identifier: MIT */
/*
 * The RV64GC step decoder (src/riscv/insn.c). Every encoding here came from
 * riscv64-linux-gnu-as -march=rv64gc, linked at 0x8000_0000 and read back
 * with objdump -d -M no-aliases (the pc each sits at, and objdump's target,
 * are the expected answers); the reserved ones are objdump's ".2byte" /
 * ".4byte" (no instruction).
 */
#include "../test.h"

#include "riscv/insn.h"

enum { RA = 1, SP = 2, T0 = 5, S0 = 8, S1 = 9, A0 = 10, A1 = 11, A4 = 14, A5 = 15 };

static uint64_t x[32];

/* Registers for a case: all 0 but x[0], which must be ignored whatever it holds. */
static void regs_clear(void)
{
	memset(x, 0, sizeof(x));
	x[0] = 0xdeadbeefdeadbeefull;
}

static void bytes_of(uint32_t word, uint8_t b[4])
{
	for (int i = 0; i < 4; i++)
		b[i] = word >> (8 * i);
}

/* The successors of word (little-endian, 4 bytes available) at pc with x[]. */
static int step(uint32_t word, uint64_t pc, uint64_t out[2], struct riscv_insn_info *info)
{
	uint8_t b[4];

	bytes_of(word, b);
	return riscv_insn_successors(b, sizeof(b), pc, x, out, info);
}

static int possible(uint32_t word, uint64_t pc, uint64_t out[2], struct riscv_insn_info *info)
{
	uint8_t b[4];

	bytes_of(word, b);
	return riscv_insn_possible_successors(b, sizeof(b), pc, out, info);
}

/* One successor, at want; returns the info for further checks. */
#define CHECK_ONE(word, pc, want, info)                                        \
	do {                                                                   \
		uint64_t out_[2] = { 0, 0 };                                   \
		CHECK_EQ(step(word, pc, out_, &(info)), 1);                    \
		CHECK_EQ(out_[0], want);                                       \
	} while (0)

TEST(riscv_insn_length_from_the_low_bits)
{
	CHECK_EQ(riscv_insn_length(0x0001), 2); /* c.nop */
	CHECK_EQ(riscv_insn_length(0x8082), 2); /* c.jr ra */
	CHECK_EQ(riscv_insn_length(0xfffe), 2);
	CHECK_EQ(riscv_insn_length(0x00ef), 4); /* jal's low half */
	CHECK_EQ(riscv_insn_length(0x0073), 4);
	CHECK_EQ(riscv_insn_length(0x001f), 0); /* 48-bit */
	CHECK_EQ(riscv_insn_length(0x003f), 0); /* 64-bit */
	CHECK_EQ(riscv_insn_length(0xffff), 0); /* 80-bit and longer */
}

TEST(riscv_insn_jal_forward_backward_and_the_extreme_offsets)
{
	struct riscv_insn_info info;

	regs_clear();
	CHECK_ONE(0x100000ef, 0x80000000, 0x80000100, info); /* jal ra, +0x100 */
	CHECK_EQ(info.flow, RISCV_FLOW_JUMP);
	CHECK_EQ(info.link_reg, RA);
	CHECK_EQ(info.length, 4);
	CHECK_ONE(0xfe1ff06f, 0x80000004, 0x7fffffe4, info); /* jal zero, -0x20 */
	CHECK_EQ(info.link_reg, 0);
	CHECK_ONE(0x7ffff06f, 0x80000008, 0x80100006, info); /* +0xffffe, the largest */
	CHECK_ONE(0x8000006f, 0x8000000c, 0x7ff0000c, info); /* -0x100000, the smallest */
	CHECK_ONE(0x0040006f, 0x80000010, 0x80000014, info); /* +4 */
	/* 64-bit wrap: the sign extension reaches bit 63 */
	CHECK_ONE(0x8000006f, 0x10, 0xfffffffffff00010ull, info);
}

TEST(riscv_insn_jalr_clears_bit_0_and_reads_rs1_before_linking)
{
	struct riscv_insn_info info;

	regs_clear();
	x[A0] = 0x80001234;
	CHECK_ONE(0x000500e7, 0x80000014, 0x80001234, info); /* jalr ra, 0(a0) */
	CHECK_EQ(info.flow, RISCV_FLOW_INDIRECT);
	CHECK_EQ(info.link_reg, RA);
	x[A0] = 0x80002000;
	CHECK_ONE(0xfff50067, 0x80000018, 0x80001ffe, info); /* jalr zero, -1(a0): odd sum */
	CHECK_EQ(info.link_reg, 0);
	x[A1] = 0x1000;
	CHECK_ONE(0x7ff58067, 0x8000001c, 0x17fe, info);     /* jalr zero, 2047(a1) */
	x[T0] = 0x80000800;
	CHECK_ONE(0x800282e7, 0x80000020, 0x80000000, info); /* jalr t0, -2048(t0) */
	CHECK_EQ(info.link_reg, T0);
	x[RA] = 0x80000abc;
	CHECK_ONE(0x000080e7, 0x80000002, 0x80000abc, info); /* jalr ra, 0(ra) */
	CHECK_ONE(0x10000067, 0, 0x100, info);                /* jalr zero, 256(zero): x0 is 0 */
}

struct branch_case {
	uint32_t word;
	uint64_t pc, target;
	int64_t a, b;   /* a0, a1 (or rs1' for c.beqz/c.bnez, in a) */
	bool taken;
	unsigned rs1;
};

static void check_branches(const struct branch_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct riscv_insn_info info;
		uint64_t out[2] = { 0, 0 };
		uint64_t next;

		regs_clear();
		x[c[i].rs1] = (uint64_t)c[i].a;
		if (c[i].rs1 == A0)
			x[A1] = (uint64_t)c[i].b;
		CHECK_EQ(step(c[i].word, c[i].pc, out, &info), 1);
		next = c[i].pc + (uint64_t)info.length;
		if (out[0] != (c[i].taken ? c[i].target : next))
			test_fail(__FILE__, __LINE__, "case %zu (0x%08x): 0x%" PRIx64, i, c[i].word, out[0]);
		CHECK_EQ(info.flow, RISCV_FLOW_BRANCH);
		/* Without registers: both, the target first. */
		CHECK_EQ(possible(c[i].word, c[i].pc, out, &info), 2);
		CHECK_EQ(out[0], c[i].target);
		CHECK_EQ(out[1], next);
	}
}

TEST(riscv_insn_branches_are_evaluated_signed_and_unsigned)
{
	static const struct branch_case cases[] = {
		{ 0x04b50063, 0x80000024, 0x80000064, 5, 5, true, A0 },   /* beq +0x40 */
		{ 0x04b50063, 0x80000024, 0x80000064, 5, 6, false, A0 },
		{ 0xfcb510e3, 0x80000028, 0x7fffffe8, 5, 6, true, A0 },   /* bne -0x40 */
		{ 0xfcb510e3, 0x80000028, 0x7fffffe8, 6, 6, false, A0 },
		{ 0x7eb54fe3, 0x8000002c, 0x8000102a, -1, 0, true, A0 },  /* blt +4094, the largest */
		{ 0x7eb54fe3, 0x8000002c, 0x8000102a, 1, 0, false, A0 },
		{ 0x7eb54fe3, 0x8000002c, 0x8000102a, 3, 3, false, A0 },
		{ 0x80b55063, 0x80000030, 0x7ffff030, 0, -1, true, A0 },  /* bge -4096, the smallest */
		{ 0x80b55063, 0x80000030, 0x7ffff030, 3, 3, true, A0 },
		{ 0x80b55063, 0x80000030, 0x7ffff030, -1, 0, false, A0 },
		{ 0x00b56463, 0x80000034, 0x8000003c, 1, -1, true, A0 },  /* bltu: -1 is the largest */
		{ 0x00b56463, 0x80000034, 0x8000003c, -1, 1, false, A0 },
		{ 0xfeb57ce3, 0x80000038, 0x80000030, -1, 1, true, A0 },  /* bgeu -8 */
		{ 0xfeb57ce3, 0x80000038, 0x80000030, 1, -1, false, A0 },
		{ 0xfeb57ce3, 0x80000038, 0x80000030, 7, 7, true, A0 },
		{ 0xcd7d, 0x800000ce, 0x800001cc, 0, 0, true, A0 },       /* c.beqz a0, +254 */
		{ 0xcd7d, 0x800000ce, 0x800001cc, 1, 0, false, A0 },
		{ 0xd101, 0x800000d0, 0x7fffffd0, 0, 0, true, A0 },       /* c.beqz a0, -256 */
		{ 0xd101, 0x800000d0, 0x7fffffd0, -1, 0, false, A0 },
		{ 0xe385, 0x800000d2, 0x800000f2, 2, 0, true, A5 },       /* c.bnez a5, +0x20 */
		{ 0xe385, 0x800000d2, 0x800000f2, 0, 0, false, A5 },
		{ 0xf065, 0x800000d4, 0x800000b4, 2, 0, true, S0 },       /* c.bnez s0, -0x20 */
		{ 0xf065, 0x800000d4, 0x800000b4, 0, 0, false, S0 },
	};

	check_branches(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(riscv_insn_branch_to_the_next_instruction_and_on_x0)
{
	struct riscv_insn_info info;
	uint64_t out[2];

	regs_clear();
	/* beq a0, a1, +4: taken or not, one place */
	CHECK_EQ(possible(0x00b50263, 0x8000003c, out, &info), 1);
	CHECK_EQ(out[0], 0x80000040);
	/* beq zero, zero, . with garbage in x[0]: x0 reads 0, so taken, to itself */
	CHECK_ONE(0x00000063, 0x80000004, 0x80000004, info);
}

TEST(riscv_insn_compressed_jumps)
{
	struct riscv_insn_info info;

	regs_clear();
	CHECK_ONE(0xaffd, 0x800000c8, 0x800008c6, info); /* c.j +2046, the largest */
	CHECK_EQ(info.flow, RISCV_FLOW_JUMP);
	CHECK_EQ(info.length, 2);
	CHECK_EQ(info.link_reg, 0);
	CHECK_ONE(0xb001, 0x800000ca, 0x7ffff8ca, info); /* c.j -2048, the smallest */
	CHECK_ONE(0xa009, 0x800000cc, 0x800000ce, info); /* c.j +2 */
	CHECK_ONE(0xb001, 0x100, 0xfffffffffffff900ull, info);
}

TEST(riscv_insn_cr_group_jr_jalr_ebreak_add_mv)
{
	struct riscv_insn_info info;
	uint64_t out[2];

	regs_clear();
	x[RA] = 0x80000123;
	x[A0] = 0x80000456;
	CHECK_ONE(0x8082, 0x800000d6, 0x80000122, info); /* c.jr ra */
	CHECK_EQ(info.flow, RISCV_FLOW_INDIRECT);
	CHECK_EQ(info.link_reg, 0);
	CHECK_ONE(0x9502, 0x800000d8, 0x80000456, info); /* c.jalr a0 */
	CHECK_EQ(info.flow, RISCV_FLOW_INDIRECT);
	CHECK_EQ(info.link_reg, RA);
	CHECK_ONE(0x9082, 0x80000000, 0x80000122, info); /* c.jalr ra: the old ra */
	CHECK_EQ(step(0x9002, 0x800000da, out, &info), 0); /* c.ebreak */
	CHECK_EQ(info.flow, RISCV_FLOW_TRAP);
	CHECK_EQ(info.special, RISCV_INSN_EBREAK);
	CHECK_ONE(0x952e, 0x800000dc, 0x800000de, info); /* c.add a0, a1 */
	CHECK_EQ(info.flow, RISCV_FLOW_NEXT);
	CHECK_EQ(info.special, RISCV_INSN_PLAIN);
	CHECK_ONE(0x852e, 0x800000de, 0x800000e0, info); /* c.mv a0, a1 */
	CHECK_EQ(info.flow, RISCV_FLOW_NEXT);
	CHECK_EQ(step(0x8002, 0x80000000, out, &info), -1); /* c.jr zero: reserved */
	/* Without registers an indirect jump has no successor to give. */
	CHECK_EQ(possible(0x8082, 0x800000d6, out, &info), 0);
	CHECK_EQ(info.flow, RISCV_FLOW_INDIRECT);
	CHECK_EQ(possible(0x000500e7, 0x80000014, out, &info), 0);
}

TEST(riscv_insn_c_addiw_is_no_jump_on_rv64)
{
	struct riscv_insn_info info;

	regs_clear();
	/* RV32's c.jal encodings: c.addiw a0, 1 and c.addiw a0, -32 here */
	CHECK_ONE(0x2505, 0x800000e0, 0x800000e2, info);
	CHECK_EQ(info.flow, RISCV_FLOW_NEXT);
	CHECK_EQ(info.link_reg, 0);
	CHECK_ONE(0x3501, 0x800000e2, 0x800000e4, info);
	CHECK_EQ(info.flow, RISCV_FLOW_NEXT);
}

TEST(riscv_insn_compressed_fall_through)
{
	static const uint16_t words[] = {
		0x0001, /* c.nop */
		0x557d, /* c.li a0, -1 */
		0x7101, /* c.addi16sp sp, -512 */
		0x1fe8, /* c.addi4spn a0, sp, 1020 */
		0x157e, /* c.slli a0, 63 */
		0x9d0d, /* c.subw a0, a1 */
		0x9d2d, /* c.addw a0, a1 */
	};
	struct riscv_insn_info info;

	regs_clear();
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		CHECK_ONE(words[i], 0x80000100, 0x80000102, info);
		CHECK_EQ(info.flow, RISCV_FLOW_NEXT);
		CHECK_EQ(info.mem, RISCV_MEM_NONE);
	}
}

/* A step with its special flag and n successors (pc + 4 when 1). */
static void check_special(uint32_t word, int n, enum riscv_insn_flow flow,
			  enum riscv_insn_special special)
{
	struct riscv_insn_info info;
	uint64_t out[2] = { 0, 0 };

	CHECK_EQ(step(word, 0x80000040, out, &info), n);
	if (n == 1)
		CHECK_EQ(out[0], 0x80000044);
	CHECK_EQ(info.flow, flow);
	if (info.special != special)
		test_fail(__FILE__, __LINE__, "0x%08x: special %d, not %d", word, info.special, special);
	CHECK_EQ(possible(word, 0x80000040, out, &info), n);
}

TEST(riscv_insn_system_instructions_are_flagged)
{
	regs_clear();
	check_special(0x00000073, 1, RISCV_FLOW_NEXT, RISCV_INSN_ECALL);
	check_special(0x00100073, 0, RISCV_FLOW_TRAP, RISCV_INSN_EBREAK);
	check_special(0x10500073, 1, RISCV_FLOW_NEXT, RISCV_INSN_WFI);
	check_special(0x00d00073, 1, RISCV_FLOW_NEXT, RISCV_INSN_WFI);       /* wrs.nto */
	check_special(0x10200073, 0, RISCV_FLOW_TRAP_RETURN, RISCV_INSN_SRET);
	check_special(0x30200073, 0, RISCV_FLOW_TRAP_RETURN, RISCV_INSN_MRET);
	check_special(0x0000100f, 1, RISCV_FLOW_NEXT, RISCV_INSN_FENCE_I);
	check_special(0x0ff0000f, 1, RISCV_FLOW_NEXT, RISCV_INSN_PLAIN);     /* fence */
	check_special(0x12000073, 1, RISCV_FLOW_NEXT, RISCV_INSN_PLAIN);     /* sfence.vma */
	check_special(0x12a00073, 1, RISCV_FLOW_NEXT, RISCV_INSN_PLAIN);     /* sfence.vma zero, a0 */
	check_special(0x10002573, 1, RISCV_FLOW_NEXT, RISCV_INSN_PLAIN);     /* csrr a0, sstatus */
	check_special(0xfffff537, 1, RISCV_FLOW_NEXT, RISCV_INSN_PLAIN);     /* lui */
	check_special(0x12345517, 1, RISCV_FLOW_NEXT, RISCV_INSN_PLAIN);     /* auipc */
	check_special(0x00c58533, 1, RISCV_FLOW_NEXT, RISCV_INSN_PLAIN);     /* add */
}

struct mem_case {
	uint32_t word;
	enum riscv_insn_mem mem;
	unsigned base;
	int64_t offset;
	unsigned size;
	bool lr, sc;
};
#define ACCESS(word, mem, base, offset, size) { word, mem, base, offset, size, false, false }

/* Each case at pc 0x80000000 with its base register at 0x1000 (sp at 0x80010000). */
static void check_accesses(const struct mem_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct riscv_insn_info info;
		uint64_t out[2] = { 0, 0 };
		uint64_t base = c[i].base == SP ? 0x80010000 : c[i].base ? 0x1000 : 0;

		regs_clear();
		x[SP] = 0x80010000;
		if (c[i].base && c[i].base != SP)
			x[c[i].base] = 0x1000;
		if (step(c[i].word, 0x80000000, out, &info) != 1) {
			test_fail(__FILE__, __LINE__, "case %zu (0x%08x): no step", i, c[i].word);
			continue;
		}
		CHECK_EQ(out[0], 0x80000000 + (uint64_t)info.length);
		if (info.mem != c[i].mem || info.mem_base != c[i].base ||
		    info.mem_offset != c[i].offset || info.mem_size != c[i].size ||
		    info.mem_addr != base + (uint64_t)c[i].offset || info.lr != c[i].lr ||
		    info.sc != c[i].sc)
			test_fail(__FILE__, __LINE__,
				  "case %zu (0x%08x): mem %d x%u%+" PRId64 " size %u at 0x%" PRIx64
				  " lr %d sc %d", i, c[i].word, info.mem, info.mem_base,
				  info.mem_offset, info.mem_size, info.mem_addr, info.lr, info.sc);
	}
}

TEST(riscv_insn_loads_and_stores_give_address_and_size)
{
	static const struct mem_case cases[] = {
		ACCESS(0x80058503, RISCV_MEM_LOAD, A1, -2048, 1),  /* lb a0, -2048(a1) */
		ACCESS(0x7ff59503, RISCV_MEM_LOAD, A1, 2047, 2),   /* lh a0, 2047(a1) */
		ACCESS(0xfff12503, RISCV_MEM_LOAD, SP, -1, 4),     /* lw a0, -1(sp) */
		ACCESS(0x0085b503, RISCV_MEM_LOAD, A1, 8, 8),      /* ld */
		ACCESS(0x0005c503, RISCV_MEM_LOAD, A1, 0, 1),      /* lbu */
		ACCESS(0x0025d503, RISCV_MEM_LOAD, A1, 2, 2),      /* lhu */
		ACCESS(0xffc5e503, RISCV_MEM_LOAD, A1, -4, 4),     /* lwu */
		ACCESS(0x80a58023, RISCV_MEM_STORE, A1, -2048, 1), /* sb a0, -2048(a1) */
		ACCESS(0x7ea59fa3, RISCV_MEM_STORE, A1, 2047, 2),  /* sh a0, 2047(a1) */
		ACCESS(0xfea12fa3, RISCV_MEM_STORE, SP, -1, 4),    /* sw a0, -1(sp) */
		ACCESS(0x00a03823, RISCV_MEM_STORE, 0, 16, 8),     /* sd a0, 16(zero) */
		ACCESS(0x0045a507, RISCV_MEM_LOAD, A1, 4, 4),      /* flw */
		ACCESS(0xff85b507, RISCV_MEM_LOAD, A1, -8, 8),     /* fld */
		ACCESS(0x7ea5afa7, RISCV_MEM_STORE, A1, 2047, 4),  /* fsw */
		ACCESS(0x80a5b027, RISCV_MEM_STORE, A1, -2048, 8), /* fsd */
	};

	check_accesses(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(riscv_insn_compressed_loads_and_stores)
{
	static const struct mem_case cases[] = {
		ACCESS(0x5de8, RISCV_MEM_LOAD, A1, 124, 4),   /* c.lw a0, 124(a1): the largest */
		ACCESS(0x7ce8, RISCV_MEM_LOAD, S1, 248, 8),   /* c.ld a0, 248(s1) */
		ACCESS(0xc33c, RISCV_MEM_STORE, A4, 64, 4),   /* c.sw a5, 64(a4) */
		ACCESS(0xe588, RISCV_MEM_STORE, A1, 8, 8),    /* c.sd a0, 8(a1) */
		ACCESS(0x557e, RISCV_MEM_LOAD, SP, 252, 4),   /* c.lwsp a0, 252(sp) */
		ACCESS(0x70fe, RISCV_MEM_LOAD, SP, 504, 8),   /* c.ldsp ra, 504(sp) */
		ACCESS(0xdfaa, RISCV_MEM_STORE, SP, 252, 4),  /* c.swsp a0, 252(sp) */
		ACCESS(0xff86, RISCV_MEM_STORE, SP, 504, 8),  /* c.sdsp ra, 504(sp) */
		ACCESS(0x3de8, RISCV_MEM_LOAD, A1, 248, 8),   /* c.fld fa0, 248(a1) */
		ACCESS(0xa588, RISCV_MEM_STORE, A1, 8, 8),    /* c.fsd fa0, 8(a1) */
		ACCESS(0x347e, RISCV_MEM_LOAD, SP, 504, 8),   /* c.fldsp fs0, 504(sp) */
		ACCESS(0xa422, RISCV_MEM_STORE, SP, 8, 8),    /* c.fsdsp fs0, 8(sp) */
	};

	check_accesses(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(riscv_insn_lr_sc_and_amos)
{
	static const struct mem_case cases[] = {
		{ 0x1005a52f, RISCV_MEM_LOAD, A1, 0, 4, true, false },  /* lr.w a0, (a1) */
		{ 0x1405b52f, RISCV_MEM_LOAD, A1, 0, 8, true, false },  /* lr.d.aq */
		{ 0x18a5a62f, RISCV_MEM_STORE, A1, 0, 4, false, true }, /* sc.w a2, a0, (a1) */
		{ 0x1aa5b62f, RISCV_MEM_STORE, A1, 0, 8, false, true }, /* sc.d.rl */
		ACCESS(0x08c5a52f, RISCV_MEM_AMO, A1, 0, 4),            /* amoswap.w */
		ACCESS(0x00c5b52f, RISCV_MEM_AMO, A1, 0, 8),            /* amoadd.d */
		ACCESS(0xe6c5b52f, RISCV_MEM_AMO, A1, 0, 8),            /* amomaxu.d.aqrl */
	};

	check_accesses(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(riscv_insn_reserved_and_unknown_encodings_cannot_step)
{
	static const uint32_t words[] = {
		0x0000,     /* the defined illegal instruction */
		0xffffffff, /* 80 bits and more */
		0x001f,     /* 48-bit */
		0x0000000b, /* custom-0 */
		0x00002063, /* BRANCH funct3 010 */
		0x00051067, /* jalr with funct3 001 */
		0x0005f503, /* LOAD funct3 111 */
		0x0000700f, /* MISC-MEM funct3 111 */
		0x30500073, /* SYSTEM funct12 0x305 */
		0x00004073, /* SYSTEM funct3 100 (the H extension's loads) */
		0x1010252f, /* lr.w with rs2 1 */
		0x2805252f, /* AMO funct5 00101 (Zacas, not RV64GC) */
		0x4002,     /* c.lwsp zero */
		0x6002,     /* c.ldsp zero */
		0x2001,     /* c.addiw zero */
		0x6001,     /* c.lui zero, 0 */
		0x9d41,     /* quadrant 1 100 1 11 .. 10: reserved */
		0x9d61,     /* ... 11 */
		0x8000,     /* quadrant 0 100 */
		0x8002,     /* c.jr zero */
	};
	uint64_t out[2];

	regs_clear();
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (step(words[i], 0x80000000, out, NULL) != -1 ||
		    possible(words[i], 0x80000000, out, NULL) != -1)
			test_fail(__FILE__, __LINE__, "0x%08x decoded", words[i]);
	}
}

TEST(riscv_insn_too_few_bytes_cannot_step)
{
	uint8_t b[4];
	uint64_t out[2];
	struct riscv_insn_info info;

	regs_clear();
	bytes_of(0x100000ef, b); /* jal ra, +0x100 */
	for (size_t avail = 0; avail < 4; avail++)
		CHECK_EQ(riscv_insn_successors(b, avail, 0x80000000, x, out, &info), -1);
	CHECK_EQ(riscv_insn_possible_successors(b, 3, 0x80000000, out, &info), -1);
	bytes_of(0x8082, b); /* c.jr ra: two bytes are enough */
	x[RA] = 0x80000200;
	CHECK_EQ(riscv_insn_successors(b, 1, 0x80000000, x, out, &info), -1);
	CHECK_EQ(riscv_insn_successors(b, 2, 0x80000000, x, out, &info), 1);
	CHECK_EQ(out[0], 0x80000200);
	CHECK_EQ(riscv_insn_successors(NULL, 4, 0x80000000, x, out, &info), -1);
	CHECK_EQ(riscv_insn_successors(b, 2, 0x80000000, NULL, out, &info), -1);
	CHECK_EQ(riscv_insn_successors(b, 2, 0x80000000, x, out, NULL), 1);
}

/*
 * Offsets of alternating bits (0x2aa..., 0x555...): every immediate bit
 * lands apart from its neighbours, so a scrambled-field mix-up shows.
 */
TEST(riscv_insn_immediates_of_alternating_bits)
{
	static const struct branch_case branches[] = {
		{ 0x2ab505e3, 0x80000008, 0x80000ab2, 1, 1, true, A0 },  /* beq +0xaaa */
		{ 0xaab505e3, 0x8000000c, 0x7ffffab6, 1, 1, true, A0 },  /* beq -0x556 */
		{ 0xc54d, 0x80000028, 0x800000d2, 0, 0, true, A0 },      /* c.beqz +0xaa */
		{ 0xf54d, 0x8000002a, 0x7fffffd4, 1, 0, true, A0 },      /* c.bnez -0x56 */
	};
	static const struct mem_case accesses[] = {
		ACCESS(0x54a5aaa3, RISCV_MEM_STORE, A1, 0x555, 4), /* sw a0, 0x555(a1) */
		ACCESS(0xaaa5b523, RISCV_MEM_STORE, A1, -0x556, 8),
		ACCESS(0x5555a503, RISCV_MEM_LOAD, A1, 0x555, 4),
		ACCESS(0x49e8, RISCV_MEM_LOAD, A1, 0x54, 4),       /* c.lw a0, 84(a1) */
		ACCESS(0x5588, RISCV_MEM_LOAD, A1, 0x28, 4),
		ACCESS(0xc9e8, RISCV_MEM_STORE, A1, 0x54, 4),      /* c.sw */
		ACCESS(0x75c8, RISCV_MEM_LOAD, A1, 0xa8, 8),       /* c.ld */
		ACCESS(0xe9a8, RISCV_MEM_STORE, A1, 0x50, 8),      /* c.sd */
		ACCESS(0x552a, RISCV_MEM_LOAD, SP, 0xa8, 4),       /* c.lwsp */
		ACCESS(0x4556, RISCV_MEM_LOAD, SP, 0x54, 4),
		ACCESS(0x6556, RISCV_MEM_LOAD, SP, 0x150, 8),      /* c.ldsp */
		ACCESS(0x752a, RISCV_MEM_LOAD, SP, 0xa8, 8),
		ACCESS(0xd52a, RISCV_MEM_STORE, SP, 0xa8, 4),      /* c.swsp */
		ACCESS(0xcaaa, RISCV_MEM_STORE, SP, 0x54, 4),
		ACCESS(0xeaaa, RISCV_MEM_STORE, SP, 0x150, 8),     /* c.sdsp */
		ACCESS(0xf52a, RISCV_MEM_STORE, SP, 0xa8, 8),
		ACCESS(0x2556, RISCV_MEM_LOAD, SP, 0x150, 8),      /* c.fldsp */
		ACCESS(0xb52a, RISCV_MEM_STORE, SP, 0xa8, 8),      /* c.fsdsp */
	};
	struct riscv_insn_info info;

	regs_clear();
	CHECK_ONE(0x2abaa0ef, 0x80000000, 0x800aaaaa, info); /* jal ra, +0xaaaaa */
	CHECK_ONE(0xaabaa0ef, 0x80000004, 0x7ffaaaae, info); /* jal ra, -0x55556 */
	CHECK_ONE(0xa46d, 0x80000024, 0x800002ce, info);     /* c.j +0x2aa */
	CHECK_ONE(0xb46d, 0x80000026, 0x7ffffad0, info);     /* c.j -0x556 */
	x[A0] = 0x80001000;
	CHECK_ONE(0x555500e7, 0x80000010, 0x80001554, info); /* jalr ra, 0x555(a0) */
	CHECK_ONE(0xaaa500e7, 0x80000014, 0x80000aaa, info); /* jalr ra, -0x556(a0) */
	check_branches(branches, sizeof(branches) / sizeof(branches[0]));
	check_accesses(accesses, sizeof(accesses) / sizeof(accesses[0]));
}
