/* SPDX-License-Identifier: MIT */
/*
 * The rv64 register layouts gdb understands without guessing.
 *
 * gdb's RISC-V support (riscv-tdep.c) looks for the features
 * org.gnu.gdb.riscv.cpu, .fpu, .csr and .virtual by name and, inside each,
 * for registers by name: it gives them its own numbers, so the regnum
 * attributes regdesc.c writes only fix the wire order ('g' and 'p'). The
 * names are gdb's preferred ones (gdb/features/riscv/64bit-{cpu,fpu}.xml):
 * "zero" and "fp", not "x0" and "s0"; gdb adds the other spellings as
 * aliases, so "p $x8" and "p $s0" work too. gdb refuses a cpu feature whose
 * registers differ in size, and an fpu feature whose f registers do.
 *
 * fflags, frm and fcsr sit in the fpu feature, as in gdb's 64bit-fpu.xml:
 * gdb only makes fflags and frm up from fcsr (pseudo registers) when the
 * target leaves them out. Without F/D the layout has no fpu feature at all,
 * which gdb reads as "no floating point" (flen 0).
 *
 * The supervisor CSRs are plain integers in the "system" group: gdb
 * decodes some CSRs itself when they are integers (mstatus, fcsr) and would
 * stop if they were flag types. priv, in org.gnu.gdb.riscv.virtual, is no
 * CSR: it is the mode the hart stopped in, which gdb prints as
 * "prv:1 [Supervisor]".
 */
#include "arch_riscv.h"

#include <stddef.h>

/* fcsr = frm (3 bits) << 5 | fflags (5 bits); bits 31:8 are reserved
 * (unprivileged ISA, "Floating-Point Control and Status Register"). */
#define FFLAGS_MASK 0x1fu
#define FRM_SHIFT   5
#define FRM_MASK    0x7u
#define FCSR_MASK   0xffu

#define RISCV_DOUBLE_TYPE                                                  \
	"<union id=\"riscv_double\">"                                          \
	"<field name=\"float\" type=\"ieee_single\"/>"                         \
	"<field name=\"double\" type=\"ieee_double\"/>"                        \
	"</union>\n"

enum { F_CPU, F_FPU, F_CSR, F_VIRTUAL };
/* Without F/D the CSRs and priv move up one feature. */
enum { F_NOFP_CSR = F_FPU, F_NOFP_VIRTUAL };

static const struct gdb_feature riscv64_features[] = {
	[F_CPU] = { "org.gnu.gdb.riscv.cpu", NULL },
	[F_FPU] = { "org.gnu.gdb.riscv.fpu", RISCV_DOUBLE_TYPE },
	[F_CSR] = { "org.gnu.gdb.riscv.csr", NULL },
	[F_VIRTUAL] = { "org.gnu.gdb.riscv.virtual", NULL },
};

static const struct gdb_feature riscv64_nofp_features[] = {
	[F_CPU] = { "org.gnu.gdb.riscv.cpu", NULL },
	[F_NOFP_CSR] = { "org.gnu.gdb.riscv.csr", NULL },
	[F_NOFP_VIRTUAL] = { "org.gnu.gdb.riscv.virtual", NULL },
};

#define REG(n, bits, t, g, f, i) \
	{ .name = n, .bitsize = bits, .type = t, .group = g, .feature = f, .id = i }
/* The types of gdb's 64bit-cpu.xml: ra and pc code, sp gp tp fp data pointers. */
#define XREG(n, t, k)   REG(n, 64, t, NULL, F_CPU, GDB_RISCV_X0 + k)
#define FREG(n, k)      REG(n, 64, "riscv_double", NULL, F_FPU, GDB_RISCV_F0 + k)
#define FCTRL(n, i)     REG(n, 32, "int", "float", F_FPU, i)
#define CSR(n, f, k)    REG(n, 64, "int", "system", f, GDB_RISCV_CSR0 + k)

#define CPU_REGS                                                           \
	XREG("zero", "int", 0), XREG("ra", "code_ptr", 1),                 \
	XREG("sp", "data_ptr", 2), XREG("gp", "data_ptr", 3),              \
	XREG("tp", "data_ptr", 4), XREG("t0", "int", 5),                   \
	XREG("t1", "int", 6), XREG("t2", "int", 7),                        \
	XREG("fp", "data_ptr", 8), XREG("s1", "int", 9),                   \
	XREG("a0", "int", 10), XREG("a1", "int", 11),                      \
	XREG("a2", "int", 12), XREG("a3", "int", 13),                      \
	XREG("a4", "int", 14), XREG("a5", "int", 15),                      \
	XREG("a6", "int", 16), XREG("a7", "int", 17),                      \
	XREG("s2", "int", 18), XREG("s3", "int", 19),                      \
	XREG("s4", "int", 20), XREG("s5", "int", 21),                      \
	XREG("s6", "int", 22), XREG("s7", "int", 23),                      \
	XREG("s8", "int", 24), XREG("s9", "int", 25),                      \
	XREG("s10", "int", 26), XREG("s11", "int", 27),                    \
	XREG("t3", "int", 28), XREG("t4", "int", 29),                      \
	XREG("t5", "int", 30), XREG("t6", "int", 31),                      \
	REG("pc", 64, "code_ptr", NULL, F_CPU, GDB_RISCV_PC)

#define CSR_REGS(f)                                                        \
	CSR("sstatus", f, GDB_RISCV_SSTATUS), CSR("sie", f, GDB_RISCV_SIE),  \
	CSR("stvec", f, GDB_RISCV_STVEC), CSR("sscratch", f, GDB_RISCV_SSCRATCH), \
	CSR("sepc", f, GDB_RISCV_SEPC), CSR("scause", f, GDB_RISCV_SCAUSE),  \
	CSR("stval", f, GDB_RISCV_STVAL), CSR("sip", f, GDB_RISCV_SIP),      \
	CSR("satp", f, GDB_RISCV_SATP)

static const struct gdb_reg riscv64_regs[] = {
	CPU_REGS,
	/* f0..f31 by their ABI names, as gdb's 64bit-fpu.xml has them. */
	FREG("ft0", 0), FREG("ft1", 1), FREG("ft2", 2), FREG("ft3", 3),
	FREG("ft4", 4), FREG("ft5", 5), FREG("ft6", 6), FREG("ft7", 7),
	FREG("fs0", 8), FREG("fs1", 9),
	FREG("fa0", 10), FREG("fa1", 11), FREG("fa2", 12), FREG("fa3", 13),
	FREG("fa4", 14), FREG("fa5", 15), FREG("fa6", 16), FREG("fa7", 17),
	FREG("fs2", 18), FREG("fs3", 19), FREG("fs4", 20), FREG("fs5", 21),
	FREG("fs6", 22), FREG("fs7", 23), FREG("fs8", 24), FREG("fs9", 25),
	FREG("fs10", 26), FREG("fs11", 27),
	FREG("ft8", 28), FREG("ft9", 29), FREG("ft10", 30), FREG("ft11", 31),
	FCTRL("fflags", GDB_RISCV_FFLAGS), FCTRL("frm", GDB_RISCV_FRM),
	FCTRL("fcsr", GDB_RISCV_FCSR),
	CSR_REGS(F_CSR),
	REG("priv", 64, "int", NULL, F_VIRTUAL, GDB_RISCV_PRIV),
};

static const struct gdb_reg riscv64_nofp_regs[] = {
	CPU_REGS,
	CSR_REGS(F_NOFP_CSR),
	REG("priv", 64, "int", NULL, F_NOFP_VIRTUAL, GDB_RISCV_PRIV),
};

/* The frame pointer, stack pointer and pc with every stop, as on x86. */
static const uint16_t riscv64_expedite[] = { 8, 2, GDB_RISCV_PC }; /* fp sp pc */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Both layouts start x0..x31 pc, so the pc and the expedited numbers agree. */
#define RISCV64_ARCH(feats, regs_)                                         \
	{                                                                  \
		.name = "riscv:rv64",                                      \
		.osabi = "GNU/Linux",                                      \
		.triple = "riscv64-unknown-none-elf",                      \
		.features = feats,                                         \
		.nfeatures = ARRAY_LEN(feats),                             \
		.regs = regs_,                                             \
		.nregs = ARRAY_LEN(regs_),                                 \
		.pc_regno = GDB_RISCV_PC,                                  \
		.expedite = riscv64_expedite,                              \
		.nexpedite = ARRAY_LEN(riscv64_expedite),                  \
	}

const struct gdb_arch gdb_arch_riscv64 = RISCV64_ARCH(riscv64_features, riscv64_regs);
const struct gdb_arch gdb_arch_riscv64_nofp =
	RISCV64_ARCH(riscv64_nofp_features, riscv64_nofp_regs);

static uint64_t reg_value(const struct gdb_riscv_state *st, unsigned id)
{
	if (id == GDB_RISCV_X0)
		return 0;
	if (id < GDB_RISCV_X0 + 32)
		return st->x[id - GDB_RISCV_X0];
	if (id >= GDB_RISCV_F0 && id < GDB_RISCV_F0 + 32)
		return st->f[id - GDB_RISCV_F0];
	if (id >= GDB_RISCV_CSR0 && id < GDB_RISCV_CSR0 + GDB_RISCV_NUM_CSRS)
		return st->csr[id - GDB_RISCV_CSR0];
	switch (id) {
	case GDB_RISCV_PC: return st->pc;
	case GDB_RISCV_FFLAGS: return st->fcsr & FFLAGS_MASK;
	case GDB_RISCV_FRM: return (st->fcsr >> FRM_SHIFT) & FRM_MASK;
	case GDB_RISCV_FCSR: return st->fcsr & FCSR_MASK;
	case GDB_RISCV_PRIV: return st->priv;
	default: return 0;
	}
}

static void set_fcsr(struct gdb_riscv_state *st, uint64_t fcsr)
{
	st->fcsr = (uint32_t)(fcsr & FCSR_MASK);
	st->fflags = st->fcsr & FFLAGS_MASK;
	st->frm = (st->fcsr >> FRM_SHIFT) & FRM_MASK;
}

static void set_reg(struct gdb_riscv_state *st, unsigned id, uint64_t v)
{
	if (id == GDB_RISCV_X0)
		return; /* zero is hardwired */
	if (id < GDB_RISCV_X0 + 32) {
		st->x[id - GDB_RISCV_X0] = v;
	} else if (id >= GDB_RISCV_F0 && id < GDB_RISCV_F0 + 32) {
		st->f[id - GDB_RISCV_F0] = v;
	} else if (id >= GDB_RISCV_CSR0 && id < GDB_RISCV_CSR0 + GDB_RISCV_NUM_CSRS) {
		st->csr[id - GDB_RISCV_CSR0] = v;
	} else {
		switch (id) {
		case GDB_RISCV_PC: st->pc = v; break;
		case GDB_RISCV_FFLAGS:
			set_fcsr(st, (st->fcsr & ~FFLAGS_MASK) | (v & FFLAGS_MASK));
			break;
		case GDB_RISCV_FRM:
			set_fcsr(st, (st->fcsr & ~(FRM_MASK << FRM_SHIFT)) |
				     ((v & FRM_MASK) << FRM_SHIFT));
			break;
		case GDB_RISCV_FCSR: set_fcsr(st, v); break;
		case GDB_RISCV_PRIV: st->priv = v; break;
		default: break;
		}
	}
}

/* Registers are little-endian on the wire, like the hart. */
static void put_le(uint8_t *out, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

static uint64_t get_le(const uint8_t *in, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t)in[i] << (8 * i);
	return v;
}

void gdb_riscv_pack(const struct gdb_arch *arch, const struct gdb_riscv_state *st, uint8_t *buf)
{
	for (unsigned i = 0; i < arch->nregs; i++)
		gdb_riscv_pack_reg(arch, st, i, buf + gdb_arch_reg_offset(arch, i));
}

void gdb_riscv_pack_reg(const struct gdb_arch *arch, const struct gdb_riscv_state *st,
			unsigned regno, uint8_t *val)
{
	if (regno < arch->nregs)
		put_le(val, reg_value(st, arch->regs[regno].id), arch->regs[regno].bitsize / 8u);
}

void gdb_riscv_unpack(const struct gdb_arch *arch, const uint8_t *buf, struct gdb_riscv_state *st)
{
	uint32_t old_fcsr = st->fcsr & FCSR_MASK;
	uint64_t fflags = 0, frm = 0;
	bool has_fflags = false, has_frm = false;
	size_t off = 0;

	for (unsigned i = 0; i < arch->nregs; i++) {
		const struct gdb_reg *r = &arch->regs[i];
		uint64_t v = get_le(buf + off, r->bitsize / 8u);

		off += r->bitsize / 8u;
		/* The views wait for fcsr: see gdb_riscv_unpack in arch_riscv.h. */
		if (r->id == GDB_RISCV_FFLAGS) {
			fflags = v;
			has_fflags = true;
		} else if (r->id == GDB_RISCV_FRM) {
			frm = v;
			has_frm = true;
		} else {
			set_reg(st, r->id, v);
		}
	}
	if (st->fcsr != old_fcsr)
		return; /* fcsr itself was written: it wins over its views */
	if (has_fflags && fflags != (old_fcsr & FFLAGS_MASK))
		set_reg(st, GDB_RISCV_FFLAGS, fflags);
	if (has_frm && frm != ((old_fcsr >> FRM_SHIFT) & FRM_MASK))
		set_reg(st, GDB_RISCV_FRM, frm);
}

void gdb_riscv_unpack_reg(const struct gdb_arch *arch, unsigned regno, const uint8_t *val,
			  struct gdb_riscv_state *st)
{
	if (regno < arch->nregs)
		set_reg(st, arch->regs[regno].id, get_le(val, arch->regs[regno].bitsize / 8u));
}
