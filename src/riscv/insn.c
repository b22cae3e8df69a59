/* SPDX-License-Identifier: MIT */
/*
 * The RV64GC decoder behind software single step (insn.h). Encodings are
 * the unprivileged spec's: the base formats (R/I/S/B/U/J, chapter "RV32I
 * Base Integer Instruction Set", with RV64I's opcodes), the "A" extension's
 * AMO opcode, and the "C" extension's quadrants and CR/CI/CSS/CIW/CL/CS/
 * CA/CB/CJ formats with their scrambled immediates; sret/mret/wfi from the
 * privileged spec. One decode fills a struct decoded; the two public
 * functions differ only in what they make of it with or without registers.
 */
#include "insn.h"

struct decoded {
	struct riscv_insn_info info;
	uint64_t target;      /* JUMP and BRANCH: where a taken transfer goes */
	unsigned rs1, rs2;    /* BRANCH: the compared registers; INDIRECT: rs1 is the base */
	int64_t imm;          /* INDIRECT: added to x[rs1] */
	unsigned cond;        /* BRANCH: BRANCH's funct3 (c.beqz is beq, c.bnez bne) */
};

enum { BEQ = 0, BNE = 1, BLT = 4, BGE = 5, BLTU = 6, BGEU = 7 };

/* Bits hi..lo of v, shifted down. */
static uint32_t bits(uint32_t v, int hi, int lo)
{
	return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

/* Bits hi..lo of v, moved up to bit at: a piece of a scattered immediate. */
static uint32_t field(uint32_t v, int hi, int lo, int at)
{
	return bits(v, hi, lo) << at;
}

/* v's low width bits as a signed number. */
static int64_t sign_extend(uint64_t v, int width)
{
	return (int64_t)(v << (64 - width)) >> (64 - width);
}

static void set_mem(struct decoded *d, enum riscv_insn_mem mem, unsigned base, int64_t offset,
		    unsigned size)
{
	d->info.mem = mem;
	d->info.mem_base = base;
	d->info.mem_offset = offset;
	d->info.mem_size = size;
}

static void set_branch(struct decoded *d, uint64_t pc, unsigned cond, unsigned rs1, unsigned rs2,
		       int64_t offset)
{
	d->info.flow = RISCV_FLOW_BRANCH;
	d->cond = cond;
	d->rs1 = rs1;
	d->rs2 = rs2;
	d->target = pc + (uint64_t)offset;
}

static void set_indirect(struct decoded *d, unsigned rs1, int64_t imm, unsigned link)
{
	d->info.flow = RISCV_FLOW_INDIRECT;
	d->rs1 = rs1;
	d->imm = imm;
	d->info.link_reg = link;
}

int riscv_insn_length(uint16_t first_halfword)
{
	if ((first_halfword & 0x3) != 0x3)
		return 2;
	if ((first_halfword & 0x1c) != 0x1c)
		return 4;
	return 0; /* 48 bits or more: none in RV64GC */
}

/*
 * The "C" extension's immediates: each format scatters its bits
 * differently (the spec's tables, as offset[...] per instruction bit).
 */
static int64_t cj_offset(uint32_t h) /* c.j: [12|11|10:9|8|7|6|5:3|2] = 11|4|9:8|10|6|7|3:1|5 */
{
	return sign_extend(field(h, 12, 12, 11) | field(h, 11, 11, 4) | field(h, 10, 9, 8) |
			   field(h, 8, 8, 10) | field(h, 7, 7, 6) | field(h, 6, 6, 7) |
			   field(h, 5, 3, 1) | field(h, 2, 2, 5), 12);
}

static int64_t cb_offset(uint32_t h) /* c.beqz/bnez: [12|11:10] = 8|4:3, [6:5|4:3|2] = 7:6|2:1|5 */
{
	return sign_extend(field(h, 12, 12, 8) | field(h, 11, 10, 3) | field(h, 6, 5, 6) |
			   field(h, 4, 3, 1) | field(h, 2, 2, 5), 9);
}

static unsigned cl_word_offset(uint32_t h) /* c.lw/c.sw: [12:10] = 5:3, [6|5] = 2|6 */
{
	return field(h, 12, 10, 3) | field(h, 6, 6, 2) | field(h, 5, 5, 6);
}

static unsigned cl_double_offset(uint32_t h) /* c.ld/sd/fld/fsd: [12:10] = 5:3, [6:5] = 7:6 */
{
	return field(h, 12, 10, 3) | field(h, 6, 5, 6);
}

static unsigned ci_word_sp_offset(uint32_t h) /* c.lwsp: [12] = 5, [6:4|3:2] = 4:2|7:6 */
{
	return field(h, 12, 12, 5) | field(h, 6, 4, 2) | field(h, 3, 2, 6);
}

static unsigned ci_double_sp_offset(uint32_t h) /* c.ldsp/fldsp: [12] = 5, [6:5|4:2] = 4:3|8:6 */
{
	return field(h, 12, 12, 5) | field(h, 6, 5, 3) | field(h, 4, 2, 6);
}

static unsigned css_word_offset(uint32_t h) /* c.swsp: [12:9|8:7] = 5:2|7:6 */
{
	return field(h, 12, 9, 2) | field(h, 8, 7, 6);
}

static unsigned css_double_offset(uint32_t h) /* c.sdsp/fsdsp: [12:10|9:7] = 5:3|8:6 */
{
	return field(h, 12, 10, 3) | field(h, 9, 7, 6);
}

/* Quadrant 0: c.addi4spn and the loads and stores on x8..x15 (rs1'). */
static int decode_quadrant0(uint32_t h, struct decoded *d)
{
	unsigned rs1 = 8 + bits(h, 9, 7);

	switch (bits(h, 15, 13)) {
	case 0: /* c.addi4spn; nzuimm 0 (0x0000 among them) is the defined illegal instruction */
		return bits(h, 12, 5) ? 0 : -1;
	case 1: set_mem(d, RISCV_MEM_LOAD, rs1, cl_double_offset(h), 8); return 0;  /* c.fld */
	case 2: set_mem(d, RISCV_MEM_LOAD, rs1, cl_word_offset(h), 4); return 0;    /* c.lw */
	case 3: set_mem(d, RISCV_MEM_LOAD, rs1, cl_double_offset(h), 8); return 0;  /* c.ld */
	case 5: set_mem(d, RISCV_MEM_STORE, rs1, cl_double_offset(h), 8); return 0; /* c.fsd */
	case 6: set_mem(d, RISCV_MEM_STORE, rs1, cl_word_offset(h), 4); return 0;   /* c.sw */
	case 7: set_mem(d, RISCV_MEM_STORE, rs1, cl_double_offset(h), 8); return 0; /* c.sd */
	default: return -1; /* 100: reserved in RV64GC */
	}
}

/* Quadrant 1: immediates and arithmetic, c.j, c.beqz, c.bnez. */
static int decode_quadrant1(uint32_t h, uint64_t pc, struct decoded *d)
{
	unsigned rd = bits(h, 11, 7);

	switch (bits(h, 15, 13)) {
	case 1: /* c.addiw on RV64 (RV32's c.jal: not a jump here); rd 0 is reserved */
		return rd ? 0 : -1;
	case 3: /* c.addi16sp (rd 2) / c.lui: an immediate of 0 is reserved for both */
		return (bits(h, 12, 12) || bits(h, 6, 2)) ? 0 : -1;
	case 4: /* c.srli .. c.addw: bit 12 set, funct2 11 and bits 6:5 1x are reserved on RV64 */
		return (bits(h, 12, 10) == 7 && bits(h, 6, 6)) ? -1 : 0;
	case 5: /* c.j */
		d->info.flow = RISCV_FLOW_JUMP;
		d->target = pc + (uint64_t)cj_offset(h);
		return 0;
	case 6: set_branch(d, pc, BEQ, 8 + bits(h, 9, 7), 0, cb_offset(h)); return 0; /* c.beqz */
	case 7: set_branch(d, pc, BNE, 8 + bits(h, 9, 7), 0, cb_offset(h)); return 0; /* c.bnez */
	default: return 0; /* c.nop/c.addi, c.li */
	}
}

/* Quadrant 2: sp-relative loads and stores, c.slli, and the CR group of c.jr..c.add. */
static int decode_quadrant2(uint32_t h, struct decoded *d)
{
	unsigned rd = bits(h, 11, 7), rs2 = bits(h, 6, 2);

	switch (bits(h, 15, 13)) {
	case 0: return 0; /* c.slli */
	case 1: set_mem(d, RISCV_MEM_LOAD, 2, ci_double_sp_offset(h), 8); return 0; /* c.fldsp */
	case 2: /* c.lwsp; rd 0 reserved */
		set_mem(d, RISCV_MEM_LOAD, 2, ci_word_sp_offset(h), 4);
		return rd ? 0 : -1;
	case 3: /* c.ldsp; rd 0 reserved */
		set_mem(d, RISCV_MEM_LOAD, 2, ci_double_sp_offset(h), 8);
		return rd ? 0 : -1;
	case 4:
		if (rs2) /* c.mv (bit 12 clear), c.add (set) */
			return 0;
		if (!bits(h, 12, 12)) { /* c.jr; rs1 0 reserved */
			set_indirect(d, rd, 0, 0);
			return rd ? 0 : -1;
		}
		if (!rd) { /* c.ebreak */
			d->info.flow = RISCV_FLOW_TRAP;
			d->info.special = RISCV_INSN_EBREAK;
			return 0;
		}
		set_indirect(d, rd, 0, 1); /* c.jalr links to ra */
		return 0;
	case 5: set_mem(d, RISCV_MEM_STORE, 2, css_double_offset(h), 8); return 0; /* c.fsdsp */
	case 6: set_mem(d, RISCV_MEM_STORE, 2, css_word_offset(h), 4); return 0;   /* c.swsp */
	default: set_mem(d, RISCV_MEM_STORE, 2, css_double_offset(h), 8); return 0; /* c.sdsp */
	}
}

/*
 * The access size of a LOAD/STORE (funct3 0..3: 1, 2, 4, 8 bytes; loads'
 * 4..6 are the unsigned ones) or LOAD-FP/STORE-FP (1 h, 2 w, 3 d, 4 q;
 * 0 and 5..7 are vector, size 0). -1: reserved.
 */
static int access_size(unsigned funct3, bool fp, bool load)
{
	static const int integer[8] = { 1, 2, 4, 8, 1, 2, 4, -1 };
	static const int floating[8] = { 0, 2, 4, 8, 16, 0, 0, 0 };

	if (fp)
		return floating[funct3];
	if (!load && funct3 > 3)
		return -1;
	return integer[funct3];
}

static int decode_amo(uint32_t insn, struct decoded *d)
{
	unsigned funct5 = bits(insn, 31, 27), rs1 = bits(insn, 19, 15);
	unsigned width = bits(insn, 14, 12);
	unsigned size = width == 2 ? 4 : 8;

	if (width != 2 && width != 3)
		return -1;
	switch (funct5) {
	case 0x02: /* lr: rs2 must be 0 */
		d->info.lr = true;
		set_mem(d, RISCV_MEM_LOAD, rs1, 0, size);
		return bits(insn, 24, 20) ? -1 : 0;
	case 0x03: /* sc */
		d->info.sc = true;
		set_mem(d, RISCV_MEM_STORE, rs1, 0, size);
		return 0;
	case 0x00: case 0x01: case 0x04: case 0x08: case 0x0c: /* add swap xor or and */
	case 0x10: case 0x14: case 0x18: case 0x1c:             /* min max minu maxu */
		set_mem(d, RISCV_MEM_AMO, rs1, 0, size);
		return 0;
	default:
		return -1;
	}
}

/* SYSTEM with funct3 0: the privileged instructions with no CSR. */
static int decode_system(uint32_t insn, struct decoded *d)
{
	unsigned funct7 = bits(insn, 31, 25);

	switch (insn) {
	case 0x00000073: d->info.special = RISCV_INSN_ECALL; return 0;
	case 0x00100073:
		d->info.special = RISCV_INSN_EBREAK;
		d->info.flow = RISCV_FLOW_TRAP;
		return 0;
	case 0x10200073:
		d->info.special = RISCV_INSN_SRET;
		d->info.flow = RISCV_FLOW_TRAP_RETURN;
		return 0;
	case 0x30200073:
		d->info.special = RISCV_INSN_MRET;
		d->info.flow = RISCV_FLOW_TRAP_RETURN;
		return 0;
	case 0x10500073: /* wfi */
	case 0x00d00073: /* Zawrs's wrs.nto and wrs.sto wait the same way */
	case 0x01d00073:
		d->info.special = RISCV_INSN_WFI;
		return 0;
	case 0x18000073: /* Svinval's sfence.w.inval, sfence.inval.ir */
	case 0x18100073:
		return 0;
	}
	/* sfence.vma, sinval.vma, hfence.vvma/gvma, hinval.vvma/gvma: rd 0 */
	switch (funct7) {
	case 0x09: case 0x0b: case 0x11: case 0x13: case 0x31: case 0x33:
		return bits(insn, 11, 7) ? -1 : 0;
	}
	return -1;
}

static int decode_32(uint32_t insn, uint64_t pc, struct decoded *d)
{
	unsigned rd = bits(insn, 11, 7), funct3 = bits(insn, 14, 12);
	unsigned rs1 = bits(insn, 19, 15), rs2 = bits(insn, 24, 20);
	int64_t imm_i = sign_extend(insn >> 20, 12);
	int64_t imm_s = sign_extend(field(insn, 31, 25, 5) | bits(insn, 11, 7), 12);
	int size;

	switch (bits(insn, 6, 2)) {
	case 0x00: /* LOAD */
	case 0x01: /* LOAD-FP */
		size = access_size(funct3, bits(insn, 2, 2), true);
		set_mem(d, RISCV_MEM_LOAD, rs1, size ? imm_i : 0, size);
		return size < 0 ? -1 : 0;
	case 0x08: /* STORE */
	case 0x09: /* STORE-FP */
		size = access_size(funct3, bits(insn, 2, 2), false);
		set_mem(d, RISCV_MEM_STORE, rs1, size ? imm_s : 0, size);
		return size < 0 ? -1 : 0;
	case 0x03: /* MISC-MEM: fence, fence.i, Zicbom/Zicboz's cbo.* */
		if (funct3 == 1)
			d->info.special = RISCV_INSN_FENCE_I;
		return funct3 <= 2 ? 0 : -1;
	case 0x04: case 0x05: case 0x06:            /* OP-IMM, AUIPC, OP-IMM-32 */
	case 0x0c: case 0x0d: case 0x0e:            /* OP, LUI, OP-32 */
	case 0x10: case 0x11: case 0x12: case 0x13: /* MADD, MSUB, NMSUB, NMADD */
	case 0x14: case 0x15:                       /* OP-FP, OP-V */
		return 0;
	case 0x0b:
		return decode_amo(insn, d);
	case 0x18: /* BRANCH: B-type, imm[12|10:5] in 31:25, imm[4:1|11] in 11:7 */
		set_branch(d, pc, funct3, rs1, rs2,
			   sign_extend(field(insn, 31, 31, 12) | field(insn, 7, 7, 11) |
				       field(insn, 30, 25, 5) | field(insn, 11, 8, 1), 13));
		return (funct3 == 2 || funct3 == 3) ? -1 : 0;
	case 0x19: /* JALR */
		set_indirect(d, rs1, imm_i, rd);
		return funct3 ? -1 : 0;
	case 0x1b: /* JAL: J-type, imm[20|10:1|11|19:12] in 31:12 */
		d->info.flow = RISCV_FLOW_JUMP;
		d->info.link_reg = rd;
		d->target = pc + (uint64_t)sign_extend(field(insn, 31, 31, 20) | field(insn, 19, 12, 12) |
						       field(insn, 20, 20, 11) | field(insn, 30, 21, 1), 21);
		return 0;
	case 0x1c: /* SYSTEM: the CSR instructions fall through; funct3 4 is the H extension's */
		if (funct3 == 0)
			return decode_system(insn, d);
		return funct3 == 4 ? -1 : 0;
	default: /* custom-0..3, reserved, and the 48-bit+ prefixes */
		return -1;
	}
}

static int decode(const uint8_t *bytes, size_t avail, uint64_t pc, struct decoded *d)
{
	uint32_t insn;
	int length;

	*d = (struct decoded){ .info.flow = RISCV_FLOW_NEXT };
	if (!bytes || avail < 2)
		return -1;
	insn = bytes[0] | (uint32_t)bytes[1] << 8;
	length = riscv_insn_length(insn);
	if (!length || avail < (size_t)length)
		return -1;
	d->info.length = length;
	if (length == 4) {
		insn |= (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
		return decode_32(insn, pc, d);
	}
	if ((insn & 3) == 0)
		return decode_quadrant0(insn, d);
	if ((insn & 3) == 1)
		return decode_quadrant1(insn, pc, d);
	return decode_quadrant2(insn, d);
}

static uint64_t reg(const uint64_t x[32], unsigned r)
{
	return r ? x[r] : 0;
}

static bool branch_taken(const struct decoded *d, const uint64_t x[32])
{
	uint64_t a = reg(x, d->rs1), b = reg(x, d->rs2);

	switch (d->cond) {
	case BEQ:  return a == b;
	case BNE:  return a != b;
	case BLT:  return (int64_t)a < (int64_t)b;
	case BGE:  return (int64_t)a >= (int64_t)b;
	case BLTU: return a < b;
	default:   return a >= b; /* BGEU */
	}
}

int riscv_insn_successors(const uint8_t *bytes, size_t avail, uint64_t pc, const uint64_t x[32],
			  uint64_t out[2], struct riscv_insn_info *info)
{
	struct decoded d;
	uint64_t next;
	int n = 1;

	if (!x || decode(bytes, avail, pc, &d) < 0)
		return -1;
	next = pc + (uint64_t)d.info.length;
	switch (d.info.flow) {
	case RISCV_FLOW_NEXT:     out[0] = next; break;
	case RISCV_FLOW_JUMP:     out[0] = d.target; break;
	case RISCV_FLOW_INDIRECT: out[0] = (reg(x, d.rs1) + (uint64_t)d.imm) & ~(uint64_t)1; break;
	case RISCV_FLOW_BRANCH:   out[0] = branch_taken(&d, x) ? d.target : next; break;
	default:                  n = 0; break; /* TRAP, TRAP_RETURN */
	}
	if (d.info.mem != RISCV_MEM_NONE)
		d.info.mem_addr = reg(x, d.info.mem_base) + (uint64_t)d.info.mem_offset;
	if (info)
		*info = d.info;
	return n;
}

int riscv_insn_possible_successors(const uint8_t *bytes, size_t avail, uint64_t pc,
				   uint64_t out[2], struct riscv_insn_info *info)
{
	struct decoded d;
	uint64_t next;
	int n = 1;

	if (decode(bytes, avail, pc, &d) < 0)
		return -1;
	next = pc + (uint64_t)d.info.length;
	switch (d.info.flow) {
	case RISCV_FLOW_NEXT: out[0] = next; break;
	case RISCV_FLOW_JUMP: out[0] = d.target; break;
	case RISCV_FLOW_BRANCH:
		out[0] = d.target;
		out[1] = next;
		n = d.target == next ? 1 : 2;
		break;
	default: n = 0; break; /* INDIRECT, TRAP, TRAP_RETURN */
	}
	if (info)
		*info = d.info;
	return n;
}
